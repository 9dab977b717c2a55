using System.Runtime.InteropServices;

namespace Workbench.Kernel.Zmq;

/// <summary>A failed ZeroMQ call: the operation, ZeroMQ's own error text and errno.</summary>
internal sealed class ZmqException : Exception
{
    public ZmqException(string message, int errno) : base(message) => Errno = errno;

    /// <summary>The errno value ZeroMQ reported (POSIX codes, or ZeroMQ's own above 156384712).</summary>
    public int Errno { get; }

    /// <summary>True when the context was terminated under the caller (ETERM): the socket must be closed.</summary>
    public bool ContextTerminated => Errno == ZmqNative.ETERM;

    /// <summary>Builds the exception for the errno left by the last P/Invoke on this thread.</summary>
    internal static ZmqException FromLastError(string operation, string? advice = null)
    {
        var errno = Marshal.GetLastPInvokeError();
        var text = $"{operation} failed: {ZmqNative.ErrorText(errno)} (errno {errno}).";
        return new ZmqException(advice is null ? text : $"{text} {advice}", errno);
    }
}
