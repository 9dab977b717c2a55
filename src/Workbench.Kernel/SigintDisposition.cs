using System.Runtime.InteropServices;

namespace Workbench.Kernel;

/// <summary>
/// A process started from a background job or under nohup inherits SIGINT ignored, and the runtime leaves an inherited
/// ignored SIGINT alone: a handler registered for it would never run. A Jupyter kernel must still take SIGINT
/// (interrupt_mode "signal", Ctrl-C in the terminal that runs Jupyter), as ipykernel does, so before registering its
/// handler the kernel puts an ignored SIGINT back to the default disposition. A SIGINT disposition set by anyone else
/// (the runtime's own handler, say) is left untouched.
/// </summary>
internal static partial class SigintDisposition
{
    private const int Sigint = 2;
    private static readonly nint SigDfl = 0, SigIgn = 1;

    /// <summary>Room for struct sigaction on every Linux and macOS ABI (152 bytes on x86_64 glibc); the handler comes first.</summary>
    private const int SigactionSize = 256;

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static unsafe partial int Sigaction(int signal, void* action, void* oldAction);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static partial nint Signal(int signal, nint handler);

    /// <summary>True when SIGINT was ignored and is now back to the default (the caller registers its handler next).</summary>
    public static unsafe bool RestoreIfIgnored()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        byte* current = stackalloc byte[SigactionSize];
        if (Sigaction(Sigint, null, current) != 0) return false;
        if (*(nint*)current != SigIgn) return false;
        return Signal(Sigint, SigDfl) != -1;
    }
}
