using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using TorchSharp;
using Workbench.Vae.Torch;

namespace Workbench.Interactive;

/// <summary>
/// Lets TorchSharp find its native libraries when a notebook host loads TorchSharp.dll by path (<c>#r</c>), as .NET
/// Interactive does. A program finds them through its deps.json (runtimes/&lt;rid&gt;/native); a <c>#r</c>-loaded TorchSharp
/// only looks beside TorchSharp.dll, then falls back to copying libtorch (about 480 MB) out of the NuGet cache into a
/// cpu/ folder beside it, and loads the unpatched glue from there, which Debian 12's loader refuses
/// (build/TorchSharpNative.targets). Answering the load context's request with the libraries of the build output's
/// runtimes/&lt;rid&gt;/native folder, where the build patched the glue, loads libtorch once, from that folder.
/// </summary>
internal static class TorchNativeProbing
{
    private static readonly Lock Gate = new();
    private static bool installed;

    /// <summary>The folder the native libraries are taken from: runtimes/&lt;rid&gt;/native beside TorchSharp.dll.</summary>
    public static string NativeFolder => Path.GetDirectoryName(TorchRuntime.NativeGluePath)!;

    /// <summary>Answers TorchSharp's native-library requests from <see cref="NativeFolder"/>; once per process.</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (installed) return;
            var torchSharp = typeof(torch).Assembly;
            // The context TorchSharp was loaded into asks this event once its own probing has failed, for TorchSharp's
            // explicit loads (NativeLibrary.TryLoad of "torch_cpu" and "LibTorchSharp") and for its P/Invokes alike.
            var context = AssemblyLoadContext.GetLoadContext(torchSharp) ?? AssemblyLoadContext.Default;
            context.ResolvingUnmanagedDll += (assembly, name) => assembly == torchSharp ? Load(name) : IntPtr.Zero;
            installed = true;
        }
    }

    private static IntPtr Load(string name)
    {
        string path = Path.Combine(NativeFolder, FileName(name));
        // NativeLibrary.Load of a file already loaded returns the same handle: libtorch is never loaded twice.
        return File.Exists(path) && NativeLibrary.TryLoad(path, out var handle) ? handle : IntPtr.Zero;
    }

    /// <summary>The file a P/Invoke library name stands for: "LibTorchSharp" is libLibTorchSharp.so on Linux.</summary>
    internal static string FileName(string name)
    {
        if (Path.HasExtension(name)) return name;
        if (OperatingSystem.IsWindows()) return name + ".dll";
        string file = name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name;
        return file + (OperatingSystem.IsMacOS() ? ".dylib" : ".so");
    }
}
