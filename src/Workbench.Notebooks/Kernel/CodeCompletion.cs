using System.Globalization;
using System.Reflection;
using System.Text;
using Workbench.Kernel;
using KernelBundle = Workbench.Kernel.MimeBundle;

namespace Workbench.Notebooks.Kernel;

/// <summary>
/// Completion and inspection from what the notebook holds at run time, without a semantic model: the
/// variables cells defined (<see cref="CellExecutor.Variables"/>), the public types of the namespaces every
/// cell imports, the nested types and static members of statically imported types (<c>Tensor</c>, <c>randn</c>
/// from <c>TorchSharp.torch</c>), C# keywords, and, after <c>Name.</c>, the public members of a variable's run-time type or of
/// a type (static members) found by reflection. Chains such as <c>model.Encoder.</c> follow property and
/// field types.
/// </summary>
internal sealed class CodeCompletion(CellExecutor executor)
{
    private static readonly string[] Keywords =
    [
        "abstract", "as", "async", "await", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false",
        "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is",
        "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "record", "ref", "return", "sbyte", "sealed", "short", "sizeof", "static", "string", "struct",
        "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "var",
        "virtual", "void", "volatile", "when", "where", "while", "yield",
    ];

    /// <summary>Members every cell sees through its globals object.</summary>
    private static readonly string[] GlobalMembers = ["display", "NotebookDirectory", "CancellationToken"];

    private Dictionary<string, Type>? typesByName;
    private Dictionary<string, string>? staticImports;
    private int assembliesIndexed;

    /// <summary>Completions for the identifier (or member access) that ends at <paramref name="cursor"/>.</summary>
    public CompletionResult Complete(string code, int cursor)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        int start = cursor;
        while (start > 0 && IsIdentifierChar(code[start - 1])) start--;
        // The rest of an identifier the cursor sits inside is replaced too.
        int end = cursor;
        while (end < code.Length && IsIdentifierChar(code[end])) end++;
        var prefix = code[start..cursor];

        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (start > 0 && code[start - 1] == '.')
        {
            var chain = ChainBefore(code, start - 1);
            if (chain.Count == 0) return new CompletionResult([], start, end);
            foreach (var (name, kind) in MembersAfter(chain)) found.TryAdd(name, kind);
        }
        else
        {
            foreach (var name in executor.Variables.Keys) found.TryAdd(name, "variable");
            foreach (var name in GlobalMembers) found.TryAdd(name, "function");
            foreach (var name in Types().Keys) found.TryAdd(name, "class");
            foreach (var (name, kind) in StaticImports()) found.TryAdd(name, kind);
            foreach (var name in Keywords) found.TryAdd(name, "keyword");
        }
        var matches = found.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (matches.Count == 0)
            matches = found.Where(p => p.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return new CompletionResult(matches.Select(p => p.Key).ToList(), start, end, matches.Select(p => p.Value).ToList());
    }

    /// <summary>Help for the variable, type or member under the cursor: its type and value, or a type's members.</summary>
    public InspectionResult Inspect(string code, int cursor, int detailLevel)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        int end = cursor;
        while (end < code.Length && IsIdentifierChar(code[end])) end++;
        if (end == 0 || !IsIdentifierChar(code[end - 1])) return InspectionResult.NotFound;
        var chain = ChainBefore(code, end);
        if (chain.Count == 0) return InspectionResult.NotFound;

