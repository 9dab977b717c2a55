using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using NetMQ.Sockets;
using Workbench.Kernel.Protocol;
using Workbench.Kernel.TestHost;

namespace Workbench.Kernel.Tests;

/// <summary>Helpers for kernels under test: free loopback ports and connection files.</summary>
internal static class TestPorts
{
    /// <summary>Distinct ports of <paramref name="address"/> (loopback by default) that were free a moment ago (the OS hands out each once).</summary>
    public static int[] Free(int count, IPAddress? address = null)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(address ?? IPAddress.Loopback, 0)).ToArray();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }

    public static ConnectionInfo Connection(string key = "test-key-0123456789", string ip = "127.0.0.1")
    {
        var p = Free(5, IPAddress.Parse(ip));
        return new ConnectionInfo(ip, p[0], p[1], p[2], p[3], p[4], Encoding.UTF8.GetBytes(key), null);
    }
}

/// <summary>A kernel served in this process by the EchoBackend (or a backend wrapping it), with a connected client.</summary>
internal sealed class InProcessKernel : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private InProcessKernel(ConnectionInfo info, Func<EchoBackend, IKernelBackend>? wrap)
    {
        Info = info;
        Host = KernelHost.Start(info, wrap?.Invoke(Backend) ?? Backend, new KernelHostOptions { Log = Log, HandleSignals = false });
        Serving = Host.ServeAsync(_stop.Token);
        Client = new TestClient(info);
    }

    public ConnectionInfo Info { get; }
    public EchoBackend Backend { get; } = new();
    public StringWriter Log { get; } = new();
    public KernelHost Host { get; }
    public Task Serving { get; }
    public TestClient Client { get; }

    /// <summary>Starts a kernel and waits until its IOPub reaches the client (PUB drops messages until then).</summary>
    public static InProcessKernel Start(ConnectionInfo? info = null, Func<EchoBackend, IKernelBackend>? wrap = null)
    {
        var kernel = new InProcessKernel(info ?? TestPorts.Connection(), wrap);
        kernel.Client.WaitForIOPub();
        return kernel;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Serving.WaitAsync(TimeSpan.FromSeconds(10));
        Host.Dispose();
        Client.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A minimal Jupyter client: DEALER shell/control, SUB iopub, REQ heartbeat, signing with the kernel's key.</summary>
internal sealed class TestClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly MessageSigner _signer;

    public TestClient(ConnectionInfo info, byte[]? key = null)
    {
        _signer = new MessageSigner(key ?? info.Key);
        Session = new KernelSession(_signer);
        Shell = Connect(new DealerSocket(), info, info.ShellPort);
        Control = Connect(new DealerSocket(), info, info.ControlPort);
        IOPub = Connect(new SubscriberSocket(), info, info.IOPubPort);
        IOPub.SubscribeToAnyTopic();
        Heartbeat = Connect(new RequestSocket(), info, info.HeartbeatPort);
    }

    public KernelSession Session { get; }
    public DealerSocket Shell { get; }
    public DealerSocket Control { get; }
    public SubscriberSocket IOPub { get; }
    public RequestSocket Heartbeat { get; }

    private static T Connect<T>(T socket, ConnectionInfo info, int port) where T : NetMQSocket
    {
        socket.Connect(info.Endpoint(port));
        return socket;
    }

    /// <summary>Sends a signed request; returns its msg_id.</summary>
    public string Send(NetMQSocket socket, string msgType, JsonObject content)
    {
        var frames = Session.Serialize([], msgType, content, parentHeader: null);
        socket.SendMultipartBytes(frames);
        return Decode(frames)!.MsgId;
    }

    public JupyterMessage? Decode(IReadOnlyList<byte[]> frames) => WireCodec.Decode(frames, _signer, null, out _);

    /// <summary>The next message on a socket, signature checked, or null after <paramref name="timeout"/>.</summary>
    public JupyterMessage? TryReceive(NetMQSocket socket, TimeSpan timeout)
    {
        var frames = new List<byte[]>();
        if (!socket.TryReceiveMultipartBytes(timeout, ref frames)) return null;
        var message = WireCodec.Decode(frames, _signer, null, out var rejection);
        Assert.True(message is not null, $"the kernel sent a message this client could not verify: {rejection}");
        return message;
    }

    /// <summary>Sends a request and returns the reply parented to it.</summary>
    public JupyterMessage Request(NetMQSocket socket, string msgType, JsonObject content)
    {
        var id = Send(socket, msgType, content);
        return ReplyTo(socket, id);
    }

    public JupyterMessage ReplyTo(NetMQSocket socket, string requestId)
    {
        var reply = TryReceive(socket, Timeout);
        Assert.True(reply is not null, $"no reply to {requestId} within {Timeout.TotalSeconds} s");
        Assert.Equal(requestId, reply.ParentHeader["msg_id"]!.GetValue<string>());
        return reply;
    }

    /// <summary>IOPub messages parented to <paramref name="requestId"/>, up to and including its idle status.</summary>
    public List<JupyterMessage> IOPubUntilIdle(string requestId)
    {
        var messages = new List<JupyterMessage>();
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var m = TryReceive(IOPub, TimeSpan.FromMilliseconds(200));
            if (m is null || m.ParentHeader["msg_id"]?.GetValue<string>() != requestId) continue;
            messages.Add(m);
            if (m.MsgType == "status" && m.Content["execution_state"]!.GetValue<string>() == "idle") return messages;
        }
        throw new Xunit.Sdk.XunitException($"no idle status for {requestId} on IOPub within {Timeout.TotalSeconds} s; got " +
            string.Join(", ", messages.Select(m => m.MsgType)));
    }

    /// <summary>Repeats kernel_info until its busy status arrives on IOPub, then drains IOPub.</summary>
    public void WaitForIOPub()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var id = Send(Shell, "kernel_info_request", new JsonObject());
            ReplyTo(Shell, id);
            var seen = false;
            while (TryReceive(IOPub, TimeSpan.FromMilliseconds(100)) is { } m)
                seen |= m.ParentHeader["msg_id"]?.GetValue<string>() == id;
            if (seen) return;
        }
        throw new Xunit.Sdk.XunitException("IOPub never delivered a status message.");
    }

    public JupyterMessage Execute(string code, out List<JupyterMessage> iopub, bool silent = false, bool storeHistory = true)
    {
        var id = Send(Shell, "execute_request", new JsonObject
        {
            ["code"] = code, ["silent"] = silent, ["store_history"] = storeHistory,
            ["user_expressions"] = new JsonObject(), ["allow_stdin"] = false, ["stop_on_error"] = true,
        });
        var reply = ReplyTo(Shell, id);
        iopub = IOPubUntilIdle(id);
        return reply;
    }

    public void Dispose()
    {
        Shell.Dispose();
        Control.Dispose();
        IOPub.Dispose();
        Heartbeat.Dispose();
        _signer.Dispose();
    }
}

