using System.Runtime.InteropServices;

namespace Workbench.Kernel.Zmq;

/// <summary>Owns a ZeroMQ context; released with zmq_ctx_term once every socket made from it is closed.</summary>
internal sealed class ZmqContextHandle : SafeHandle
{
    public ZmqContextHandle() : base(0, ownsHandle: true) { }

    internal ZmqContextHandle(nint handle) : this() => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        // zmq_ctx_term returns EINTR if a signal arrives while it waits for lingering messages; retry then.
        int rc;
        do rc = ZmqNative.zmq_ctx_term(handle);
        while (rc != 0 && Marshal.GetLastPInvokeError() == ZmqNative.EINTR);
        return rc == 0;
    }
}

/// <summary>
/// Owns a ZeroMQ socket. Holds a reference on its context's handle so the context cannot be terminated
/// (zmq_ctx_term would block forever) while the socket is still open.
/// </summary>
internal sealed class ZmqSocketHandle : SafeHandle
{
    private readonly ZmqContextHandle? _context;

    public ZmqSocketHandle() : base(0, ownsHandle: true) { }

    internal ZmqSocketHandle(nint handle, ZmqContextHandle context) : this()
    {
        var added = false;
        context.DangerousAddRef(ref added);
        _context = context;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        var rc = ZmqNative.zmq_close(handle);
        _context?.DangerousRelease();
        return rc == 0;
    }
}
