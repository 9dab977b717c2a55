using Workbench.Tests.Shared;

namespace Workbench.Notebooks.Tests;

public class NotebookCommandTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-nbcli-" + Guid.NewGuid().ToString("N"));

    public NotebookCommandTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Runs the CLI in-process against a plain, wide console and returns the exit code and everything printed.</summary>
    private static (int Code, string Output) Run(params string[] args) => InProcessCli.Run(args);

    private string Write(string name, Notebook nb)
    {
        var path = Path.Combine(dir, name);
        nb.Save(path);
        return path;
    }

    private static void AssertUserError((int Code, string Output) result, params string[] expected)
    {
        Assert.Equal(Workbench.Cli.Cli.UserError, result.Code);
        Assert.StartsWith("error:", result.Output.TrimStart());
        foreach (var e in expected) Assert.Contains(e, result.Output);
        Assert.DoesNotContain("   at ", result.Output); // no stack trace
    }

    [Fact]
    public void RunWritesTheExecutedNotebookAndHtmlAndSaysOk()
    {
        var nb = NotebookRunnerTests.Make(NotebookRunnerTests.Parameters("int Epochs = 3;"), "Console.WriteLine(Epochs * 2);");
        var input = Write("train.ipynb", nb);
        var outDir = Path.Combine(dir, "out");
        var (code, output) = Run("notebook", "run", input, "-p", "Epochs=21", "--out", outDir, "--html");
        Assert.True(code == 0, output);
        Assert.Matches(@"train\.ipynb: 3/3 code cells, \d+\.\d s, ok -> ", output);
        var executed = Notebook.Load(Path.Combine(outDir, "train.ipynb"));
        Assert.Equal("42\n", Assert.IsType<StreamOutput>(Assert.Single(executed.Cells[2].Outputs)).Text);
        Assert.Contains("42", File.ReadAllText(Path.Combine(outDir, "train.html")));
        Assert.Empty(Notebook.Load(input).Cells[1].Outputs); // the input is not modified
    }

    [Fact]
    public void AFailingNotebookExitsNonZeroAndNamesTheCell()
    {
        var ok = Write("ok.ipynb", NotebookRunnerTests.Make("1"));
        var bad = Write("bad.ipynb", NotebookRunnerTests.Make(Cell.Markdown("# x"), "var a = 1;", "a.Foo()"));
        var (code, output) = Run("notebook", "run", ok, bad, "--out", Path.Combine(dir, "out"));
        Assert.Equal(Workbench.Cli.Cli.UserError, code);
        Assert.Contains("ok.ipynb: 1/1 code cells", output);
        Assert.Contains("bad.ipynb: 2/2 code cells", output);
        Assert.Contains("failed at cell 3: cell 3, line 1, column 3: error CS1061", output);
        Assert.Contains("1 of 2 notebooks failed.", output);
        Assert.True(File.Exists(Path.Combine(dir, "out", "bad.ipynb"))); // the executed copy shows the error
    }

    [Fact]
    public void TimeoutStopsALongCell()
    {
        var input = Write("slow.ipynb", NotebookRunnerTests.Make("while (true) { }"));
        var (code, output) = Run("notebook", "run", input, "--out", Path.Combine(dir, "slow.out.ipynb"), "--timeout", "0.5");
        Assert.Equal(Workbench.Cli.Cli.UserError, code);
        Assert.Contains("failed at cell 1: cell 1, line 1 timed out after 0.5 s", output);
        Assert.True(File.Exists(Path.Combine(dir, "slow.out.ipynb")));
    }

    [Fact]
    public void UserErrorsAreOneLineWithoutAStackTrace()
    {
        var malformed = Path.Combine(dir, "malformed.ipynb");
        File.WriteAllText(malformed, "{\"cells\": [], \"nbformat\": 3}");
        AssertUserError(Run("notebook", "run", malformed, "--out", dir + "/o"), "malformed.ipynb", "nbformat 3");

        var broken = Path.Combine(dir, "broken.ipynb");
        File.WriteAllText(broken, "{ not json");
        AssertUserError(Run("notebook", "run", broken, "--out", dir + "/o"), "broken.ipynb", "not valid JSON");

        AssertUserError(Run("notebook", "run", Path.Combine(dir, "missing.ipynb")), "missing.ipynb", "does not exist");

        var withParams = Write("p.ipynb", NotebookRunnerTests.Make(NotebookRunnerTests.Parameters("int Epochs = 3;\nbool Quick = false;"), "1"));
        AssertUserError(Run("notebook", "run", withParams, "-p", "Epoch=1", "--out", dir + "/o"), "unknown parameter 'Epoch'", "Epochs, Quick");
        AssertUserError(Run("notebook", "run", withParams, "-p", "Quick=maybe", "--out", dir + "/o"), "'maybe' is not true or false");
        AssertUserError(Run("notebook", "run", withParams, "-p", "Quick", "--out", dir + "/o"), "NAME=VALUE");
        AssertUserError(Run("notebook", "run", withParams, "--out", withParams), "would overwrite the input notebook");
        AssertUserError(Run("notebook", "run", withParams, "--timeout", "-1", "--out", dir + "/o"), "--timeout must be a positive number");
        AssertUserError(Run("notebook", "run", withParams, withParams, "--out", Path.Combine(dir, "one.ipynb")), "names one notebook file");
        // Nothing ran: the checks come before the first cell.
        Assert.False(Directory.Exists(dir + "/o"));
    }
}
