using Workbench.Tests.Shared;
using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Workbench.Notebooks.Tests;

/// <summary>One executor shared by the tests of a class (the compiler's first start is slow); tests use their own variable names.</summary>
public sealed class ExecutorFixture : IAsyncLifetime
{
    public CellExecutor Executor { get; } = new(new CellExecutorOptions { LoadPlotlyJs = () => TestTexts.FakePlotly });

    public Task InitializeAsync() => Executor.WarmUpAsync();

    public async Task DisposeAsync() => await Executor.DisposeAsync();
}

/// <summary>Objects cells reach through #r of this test assembly.</summary>
public static class Probe
{
    public static readonly SemaphoreSlim Gate = new(0);
}

public class CellExecutorTests(ExecutorFixture fixture) : IClassFixture<ExecutorFixture>
{
    private readonly CellExecutor executor = fixture.Executor;

    private async Task<CellResult> Run(string code, Action<CellEvent>? onEvent = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var result = await executor.ExecuteAsync(new CellRequest(code, OnEvent: onEvent, Timeout: timeout), ct);
        return result;
    }

    private static void AssertOk(CellResult result) => Assert.True(result.Status == CellStatus.Ok, result.Failure);

    private static string Plain(CellResult result) =>
        Assert.IsType<ExecuteResultOutput>(Assert.Single(result.Outputs, o => o is ExecuteResultOutput)).Data.GetText(MimeBundle.PlainText)!;

    [Fact]
    public async Task StateCarriesAcrossCellsAndTheTrailingExpressionIsTheResult()
    {
        AssertOk(await Run("var stateA = 40;\nint Twice(int x) => 2 * x;\nrecord Pt(int X, int Y);"));
        var r = await Run("stateA += 1;\nnew Pt(Twice(stateA), 0)");
        AssertOk(r);
        Assert.True(r.HasReturnValue);
        Assert.Equal("Pt { X = 82, Y = 0 }", Plain(r));
        var result = Assert.IsType<ExecuteResultOutput>(r.Outputs[0]);
        Assert.Equal(r.ExecutionCount, result.ExecutionCount);
        Assert.Equal(41, executor.Variables["stateA"]);

        // A statement (semicolon) or a void call has no result.
        var none = await Run("stateA + 1;");
        Assert.Equal(CellStatus.CompileError, none.Status); // CS0201: only assignment, call, ... can be a statement
        var voidCall = await Run("Console.Out.Flush()");
        AssertOk(voidCall);
        Assert.False(voidCall.HasReturnValue);
        Assert.Empty(voidCall.Outputs);
    }

    [Fact]
    public async Task ExecutionCountsIncreaseAndCellNumbersDefaultToThem()
    {
        var a = await Run("1");
        var b = await Run("2");
        Assert.Equal(a.ExecutionCount + 1, b.ExecutionCount);
        Assert.Equal(b.ExecutionCount, b.CellNumber);
        var numbered = await executor.ExecuteAsync(new CellRequest("3", CellNumber: 42));
        Assert.Equal(42, numbered.CellNumber);
    }

