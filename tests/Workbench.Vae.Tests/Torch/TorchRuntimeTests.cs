using System.Diagnostics;
using System.Text;
using TorchSharp;
using Workbench.Vae.Torch;

namespace Workbench.Vae.Tests.Torch;

public class TorchRuntimeTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void LibtorchLoadsAndComputes()
    {
        TorchRuntime.EnsureLoaded();
        using var x = torch.tensor(new double[] { 1.5, 2.0, -0.5 });
        Assert.Equal(3.0, x.sum().item<double>());
        Assert.Null(TorchRuntime.DescribeLoadFailure(TorchRuntime.NativeGluePath));
    }

    [Fact]
    public void TheOutputsGlueAsksForTheVersionWeaklyExactlyWhereTheSystemLacksIt()
    {
        if (!OperatingSystem.IsLinux()) return;
        string flags = VersionFlags(TorchRuntime.NativeGluePath);
        Assert.Equal(SystemHasVersion() ? "none" : "WEAK", flags);
        // The NuGet cache's copy is never changed.
        if (CachedGlue() is string cached) Assert.Equal("none", VersionFlags(cached));
    }

    [Fact]
    public void AnUnpatchedGlueFailsWithAMessageNamingTheFileAndTheMissingVersion()
    {
        if (!OperatingSystem.IsLinux() || SystemHasVersion()) return;
        TorchRuntime.EnsureLoaded(); // libtorch's own libraries are then found by name, so only the version check can fail
        string original = CachedGlue() ?? throw new InvalidOperationException("TorchSharp's package is not in the NuGet cache.");
        string copy = Path.Combine(Directory.CreateTempSubdirectory("glue").FullName, "libLibTorchSharp.so");
        File.Copy(original, copy);
        string? message = TorchRuntime.DescribeLoadFailure(copy);
        Assert.NotNull(message);
        Assert.Contains(copy, message);
        Assert.Contains(Version, message);
        Assert.Contains("build/TorchSharpNative.targets", message);
    }

    [Fact]
    public void AMissingGlueIsNamed()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir", "libLibTorchSharp.so");
        Assert.Contains(path + " is missing", TorchRuntime.DescribeLoadFailure(path));
    }

    [Fact]
    public void DevicesAreParsedAndCudaIsExplainedWhereAbsent()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.Device("cpu").type);
        Assert.Contains("use cpu, cuda or cuda:N", Assert.Throws<ConfigException>(() => TorchRuntime.Device("tpu")).Message);
        if (!torch.cuda.is_available())
            Assert.Contains("CUDA is not available", Assert.Throws<ConfigException>(() => TorchRuntime.Device("cuda")).Message);
    }

    private static bool SystemHasVersion()
    {
        byte[] needle = Encoding.ASCII.GetBytes(Version + "\0");
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6"];
        string path = candidates.First(File.Exists);
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }

    private static string? CachedGlue()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    /// <summary>The flags binutils' readelf prints for the version requirement: "none" or "WEAK".</summary>
    private static string VersionFlags(string library)
    {
        var start = new ProcessStartInfo("readelf", ["-V", "-W", library]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string line = output.Split('\n').Single(l => l.Contains("Name: " + Version, StringComparison.Ordinal));
        return line.Split("Flags:")[1].Trim().Split(' ')[0];
    }
}
