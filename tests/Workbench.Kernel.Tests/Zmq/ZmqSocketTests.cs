using System.Text;
using Workbench.Kernel.Zmq;

namespace Workbench.Kernel.Tests.Zmq;

public class ZmqSocketTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void LoadsLibzmq4()
    {
        ZmqNative.EnsureLoaded();
        Assert.Equal(4, ZmqNative.Version().Major);
    }

    [Fact]
    public void MissingLibraryMessageSaysHowToInstallIt()
    {
        var e = Assert.Throws<DllNotFoundException>(() => ZmqNative.Load(["libzmq-does-not-exist.so.99"]));
        Assert.Contains("apt-get install libzmq5", e.Message);
        Assert.Contains("libzmq-does-not-exist.so.99", e.Message);
    }

    [Fact]
    public void RouterAndDealerExchangeMultipartMessagesWithRoutingIds()
    {
        using var context = new ZmqContext();
        using var router = context.CreateSocket(ZmqSocketType.Router);
        router.Bind("tcp://127.0.0.1:*");
        var endpoint = router.LastEndpoint;
        Assert.StartsWith("tcp://127.0.0.1:", endpoint);
        using var dealer = context.CreateSocket(ZmqSocketType.Dealer);
        dealer.SetOption(ZmqNative.ZMQ_ROUTING_ID, B("client-7"));
        dealer.Connect(endpoint);

        var big = new byte[1 << 20];
        new Random(3).NextBytes(big);
        dealer.SendMultipart([B("hello"), [], big]);
        Assert.True(router.Poll(5000));
        Assert.True(router.TryReceiveMultipart(out var frames));
        Assert.Equal(4, frames.Count);
        Assert.Equal("client-7", Encoding.UTF8.GetString(frames[0]));
        Assert.Equal("hello", Encoding.UTF8.GetString(frames[1]));
        Assert.Empty(frames[2]);
        Assert.Equal(big, frames[3]);

        router.SendMultipart([frames[0], B("reply")]);
        Assert.True(dealer.TryReceiveMultipart(out var reply, wait: true));
        Assert.Equal("reply", Encoding.UTF8.GetString(Assert.Single(reply)));
        // Nothing more queued: a non-blocking receive returns false, a short poll times out.
        Assert.False(dealer.TryReceiveMultipart(out _));
        Assert.False(dealer.Poll(20));
    }

    [Fact]
    public void PubReachesSubscribersAndRepEchoes()
    {
        using var context = new ZmqContext();
        using var pub = context.CreateSocket(ZmqSocketType.Pub);
        pub.Bind("tcp://127.0.0.1:*");
        using var sub = context.CreateSocket(ZmqSocketType.Sub);
        sub.SetOption(ZmqNative.ZMQ_SUBSCRIBE, B("topic"));
        sub.Connect(pub.LastEndpoint);
        // A new subscription takes a moment to reach the publisher; publish until one arrives.
        List<byte[]>? got = null;
        for (var i = 0; i < 100 && got is null; i++)
        {
            pub.SendMultipart([B("other"), B("skip")]);
            pub.SendMultipart([B("topic"), B("data")]);
            if (sub.Poll(50) && sub.TryReceiveMultipart(out var frames)) got = frames;
        }
        Assert.NotNull(got);
        Assert.Equal("topic", Encoding.UTF8.GetString(got[0]));

        using var rep = context.CreateSocket(ZmqSocketType.Rep);
        rep.Bind("tcp://127.0.0.1:*");
        using var req = context.CreateSocket(ZmqSocketType.Req);
        req.Connect(rep.LastEndpoint);
        req.SendMultipart([B("ping")]);
        Assert.True(rep.TryReceiveMultipart(out var ping, wait: true));
        rep.SendMultipart(ping);
        Assert.True(req.TryReceiveMultipart(out var pong, wait: true));
        Assert.Equal("ping", Encoding.UTF8.GetString(Assert.Single(pong)));
    }

    [Fact]
    public void ErrorsCarryZeroMqsTextAndAdvice()
    {
        using var context = new ZmqContext();
        using var first = context.CreateSocket(ZmqSocketType.Router);
        first.Bind("tcp://127.0.0.1:*");
        using var second = context.CreateSocket(ZmqSocketType.Router);
        var e = Assert.Throws<ZmqException>(() => second.Bind(first.LastEndpoint));
        Assert.Contains("Address already in use", e.Message);
        Assert.Contains(first.LastEndpoint, e.Message);
        Assert.Contains("fresh ports", e.Message);
        Assert.Contains("Invalid argument", Assert.Throws<ZmqException>(() => second.Bind("nonsense")).Message);
        Assert.Throws<ArgumentException>(() => second.SendMultipart([]));
    }

    [Fact]
    public void DisposingTheContextAfterItsSocketsDoesNotHang()
    {
        var context = new ZmqContext();
        var socket = context.CreateSocket(ZmqSocketType.Dealer, lingerMs: 0);
        socket.Connect("tcp://127.0.0.1:9"); // nobody listens: the queued message must not block termination
        socket.SendMultipart([B("unsent")]);
        // Context first: its handle stays alive until the socket closes, so term runs after zmq_close.
        context.Dispose();
        socket.Dispose();
        Assert.Throws<ObjectDisposedException>(() => context.CreateSocket(ZmqSocketType.Pub));
    }
}
