using System.Text.Json.Nodes;
using Workbench.Kernel;
using Workbench.Notebooks.Kernel;
using KernelBundle = Workbench.Kernel.MimeBundle;
using NotebookBundle = Workbench.Display.MimeBundle;

namespace Workbench.Notebooks.Tests.Kernel;

/// <summary>The backend in-process: event mapping, errors, completion, inspection, is_complete.</summary>
public sealed class NotebookKernelBackendTests : IAsyncLifetime
{
    private readonly NotebookKernelBackend backend = new(warmUp: false);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await backend.DisposeAsync();

    private sealed class RecordingOutput : IExecutionOutput
    {
        public List<string> Log { get; } = [];
        public List<KernelBundle> Bundles { get; } = [];

        public void WriteStream(KernelStream stream, string text) => Log.Add($"{stream}:{text}");

        public void Display(KernelBundle bundle, string? displayId = null)
        {
            Log.Add($"display:{displayId is not null}");
            Bundles.Add(bundle);
        }

        public void UpdateDisplay(KernelBundle bundle, string displayId)
        {
            Log.Add("update");
            Bundles.Add(bundle);
        }

        public void Result(KernelBundle bundle)
        {
            Log.Add("result");
            Bundles.Add(bundle);
        }
    }

    private async Task<(ExecutionOutcome Outcome, RecordingOutput Output)> Run(string code, int count = 1)
    {
        var output = new RecordingOutput();
        var outcome = await backend.ExecuteAsync(new ExecuteRequest(code, false, true, count), output, CancellationToken.None);
        return (outcome, output);
    }

    [Fact]
    public async Task EventsBecomeStreamDisplayUpdateAndResultInOrder()
    {
        var (outcome, output) = await Run("Console.Write(\"a\");\nvar h = display(1);\nh.Update(2);\nConsole.Error.Write(\"b\");\n3");
        Assert.False(outcome.IsError);
        Assert.Equal(["Stdout:a", "display:True", "update", "Stderr:b", "result"], output.Log);
        Assert.Equal(["1", "2", "3"], output.Bundles.Select(b => b.Data["text/plain"].GetValue<string>()));
    }

    [Fact]
    public async Task FailuresBecomeErrorOutcomesWithTheCellNumber()
    {
        var (outcome, output) = await Run("int z = \"s\";", count: 7);
        Assert.True(outcome.IsError);
        Assert.Equal("CompilationError", outcome.ErrorName);
        Assert.Contains("cell 7, line 1", outcome.ErrorValue);
        Assert.Contains(outcome.Traceback, l => l.Contains("CS0029"));
        Assert.Empty(output.Log); // the host publishes the error from the outcome, not the backend

        (outcome, _) = await Run("throw new DivideByZeroException();");
        Assert.Equal("DivideByZeroException", outcome.ErrorName);
    }

