namespace Workbench.Kernel.Zmq;

/// <summary>ZeroMQ socket types used by the kernel (ROUTER, PUB, REP) and by its tests (DEALER, REQ, SUB).</summary>
internal enum ZmqSocketType
{
    Pair = ZmqNative.ZMQ_PAIR,
    Pub = ZmqNative.ZMQ_PUB,
    Sub = ZmqNative.ZMQ_SUB,
    Req = ZmqNative.ZMQ_REQ,
    Rep = ZmqNative.ZMQ_REP,
    Dealer = ZmqNative.ZMQ_DEALER,
    Router = ZmqNative.ZMQ_ROUTER,
}

/// <summary>
/// A ZeroMQ context: the I/O threads behind every socket made from it. Dispose it after its sockets; its
/// handle keeps itself alive until the last socket is closed, so the order cannot deadlock zmq_ctx_term.
/// </summary>
internal sealed class ZmqContext : IDisposable
{
    private readonly ZmqContextHandle _handle;

    public ZmqContext()
    {
        ZmqNative.EnsureLoaded();
        var raw = ZmqNative.zmq_ctx_new();
        if (raw == 0) throw ZmqException.FromLastError("zmq_ctx_new");
        _handle = new ZmqContextHandle(raw);
    }

    /// <summary>Creates a socket. <paramref name="lingerMs"/> bounds how long Dispose waits to flush unsent messages.</summary>
    public ZmqSocket CreateSocket(ZmqSocketType type, int lingerMs = 0)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var raw = ZmqNative.zmq_socket(_handle, (int)type);
        if (raw == 0) throw ZmqException.FromLastError($"zmq_socket({type})");
        var socket = new ZmqSocket(new ZmqSocketHandle(raw, _handle), type);
        socket.SetOption(ZmqNative.ZMQ_LINGER, lingerMs);
        return socket;
    }

    public void Dispose() => _handle.Dispose();
}