internal static class JsonTestExtensions
{
    public static string Str(this JsonNode? node) => node!.GetValue<string>();
    public static int Int(this JsonNode? node) => node!.GetValue<int>();
}

/// <summary>The EchoBackend with a switch that makes every member it serves requests with throw, as a buggy backend would.</summary>
internal sealed class FailingBackend(EchoBackend inner) : IKernelBackend
{
    public volatile bool Fail;

    public KernelLanguageInfo LanguageInfo
    {
        get
        {
            ThrowIfFailing(nameof(LanguageInfo));
            return inner.LanguageInfo;
        }
    }

    public string Banner => inner.Banner;
    public IReadOnlyList<KernelHelpLink> HelpLinks => inner.HelpLinks;

    public Task<ExecutionOutcome> ExecuteAsync(ExecuteRequest request, IExecutionOutput output, CancellationToken cancellationToken)
    {
        ThrowIfFailing(nameof(ExecuteAsync));
        return inner.ExecuteAsync(request, output, cancellationToken);
    }

    public Task<CompletionResult> CompleteAsync(string code, int cursorPosition, CancellationToken cancellationToken)
    {
        ThrowIfFailing(nameof(CompleteAsync));
        return inner.CompleteAsync(code, cursorPosition, cancellationToken);
    }

    public Task<InspectionResult> InspectAsync(string code, int cursorPosition, int detailLevel, CancellationToken cancellationToken)
    {
        ThrowIfFailing(nameof(InspectAsync));
        return inner.InspectAsync(code, cursorPosition, detailLevel, cancellationToken);
    }

    public IsCompleteResult IsComplete(string code)
    {
        ThrowIfFailing(nameof(IsComplete));
        return inner.IsComplete(code);
    }

    public Task ShutdownAsync(bool restart)
    {
        ThrowIfFailing(nameof(ShutdownAsync));
        return inner.ShutdownAsync(restart);
    }

    private void ThrowIfFailing(string member)
    {
        if (Fail) throw new InvalidOperationException($"backend bug in {member}");
    }
}
