using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Workbench.Experiments.Charts;
using Workbench.Display;
using Workbench.Tests.Shared;
using Xunit.Abstractions;

namespace Workbench.Interactive.Tests;

/// <summary>
/// Workbench in .NET Interactive through the real Jupyter client: the kernelspec the install script writes, the HTTP
/// services it keeps on loopback, the smoke notebook (extension, TorchSharp's native load, training, our formatters)
/// under nbconvert, and interrupt as docs/notebooks.md describes it.
/// </summary>
public class DotnetInteractiveTests(DotnetInteractiveKernel kernel, ITestOutputHelper output) : IClassFixture<DotnetInteractiveKernel>
{
    [Fact]
    public void KernelspecIsTheToolsOwnWithHttpOnLoopback()
    {
        output.WriteLine($"dotnet tool restore: {kernel.ToolRestoreSeconds:0.0} s; install script: {kernel.InstallSeconds:0.0} s");
        var argv = kernel.KernelJson["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        string version = JsonNode.Parse(File.ReadAllText(Path.Combine(kernel.Checkout, ".config", "dotnet-tools.json")))!
            ["tools"]!["microsoft.dotnet-interactive"]!["version"]!.GetValue<string>();
        Assert.Equal("dotnet", argv[0]);
        Assert.Equal("Microsoft.DotNet.Interactive.App.dll", Path.GetFileName(argv[1]));
        Assert.True(File.Exists(argv[1]), $"the kernelspec starts {argv[1]}, which does not exist");
        Assert.Contains($"{Path.DirectorySeparatorChar}{version}{Path.DirectorySeparatorChar}", argv[1]);
        Assert.Equal(["jupyter", "--default-kernel", "csharp", "{connection_file}"], argv.Skip(2).Take(4));
        Assert.Contains("--http-local-only", argv);
        Assert.Equal("C#", kernel.KernelJson["language"]!.GetValue<string>());
    }

    [Fact]
    public void KernelListensOnLoopbackOnly()
    {
        var result = RunClient("listen");
        output.WriteLine($"kernel start to first kernel_info_reply: {result["first_kernel_info_reply_s"]!.GetValue<double>():0.00} s");
        var sockets = result["listening"]!.AsArray().Select(s => (Address: s![0]!.GetValue<string>(), Port: s[1]!.GetValue<int>())).ToList();
        output.WriteLine("listening: " + string.Join(", ", sockets.Select(s => $"{s.Address}:{s.Port}")));
        // The Jupyter channels plus the HTTP services in --http-port-range (2048-3000); without --http-local-only the
        // HTTP port also listens on every other address of the machine.
        Assert.Contains(sockets, s => s.Port is >= 2048 and <= 3000);
        Assert.All(sockets, s => Assert.True(IPAddress.IsLoopback(IPAddress.Parse(s.Address)), $"the kernel listens on {s.Address}:{s.Port}"));
    }

    [Fact]
    public void SmokeNotebookTrainsAndShowsThroughOurFormatters()
    {
        var notebooks = Path.Combine(AppContext.BaseDirectory, "notebooks");
        var outDir = Path.Combine(kernel.Root, "out");
        Directory.CreateDirectory(outDir);
        var clock = Stopwatch.StartNew();
        JupyterPython.Run(Python(),
            ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", $"--ExecutePreprocessor.kernel_name={DotnetInteractiveKernel.Name}",
             "--ExecutePreprocessor.timeout=600", "--output-dir", outDir, Path.Combine(notebooks, "dotnet-interactive-smoke.ipynb")],
            notebooks, kernel.Root, TimeSpan.FromMinutes(15), output);
        output.WriteLine($"nbconvert --execute dotnet-interactive-smoke.ipynb: {clock.Elapsed.TotalSeconds:0.0} s");
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "dotnet-interactive-smoke.ipynb")))!;

        var cells = executed["cells"]!.AsArray().Select(c => c!.AsObject()).ToList();
        foreach (var cell in cells.Where(c => c["cell_type"]!.GetValue<string>() == "code"))
            foreach (var o in cell["outputs"]!.AsArray())
                Assert.False(o!["output_type"]!.GetValue<string>() == "error",
                    $"cell {cell["id"]} failed: {o["ename"]}: {o["evalue"]}");

        Assert.Contains("✓ libtorch and the glue are loaded once each", Stream(Tagged(cells, "usings")));
        Assert.Contains("✓ NotebookDirectory is this notebook's folder", Stream(Tagged(cells, "usings")));
        Assert.Contains("✓ the test loss fell", Stream(Tagged(cells, "epochs")));
        Assert.Contains("class=\"workbench-records\"", Data(Tagged(cells, "epochs"), "text/html"));

        // The reconstruction grid: our formatter's image/png, a PNG of the grid's size (two rows of ten 28x28 digits, scale 2).
        var png = Convert.FromBase64String(Data(Tagged(cells, "grid"), "image/png"));
        var (width, height) = ImageGrid.Size(20, 28, 28, columns: 10, padding: 2, scale: 2);
        Assert.True(PngImage.IsPng(png), "the grid's image/png is not a PNG");
        Assert.Equal((width, height), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));

        var table = Data(Tagged(cells, "dataframe"), "text/html");
        Assert.Contains("train_loss", table);
        Assert.Contains("test_loss", table);

        var tensor = Data(Tagged(cells, "tensor"), "text/html");
        Assert.Contains("class=\"workbench-tensor\"", tensor);
        Assert.Contains("shape [5, 10]", tensor);
        Assert.Equal(@"$$f(x) = x \sigma(x)$$", Data(Tagged(cells, "latex"), "text/latex"));

        // TorchSharp's fallback when it cannot find its glue copies libtorch (about 480 MB) into cpu/ beside TorchSharp.dll.
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "cpu")),
            "TorchSharp fell back to copying libtorch into cpu/ beside TorchSharp.dll: the extension's native probing did not answer");
    }

    /// <summary>docs/notebooks.md: interrupting a running cell ends .NET Interactive's kernel process (Jupyter sends SIGINT).</summary>
    [Fact]
    public void InterruptEndsTheKernel()
    {
        var result = RunClient("interrupt");
        output.WriteLine($"interrupt_mode {result["interrupt_mode"]}, kernel exited: {result["kernel_exited"]} " +
                         $"(exit code {result["exit_code"]}) after {result["seconds_to_exit"]!.GetValue<double>():0.00} s");
        Assert.Equal("signal", result["interrupt_mode"]!.GetValue<string>());
        Assert.True(result["kernel_exited"]!.GetValue<bool>(), "the kernel survived the interrupt: update docs/notebooks.md");
    }

    [Fact]
    public void OutputCarriesNoInteractiveAssembliesOfItsOwn()
    {
        // The extension must bind to the host's Microsoft.DotNet.Interactive*, not to a copy beside it in the folder a
        // notebook references: a second copy would have its own Formatter, which the host never asks.
        Assert.Empty(Directory.GetFiles(AppContext.BaseDirectory, "Microsoft.DotNet.Interactive*.dll"));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "workbench.csx")), "workbench.csx is not in the build output");
    }

    private static JsonObject Tagged(List<JsonObject> cells, string tag) =>
        cells.SingleOrDefault(c => c["metadata"]?["tags"]?.AsArray().Any(t => t!.GetValue<string>() == tag) == true)
        ?? throw new Xunit.Sdk.XunitException($"the smoke notebook has no cell tagged '{tag}'");

    private static string Stream(JsonObject cell) => string.Concat(cell["outputs"]!.AsArray()
        .Where(o => o!["output_type"]!.GetValue<string>() == "stream")
        .Select(o => Text(o!["text"]!)));

    private static string Data(JsonObject cell, string mimeType) =>
        cell["outputs"]!.AsArray().Select(o => o!["data"]?[mimeType]).FirstOrDefault(d => d is not null) is { } data
            ? Text(data)
            : throw new Xunit.Sdk.XunitException(
                $"cell {cell["id"]} has no {mimeType} output; it has " +
                string.Join(", ", cell["outputs"]!.AsArray().SelectMany(o => o!["data"]?.AsObject().Select(p => p.Key) ?? [o["output_type"]!.GetValue<string>()])));

    private static string Text(JsonNode node) =>
        node is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : node.GetValue<string>();

    private static string Python() => JupyterPython.Require("jupyter_client, zmq, nbclient, nbconvert",
        "apt-get install -y jupyter-client python3-jupyter-client python3-nbclient jupyter-nbconvert");

    private JsonObject RunClient(string scenario) =>
        JupyterPython.RunClient(Python(), "dotnet_interactive.py", scenario, kernel.Root, TimeSpan.FromMinutes(5), output);
}