    [Fact]
    public async Task CellsCompileOptimisedWithDefaultUsingsAndWorkbenchReferences()
    {
        var r = await Run("""
            var debuggable = (System.Diagnostics.DebuggableAttribute?)Attribute.GetCustomAttribute(
                System.Reflection.Assembly.GetExecutingAssembly(), typeof(System.Diagnostics.DebuggableAttribute));
            var usings = new object[] { new List<int>().Select(i => i).Count(), typeof(Tensor), typeof(Generator), typeof(torch.optim.Optimizer),
                typeof(Module<Tensor, Tensor>), zeros(2, 3).shape, float32, typeof(VaeConfig), typeof(MlpVae), typeof(Trainer), typeof(PngExport),
                typeof(ActivationRegistry), typeof(AtomicFile), typeof(TorchRuntime), typeof(DataFrame),
                Chart.Line<double, double, string>(new double[] { 1, 2 }, new double[] { 3, 4 }).WithXAxisStyle<double, double, string>(TitleText: "x") };
            debuggable is null || !debuggable.IsJITOptimizerDisabled
            """);
        AssertOk(r);
        Assert.Equal("true", Plain(r));
        // TorchSharp's namespace, and torch and torch.nn as using static (Tensor, zeros(...), Module<,> without a prefix).
        Assert.Contains("TorchSharp", executor.Imports);
        Assert.Contains("TorchSharp.torch", executor.Imports);
        Assert.Contains("TorchSharp.torch.nn", executor.Imports);
        Assert.Contains("Workbench.Vae", executor.Imports);
        Assert.Contains("Workbench.Experiments.Charts", executor.Imports);
        // Plotly.NET.CSharp's Chart and Microsoft.Data.Analysis's DataFrame without a #r or a using.
        Assert.Contains("Plotly.NET.CSharp", executor.Imports);
        Assert.Contains("Microsoft.Data.Analysis", executor.Imports);
        // A listed namespace that no assembly defines is left out rather than breaking every cell.
        await using var local = new CellExecutor(new CellExecutorOptions { Imports = ["System", "Workbench.Vae", "Workbench.NoSuchNamespace"] });
        Assert.Equal(["System", "Workbench.Vae"], local.Imports);
    }

    [Fact]
    public async Task ANotebookUsesWorkbenchVaeWithoutAnyPath()
    {
        var r = await Run("""
            using Workbench.Vae;
            var vaeModel = new MlpVae(new VaeConfig(Hidden: [32], LatentDim: 3), new Generator(7));
            var posterior = vaeModel.Encode(torch.zeros(5, 784));
            Console.WriteLine(string.Join("x", posterior.Mean.shape));
            """);
        AssertOk(r);
        Assert.Equal("5x3\n", Assert.IsType<StreamOutput>(Assert.Single(r.Outputs)).Text);
    }

    [Fact]
    public async Task ALiveChartThatBroughtPlotlyJsKeepsItWhenUpdated()
    {
        await using var local = new CellExecutor(new CellExecutorOptions { LoadPlotlyJs = () => TestTexts.FakePlotly });
        var r = await local.ExecuteAsync(new CellRequest("""
            Plotly.NET.GenericChart Curve(int n) => Chart.Line<double, double, string>(Enumerable.Range(0, n).Select(i => (double)i), Enumerable.Range(0, n).Select(i => (double)i * i));
            var live = display(Curve(2));
            display(Curve(3));
            live.Update(Curve(4));
            """));
        AssertOk(r);
        string Html(int i) => Assert.IsType<DisplayDataOutput>(r.Outputs[i]).Data.GetText(MimeBundle.Html)!;
        // The first display, updated to 4 points, still carries plotly.js; the second never did.
        Assert.Contains("plotly.js v4.1.2 fake", Html(0));
        Assert.Contains("[0.0,1.0,4.0,9.0]", Html(0));
        Assert.DoesNotContain("plotly.js v4.1.2 fake", Html(1));
    }

