using System.Text.Json.Nodes;
using Workbench.Tests.Shared;
using Xunit.Abstractions;

namespace Workbench.Kernel.Tests;

/// <summary>
/// Installs the kernelspec (launching the echo-backend test host) into a temporary prefix and points Jupyter's
/// search path at it, with private runtime and data folders so nothing leaks into the user's Jupyter.
/// </summary>
public sealed class JupyterEnvironment : IDisposable
{
    public JupyterEnvironment()
    {
        Root = Path.Combine(Path.GetTempPath(), $"wb-jupyter-{Guid.NewGuid():N}");
        var host = Path.Combine(AppContext.BaseDirectory, "Workbench.Kernel.TestHost.dll");
        if (!File.Exists(host))
            throw new InvalidOperationException($"The kernel test host is missing at {host}; build tests/Workbench.Kernel.Tests.");
        KernelSpec.Install(Root, user: false, [DotnetHost(), host, KernelSpec.ConnectionFilePlaceholder]);
        JupyterPython.CreateFolders(Root);
    }

    public string Root { get; }

    /// <summary>The dotnet executable running these tests, so the kernel runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        var process = Environment.ProcessPath;
        return process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
    }

    public void Dispose() => JupyterPython.DeleteQuietly(Root);

}

/// <summary>
/// The kernel, launched as its own process by the real Jupyter client (jupyter_client.KernelManager from
/// Debian's python3-jupyter-client), through every request type a frontend uses.
/// </summary>
public class JupyterClientTests(JupyterEnvironment jupyter, ITestOutputHelper output) : IClassFixture<JupyterEnvironment>
{
    [Fact]
    public void KernelInfoReplyArrivesQuickly()
    {
        var result = RunScenario("scenarios.py", "kernel_info");
        var seconds = result["first_kernel_info_reply_s"]!.GetValue<double>();
        output.WriteLine($"time to first kernel_info_reply: {seconds:0.000} s");
        Assert.InRange(seconds, 0, 20);
    }

    [Fact]
    public void ExecuteOrdersIOPubAndCountsExecutions()
    {
        var result = RunScenario("scenarios.py", "execute");
        output.WriteLine($"trivial cell round trip: median {result["trivial_cell_median_ms"]!.GetValue<double>():0.0} ms, " +
                         $"max {result["trivial_cell_max_ms"]!.GetValue<double>():0.0} ms");
    }

    [Fact]
    public void DisplayAndUpdateDisplay() => RunScenario("scenarios.py", "display");

    [Fact]
    public void ErrorsAndStopOnError() => RunScenario("scenarios.py", "error");

    [Fact]
    public void CompleteInspectIsCompleteHistoryCommInfo() => RunScenario("scenarios.py", "complete");

    [Fact]
    public void InterruptByMessageAndBySignalStopsASleepingCell()
    {
        var result = RunScenario("scenarios.py", "interrupt");
        output.WriteLine($"interrupt_request to reply: {result["interrupt_reply_s"]!.GetValue<double>():0.000} s, " +
                         $"SIGINT to reply: {result["sigint_reply_s"]!.GetValue<double>():0.000} s");
    }

    [Fact]
    public void RestartStartsAFreshKernel()
    {
        var result = RunScenario("scenarios.py", "restart");
        output.WriteLine($"restart to ready: {result["restart_s"]!.GetValue<double>():0.000} s");
    }

    [Fact]
    public void ShutdownExitsCleanly()
    {
        var result = RunScenario("scenarios.py", "shutdown");
        output.WriteLine($"shutdown: {result["shutdown_s"]!.GetValue<double>():0.000} s");
    }

    [Fact]
    public void ShutdownWithACellStuckPastTheGracePeriodStillExits()
    {
        var result = RunScenario("scenarios.py", "shutdown_stuck");
        output.WriteLine($"shutdown with a stuck cell: {result["shutdown_stuck_s"]!.GetValue<double>():0.000} s");
    }

    [Fact]
    public void ForgedUnsignedAndReplayedMessagesAreRejected()
    {
        var log = Path.Combine(jupyter.Root, $"kernel-stderr-{Guid.NewGuid():N}.log");
        var result = RunScenario("forged_signature.py", log);
        Assert.True(result["rejections_logged"]!.GetValue<int>() >= 4);
    }

    /// <summary>Runs a client script; it prints its measurements as JSON on the last line and exits 0 when all checks pass.</summary>
    private JsonObject RunScenario(string script, string argument) =>
        JupyterPython.RunClient(JupyterPython.Require("jupyter_client, zmq", "apt-get install -y jupyter-client python3-jupyter-client"),
            script, argument, jupyter.Root, TimeSpan.FromMinutes(2), output);
}
