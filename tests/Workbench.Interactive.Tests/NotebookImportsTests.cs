using Workbench.Display;

namespace Workbench.Interactive.Tests;

public class NotebookImportsTests
{
    [Fact]
    public void EveryDefaultImportThatLoadsHereBecomesOneDirective()
    {
        var lines = NotebookImports.UsingDirectives().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CellImports.Default.Except(["Plotly.NET.CSharp", "Workbench.Notebooks"]).Count(), lines.Length);
        Assert.Contains("using Microsoft.Data.Analysis;", lines);
        // torch and torch.nn are classes: C# imports them with using static, our kernel's script options as plain imports.
        Assert.Contains("using static TorchSharp.torch;", lines);
        Assert.Contains("using static TorchSharp.torch.nn;", lines);
        Assert.Contains("using TorchSharp;", lines);
        Assert.Contains("using Workbench.Vae.Training;", lines);
        Assert.Contains("using Workbench.Display;", lines);
        Assert.All(lines, l => Assert.Matches(@"^using (static )?[A-Za-z][A-Za-z0-9.]*;$", l));
    }

    [Fact]
    public void GlobalsNameTheNotebookFolderAndTheRunningCommandsToken()
    {
        string globals = NotebookImports.Globals("/data/my \"notes\"\\2026");
        Assert.Contains("string NotebookDirectory => \"/data/my \\\"notes\\\"\\\\2026\";", globals);
        Assert.Contains("System.Threading.CancellationToken CancellationToken => Microsoft.DotNet.Interactive.KernelInvocationContext.Current?.CancellationToken", globals);
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData("C:\\runs", "\"C:\\\\runs\"")]
    [InlineData("line\nnext\ttab", "\"line\\nnext\\u0009tab\"")]
    public void StringLiteralsEscapeWhatCSharpNeeds(string text, string literal) =>
        Assert.Equal(literal, NotebookImports.StringLiteral(text));
}