    [Fact]
    public async Task DisplayShowsNowAndItsHandleUpdatesInPlace()
    {
        var events = new ConcurrentQueue<CellEvent>();
        var r = await Run("""
            var progress = display("epoch 0");
            for (int epoch = 1; epoch <= 3; epoch++) progress.Update($"epoch {epoch}");
            display(new Latex("x^2"));
            """, events.Enqueue);
        AssertOk(r);
        Assert.False(r.HasReturnValue);
        Assert.Equal(2, r.Outputs.Count);
        var shown = Assert.IsType<DisplayDataOutput>(r.Outputs[0]);
        Assert.Equal("epoch 3", shown.Data.GetText(MimeBundle.PlainText)); // updated in place
        Assert.Equal("$$x^2$$", Assert.IsType<DisplayDataOutput>(r.Outputs[1]).Data.GetText(MimeBundle.Latex));

        var list = events.ToList();
        Assert.Equal(6, list.Count);
        Assert.Equal(new CellStartedEvent(r.CellNumber, r.ExecutionCount!.Value), list[0]);
        var first = Assert.IsType<DisplayDataOutput>(Assert.IsType<OutputEvent>(list[1]).Output);
        Assert.NotNull(first.DisplayId);
        var updates = list.OfType<DisplayUpdateEvent>().ToList();
        Assert.Equal(["epoch 1", "epoch 2", "epoch 3"], updates.Select(u => u.Data.GetText(MimeBundle.PlainText)));
        Assert.All(updates, u => Assert.Equal(first.DisplayId, u.DisplayId));
        Assert.All(list, e => Assert.Equal(r.CellNumber, e.CellNumber));

        // display(x) as the last expression shows x once: its handle is not a result to show.
        var trailing = await Run("display(123)");
        AssertOk(trailing);
        Assert.False(trailing.HasReturnValue);
        Assert.Equal("123", Assert.IsType<DisplayDataOutput>(Assert.Single(trailing.Outputs)).Data.GetText(MimeBundle.PlainText));

        // A handle kept in a variable updates the earlier cell's output from a later cell.
        var later = await Run("progress.Update(\"done\");");
        AssertOk(later);
        Assert.Empty(later.Outputs);
        Assert.Equal("done", shown.Data.GetText(MimeBundle.PlainText));
    }

    [Fact]
    public async Task ConsoleOutputIsCapturedPerCellIncludingTasksAndParallelLoops()
    {
        var r = await Run("""
            Console.Write("a");
            Console.WriteLine("b");
            Console.Error.WriteLine("warning");
            await Task.Run(() => Console.WriteLine("from task"));
            Parallel.For(0, 4, i => Console.WriteLine("p" + i));
            var t = new Thread(() => Console.WriteLine("from thread"));
            t.Start(); t.Join();
            Console.WriteLine("end");
            """);
        AssertOk(r);
        var stdout = string.Concat(r.Outputs.OfType<StreamOutput>().Where(s => s.Name == "stdout").Select(s => s.Text));
        var stderr = string.Concat(r.Outputs.OfType<StreamOutput>().Where(s => s.Name == "stderr").Select(s => s.Text));
        Assert.StartsWith("ab\n", stdout);
        Assert.Contains("from task\n", stdout);
        Assert.Contains("from thread\n", stdout);
        Assert.EndsWith("end\n", stdout);
        Assert.Equal(4, Enumerable.Range(0, 4).Count(i => stdout.Contains($"p{i}\n")));
        Assert.Equal("warning\n", stderr);
        // Consecutive writes to one stream are merged into as few outputs as the interleaving allows.
        Assert.True(r.Outputs.Count <= 4, string.Join(" | ", r.Outputs.Select(o => o.OutputType)));
    }

    [Fact]
    public async Task OutputStreamsWhileTheCellIsStillRunning()
    {
        var seen = new ConcurrentQueue<string>();
        var r = await Run($$"""
            #r "{{typeof(Probe).Assembly.Location}}"
            Console.WriteLine("before");
            bool released = Workbench.Notebooks.Tests.Probe.Gate.Wait(TimeSpan.FromSeconds(20));
            Console.WriteLine(released ? "released" : "never released");
            """, e =>
            {
                if (e is OutputEvent { Output: StreamOutput s })
                {
                    seen.Enqueue(s.Text);
                    if (s.Text.Contains("before")) Probe.Gate.Release(); // only possible if the output arrived mid-cell
                }
            });
        AssertOk(r);
        Assert.Equal("before\nreleased\n", string.Concat(seen));
    }