        string text;
        if (chain.Count == 1 && executor.Variables.TryGetValue(chain[0], out var value))
        {
            text = DescribeValue(chain[0], value, detailLevel);
        }
        else if (Resolve(chain) is { } target)
        {
            text = target.IsType
                ? DescribeType(target.Type, detailLevel)
                : target.HasValue ? DescribeValue(string.Join('.', chain), target.Value, detailLevel) : $"{string.Join('.', chain)}: {TypeName(target.Type)}";
        }
        else if (chain.Count > 1 && Resolve(chain.Take(chain.Count - 1).ToList()) is { } owner
                 && Members(owner.Type, staticOnly: owner.IsType).Where(m => m.Name == chain[^1]).ToList() is { Count: > 0 } members)
        {
            text = string.Join("\n", members.Select(Signature).Distinct());
        }
        else
        {
            return InspectionResult.NotFound;
        }
        return new InspectionResult(true, KernelBundle.PlainText(text));
    }

    // ---- resolution ----

    private readonly record struct Target(Type Type, bool IsType, bool HasValue, object? Value);

    /// <summary>
    /// What a dotted chain names: a variable (its run-time type and value), a type (by simple name among the
    /// imports or by full name), or members followed from either. Null when some part is unknown.
    /// </summary>
    private Target? Resolve(IReadOnlyList<string> chain)
    {
        Target current;
        int next;
        if (executor.Variables.TryGetValue(chain[0], out var value))
        {
            if (value is null) return null;
            current = new Target(value.GetType(), false, true, value);
            next = 1;
        }
        else
        {
            // The longest prefix of the chain that names a type: "Tensor", "torch.nn", "TorchSharp.torch.Tensor", "System.Math".
            Type? type = null;
            next = 0;
            for (int i = chain.Count; i >= 1 && type is null; i--)
            {
                var name = string.Join('.', chain.Take(i));
                type = i == 1 && Types().TryGetValue(name, out var t) ? t : FindType(name);
                if (type is not null) next = i;
            }
            if (type is null) return null;
            current = new Target(type, true, false, null);
        }
        for (; next < chain.Count; next++)
        {
            var member = Members(current.Type, staticOnly: current.IsType).FirstOrDefault(m => m.Name == chain[next] && m is PropertyInfo or FieldInfo);
            if (member is null)
            {
                var nested = current.IsType ? current.Type.GetNestedType(chain[next], BindingFlags.Public) : null;
                if (nested is null) return null;
                current = new Target(nested, true, false, null);
                continue;
            }
            // Values are read only from fields: a property getter could run arbitrary (slow) code.
            if (member is FieldInfo field)
            {
                object? fieldValue = current.HasValue || field.IsStatic ? field.GetValue(field.IsStatic ? null : current.Value) : null;
                current = fieldValue is not null
                    ? new Target(fieldValue.GetType(), false, true, fieldValue)
                    : new Target(field.FieldType, false, false, null);
            }
            else
            {
                current = new Target(((PropertyInfo)member).PropertyType, false, false, null);
            }
        }
        return current;
    }

    private IEnumerable<(string Name, string Kind)> MembersAfter(IReadOnlyList<string> chain)
    {
        if (Resolve(chain) is { } target)
        {
            foreach (var m in Members(target.Type, staticOnly: target.IsType)) yield return (m.Name, Kind(m));
            if (target.IsType)
                foreach (var t in target.Type.GetNestedTypes(BindingFlags.Public)) yield return (CleanName(t.Name), "class");
            yield break;
        }
        // A namespace: its public types and sub-namespaces ("System.Col" -> "Collections").
        var ns = string.Join('.', chain);
        IndexTypes();
        foreach (var t in AllTypes())
        {
            if (t.Namespace is not { } tns) continue;
            if (tns == ns) yield return (CleanName(t.Name), "class");
            else if (tns.StartsWith(ns + ".", StringComparison.Ordinal)) yield return (tns[(ns.Length + 1)..].Split('.')[0], "namespace");
        }
    }

    private static IEnumerable<MemberInfo> Members(Type type, bool staticOnly)
    {
        var flags = BindingFlags.Public | BindingFlags.FlattenHierarchy | (staticOnly ? BindingFlags.Static : BindingFlags.Instance | BindingFlags.Static);
        foreach (var m in type.GetMembers(flags))
        {
            if (!staticOnly && IsStatic(m)) continue;
            if (m is MethodInfo { IsSpecialName: true } || m is ConstructorInfo || m is Type) continue;
            yield return m;
        }
        if (type.IsInterface && !staticOnly)
            foreach (var i in type.GetInterfaces())
                foreach (var m in i.GetMembers(BindingFlags.Public | BindingFlags.Instance))
                    if (m is not MethodInfo { IsSpecialName: true }) yield return m;
    }

    private static bool IsStatic(MemberInfo m) => m switch
    {
        MethodInfo method => method.IsStatic,
        FieldInfo field => field.IsStatic,
        PropertyInfo property => (property.GetMethod ?? property.SetMethod)?.IsStatic == true,
        EventInfo e => e.AddMethod?.IsStatic == true,
        _ => false,
    };

    private static string Kind(MemberInfo m) => m switch
    {
        MethodInfo => "method",
        PropertyInfo => "property",
        FieldInfo { IsLiteral: true } => "constant",
        FieldInfo => "field",
        EventInfo => "event",
        _ => "member",
    };

    /// <summary>The identifiers of a member-access chain ending at <paramref name="end"/> ("a.b.c" → [a, b, c]).</summary>
    private static List<string> ChainBefore(string code, int end)
    {
        var parts = new List<string>();
        int i = end;
        while (true)
        {
            int stop = i;
            while (i > 0 && IsIdentifierChar(code[i - 1])) i--;
            // An empty part ("f()." or "x..") or a number ("1.5") is not a chain of names.
            if (i == stop || char.IsDigit(code[i])) return [];
            parts.Insert(0, code[i..stop]);
            if (i > 0 && code[i - 1] == '.') i--;
            else return parts;
        }
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    // ---- types visible in cells ----

    /// <summary>
    /// Public types visible by simple name (generic arity dropped): those of the imported namespaces, and the nested
    /// types of statically imported types (<c>Tensor</c> and <c>Generator</c> from <c>TorchSharp.torch</c>).
    /// </summary>
    private Dictionary<string, Type> Types()
    {
        IndexTypes();
        return typesByName!;
    }

    /// <summary>Static members of statically imported types by name, with their kind (<c>randn</c>, <c>no_grad</c>, <c>float32</c>).</summary>
    private Dictionary<string, string> StaticImports()
    {
        IndexTypes();
        return staticImports!;
    }

    private void IndexTypes()
    {
        var assemblies = AppDomain.CurrentDomain.GetAssemblies();
        if (typesByName is not null && assemblies.Length == assembliesIndexed) return;
        var imports = new HashSet<string>(executor.Imports, StringComparer.Ordinal);
        var result = new Dictionary<string, Type>(StringComparer.Ordinal);
        var importedTypes = new List<Type>();
        foreach (var t in AllTypes())
        {
            if (t.Namespace is { } ns && imports.Contains(ns) && !t.IsNested)
                result.TryAdd(CleanName(t.Name), t);
            // An import that names a type is a using static (Roslyn treats it so): "TorchSharp.torch", "TorchSharp.torch.nn".
            if (!t.IsGenericType && t.FullName is { } full && imports.Contains(full.Replace('+', '.')))
                importedTypes.Add(t);
        }
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in importedTypes)
        {
            foreach (var nested in t.GetNestedTypes(BindingFlags.Public))
                result.TryAdd(CleanName(nested.Name), nested);
            foreach (var m in Members(t, staticOnly: true))
                if (m is not EventInfo) members.TryAdd(m.Name, Kind(m));
        }
        typesByName = result;
        staticImports = members;
        assembliesIndexed = assemblies.Length;
    }

    private static IEnumerable<Type> AllTypes()
    {
        var seen = new HashSet<Assembly>();
        foreach (var a in CellExecutor.WorkbenchAssemblies().Concat(CellExecutor.TorchAssemblies()).Concat(CellExecutor.LibraryAssemblies()).Concat(AppDomain.CurrentDomain.GetAssemblies()))
        {
            if (a.IsDynamic || !seen.Add(a)) continue;
            Type?[] types;
            try { types = a.GetExportedTypes(); }
            catch (Exception e) when (e is ReflectionTypeLoadException or NotSupportedException or FileNotFoundException)
            {
                types = e is ReflectionTypeLoadException r ? r.Types : [];
            }
            foreach (var t in types)
                if (t is not null) yield return t;
        }
    }

    private static Type? FindType(string fullName)
    {
        foreach (var t in AllTypes())
            if (t.FullName?.Replace('+', '.') is { } f && (f == fullName || (f.Contains('`') && f[..f.IndexOf('`')] == fullName))) return t;
        return null;
    }

    // ---- descriptions ----

    private static string DescribeValue(string name, object? value, int detailLevel)
    {
        if (value is null) return $"{name} = null";
        var type = value.GetType();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{name}: {TypeName(type)}\n");
        string text;
        try { text = value.ToString() ?? ""; }
        catch (Exception e) { text = $"(ToString threw {e.GetType().Name}: {e.Message})"; }
        if (text.Length > 2000) text = text[..2000] + " ...";
        sb.Append(CultureInfo.InvariantCulture, $"value: {text}");
        if (detailLevel > 0) sb.Append('\n').Append(MemberList(type, staticOnly: false));
        return sb.ToString();
    }

    private static string DescribeType(Type type, int detailLevel)
    {
        var kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : "class";
        var sb = new StringBuilder($"{kind} {TypeName(type)}");
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum)) sb.Append(" : ").Append(TypeName(b));
        sb.Append('\n');
        if (type.IsEnum) sb.Append("values: ").Append(string.Join(", ", Enum.GetNames(type)));
        else sb.Append(MemberList(type, staticOnly: detailLevel == 0 && type.IsAbstract && type.IsSealed));
        return sb.ToString();
    }

    private static string MemberList(Type type, bool staticOnly)
    {
        var lines = Members(type, staticOnly).Select(Signature).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        return "members:\n" + string.Join("\n", lines.Select(l => "  " + l));
    }

    private static string Signature(MemberInfo m) => m switch
    {
        MethodInfo method => $"{(method.IsStatic ? "static " : "")}{TypeName(method.ReturnType)} {method.Name}" +
                             $"({string.Join(", ", method.GetParameters().Select(p => $"{TypeName(p.ParameterType)} {p.Name}"))})",
        PropertyInfo property => $"{TypeName(property.PropertyType)} {property.Name} {{ {(property.CanRead ? "get; " : "")}{(property.CanWrite ? "set; " : "")}}}",
        FieldInfo field => $"{(field.IsLiteral ? "const " : field.IsStatic ? "static " : "")}{TypeName(field.FieldType)} {field.Name}",
        EventInfo e => $"event {TypeName(e.EventHandlerType ?? typeof(Delegate))} {e.Name}",
        _ => m.Name,
    };

    /// <summary>A type as C# spells it: Tensor, List&lt;int&gt;, double[].</summary>
    internal static string TypeName(Type type)
    {
        if (type.IsArray) return TypeName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsByRef) return TypeName(type.GetElementType()!);
        if (Nullable.GetUnderlyingType(type) is { } underlying) return TypeName(underlying) + "?";
        var alias = Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool", TypeCode.Byte => "byte", TypeCode.Char => "char", TypeCode.Decimal => "decimal",
            TypeCode.Double => "double", TypeCode.Int16 => "short", TypeCode.Int32 => "int", TypeCode.Int64 => "long",
            TypeCode.SByte => "sbyte", TypeCode.Single => "float", TypeCode.String => "string", TypeCode.UInt16 => "ushort",
            TypeCode.UInt32 => "uint", TypeCode.UInt64 => "ulong",
            _ => type == typeof(object) ? "object" : type == typeof(void) ? "void" : null,
        };
        if (alias is not null && !type.IsEnum) return alias;
        var name = CleanName(type.Name);
        if (type.IsGenericType) name += "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">";
        return type.IsNested && type.DeclaringType is { } d && !type.IsGenericParameter ? TypeName(d) + "." + name : name;
    }

    private static string CleanName(string name) => name.IndexOf('`') is var tick and >= 0 ? name[..tick] : name;
}
