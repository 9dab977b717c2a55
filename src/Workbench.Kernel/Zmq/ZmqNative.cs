using System.Runtime.InteropServices;

namespace Workbench.Kernel.Zmq;

/// <summary>
/// Source-generated bindings to the ZeroMQ 4.x C library (libzmq, ABI version 5), the transport every
/// Jupyter kernel speaks. Only the calls the kernel needs are bound; constants mirror zmq.h.
/// </summary>
internal static unsafe partial class ZmqNative
{
    /// <summary>Logical name used in the imports; <see cref="Resolve"/> maps it to the real file.</summary>
    internal const string Library = "libzmq";

    /// <summary>File names tried in order: the soname Debian's libzmq5 installs, its full path, then other platforms'.</summary>
    internal static readonly string[] Candidates =
    [
        "libzmq.so.5",
        "/usr/lib/x86_64-linux-gnu/libzmq.so.5",
        "/usr/lib/aarch64-linux-gnu/libzmq.so.5",
        "libzmq.5.dylib",
        "libzmq.dll",
    ];

    private static readonly Lock LoadLock = new();
    private static nint s_library;

    static ZmqNative()
    {
        // One resolver per assembly: nothing else in Workbench.Kernel imports native code.
        NativeLibrary.SetDllImportResolver(typeof(ZmqNative).Assembly, Resolve);
    }

    private static nint Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Library ? EnsureLoaded() : 0;

    /// <summary>Loads libzmq once; throws a <see cref="DllNotFoundException"/> that says how to install it.</summary>
    internal static nint EnsureLoaded()
    {
        lock (LoadLock)
        {
            if (s_library == 0) s_library = Load(Candidates);
            return s_library;
        }
    }

    /// <summary>Loads the first candidate that exists (split out so the missing-library message can be tested).</summary>
    internal static nint Load(IReadOnlyList<string> candidates)
    {
        foreach (var candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        throw new DllNotFoundException(
            $"The ZeroMQ library (libzmq, ABI 5) could not be loaded; tried: {string.Join(", ", candidates)}. " +
            "The Jupyter kernel needs it for its sockets. On Debian or Ubuntu run 'apt-get install libzmq5' " +
            "(elsewhere install the ZeroMQ 4.x runtime library) and start the kernel again.");
    }

    // Socket types (zmq.h).
    internal const int ZMQ_PAIR = 0, ZMQ_PUB = 1, ZMQ_SUB = 2, ZMQ_REQ = 3, ZMQ_REP = 4, ZMQ_DEALER = 5, ZMQ_ROUTER = 6;

    // Socket options (zmq.h).
    internal const int ZMQ_ROUTING_ID = 5, ZMQ_SUBSCRIBE = 6, ZMQ_RCVMORE = 13, ZMQ_LINGER = 17, ZMQ_SNDHWM = 23,
        ZMQ_RCVHWM = 24, ZMQ_RCVTIMEO = 27, ZMQ_SNDTIMEO = 28, ZMQ_LAST_ENDPOINT = 32, ZMQ_IPV6 = 42,
        ZMQ_ROUTER_HANDOVER = 56;

    // Send/receive flags and poll events.
    internal const int ZMQ_DONTWAIT = 1, ZMQ_SNDMORE = 2;
    internal const short ZMQ_POLLIN = 1, ZMQ_POLLOUT = 2;

    // errno values the wrappers react to. ZeroMQ's own codes start at ZMQ_HAUSNUMERO = 156384712.
    internal const int EINTR = 4, EAGAIN = 11, ETERM = 156384712 + 53;

    /// <summary>zmq_msg_t: 64 opaque bytes, pointer-aligned (zmq.h declares it so).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    internal struct ZmqMessage
    {
        [FieldOffset(0)] private long _alignment;
    }

    /// <summary>zmq_pollitem_t on POSIX: socket pointer, file descriptor (int), events, revents.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ZmqPollItem
    {
        public nint Socket;
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint zmq_ctx_new();

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_ctx_term(nint context);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint zmq_socket(ZmqContextHandle context, int type);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_close(nint socket);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int zmq_bind(ZmqSocketHandle socket, string endpoint);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int zmq_connect(ZmqSocketHandle socket, string endpoint);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_setsockopt(ZmqSocketHandle socket, int option, void* value, nuint size);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_getsockopt(ZmqSocketHandle socket, int option, void* value, nuint* size);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_send(ZmqSocketHandle socket, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_msg_init(ZmqMessage* message);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_msg_recv(ZmqMessage* message, ZmqSocketHandle socket, int flags);

    [LibraryImport(Library)]
    internal static partial int zmq_msg_close(ZmqMessage* message);

    [LibraryImport(Library)]
    internal static partial void* zmq_msg_data(ZmqMessage* message);

    [LibraryImport(Library)]
    internal static partial nuint zmq_msg_size(ZmqMessage* message);

    [LibraryImport(Library)]
    internal static partial int zmq_msg_more(ZmqMessage* message);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int zmq_poll(ZmqPollItem* items, int count, CLong timeout);

    [LibraryImport(Library)]
    internal static partial nint zmq_strerror(int errnum);

    [LibraryImport(Library)]
    internal static partial void zmq_version(int* major, int* minor, int* patch);

    /// <summary>ZeroMQ's text for an errno value (covers both POSIX codes and ZeroMQ's own).</summary>
    internal static string ErrorText(int errno) => Marshal.PtrToStringUTF8(zmq_strerror(errno)) ?? $"error {errno}";

    /// <summary>The loaded library's version, e.g. (4, 3, 4).</summary>
    internal static (int Major, int Minor, int Patch) Version()
    {
        int major, minor, patch;
        zmq_version(&major, &minor, &patch);
        return (major, minor, patch);
    }
}