    [Fact]
    public async Task CancellationInterruptsAnEndlessLoop()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var outcome = await backend.ExecuteAsync(new ExecuteRequest("while (true) { }", false, true, 1), new RecordingOutput(), cts.Token);
        Assert.True(outcome.IsError);
        Assert.Equal("OperationCanceledException", outcome.ErrorName);
        Assert.False((await Run("1 + 1")).Outcome.IsError);
    }

    [Fact]
    public void BundlesKeepTextWholeAndJsonAsJson()
    {
        var data = new NotebookBundle().Set("text/plain", "line 1\nline 2").Set("application/json", "{\"a\": 1}").Set("image/png", "AAAA");
        var metadata = new JsonObject { ["image/png"] = new JsonObject { ["width"] = 28 }, ["unrelated"] = 1 };
        var bundle = NotebookKernelBackend.ToKernel(data, metadata);
        Assert.Equal("line 1\nline 2", bundle.Data["text/plain"].GetValue<string>());
        Assert.Equal(1, bundle.Data["application/json"]["a"]!.GetValue<int>());
        Assert.Equal("AAAA", bundle.Data["image/png"].GetValue<string>());
        Assert.Equal(28, bundle.Metadata["image/png"]["width"]!.GetValue<int>());
        Assert.Single(bundle.Metadata);
    }

    [Theory]
    [InlineData("var a = 1;", IsCompleteStatus.Complete, "")]
    [InlineData("", IsCompleteStatus.Complete, "")]
    [InlineData("1 + 1", IsCompleteStatus.Complete, "")]
    [InlineData("if (a > 1) {", IsCompleteStatus.Incomplete, "    ")]
    [InlineData("  foo(1,", IsCompleteStatus.Incomplete, "  ")]
    [InlineData("var s = \"abc", IsCompleteStatus.Incomplete, "")]
    [InlineData("#r \"nuget: X\"\nvar a = 1;", IsCompleteStatus.Complete, "")]
    [InlineData("var a = 1; }", IsCompleteStatus.Invalid, "")]
    public void IsCompleteFollowsRoslynSubmissions(string code, IsCompleteStatus status, string indent)
    {
        var result = backend.IsComplete(code);
        Assert.Equal(status, result.Status);
        if (status == IsCompleteStatus.Incomplete) Assert.Equal(indent, result.Indent);
    }

    [Fact]
    public async Task CompletesVariablesTypesKeywordsAndMembers()
    {
        await Run("var learningRate = 0.5;\nvar words = new List<string> { \"a\" };");

        var c = await backend.CompleteAsync("learn", 5, CancellationToken.None);
        Assert.Equal(["learningRate"], c.Matches);
        Assert.Equal((0, 5), (c.CursorStart, c.CursorEnd));
        Assert.Equal(["variable"], c.Types!);

        c = await backend.CompleteAsync("var t = Tens", 12, CancellationToken.None);
        Assert.Contains("Tensor", c.Matches);
        Assert.Equal(8, c.CursorStart);

        c = await backend.CompleteAsync("whi", 3, CancellationToken.None);
        Assert.Contains("while", c.Matches);

        // TorchSharp through its using static: torch's nested types and static members by plain name.
        c = await backend.CompleteAsync("var g = new Gener", 17, CancellationToken.None);
        Assert.Contains("Generator", c.Matches);
        c = await backend.CompleteAsync("var r = rand", 12, CancellationToken.None);
        Assert.Contains("randn", c.Matches);
        Assert.Contains("randperm", c.Matches);

        // Static members after a type name; instance members (not static ones) after a variable.
        c = await backend.CompleteAsync("torch.ze", 8, CancellationToken.None);
        Assert.Contains("zeros", c.Matches);
        Assert.Contains("zeros_like", c.Matches);
        Assert.Equal((6, 8), (c.CursorStart, c.CursorEnd));
        c = await backend.CompleteAsync("torch.nn.Lin", 12, CancellationToken.None);
        Assert.Contains("Linear", c.Matches);
        c = await backend.CompleteAsync("ActivationRegistry.Cr", 21, CancellationToken.None);
        Assert.Equal(["Create"], c.Matches);
        await Run("var someTensor = torch.zeros(2, 3);");
        c = await backend.CompleteAsync("someTensor.resh", 15, CancellationToken.None);
        Assert.Contains("reshape", c.Matches);
        Assert.DoesNotContain("zeros", c.Matches);
        c = await backend.CompleteAsync("words.", 6, CancellationToken.None);
        Assert.Contains("Add", c.Matches);
        Assert.Contains("Count", c.Matches);
        c = await backend.CompleteAsync("learningRate.", 13, CancellationToken.None);
        Assert.Contains("CompareTo", c.Matches);
        Assert.DoesNotContain("Parse", c.Matches);

        // A full namespace path, and the identifier under the cursor replaced as a whole.
        c = await backend.CompleteAsync("System.Collections.Generic.Dic", 30, CancellationToken.None);
        Assert.Contains("Dictionary", c.Matches);
        // The prefix is what precedes the cursor ("Co"); the whole identifier "Cou" is what gets replaced.
        c = await backend.CompleteAsync("words.Cou(", 8, CancellationToken.None);
        Assert.Equal(["Contains", "ConvertAll", "CopyTo", "Count"], c.Matches);
        Assert.Equal((6, 9), (c.CursorStart, c.CursorEnd));

        // Nothing known: no matches rather than a guess.
        c = await backend.CompleteAsync("unknownThing.", 13, CancellationToken.None);
        Assert.Empty(c.Matches);
        c = await backend.CompleteAsync("f().", 4, CancellationToken.None);
        Assert.Empty(c.Matches);
    }

    [Fact]
    public async Task InspectsVariablesTypesAndMembers()
    {
        await Run("var learningRate = 0.5;");

        var r = await backend.InspectAsync("learningRate * 2", 3, 0, CancellationToken.None);
        Assert.True(r.Found);
        Assert.Equal("learningRate: double\nvalue: 0.5", r.Bundle!.Data["text/plain"].GetValue<string>());

        r = await backend.InspectAsync("Tensor", 2, 0, CancellationToken.None);
        Assert.True(r.Found);
        var text = r.Bundle!.Data["text/plain"].GetValue<string>();
        Assert.StartsWith("class torch.Tensor", text);
        Assert.Contains("shape", text);

        r = await backend.InspectAsync("Math.Sqrt(2)", 7, 0, CancellationToken.None);
        Assert.True(r.Found);
        Assert.Equal("static double Sqrt(double d)", r.Bundle!.Data["text/plain"].GetValue<string>());

        r = await backend.InspectAsync("nothingLikeThis", 3, 0, CancellationToken.None);
        Assert.False(r.Found);
        r = await backend.InspectAsync("1 + ", 4, 0, CancellationToken.None);
        Assert.False(r.Found);
    }

    [Fact]
    public void LanguageInfoIsCSharp()
    {
        Assert.Equal("csharp", backend.LanguageInfo.Name);
        Assert.Matches(@"^\d+\.\d+$", backend.LanguageInfo.Version);
        Assert.NotEmpty(backend.HelpLinks);
    }

    [Fact]
    public void UninstallRemovesTheKernelspecAndSaysWhenAbsent()
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"wb-kernel-uninstall-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal(0, CliKernelEnvironment.RunCli("kernel", "install", "--prefix", prefix).Code);
            var folder = Path.Combine(prefix, "share", "jupyter", "kernels", KernelSpec.Name);
            Assert.True(File.Exists(Path.Combine(folder, "kernel.json")));
            Assert.Equal(0, CliKernelEnvironment.RunCli("kernel", "uninstall", "--prefix", prefix).Code);
            Assert.False(Directory.Exists(folder));
            var (code, text) = CliKernelEnvironment.RunCli("kernel", "uninstall", "--prefix", prefix);
            Assert.Equal(Workbench.Cli.Cli.UserError, code);
            Assert.Contains("not installed", text);
            (code, text) = CliKernelEnvironment.RunCli("kernel", "install", "--prefix", prefix, "--user");
            Assert.Equal(Workbench.Cli.Cli.UserError, code);
            Assert.Contains("choose one", text);
        }
        finally
        {
            if (Directory.Exists(prefix)) Directory.Delete(prefix, recursive: true);
        }
    }

    [Fact]
    public void StartWithAMissingConnectionFileIsAUserError()
    {
        var (code, text) = CliKernelEnvironment.RunCli("kernel", "start", "/nonexistent/kernel-1.json");
        Assert.Equal(Workbench.Cli.Cli.UserError, code);
        Assert.Contains("connection file", text);
    }
}