    [Fact]
    public async Task CompileErrorsGiveCellLineAndColumn()
    {
        var r = await executor.ExecuteAsync(new CellRequest("var fine = 1;\nvar bad = fine + undefinedThing;\nint x = \"s\";", CellNumber: 5));
        Assert.Equal(CellStatus.CompileError, r.Status);
        var error = r.Error!;
        Assert.Equal("CompilationError", error.EName);
        Assert.StartsWith("cell 5, line 2, column 18: error CS0103: The name 'undefinedThing' does not exist", error.EValue);
        Assert.EndsWith("(and 1 more error)", error.EValue);
        Assert.Contains("cell 5, line 3, column 9: error CS0029: Cannot implicitly convert type 'string' to 'int'", error.Traceback);
        Assert.Contains("    var bad = fine + undefinedThing;", error.Traceback);
        Assert.Equal(2, r.ErrorLine);
        Assert.Same(error, Assert.Single(r.Outputs));
        // Nothing of a cell that did not compile is kept.
        Assert.Equal(CellStatus.CompileError, (await Run("fine")).Status);
    }

    [Fact]
    public async Task RuntimeErrorsGiveTheExceptionCellAndLine()
    {
        var r = await executor.ExecuteAsync(new CellRequest("var beforeThrow = 1;\nint zero = 0;\nConsole.WriteLine(\"partial\");\nvar q = 10 / zero;", CellNumber: 9));
        Assert.Equal(CellStatus.RuntimeError, r.Status);
        Assert.Equal("DivideByZeroException", r.Error!.EName);
        Assert.Equal("Attempted to divide by zero.", r.Error.EValue);
        Assert.Equal(4, r.ErrorLine);
        Assert.Equal("cell 9, line 4: DivideByZeroException: Attempted to divide by zero.", r.Failure);
        Assert.Contains("   at cell 9, line 4: var q = 10 / zero;", r.Error.Traceback);
        Assert.IsType<DivideByZeroException>(r.Exception);
        // Output written before the failure is kept, ahead of the error.
        Assert.Equal("partial\n", Assert.IsType<StreamOutput>(r.Outputs[0]).Text);
        Assert.IsType<ErrorOutput>(r.Outputs[1]);
        // Variables assigned before the exception survive, as in Jupyter.
        Assert.Equal("1", Plain(await Run("beforeThrow")));
    }

