using System.Runtime.InteropServices;
using System.Text;

namespace Workbench.Kernel.Zmq;

/// <summary>
/// One ZeroMQ socket with multipart send/receive. Like every ZeroMQ socket it is not thread-safe: use it
/// from one thread at a time (the kernel gives each socket one thread, and serialises IOPub with a lock).
/// </summary>
internal sealed unsafe class ZmqSocket : IDisposable
{
    private readonly ZmqSocketHandle _handle;

    internal ZmqSocket(ZmqSocketHandle handle, ZmqSocketType type)
    {
        _handle = handle;
        Type = type;
    }

    public ZmqSocketType Type { get; }

    public void Bind(string endpoint)
    {
        if (ZmqNative.zmq_bind(_handle, endpoint) != 0)
            throw ZmqException.FromLastError($"Binding the {Type} socket to {endpoint}",
                "Check that the address in the connection file belongs to this machine and that no other process " +
                "uses the port (let the Jupyter client pick fresh ports by restarting the kernel).");
    }

    public void Connect(string endpoint)
    {
        if (ZmqNative.zmq_connect(_handle, endpoint) != 0)
            throw ZmqException.FromLastError($"Connecting the {Type} socket to {endpoint}");
    }

    public void SetOption(int option, int value)
    {
        if (ZmqNative.zmq_setsockopt(_handle, option, &value, sizeof(int)) != 0)
            throw ZmqException.FromLastError($"zmq_setsockopt(option {option}, {value}) on the {Type} socket");
    }

    public void SetOption(int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
            if (ZmqNative.zmq_setsockopt(_handle, option, p, (nuint)value.Length) != 0)
                throw ZmqException.FromLastError($"zmq_setsockopt(option {option}) on the {Type} socket");
    }

    /// <summary>The endpoint actually bound last, e.g. "tcp://127.0.0.1:41234" after binding to port "*".</summary>
    public string LastEndpoint
    {
        get
        {
            var buffer = stackalloc byte[256];
            nuint size = 256;
            if (ZmqNative.zmq_getsockopt(_handle, ZmqNative.ZMQ_LAST_ENDPOINT, buffer, &size) != 0)
                throw ZmqException.FromLastError($"Reading the last endpoint of the {Type} socket");
            // The value is NUL-terminated and size counts the terminator.
            var length = size > 0 ? (int)size - 1 : 0;
            return Encoding.UTF8.GetString(buffer, length);
        }
    }

    /// <summary>Sends one frame; <paramref name="more"/> marks that further frames of the same message follow.</summary>
    public void Send(ReadOnlySpan<byte> frame, bool more)
    {
        var flags = more ? ZmqNative.ZMQ_SNDMORE : 0;
        fixed (byte* p = frame)
        {
            while (ZmqNative.zmq_send(_handle, p, (nuint)frame.Length, flags) < 0)
            {
                if (Marshal.GetLastPInvokeError() == ZmqNative.EINTR) continue;
                throw ZmqException.FromLastError($"Sending on the {Type} socket");
            }
        }
    }

    /// <summary>Sends all frames as one atomic multipart message.</summary>
    public void SendMultipart(IReadOnlyList<byte[]> frames)
    {
        if (frames.Count == 0)
            throw new ArgumentException("A ZeroMQ message needs at least one frame; the list was empty.", nameof(frames));
        for (var i = 0; i < frames.Count; i++) Send(frames[i], more: i < frames.Count - 1);
    }

    /// <summary>
    /// Receives one whole multipart message. With <paramref name="wait"/> false it returns false at once when
    /// nothing is queued; ZeroMQ delivers multipart messages atomically, so the later frames never block.
    /// </summary>
    public bool TryReceiveMultipart(out List<byte[]> frames, bool wait = false)
    {
        frames = new List<byte[]>(8);
        ZmqNative.ZmqMessage message;
        var first = true;
        while (true)
        {
            if (ZmqNative.zmq_msg_init(&message) != 0) throw ZmqException.FromLastError("zmq_msg_init");
            try
            {
                var flags = first && !wait ? ZmqNative.ZMQ_DONTWAIT : 0;
                int received;
                while ((received = ZmqNative.zmq_msg_recv(&message, _handle, flags)) < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == ZmqNative.EINTR) continue;
                    if (errno == ZmqNative.EAGAIN && first) return false;
                    throw ZmqException.FromLastError($"Receiving on the {Type} socket");
                }
                frames.Add(new ReadOnlySpan<byte>(ZmqNative.zmq_msg_data(&message), received).ToArray());
                if (ZmqNative.zmq_msg_more(&message) == 0) return true;
                first = false;
            }
            finally
            {
                ZmqNative.zmq_msg_close(&message);
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever) for a message; false on timeout or signal.</summary>
    public bool Poll(int timeoutMs)
    {
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            var item = new ZmqNative.ZmqPollItem { Socket = _handle.DangerousGetHandle(), Events = ZmqNative.ZMQ_POLLIN };
            var rc = ZmqNative.zmq_poll(&item, 1, new CLong(timeoutMs));
            if (rc < 0)
            {
                if (Marshal.GetLastPInvokeError() == ZmqNative.EINTR) return false;
                throw ZmqException.FromLastError($"Polling the {Type} socket");
            }
            return (item.REvents & ZmqNative.ZMQ_POLLIN) != 0;
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    public void Dispose() => _handle.Dispose();
}
