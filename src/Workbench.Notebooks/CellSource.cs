using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Workbench.Notebooks;

/// <summary>A reference directive at the top of a cell: <c>#r "lib.dll"</c> or <c>#r "nuget: Id, Version"</c>.</summary>
/// <param name="Line">1-based line in the cell.</param>
/// <param name="Text">The quoted text as written.</param>
/// <param name="Path">The file for a path reference.</param>
/// <param name="PackageId">The package id for a nuget reference.</param>
/// <param name="PackageVersion">The version for a nuget reference (null: the newest the source serves).</param>
internal sealed record ReferenceDirective(int Line, string Text, string? Path, string? PackageId, string? PackageVersion);

/// <summary>
/// A cell's source after the directives the engine handles itself: the Polyglot language marker on the
/// first line and <c>#r</c> references at the top. Handled lines become blank so line numbers in
/// messages still match the cell.
/// </summary>
internal sealed record CellSource(bool IsMarkdown, string Code, IReadOnlyList<ReferenceDirective> References, string? Problem, int? ProblemLine)
{
    /// <summary>Languages Polyglot notebooks name in "#!" markers, for a clear "not C#" message.</summary>
    private static readonly HashSet<string> OtherLanguages = new(StringComparer.OrdinalIgnoreCase)
    {
        "fsharp", "f#", "pwsh", "powershell", "javascript", "js", "html", "sql", "kql", "mermaid", "http", "python", "r",
        "typescript", "ts", "value",
    };

    internal static CellSource Parse(string code, int cellNumber)
    {
        var lines = code.Split('\n');
        var references = new List<ReferenceDirective>();
        bool header = true;        // still in the leading block of blank lines, comments and directives
        bool firstContent = true;  // no non-blank line seen yet
        for (int i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            int lineNumber = i + 1;
            if (trimmed.Length == 0) continue;

            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                var marker = trimmed[2..].Trim();
                var name = marker.Split(' ', 2)[0];
                if (firstContent && name.ToLowerInvariant() is "csharp" or "c#")
                {
                    lines[i] = "";
                    firstContent = false;
                    continue;
                }
                if (firstContent && name.ToLowerInvariant() is "markdown" or "md")
                    return new CellSource(true, "", [], null, null);
                if (OtherLanguages.Contains(name))
                    return Fail($"line {lineNumber}: '#!{name}' marks {name} code, but Workbench notebooks run C# only. " +
                        "Rewrite the cell in C#, or make it a markdown cell.", lineNumber);
                if (name.ToLowerInvariant() is "csharp" or "c#" or "markdown" or "md")
                    return Fail($"line {lineNumber}: the language marker '#!{name}' must be the first line of the cell; " +
                        "split the cell where the language changes.", lineNumber);
                return Fail($"line {lineNumber}: '#!{marker}' is a magic command, and Workbench cells are plain C# without magics. " +
                    "Remove the line (use Stopwatch for timing, Console.WriteLine or display(x) for output).", lineNumber);
            }
            firstContent = false;

            if (header && trimmed.StartsWith("#r", StringComparison.Ordinal) && (trimmed.Length == 2 || char.IsWhiteSpace(trimmed[2]) || trimmed[2] == '"'))
            {
                var parsed = ParseReference(trimmed, lineNumber, out var problem);
                if (parsed is null) return Fail(problem!, lineNumber);
                references.Add(parsed);
                lines[i] = "";
                continue;
            }
            if (header && trimmed.StartsWith("#i", StringComparison.Ordinal) && (trimmed.Length == 2 || char.IsWhiteSpace(trimmed[2]) || trimmed[2] == '"'))
                return Fail($"line {lineNumber}: '#i' (adding a package source) is not supported; packages in '#r \"nuget: ...\"' " +
                    "come from the NuGet sources configured for dotnet on this machine.", lineNumber);
            if (trimmed.StartsWith("//", StringComparison.Ordinal)) continue;
            header = false;
        }
        return new CellSource(false, string.Join('\n', lines), references, null, null);

        CellSource Fail(string problem, int line) => new(false, code, references, $"cell {cellNumber}, {problem}", line);
    }

    private static ReferenceDirective? ParseReference(string trimmed, int line, out string? problem)
    {
        problem = null;
        var rest = trimmed[2..].Trim();
        if (rest.Length < 2 || rest[0] != '"' || rest.IndexOf('"', 1) is var close && close < 0)
        {
            problem = $"line {line}: '{trimmed}' is not a reference; write #r \"path/to/lib.dll\" or #r \"nuget: Package.Id, 1.2.3\".";
            return null;
        }
        var text = rest[1..close];
        var after = rest[(close + 1)..].Trim();
        if (after.Length > 0 && !after.StartsWith("//", StringComparison.Ordinal))
        {
            problem = $"line {line}: unexpected text '{after}' after {rest[..(close + 1)]}.";
            return null;
        }
        if (text.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = text["nuget:".Length..].Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length is < 1 or > 2 || parts[0].Length == 0 || (parts.Length == 2 && parts[1].Length == 0))
            {
                problem = $"line {line}: '#r \"{text}\"' should name a package and optionally a version: #r \"nuget: Package.Id, 1.2.3\".";
                return null;
            }
            return new ReferenceDirective(line, text, null, parts[0], parts.Length == 2 ? parts[1] : null);
        }
        if (text.Trim().Length == 0)
        {
            problem = $"line {line}: '#r \"\"' names no file.";
            return null;
        }
        return new ReferenceDirective(line, text, text.Trim(), null, null);
    }

    internal static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>
    /// Inserts <see cref="ScriptRuntime.Check"/> at the top of every loop body so a cancelled cell stops at
    /// the next iteration. Only text on the loop's own lines moves; no line is added, so line numbers in
    /// runtime errors still match the cell as written.
    /// </summary>
    internal static string InsertLoopChecks(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, ParseOptions);
        var root = tree.GetRoot();
        var rewritten = new LoopCheckRewriter().Visit(root);
        return ReferenceEquals(rewritten, root) ? code : rewritten.ToFullString();
    }

    private sealed class LoopCheckRewriter : CSharpSyntaxRewriter
    {
        private static readonly StatementSyntax CheckStatement =
            SyntaxFactory.ParseStatement("global::Workbench.Notebooks.ScriptRuntime.Check();");

        public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
        {
            var visited = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
            return visited.WithStatement(WithCheck(visited.Statement));
        }

        public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
        {
            var visited = (DoStatementSyntax)base.VisitDoStatement(node)!;
            return visited.WithStatement(WithCheck(visited.Statement));
        }

        public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
        {
            var visited = (ForStatementSyntax)base.VisitForStatement(node)!;
            return visited.WithStatement(WithCheck(visited.Statement));
        }

        public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
        {
            var visited = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
            return visited.WithStatement(WithCheck(visited.Statement));
        }

        public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
        {
            var visited = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
            return visited.WithStatement(WithCheck(visited.Statement));
        }

        private static StatementSyntax WithCheck(StatementSyntax body)
        {
            if (body is BlockSyntax block)
                return block.WithStatements(block.Statements.Insert(0, CheckStatement));
            // A single statement becomes { check; statement } with its surrounding trivia (and so its line
            // breaks) moved outside the braces.
            var open = SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(body.GetLeadingTrivia());
            var close = SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(body.GetTrailingTrivia());
            var inner = body.WithLeadingTrivia().WithTrailingTrivia();
            return SyntaxFactory.Block(open, SyntaxFactory.List([CheckStatement, inner]), close);
        }
    }
}