    [Fact]
    public async Task ExceptionsFromLibrariesAndEarlierCellsPointAtTheCallingLine()
    {
        AssertOk(await executor.ExecuteAsync(new CellRequest("void Fail(int n)\n{\n    throw new InvalidOperationException(\"bad \" + n);\n}", CellNumber: 20)));
        var r = await executor.ExecuteAsync(new CellRequest("Console.WriteLine();\nFail(3);", CellNumber: 21));
        Assert.Equal(CellStatus.RuntimeError, r.Status);
        Assert.Equal(2, r.ErrorLine);
        Assert.Contains("   at cell 20, line 3", r.Error!.Traceback);

        // A TorchSharp failure (reading float32 values as double) points at the cell's line and shows the library frame it came from.
        var lib = await executor.ExecuteAsync(new CellRequest("var shapeA = zeros(2, 3);\nvar valuesA = shapeA.data<double>().ToArray();", CellNumber: 22));
        Assert.Equal(CellStatus.RuntimeError, lib.Status);
        Assert.Equal(2, lib.ErrorLine);
        Assert.Contains("   at cell 22, line 2: var valuesA = shapeA.data<double>().ToArray();", lib.Error!.Traceback);
        Assert.Contains(lib.Error.Traceback, l => l.StartsWith("   at TorchSharp.", StringComparison.Ordinal));
        Assert.Contains("Float32", lib.Error.EValue);
        Assert.StartsWith("cell 22, line 2: ArgumentException: ", lib.Failure);

        // A Workbench library failure likewise: the frame of the library method, then the cell line that called it.
        var vae = await executor.ExecuteAsync(new CellRequest("var badConfig = new VaeConfig(LatentDim: 0);\nVae.Create(badConfig, new Generator(1));", CellNumber: 23));
        Assert.Equal(CellStatus.RuntimeError, vae.Status);
        Assert.Equal(2, vae.ErrorLine);
        Assert.Contains(vae.Error!.Traceback, l => l.StartsWith("   at Workbench.Vae.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LoopChecksKeepLineNumbers()
    {
        var r = await executor.ExecuteAsync(new CellRequest("int loops = 0;\nfor (int i = 0; i < 3; i++)\n    loops++;\nwhile (loops < 5) { loops++; }\nforeach (var v in new[] { 1 }) loops += v;\nthrow new Exception(\"line 6\");", CellNumber: 30));
        Assert.Equal(6, r.ErrorLine);
        Assert.Equal("6", Plain(await Run("loops")));
    }

    [Fact]
    public async Task PolyglotMarkersSelectCSharpSkipMarkdownAndRefuseOtherLanguages()
    {
        var cs = await Run("#!csharp\nvar polyglot = 2;\nthrow new Exception(\"here\");");
        Assert.Equal(3, cs.ErrorLine); // the marker line still counts
        var md = await Run("#!markdown\n# Heading");
        Assert.Equal(CellStatus.Skipped, md.Status);
        Assert.Null(md.ExecutionCount);
        Assert.Empty(md.Outputs);

        var fs = await executor.ExecuteAsync(new CellRequest("#!fsharp\nlet x = 1", CellNumber: 4));
        Assert.Equal(CellStatus.CompileError, fs.Status);
        Assert.Contains("cell 4, line 1: '#!fsharp' marks fsharp code, but Workbench notebooks run C# only", fs.Failure);

        var magic = await executor.ExecuteAsync(new CellRequest("#!time\nvar t = 1;", CellNumber: 5));
        Assert.Contains("'#!time' is a magic command", magic.Failure);
        var late = await executor.ExecuteAsync(new CellRequest("var u = 1;\n#!csharp", CellNumber: 6));
        Assert.Contains("line 2: the language marker '#!csharp' must be the first line", late.Failure);
    }

    [Fact]
    public async Task HashRReferencesADllBuiltHereRelativeToTheNotebook()
    {
        var dir = Path.Combine(Path.GetTempPath(), "wb-ref-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "lib"));
        try
        {
            var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetDirectoryName(p) == Path.GetDirectoryName(typeof(object).Assembly.Location))
                .Select(p => MetadataReference.CreateFromFile(p));
            var compilation = CSharpCompilation.Create("NotebookTestLibrary",
                [CSharpSyntaxTree.ParseText("namespace Extra { public static class Answer { public static int Value => 42; } }")],
                trusted, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            var emitted = compilation.Emit(Path.Combine(dir, "lib", "NotebookTestLibrary.dll"));
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

            await using var local = new CellExecutor(new CellExecutorOptions { BaseDirectory = dir });
            var r = await local.ExecuteAsync("#r \"lib/NotebookTestLibrary.dll\"\n// a comment between directives\nExtra.Answer.Value + 1");
            Assert.True(r.Status == CellStatus.Ok, r.Failure);
            Assert.Equal("43", Plain(r));
            // Referenced once, usable in later cells; referencing again is harmless.
            Assert.Equal("42", Plain(await local.ExecuteAsync("#r \"lib/NotebookTestLibrary.dll\"\nExtra.Answer.Value")));

            var missing = await local.ExecuteAsync(new CellRequest("\n#r \"nope/missing.dll\"", CellNumber: 3));
            Assert.Equal(CellStatus.CompileError, missing.Status);
            Assert.Contains("cell 3, line 2: #r \"nope/missing.dll\": no such file", missing.Failure);
            Assert.Contains(Path.Combine(dir, "nope", "missing.dll"), missing.Failure);
            Assert.Contains("relative to the notebook's folder", missing.Failure);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task BadDirectivesAreExplained()
    {
        var r = await executor.ExecuteAsync(new CellRequest("#r nuget:Foo", CellNumber: 2));
        Assert.Contains("cell 2, line 1: '#r nuget:Foo' is not a reference", r.Failure);
        var i = await executor.ExecuteAsync(new CellRequest("#i \"nuget: https://example.invalid/index.json\"", CellNumber: 3));
        Assert.Contains("'#i' (adding a package source) is not supported", i.Failure);
    }

    [Fact]
    public async Task CancellationStopsAnInfiniteLoopAndTheExecutorGoesOn()
    {
        using var cts = new CancellationTokenSource();
        // Interrupt once the cell shows it is inside its loop, as a user pressing stop would.
        var r = await executor.ExecuteAsync(new CellRequest("long spins = 0;\nConsole.WriteLine(\"spinning\");\nwhile (true) { spins++; }",
            CellNumber: 7, OnEvent: e => { if (e is OutputEvent { Output: StreamOutput }) cts.Cancel(); }), cts.Token);
        Assert.Equal(CellStatus.Cancelled, r.Status);
        Assert.Equal("OperationCanceledException", r.Error!.EName);
        Assert.StartsWith("cell 7, line 3 was interrupted", r.Failure);
        Assert.Equal(3, r.ErrorLine);
        Assert.Equal("2", Plain(await Run("1 + 1")));
        Assert.True((long)executor.Variables["spins"]! > 0);

        // Interrupted before it ran: reported the same way, nothing kept.
        var early = await executor.ExecuteAsync(new CellRequest("var neverKept = 1;", CellNumber: 8), new CancellationToken(canceled: true));
        Assert.Equal(CellStatus.Cancelled, early.Status);
        Assert.Equal("cell 8 was interrupted before it ran.", early.Failure);
        Assert.Null(early.ExecutionCount);
        Assert.False(executor.Variables.ContainsKey("neverKept"));
    }

    [Fact]
    public async Task TheTokenReachesSleepingCodeAndTimeoutsAreReported()
    {
        var r = await executor.ExecuteAsync(new CellRequest(
            "for (int i = 0; i < 1000; i++) Thread.Sleep(20);", CellNumber: 8, Timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(CellStatus.TimedOut, r.Status);
        Assert.StartsWith("cell 8, line 1 timed out after 0.3 s", r.Failure);

        // Code can also wait on the token the engine exposes.
        var waiting = await executor.ExecuteAsync(new CellRequest(
            "CancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));\nCancellationToken.ThrowIfCancellationRequested();", CellNumber: 9,
            Timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Equal(CellStatus.TimedOut, waiting.Status);
        Assert.Equal(2, waiting.ErrorLine);
    }

    [Fact]
    public async Task ACellThatIgnoresCancellationIsAbandonedAfterTheGrace()
    {
        await using var local = new CellExecutor(new CellExecutorOptions { CancellationGrace = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(CellStatus.Ok, (await local.ExecuteAsync("var kept = 5;")).Status);
        var r = await local.ExecuteAsync(new CellRequest("var lost = 1;\nThread.Sleep(3000);", CellNumber: 2, Timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Equal(CellStatus.TimedOut, r.Status);
        Assert.Contains("was abandoned", r.Failure);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(2.5), r.Elapsed.ToString());
        // The state is that before the abandoned cell.
        Assert.Equal("5", Plain(await local.ExecuteAsync("kept")));
        Assert.Equal(CellStatus.CompileError, (await local.ExecuteAsync("lost")).Status);
    }

    [Fact]
    public async Task AThrowingEventCallbackIsReported()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            executor.ExecuteAsync(new CellRequest("Console.WriteLine(1);", CellNumber: 50, OnEvent: _ => throw new FormatException("callback bug"))));
        Assert.Contains("OnEvent callback of cell 50 threw: callback bug", e.Message);
    }
}
