using Workbench.Tests.Shared;
namespace Workbench.Notebooks.Tests;

public class CellSourceTests
{
    [Fact]
    public void LoopChecksAreInsertedWithoutAddingLines()
    {
        const string code = "int n = 0;\nfor (int i = 0; i < 3; i++)\n    n++;\nwhile (n < 5) { n++; }\ndo n++; while (n < 7);\nforeach (var (a, b) in new[] { (1, 2) }) n += a;\nvar s = \"while (true) { }\";";
        var rewritten = CellSource.InsertLoopChecks(code);
        Assert.Equal(code.Split('\n').Length, rewritten.Split('\n').Length);
        Assert.Equal(4, TestTexts.Count(rewritten, "global::Workbench.Notebooks.ScriptRuntime.Check();"));
        Assert.EndsWith("var s = \"while (true) { }\";", rewritten); // text in strings is not code
        Assert.Contains("    {global::Workbench.Notebooks.ScriptRuntime.Check();n++;}\n", rewritten);
        // Code without loops is returned as it is.
        Assert.Same("var x = 1;", CellSource.InsertLoopChecks("var x = 1;"));
    }

    [Fact]
    public void DirectivesAtTheTopAreTakenOutKeepingLineNumbers()
    {
        var source = CellSource.Parse("#!csharp\n// refs\n#r \"lib/a.dll\"\n#r \"nuget: Newtonsoft.Json, 13.0.3\"\n#r \"nuget:Some.Package\"\nvar x = 1;\n#region r\n#endregion", 3);
        Assert.Null(source.Problem);
        Assert.False(source.IsMarkdown);
        Assert.Equal("\n// refs\n\n\n\nvar x = 1;\n#region r\n#endregion", source.Code);
        Assert.Equal(
            [new ReferenceDirective(3, "lib/a.dll", "lib/a.dll", null, null),
             new ReferenceDirective(4, "nuget: Newtonsoft.Json, 13.0.3", null, "Newtonsoft.Json", "13.0.3"),
             new ReferenceDirective(5, "nuget:Some.Package", null, "Some.Package", null)],
            source.References);
    }

    [Theory]
    [InlineData("#r \"nuget: A, 1, 2\"", "should name a package and optionally a version")]
    [InlineData("#r \"\"", "names no file")]
    [InlineData("#r \"a.dll\" extra", "unexpected text 'extra'")]
    [InlineData("\n\n#!pwsh\nls", "cell 3, line 3: '#!pwsh' marks pwsh code")]
    public void BadDirectivesSayWhatIsWrong(string code, string expected)
    {
        var source = CellSource.Parse(code, 3);
        Assert.Contains(expected, source.Problem);
    }
}
