using System.Diagnostics;
using System.Text.Json.Nodes;
using Workbench.Tests.Shared;

namespace Workbench.Interactive.Tests;

/// <summary>
/// .NET Interactive's C# kernel registered the way users register it: the pinned tool restored with
/// <c>dotnet tool restore</c>, then <c>scripts/install-dotnet-interactive-kernel.sh --prefix</c> into a temporary prefix,
/// with private Jupyter runtime, data and config folders so nothing leaks into the user's Jupyter.
/// </summary>
public sealed class DotnetInteractiveKernel : IDisposable
{
    public DotnetInteractiveKernel()
    {
        Checkout = FindCheckout();
        Root = Path.Combine(Path.GetTempPath(), $"wb-dotnet-interactive-{Guid.NewGuid():N}");
        var clock = Stopwatch.StartNew();
        var (code, output) = Run("dotnet", ["tool", "restore"], Checkout);
        if (code != 0)
            throw new InvalidOperationException(
                $"The pinned .NET Interactive tool (Microsoft.dotnet-interactive, .config/dotnet-tools.json) could not be restored " +
                $"(dotnet tool restore exited {code}). Install it with `dotnet tool restore` in {Checkout}; it comes from the NuGet feed.\n{output}");
        ToolRestoreSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        (code, output) = Run("bash", [Path.Combine(Checkout, "scripts", "install-dotnet-interactive-kernel.sh"), "--prefix", Root], Checkout);
        if (code != 0)
            throw new InvalidOperationException($"scripts/install-dotnet-interactive-kernel.sh --prefix {Root} failed ({code}):\n{output}");
        InstallSeconds = clock.Elapsed.TotalSeconds;
        KernelJson = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "share", "jupyter", "kernels", Name, "kernel.json")))!.AsObject();
        JupyterPython.CreateFolders(Root);
    }

    /// <summary>The kernelspec's name, as notebooks and nbconvert's kernel_name give it.</summary>
    public const string Name = ".net-csharp";

    /// <summary>The checkout this test runs in (the folder holding Workbench.sln).</summary>
    public string Checkout { get; }

    /// <summary>The temporary Jupyter prefix: the kernelspec under share/jupyter/kernels, runtime, data, config.</summary>
    public string Root { get; }

    /// <summary>The installed kernel.json.</summary>
    public JsonObject KernelJson { get; }

    /// <summary>How long <c>dotnet tool restore</c> took.</summary>
    public double ToolRestoreSeconds { get; }

    /// <summary>How long the install script took (its own quick restore, the tool's kernelspec, ours).</summary>
    public double InstallSeconds { get; }

    public void Dispose() => JupyterPython.DeleteQuietly(Root);

    private static string FindCheckout()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Workbench.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Workbench.sln above {AppContext.BaseDirectory}: run the tests from a Workbench checkout.");
    }

    private static (int Code, string Output) Run(string program, IReadOnlyList<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{program} {string.Join(' ', arguments)} did not finish within 10 minutes.");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
