using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Workbench.Notebooks;

/// <summary>A parameter that cannot be set: unknown name, a value that does not fit its type, no parameters cell.</summary>
public sealed class NotebookParameterException(string message) : ArgumentException(message);

/// <summary>The C# types a parameter can have when it is set from the command line.</summary>
public enum ParameterType { Int, Long, Double, Float, Bool, String }

/// <summary>One variable declared in the notebook's parameters cell.</summary>
/// <param name="Name">The variable.</param>
/// <param name="Type">Its type, or null when it is not one that can be set from the command line.</param>
/// <param name="TypeText">The type as written ("int", "var", "VaeConfig").</param>
/// <param name="IsConst">Declared const (the injected declaration is const too).</param>
/// <param name="Line">1-based line in the parameters cell.</param>
/// <param name="Declaration">The declaration's text, for messages.</param>
public sealed record ParameterDeclaration(string Name, ParameterType? Type, string TypeText, bool IsConst, int Line, string Declaration);

/// <summary>
/// Parameterised runs, following papermill's convention: the cell tagged <c>parameters</c> declares the
/// defaults (<c>int Epochs = 10;</c>, <c>var Quick = false;</c>); a run with values injects a new cell
/// right after it, tagged <c>injected-parameters</c>, that declares the given values again as C# literals
/// of the declared types, so later cells see them.
/// </summary>
public static class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    /// <summary>Splits "Name=value" (the value may contain '=').</summary>
    public static KeyValuePair<string, string> ParseAssignment(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=');
        if (eq <= 0)
            throw new NotebookParameterException($"parameter '{text}' should be NAME=VALUE, e.g. -p Epochs=1 or -p Name=\"run-1\".");
        return new(text[..eq].Trim(), text[(eq + 1)..]);
    }

    /// <summary>The declarations of the notebook's parameters cell (empty when it has none).</summary>
    public static IReadOnlyList<ParameterDeclaration> Declarations(Notebook notebook)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        var (_, cell) = notebook.FindTagged(ParametersTag);
        return cell is null ? [] : Declarations(cell.Source);
    }

    /// <summary>The top-level variable declarations of C# cell source.</summary>
    public static IReadOnlyList<ParameterDeclaration> Declarations(string source)
    {
        var code = CellSource.Parse(source.Replace("\r\n", "\n"), 0).Code; // drops a "#!csharp" first line, keeping lines
        var root = CSharpSyntaxTree.ParseText(code, CellSource.ParseOptions).GetCompilationUnitRoot();
        var result = new List<ParameterDeclaration>();
        foreach (var member in root.Members)
        {
            (VariableDeclarationSyntax? declaration, bool isConst) = member switch
            {
                FieldDeclarationSyntax f => (f.Declaration, f.Modifiers.Any(SyntaxKind.ConstKeyword)),
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax l } => (l.Declaration, l.IsConst),
                _ => (null, false),
            };
            if (declaration is null) continue;
            foreach (var v in declaration.Variables)
            {
                var type = TypeOf(declaration.Type, v.Initializer?.Value);
                int line = v.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                result.Add(new ParameterDeclaration(v.Identifier.ValueText, type, declaration.Type.ToString(), isConst, line,
                    member.ToString().Trim()));
            }
        }
        return result;
    }

    private static ParameterType? TypeOf(TypeSyntax type, ExpressionSyntax? initializer)
    {
        if (type is PredefinedTypeSyntax p)
            return p.Keyword.Kind() switch
            {
                SyntaxKind.IntKeyword => ParameterType.Int,
                SyntaxKind.LongKeyword => ParameterType.Long,
                SyntaxKind.DoubleKeyword => ParameterType.Double,
                SyntaxKind.FloatKeyword => ParameterType.Float,
                SyntaxKind.BoolKeyword => ParameterType.Bool,
                SyntaxKind.StringKeyword => ParameterType.String,
                _ => null,
            };
        if (type is IdentifierNameSyntax { IsVar: true } && initializer is not null)
        {
            // var: the literal's own type (C# spec 6.4.5: an integer literal without suffix is int when it fits,
            // a real literal without suffix is double).
            var e = initializer is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression or (int)SyntaxKind.UnaryPlusExpression } u
                ? u.Operand : initializer;
            if (e is not LiteralExpressionSyntax literal) return null;
            return literal.Token.Value switch
            {
                int => ParameterType.Int,
                long => ParameterType.Long,
                double => ParameterType.Double,
                float => ParameterType.Float,
                bool => ParameterType.Bool,
                string => ParameterType.String,
                _ => null,
            };
        }
        return null;
    }

    /// <summary>
    /// Injects <paramref name="values"/> as a cell after the parameters cell, replacing an earlier injected
    /// cell; returns it (null when there are no values). Unknown names, values of the wrong type and a
    /// notebook without a parameters cell are <see cref="NotebookParameterException"/>s.
    /// </summary>
    public static Cell? Inject(Notebook notebook, IReadOnlyList<KeyValuePair<string, string>> values, string notebookName = "the notebook")
    {
        ArgumentNullException.ThrowIfNull(notebook);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return null;
        var (index, cell) = notebook.FindTagged(ParametersTag);
        if (cell is null)
            throw new NotebookParameterException(
                $"{notebookName} has no cell tagged '{ParametersTag}', so -p {values[0].Key}=... has nothing to override. " +
                "Tag the cell that declares the defaults with 'parameters' (cell metadata \"tags\": [\"parameters\"]).");
        if (cell.Type != CellType.Code)
            throw new NotebookParameterException($"{notebookName}: the cell tagged '{ParametersTag}' is a {cell.Type.ToString().ToLowerInvariant()} cell; it must be a code cell.");

        var declared = Declarations(cell.Source);
        var byName = declared.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var settable = declared.Where(d => d.Type is not null).Select(d => d.Name).ToList();
        string known = settable.Count == 0 ? "it declares none that can be set (int, long, double, float, bool or string)"
            : "known: " + string.Join(", ", settable);

        // Later values for the same name win, as with repeated command-line options.
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (name, value) in values)
        {
            if (!last.ContainsKey(name)) order.Add(name);
            last[name] = value;
        }

        var sb = new StringBuilder("// Parameters injected by `workbench notebook run`; they override the cell above.\n");
        foreach (var name in order)
        {
            if (!byName.TryGetValue(name, out var d))
                throw new NotebookParameterException(
                    $"{notebookName}: unknown parameter '{name}'; the parameters cell declares {(settable.Count == 0 ? "none" : string.Join(", ", settable))}" +
                    (settable.Count == 0 ? "." : $" ({known})."));
            if (d.Type is not ParameterType type)
                throw new NotebookParameterException(
                    $"{notebookName}: parameter '{name}' is declared as '{d.Declaration}' (line {d.Line} of the parameters cell); only int, long, " +
                    "double, float, bool and string parameters (or var with such a literal) can be set from the command line.");
            string literal = Literal(type, last[name], d, notebookName);
            sb.Append(d.IsConst ? "const " : "").Append(Keyword(type)).Append(' ').Append(name).Append(" = ").Append(literal).Append(";\n");
        }

        int existing = notebook.Cells.FindIndex(c => c.HasTag(InjectedTag));
        if (existing >= 0)
        {
            notebook.Cells.RemoveAt(existing);
            if (existing < index) index--;
        }
        var injected = new Cell(CellType.Code, sb.ToString().TrimEnd('\n'), notebook.UsesCellIds ? Cell.NewId() : null);
        injected.AddTag(InjectedTag);
        notebook.Cells.Insert(index + 1, injected);
        return injected;
    }

    private static string Keyword(ParameterType type) => type switch
    {
        ParameterType.Int => "int",
        ParameterType.Long => "long",
        ParameterType.Double => "double",
        ParameterType.Float => "float",
        ParameterType.Bool => "bool",
        _ => "string",
    };

    /// <summary>The C# literal for a command-line value of the declared type.</summary>
    internal static string Literal(ParameterType type, string value, ParameterDeclaration d, string notebookName)
    {
        var v = value.Trim();
        var inv = CultureInfo.InvariantCulture;
        string Bad(string expected) => throw new NotebookParameterException(
            $"{notebookName}: parameter '{d.Name}' is declared {d.TypeText} ('{d.Declaration}'), but '{value}' is not {expected}.");
        switch (type)
        {
            case ParameterType.Int:
                return int.TryParse(v, NumberStyles.AllowLeadingSign, inv, out var i) ? i.ToString(inv) : Bad("a whole number in the range of int");
            case ParameterType.Long:
                return long.TryParse(v, NumberStyles.AllowLeadingSign, inv, out var l) ? l.ToString(inv) + "L" : Bad("a whole number in the range of long");
            case ParameterType.Double:
                if (!double.TryParse(v, NumberStyles.Float, inv, out var x)) return Bad("a number (e.g. 0.001 or 1e-3)");
                return double.IsNaN(x) ? "double.NaN" : double.IsPositiveInfinity(x) ? "double.PositiveInfinity"
                    : double.IsNegativeInfinity(x) ? "double.NegativeInfinity" : WithPoint(x.ToString("R", inv));
            case ParameterType.Float:
                if (!float.TryParse(v, NumberStyles.Float, inv, out var f)) return Bad("a number (e.g. 0.5)");
                return float.IsNaN(f) ? "float.NaN" : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
                    : float.IsNegativeInfinity(f) ? "float.NegativeInfinity" : WithPoint(f.ToString("R", inv)) + "f";
            case ParameterType.Bool:
                return bool.TryParse(v, out var b) ? (b ? "true" : "false") : Bad("true or false");
            default:
                return SymbolDisplay.FormatLiteral(Unquote(value), quote: true);
        }
    }

    private static string WithPoint(string number) =>
        number.Contains('.') || number.Contains('E') || number.Contains('e') ? number : number + ".0";

    /// <summary>A value given in double quotes ("x", as JSON, so \" and \n work) loses them; anything else is taken as written.</summary>
    private static string Unquote(string value)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(value) ?? value;
            }
            catch (JsonException)
            {
                return value[1..^1];
            }
        }
        return value;
    }
}
