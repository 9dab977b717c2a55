using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Workbench.Kernel;
using Workbench.Notebooks.Tests.Series;
using Workbench.Tests.Shared;
using Xunit.Abstractions;

namespace Workbench.Notebooks.Tests.Kernel;

/// <summary>
/// Installs the kernelspec with `workbench kernel install --prefix` (so it launches the built CLI's
/// workbench.dll in this test folder) into a temporary prefix, with private Jupyter runtime, data and config
/// folders so nothing leaks into the user's Jupyter.
/// </summary>
public sealed class CliKernelEnvironment : IDisposable
{
    public CliKernelEnvironment()
    {
        Root = Path.Combine(Path.GetTempPath(), $"wb-kernel-cli-{Guid.NewGuid():N}");
        var (code, output) = RunCli("kernel", "install", "--prefix", Root);
        if (code != 0) throw new InvalidOperationException($"workbench kernel install failed ({code}): {output}");
        KernelJson = File.ReadAllText(Path.Combine(Root, "share", "jupyter", "kernels", KernelSpec.Name, "kernel.json"));
        JupyterPython.CreateFolders(Root);
    }

    public string Root { get; }

    public string KernelJson { get; }

    /// <summary>Runs the CLI in-process against a plain console; returns the exit code and what it printed.</summary>
    public static (int Code, string Output) RunCli(params string[] args) => InProcessCli.Run(args);

    public void Dispose() => JupyterPython.DeleteQuietly(Root);

}

/// <summary>
/// The C# kernel as Jupyter runs it: `workbench kernel start` launched by the real jupyter_client
/// (KernelManager) and by nbconvert, running cells on the notebook engine.
/// </summary>
public class KernelClientTests(CliKernelEnvironment jupyter, ITestOutputHelper output) : IClassFixture<CliKernelEnvironment>
{
    [Fact]
    public void InstalledKernelspecLaunchesThisCli()
    {
        var spec = JsonNode.Parse(jupyter.KernelJson)!.AsObject();
        var argv = spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        var dll = Path.Combine(AppContext.BaseDirectory, "workbench.dll");
        Assert.Equal([dll, "kernel", "start", KernelSpec.ConnectionFilePlaceholder], argv.Skip(1));
        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(argv[0]));
        Assert.Equal(KernelSpec.DisplayName, spec["display_name"]!.GetValue<string>());
    }

    [Fact]
    public void SessionExecutesDisplaysCompletesAndReportsErrors()
    {
        var result = RunClient("csharp_kernel.py", "session");
        output.WriteLine($"time to first kernel_info_reply: {result["first_kernel_info_reply_s"]!.GetValue<double>():0.000} s; " +
                         $"first cell: {result["first_cell_s"]!.GetValue<double>():0.000} s; " +
                         $"trivial cell median {result["trivial_cell_median_ms"]!.GetValue<double>():0.0} ms, " +
                         $"max {result["trivial_cell_max_ms"]!.GetValue<double>():0.0} ms");
        Assert.InRange(result["first_kernel_info_reply_s"]!.GetValue<double>(), 0, 60);
    }

    [Fact]
    public void InterruptStopsAnEndlessLoopAndKeepsState()
    {
        var result = RunClient("csharp_kernel.py", "interrupt");
        output.WriteLine($"interrupt_request to reply: {result["interrupt_reply_s"]!.GetValue<double>():0.000} s");
    }

    [Fact]
    public void AnInterruptedCellLeavesItsNativeMemoryReleased()
    {
        var result = RunClient("csharp_kernel.py", "interrupt_memory");
        output.WriteLine($"kernel RSS: {result["rss_before_mib"]!.GetValue<double>():0} MiB before, {result["rss_held_mib"]!.GetValue<double>():0} " +
                         $"while the cell held 1 GiB of tensors, {result["rss_after_mib"]!.GetValue<double>():0} after the interrupt");
    }

    [Fact]
    public void RestartGivesAFreshEngine()
    {
        var result = RunClient("csharp_kernel.py", "restart");
        output.WriteLine($"restart to ready: {result["restart_s"]!.GetValue<double>():0.000} s");
    }

    /// <summary>
    /// The whole series as a user runs it from the command line: each notebook, in order (07 writes up the
    /// store 04 trains), executed by nbconvert through the installed kernel in quick mode, the stored
    /// notebooks' default (nbconvert injects no parameters). It works on a copy of notebooks/ in the temporary
    /// prefix, so the artifacts/notebooks store lands beside the copy: NotebookSeriesTests, which xunit may run
    /// at the same time, keeps its own store in the checkout, and neither run sees the other's half-written runs.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void NbconvertExecutesTheWholeSeries()
    {
        var source = NotebookSeries.Folder();
        var series = Path.Combine(jupyter.Root, "series", "notebooks");
        var outDir = Path.Combine(jupyter.Root, "out");
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(series);
        foreach (var (name, _) in NotebookSeries.Notebooks)
        {
            var stored = Path.Combine(source, name + ".ipynb");
            Assert.True(NotebookParameters.Declarations(Notebook.Load(stored)).Any(d => QuickByDefault.IsMatch(d.Declaration)),
                $"{name}: the parameters cell must declare Quick = true, or nbconvert would run it in full mode");
            File.Copy(stored, Path.Combine(series, name + ".ipynb"));
        }

        var total = Stopwatch.StartNew();
        foreach (var (name, figures) in NotebookSeries.Notebooks)
        {
            var clock = Stopwatch.StartNew();
            Run(["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", $"--ExecutePreprocessor.kernel_name={KernelSpec.Name}",
                "--ExecutePreprocessor.timeout=600", "--output-dir", outDir, Path.Combine(series, name + ".ipynb")],
                series, TimeSpan.FromMinutes(15));
            output.WriteLine($"nbconvert --execute {name}.ipynb: {clock.Elapsed.TotalSeconds:0.0} s");
            NotebookSeries.AssertExecuted(name, figures, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, name + ".ipynb")))!);
        }
        output.WriteLine($"nbconvert --execute of the whole series: {total.Elapsed.TotalSeconds:0.0} s");
        Assert.True(Directory.Exists(Path.Combine(jupyter.Root, "series", "artifacts", "notebooks", "ablation-notebook-quick")),
            "04's run store is not beside the copied notebooks");
    }

    private static readonly Regex QuickByDefault = new(@"\bQuick\s*=\s*true\b", RegexOptions.CultureInvariant);

    private static string Python() => JupyterPython.Require("jupyter_client, zmq, nbclient, nbconvert",
        "apt-get install -y jupyter-client python3-jupyter-client python3-nbclient jupyter-nbconvert");

    /// <summary>Runs a client script; it prints its measurements as JSON on the last line and exits 0 when all checks pass.</summary>
    private JsonObject RunClient(string script, string scenario) =>
        JupyterPython.RunClient(Python(), script, scenario, jupyter.Root, TimeSpan.FromMinutes(5), output);

    private string Run(string[] arguments, string workingDirectory, TimeSpan limit) =>
        JupyterPython.Run(Python(), arguments, workingDirectory, jupyter.Root, limit, output);
}
