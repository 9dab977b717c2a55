using System.Runtime.InteropServices;
using TorchSharp;

namespace Workbench.Vae.Torch;

/// <summary>
/// Loading libtorch and choosing a device. TorchSharp loads its native libraries on first use; <see cref="EnsureLoaded"/>
/// does it up front so that a machine that cannot load them gets one message naming the file and the loader's reason
/// instead of a TypeInitializationException at the first tensor.
/// </summary>
/// <remarks>
/// On Debian 12 the loader would refuse TorchSharp 0.107.0's glue library for a libstdc++ symbol version the system
/// lacks; the build marks that one requirement weak in every output (build/TorchSharpNative.targets explains it).
/// </remarks>
public static class TorchRuntime
{
    private static readonly Lazy<bool> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The glue library TorchSharp loads, beside TorchSharp.dll in the build output.</summary>
    public static string NativeGluePath { get; } = Path.Combine(
        Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? ".", "runtimes", RuntimeIdentifier, "native", GlueFileName);

    /// <summary>Loads libtorch once; throws a <see cref="TorchLoadException"/> that says what failed and what to do.</summary>
    public static void EnsureLoaded() => _ = Loaded.Value;

    private static bool Load()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return true;
        }
        catch (Exception e) when (e is not TorchLoadException)
        {
            throw new TorchLoadException(DescribeLoadFailure(NativeGluePath) ?? $"TorchSharp could not initialise libtorch: {e.Message}", e);
        }
    }

    /// <summary>
    /// Why the native library at <paramref name="path"/> does not load (the dynamic loader's own words, plus what to
    /// do), or null when it loads.
    /// </summary>
    public static string? DescribeLoadFailure(string path)
    {
        if (!File.Exists(path))
            return $"TorchSharp's native library {path} is missing. Restore and build the project (dotnet build) and run it from its build output.";
        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (DllNotFoundException e)
        {
            string advice = e.Message.Contains("GLIBCXX_", StringComparison.Ordinal)
                ? " This machine's libstdc++ lacks a symbol version the library asks for; the build marks TorchSharp's one such request weak " +
                  "(build/TorchSharpNative.targets). Rebuild with dotnet build and run from the build output, not from the NuGet cache."
                : " Check that libtorch (the libtorch-cpu package for this platform) was restored beside it.";
            return $"TorchSharp's native library {path} could not be loaded: {e.Message}{advice}";
        }
    }

    /// <summary>
    /// The device a name picks: "cpu", "cuda" or "cuda:N". CUDA needs a libtorch-cuda package in place of the CPU one
    /// and a GPU; without them the message says so.
    /// </summary>
    public static torch.Device Device(string name)
    {
        string canonical = CheckDeviceName(name);
        EnsureLoaded();
        if (canonical == "cpu") return torch.CPU;
        if (!torch.cuda.is_available())
            throw new ConfigException(
                $"device '{name}': CUDA is not available here. This build references libtorch for the CPU; a GPU run needs an NVIDIA driver " +
                "and the libtorch-cuda package for this platform in place of libtorch-cpu. Use --device cpu on this machine.");
        return canonical == "cuda" ? torch.CUDA : new torch.Device(canonical);
    }

    /// <summary>
    /// <paramref name="name"/> trimmed and lower-cased when it names a device ("cpu", "cuda" or "cuda:N"); else a
    /// <see cref="ConfigException"/>. It loads nothing and asks no hardware: a config written on a GPU machine stays
    /// readable (and resumable with another device) everywhere; <see cref="Device"/> checks availability where it is used.
    /// </summary>
    public static string CheckDeviceName(string name)
    {
        string trimmed = name.Trim().ToLowerInvariant();
        bool known = trimmed is "cpu" or "cuda" || (trimmed.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(trimmed[5..], out int index) && index >= 0);
        return known ? trimmed : throw new ConfigException($"device '{name}' is not known; use cpu, cuda or cuda:N.");
    }

    private static string RuntimeIdentifier =>
        OperatingSystem.IsWindows() ? "win-x64" : OperatingSystem.IsMacOS() ? "osx-arm64" : "linux-x64";

    private static string GlueFileName =>
        OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
}

/// <summary>libtorch could not be loaded; the message names the file and the reason.</summary>
public sealed class TorchLoadException(string message, Exception? inner = null) : Exception(message, inner);
