using Workbench.Tests.Shared;
using System.Text.Json.Nodes;

namespace Workbench.Notebooks.Tests;

public class NotebookRunnerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-nbrun-" + Guid.NewGuid().ToString("N"));

    public NotebookRunnerTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    internal static Notebook Make(params object[] cells)
    {
        var nb = new Notebook();
        foreach (var c in cells)
            nb.Cells.Add(c switch
            {
                Cell cell => cell,
                string code => Cell.Code(code),
                _ => throw new ArgumentException("cells are Cell or code strings"),
            });
        return nb;
    }

    internal static Cell Parameters(string code) => Cell.Code(code).AddTag(NotebookParameters.ParametersTag);

    private static NotebookRunOptions Options(params (string, string)[] parameters) => new()
    {
        Parameters = parameters.Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2)).ToList(),
        LoadPlotlyJs = () => TestTexts.FakePlotly,
    };

    private static string StdOut(Cell cell) => string.Concat(cell.Outputs.OfType<StreamOutput>().Select(s => s.Text));

    [Fact]
    public async Task RunsInOrderStopsAtTheFirstFailureAndClearsTheRest()
    {
        var source = Make(Cell.Markdown("# Title"), "var n = 1;\nConsole.WriteLine(n);", "n / (n - 1)", "Console.WriteLine(\"never\");");
        source.Cells[3].Outputs.Add(new StreamOutput("stdout", "stale output from an older run"));
        source.Cells[3].ExecutionCount = 99;

        var result = await NotebookRunner.RunAsync(source, Path.Combine(dir, "stop.ipynb"), Options());
        Assert.False(result.Succeeded);
        Assert.Equal(3, result.FailedCell); // positions count the markdown cell
        Assert.Equal(2, result.CellsExecuted);
        Assert.Equal(3, result.CodeCells);
        Assert.StartsWith("cell 3, line 1: DivideByZeroException", result.Failures[0].Message);
        Assert.StartsWith("2/3 code cells, ", NotebookRunner.Describe(result));
        Assert.Contains("failed at cell 3: cell 3, line 1: DivideByZeroException", NotebookRunner.Describe(result));

        var nb = result.Notebook;
        Assert.Equal("1\n", StdOut(nb.Cells[1]));
        Assert.Equal(1, nb.Cells[1].ExecutionCount);
        Assert.Equal("DivideByZeroException", Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[2].Outputs)).EName);
        Assert.Empty(nb.Cells[3].Outputs);
        Assert.Null(nb.Cells[3].ExecutionCount);
        Assert.Equal("failed", (string)nb.Metadata["workbench"]!["run"]!["status"]!);
        Assert.Equal(3, (int)nb.Metadata["workbench"]!["run"]!["failed_cells"]![0]!);
        // The input notebook is untouched.
        Assert.Equal("stale output from an older run", StdOut(source.Cells[3]));
    }

    [Fact]
    public async Task ADisplayUpdatedByALaterCellIsSavedWithItsLastValue()
    {
        var result = await NotebookRunner.RunAsync(Make("var status = display(\"training...\");", "status.Update(\"done: 3 epochs\");"), null, Options());
        Assert.True(result.Succeeded);
        var path = Path.Combine(dir, "display.ipynb");
        result.Notebook.Save(path);
        var saved = Notebook.Load(path);
        Assert.Equal("done: 3 epochs", Assert.IsType<DisplayDataOutput>(Assert.Single(saved.Cells[0].Outputs)).Data.GetText(MimeBundle.PlainText));
        Assert.Empty(saved.Cells[1].Outputs);
    }

    [Fact]
    public async Task ContinueOnErrorRunsTheRemainingCells()
    {
        var source = Make("throw new Exception(\"first\");", "int.Parse(\"x\")", "Console.WriteLine(\"still ran\");");
        var result = await NotebookRunner.RunAsync(source, null, Options() with { ContinueOnError = true });
        Assert.Equal([1, 2], result.Failures.Select(f => f.Cell));
        Assert.Equal(3, result.CellsExecuted);
        Assert.Equal("still ran\n", StdOut(result.Notebook.Cells[2]));
        Assert.Contains("(and 1 more failed cell)", NotebookRunner.Describe(result));
    }

    [Fact]
    public async Task ParametersAreInjectedAfterTheParametersCellWithTypedLiterals()
    {
        var source = Make(
            Parameters("int Epochs = 10;\nvar Lr = 1e-3;\nbool Quick = false;\nvar Name = \"default\";\nconst long Big = 1;\nfloat Scale = 1f;\nvar Cfg = new VaeConfig();"),
            "Console.WriteLine($\"{Epochs} {Lr} {Quick} {Name} {Big} {Scale}\");");
        var result = await NotebookRunner.RunAsync(source, null,
            Options(("Epochs", "1"), ("Quick", "True"), ("Name", "\"x \\\"y\\\"\""), ("Lr", "0.5"), ("Big", "-3"), ("Scale", "2"), ("Epochs", "2")));
        Assert.True(result.Succeeded, result.Failures.FirstOrDefault()?.Message);
        var injected = result.Notebook.Cells[1];
        Assert.True(injected.HasTag(NotebookParameters.InjectedTag));
        Assert.Equal(
            "// Parameters injected by `workbench notebook run`; they override the cell above.\n" +
            "int Epochs = 2;\nbool Quick = true;\nstring Name = \"x \\\"y\\\"\";\ndouble Lr = 0.5;\nconst long Big = -3L;\nfloat Scale = 2.0f;",
            injected.Source);
        Assert.Equal("2 0.5 True x \"y\" -3 2\n", StdOut(result.Notebook.Cells[2]));
        Assert.Equal("2", (string)result.Notebook.Metadata["workbench"]!["run"]!["parameters"]!["Epochs"]!);

        // Running the executed copy again replaces the injected cell instead of adding a second one.
        var again = await NotebookRunner.RunAsync(result.Notebook, null, Options(("Epochs", "5")));
        Assert.Single(again.Notebook.Cells, c => c.HasTag(NotebookParameters.InjectedTag));
        Assert.Equal(3, again.Notebook.Cells.Count);
        Assert.StartsWith("5 ", StdOut(again.Notebook.Cells[2]));
    }

    [Theory]
    [InlineData("Epoch", "1", "unknown parameter 'Epoch'; the parameters cell declares Epochs, Quick, Name")]
    [InlineData("Epochs", "1.5", "parameter 'Epochs' is declared int ('int Epochs = 10;'), but '1.5' is not a whole number")]
    [InlineData("Quick", "yes", "parameter 'Quick' is declared var ('var Quick = false;'), but 'yes' is not true or false")]
    [InlineData("Cfg", "x", "parameter 'Cfg' is declared as 'var Cfg = new VaeConfig();' (line 4 of the parameters cell); only int, long")]
    public void BadParametersAreErrorsThatSayWhy(string name, string value, string expected)
    {
        var nb = Make(Parameters("int Epochs = 10;\nvar Quick = false;\nstring Name = \"a\";\nvar Cfg = new VaeConfig();"), "1");
        var e = Assert.Throws<NotebookParameterException>(() =>
            NotebookParameters.Inject(nb, [new(name, value)], "nb.ipynb"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("nb.ipynb: ", e.Message);
    }

    [Fact]
    public void ParametersNeedAParametersCellAndNameEqualsValue()
    {
        var e = Assert.Throws<NotebookParameterException>(() => NotebookParameters.Inject(Make("1"), [new("Epochs", "1")], "plain.ipynb"));
        Assert.Contains("plain.ipynb has no cell tagged 'parameters'", e.Message);
        Assert.Contains("-p Epochs=...", e.Message);
        Assert.Contains("NAME=VALUE", Assert.Throws<NotebookParameterException>(() => NotebookParameters.ParseAssignment("Epochs")).Message);
        Assert.Equal(new KeyValuePair<string, string>("Expr", "a=b"), NotebookParameters.ParseAssignment("Expr=a=b"));
        Assert.Null(NotebookParameters.Inject(Make("1"), [], "x"));
    }

    [Fact]
    public void DeclarationsAreReadFromPolyglotCellsToo()
    {
        var declared = NotebookParameters.Declarations("#!csharp\n// defaults\nvar Seed = 1UL;\nvar Beta = -0.5;\nint A = 1, B = 2;");
        Assert.Equal(["Seed", "Beta", "A", "B"], declared.Select(d => d.Name));
        Assert.Equal([null, ParameterType.Double, ParameterType.Int, ParameterType.Int], declared.Select(d => d.Type));
        Assert.Equal(4, declared[1].Line);
    }

    [Fact]
    public async Task CellsOfAnotherLanguageAndOtherKernelsAreRefused()
    {
        var fsharp = Cell.Code("let x = 1");
        fsharp.Metadata["dotnet_interactive"] = new JsonObject { ["language"] = "fsharp" };
        var result = await NotebookRunner.RunAsync(Make("var ok = 1;", fsharp), null, Options());
        Assert.Equal(2, result.FailedCell);
        Assert.Contains("cell 2 is fsharp code (cell metadata)", result.Failures[0].Message);

        var python = Make("print(1)");
        python.Metadata["kernelspec"] = new JsonObject { ["language"] = "python", ["name"] = "python3" };
        var e = await Assert.ThrowsAsync<NotebookFormatException>(() => NotebookRunner.RunAsync(python, "py.ipynb", Options()));
        Assert.Contains("Notebook 'py.ipynb': is a python notebook", e.Message);
    }

    [Fact]
    public async Task RelativeReferencesAndNotebookDirectoryFollowTheNotebookFile()
    {
        var path = Path.Combine(dir, "where.ipynb");
        var result = await NotebookRunner.RunAsync(Make("NotebookDirectory"), path, Options());
        Assert.True(result.Succeeded, result.Failures.FirstOrDefault()?.Message);
        var value = Assert.IsType<ExecuteResultOutput>(Assert.Single(result.Notebook.Cells[0].Outputs)).Data.GetText(MimeBundle.PlainText);
        Assert.Equal(dir, value);
    }

    [Fact]
    public async Task HtmlRenderingShowsMarkdownCodeAndEveryKindOfOutput()
    {
        byte[] png = Workbench.Experiments.Charts.Png.EncodeGray(new byte[] { 0, 255 }, 2, 1);
        var source = Make(
            Cell.Markdown("# Results <b>\n\nSome **bold** and `x < y`.\n\n- one\n- two\n\n```\ncode <here>\n```"),
            $"Console.WriteLine(\"out <1>\");\ndisplay(new PngImage(Convert.FromBase64String(\"{Convert.ToBase64String(png)}\")));\ndisplay(new Latex(@\"\\alpha\"));\nnew Html(\"<i>inline</i>\")",
            "throw new Exception(\"boom & bust\");");
        var result = await NotebookRunner.RunAsync(source, null, Options());
        var html = NotebookHtml.Render(result.Notebook, "Report <1>");
        Assert.Contains("<title>Report &lt;1&gt;</title>", html);
        Assert.Contains("<h1>Results &lt;b&gt;</h1>", html);
        Assert.Contains("<p>Some <strong>bold</strong> and <code>x &lt; y</code>.</p>", html);
        Assert.Contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>", html);
        Assert.Contains("<pre><code>code &lt;here&gt;\n</code></pre>", html);
        Assert.Contains("<pre class=\"output stdout\">out &lt;1&gt;\n</pre>", html);
        Assert.Contains("<img alt=\"output image\" src=\"data:image/png;base64," + Convert.ToBase64String(png) + "\">", html);
        Assert.Contains("<pre class=\"latex\">$$\\alpha$$</pre>", html);
        Assert.Contains("<div class=\"output\"><i>inline</i></div>", html);
        Assert.Contains("boom &amp; bust", html);
        Assert.Contains("In [2]:", html);
        Assert.DoesNotContain("<script src=", html);
    }
}
