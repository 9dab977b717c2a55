using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using Workbench.Kernel.Protocol;

namespace Workbench.Kernel.Tests;

/// <summary>The kernel served in-process, driven by a signed C# client over real ZeroMQ sockets.</summary>
public class KernelHostTests
{
    [Fact]
    public async Task KernelInfoReplyDescribesProtocolImplementationAndLanguage()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        var id = c.Send(c.Shell, "kernel_info_request", new JsonObject());
        var reply = c.ReplyTo(c.Shell, id);
        Assert.Equal("kernel_info_reply", reply.MsgType);
        var content = reply.Content;
        Assert.Equal("ok", content["status"].Str());
        Assert.Equal("5.3", content["protocol_version"].Str());
        Assert.Equal("workbench", content["implementation"].Str());
        Assert.False(string.IsNullOrEmpty(content["implementation_version"].Str()));
        var language = content["language_info"]!;
        Assert.Equal("csharp", language["name"].Str());
        Assert.Equal("14.0", language["version"].Str());
        Assert.Equal("text/x-csharp", language["mimetype"].Str());
        Assert.Equal(".cs", language["file_extension"].Str());
        Assert.Equal("csharp", language["pygments_lexer"].Str());
        Assert.Equal("text/x-csharp", language["codemirror_mode"].Str());
        Assert.Contains("echo backend", content["banner"].Str());
        Assert.Equal("Echo backend commands", content["help_links"]![0]!["text"].Str());
        // The reply's parent is the request's header, and its session is the kernel's.
        Assert.Equal("kernel_info_request", reply.ParentHeader["msg_type"].Str());
        Assert.Equal(kernel.Host.SessionId, reply.Header["session"].Str());
        // Control answers kernel_info too.
        Assert.Equal("5.3", c.Request(c.Control, "kernel_info_request", new JsonObject()).Content["protocol_version"].Str());
    }

    [Fact]
    public async Task ExecutePublishesBusyInputOutputsResultIdleInOrder()
    {
        await using var kernel = InProcessKernel.Start();
        var reply = kernel.Client.Execute("echo hello\nwarn careful\nvalue 42\ndisplay d1 first\nupdate d1 second", out var iopub);
        Assert.Equal("ok", reply.Content["status"].Str());
        Assert.Equal(1, reply.Content["execution_count"].Int());
        Assert.Empty(reply.Content["user_expressions"]!.AsObject());

        Assert.Equal(["status", "execute_input", "stream", "stream", "execute_result", "display_data", "update_display_data", "status"],
            iopub.Select(m => m.MsgType));
        Assert.Equal("busy", iopub[0].Content["execution_state"].Str());
        Assert.Equal(1, iopub[1].Content["execution_count"].Int());
        Assert.Equal("echo hello\nwarn careful\nvalue 42\ndisplay d1 first\nupdate d1 second", iopub[1].Content["code"].Str());
        Assert.Equal(("stdout", "hello\n"), (iopub[2].Content["name"].Str(), iopub[2].Content["text"].Str()));
        Assert.Equal(("stderr", "careful\n"), (iopub[3].Content["name"].Str(), iopub[3].Content["text"].Str()));
        Assert.Equal("42", iopub[4].Content["data"]!["text/plain"].Str());
        Assert.Equal(1, iopub[4].Content["execution_count"].Int());
        Assert.Equal("first", iopub[5].Content["data"]!["text/plain"].Str());
        Assert.Equal("<b>first</b>", iopub[5].Content["data"]!["text/html"].Str());
        Assert.Equal("d1", iopub[5].Content["transient"]!["display_id"].Str());
        Assert.Equal("second", iopub[6].Content["data"]!["text/plain"].Str());
        Assert.Equal("d1", iopub[6].Content["transient"]!["display_id"].Str());
        // IOPub topics name the kernel session and message type.
        Assert.Equal($"kernel.{kernel.Host.SessionId}.stream", Encoding.UTF8.GetString(iopub[2].Identities[0]));
    }

    [Fact]
    public async Task ExecutionCountAdvancesOnlyForStoredCellsAndSilentCellsPublishNothing()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        Assert.Equal(1, c.Execute("echo a", out _).Content["execution_count"].Int());
        Assert.Equal(2, c.Execute("value b", out _).Content["execution_count"].Int());

        var silent = c.Execute("echo hidden\nvalue hidden", out var silentIopub, silent: true);
        Assert.Equal(2, silent.Content["execution_count"].Int());
        Assert.Equal(["status", "status"], silentIopub.Select(m => m.MsgType));

        var unstored = c.Execute("value shown", out var unstoredIopub, storeHistory: false);
        Assert.Equal(2, unstored.Content["execution_count"].Int());
        Assert.Equal(3, unstoredIopub.Single(m => m.MsgType == "execute_input").Content["execution_count"].Int());
        Assert.Equal(2, unstoredIopub.Single(m => m.MsgType == "execute_result").Content["execution_count"].Int());

        Assert.Equal(3, c.Execute("echo c", out _).Content["execution_count"].Int());
        Assert.Equal([(1, true), (2, true), (2, false), (2, false), (3, true)],
            kernel.Backend.Requests.Select(r => (r.ExecutionCount, r.StoreHistory)));
        Assert.True(kernel.Backend.Requests[2].Silent);
    }

    [Fact]
    public async Task ErrorIsPublishedAndRepliedAndAbortsCellsQueuedBehindIt()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        var content = (string code) => new JsonObject { ["code"] = code, ["silent"] = false, ["stop_on_error"] = true };
        // Queue cells at once, as "run all" does; the first fails (after a pause that lets the rest arrive).
        var failing = c.Send(c.Shell, "execute_request", content("sleep 0.3\necho before\nerror ValueError bad value\necho never"));
        var queued1 = c.Send(c.Shell, "execute_request", content("echo queued"));
        var info = c.Send(c.Shell, "kernel_info_request", new JsonObject());
        var queued2 = c.Send(c.Shell, "execute_request", content("echo queued too"));

        var reply = c.ReplyTo(c.Shell, failing);
        Assert.Equal("error", reply.Content["status"].Str());
        Assert.Equal("ValueError", reply.Content["ename"].Str());
        Assert.Equal("bad value", reply.Content["evalue"].Str());
        Assert.Equal(1, reply.Content["execution_count"].Int());
        var iopub = c.IOPubUntilIdle(failing);
        Assert.Equal(["status", "execute_input", "stream", "error", "status"], iopub.Select(m => m.MsgType));
        var error = iopub[3].Content;
        Assert.Equal("ValueError", error["ename"].Str());
        Assert.Equal(["ValueError: bad value", "   at line 3 of the cell"], error["traceback"]!.AsArray().Select(t => t.Str()));

        Assert.Equal("aborted", c.ReplyTo(c.Shell, queued1).Content["status"].Str());
        Assert.Equal("ok", c.ReplyTo(c.Shell, info).Content["status"].Str());
        Assert.Equal("aborted", c.ReplyTo(c.Shell, queued2).Content["status"].Str());
        Assert.Single(kernel.Backend.Requests);

        // Cells sent after the failure run normally.
        Assert.Equal("ok", c.Execute("echo after", out _).Content["status"].Str());
    }

    [Fact]
    public async Task InterruptOnControlStopsTheRunningCellAndTheKernelStaysUsable()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        var sleeping = c.Send(c.Shell, "execute_request", new JsonObject { ["code"] = "sleep 30" });
        // Wait until the cell is running (its execute_input is out), then interrupt.
        while (c.TryReceive(c.IOPub, TimeSpan.FromSeconds(10)) is { } m && m.MsgType != "execute_input") { }
        var clock = Stopwatch.StartNew();
        Assert.Equal("ok", c.Request(c.Control, "interrupt_request", new JsonObject()).Content["status"].Str());
        var reply = c.ReplyTo(c.Shell, sleeping);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the interrupted reply took {clock.Elapsed}");
        Assert.Equal("error", reply.Content["status"].Str());
        Assert.Equal("OperationCanceledException", reply.Content["ename"].Str());
        Assert.Contains("interrupted", reply.Content["evalue"].Str());
        c.IOPubUntilIdle(sleeping);
        Assert.Equal(2, c.Execute("echo next", out _).Content["execution_count"].Int());
        // Interrupting an idle kernel is harmless.
        Assert.Equal("ok", c.Request(c.Control, "interrupt_request", new JsonObject()).Content["status"].Str());
        Assert.Equal("ok", c.Execute("echo still fine", out _).Content["status"].Str());
    }

    [Fact]
    public async Task UnsignedForgedAndReplayedMessagesAreNeverActedOn()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        using var forger = new TestClient(kernel.Info, Encoding.UTF8.GetBytes("not-the-key"));

        forger.Send(forger.Shell, "execute_request", new JsonObject { ["code"] = "echo FORGED" });
        forger.Send(forger.Control, "shutdown_request", new JsonObject { ["restart"] = false });
        var unsigned = c.Session.Serialize([], "execute_request", new JsonObject { ["code"] = "echo UNSIGNED" }, null);
        unsigned[1] = [];
        c.Shell.SendMultipartBytes(unsigned);
        // A genuine message, then the very same frames again.
        var genuine = c.Session.Serialize([], "execute_request", new JsonObject { ["code"] = "echo genuine" }, null);
        c.Shell.SendMultipartBytes(genuine);
        var genuineId = c.Decode(genuine)!.MsgId;
        Assert.Equal("ok", c.ReplyTo(c.Shell, genuineId).Content["status"].Str());
        c.IOPubUntilIdle(genuineId);
        c.Shell.SendMultipartBytes(genuine);

        // The kernel still serves (the forged shutdown did nothing), and nothing else ever answered.
        Assert.Equal("ok", c.Execute("echo last", out _).Content["status"].Str());
        Assert.Null(forger.TryReceive(forger.Shell, TimeSpan.FromMilliseconds(200)));
        Assert.Null(forger.TryReceive(forger.Control, TimeSpan.FromMilliseconds(200)));
        Assert.Null(c.TryReceive(c.Shell, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(["echo genuine", "echo last"], kernel.Backend.Requests.Select(r => r.Code));
        Assert.False(kernel.Serving.IsCompleted);

        var log = kernel.Log.ToString();
        Assert.Contains("rejected a message on shell: invalid signature", log);
        Assert.Contains("rejected a message on control: invalid signature", log);
        Assert.Contains("rejected a message on shell: unsigned message", log);
        Assert.Contains("rejected a message on shell: replayed message", log);
    }

    [Fact]
    public async Task ABackendThatThrowsFailsOnlyThatRequestAndTheKernelKeepsServing()
    {
        FailingBackend? backend = null;
        await using var kernel = InProcessKernel.Start(wrap: echo => backend = new FailingBackend(echo));
        var c = kernel.Client;
        backend!.Fail = true;

        // A cell whose backend throws is that cell's error, published and replied like any other.
        var cell = c.Execute("echo never", out var iopub);
        Assert.Equal(("error", "InvalidOperationException", "backend bug in ExecuteAsync"),
            (cell.Content["status"].Str(), cell.Content["ename"].Str(), cell.Content["evalue"].Str()));
        Assert.Equal(["status", "execute_input", "error", "status"], iopub.Select(m => m.MsgType));

        // Other requests whose handler throws get an error reply of their type, the failure is logged, and the
        // request still ends in idle.
        (string Type, JsonObject Content, string Member)[] requests =
        [
            ("complete_request", new JsonObject { ["code"] = "ec", ["cursor_pos"] = 2 }, "CompleteAsync"),
            ("inspect_request", new JsonObject { ["code"] = "sleep", ["cursor_pos"] = 2 }, "InspectAsync"),
            ("is_complete_request", new JsonObject { ["code"] = "echo a" }, "IsComplete"),
            ("kernel_info_request", new JsonObject(), "LanguageInfo"),
        ];
        foreach (var (type, content, member) in requests)
        {
            var id = c.Send(c.Shell, type, content);
            var reply = c.ReplyTo(c.Shell, id);
            Assert.Equal((type.Replace("_request", "_reply"), "error", "InvalidOperationException", $"backend bug in {member}"),
                (reply.MsgType, reply.Content["status"].Str(), reply.Content["ename"].Str(), reply.Content["evalue"].Str()));
            Assert.Equal("idle", c.IOPubUntilIdle(id)[^1].Content["execution_state"].Str());
            Assert.Contains($"{type} {id} failed: InvalidOperationException: backend bug in {member}", kernel.Log.ToString());
        }
        var onControl = c.Request(c.Control, "kernel_info_request", new JsonObject());
        Assert.Equal(("error", "backend bug in LanguageInfo"), (onControl.Content["status"].Str(), onControl.Content["evalue"].Str()));

        // Still serving: requests that need no backend at once, and everything once the backend works again.
        Assert.Equal("ok", c.Request(c.Shell, "history_request", new JsonObject()).Content["status"].Str());
        backend.Fail = false;
        var after = c.Execute("echo back", out var afterIopub);
        Assert.Equal(("ok", 2), (after.Content["status"].Str(), after.Content["execution_count"].Int()));
        Assert.Equal("back\n", afterIopub.Single(m => m.MsgType == "stream").Content["text"].Str());
        Assert.Equal("5.3", c.Request(c.Control, "kernel_info_request", new JsonObject()).Content["protocol_version"].Str());
        Assert.False(kernel.Serving.IsCompleted);

        // A backend that throws while shutting down does not keep the kernel from stopping.
        backend.Fail = true;
        Assert.Equal("ok", c.Request(c.Control, "shutdown_request", new JsonObject { ["restart"] = false }).Content["status"].Str());
        await kernel.Serving.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("the backend failed while shutting down: System.InvalidOperationException: backend bug in ShutdownAsync",
            kernel.Log.ToString());
    }

    [Fact]
    public async Task CompletionAndInspectionCountCursorsInCodePoints()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        // "echo 😀\nec": the emoji is one code point (two UTF-16 units), so the cursor after "ec" is 9, not 10.
        const string code = "echo 😀\nec";
        var reply = c.Request(c.Shell, "complete_request", new JsonObject { ["code"] = code, ["cursor_pos"] = 9 });
        Assert.Equal("ok", reply.Content["status"].Str());
        Assert.Equal(["echo"], reply.Content["matches"]!.AsArray().Select(m => m.Str()));
        Assert.Equal(7, reply.Content["cursor_start"].Int());
        Assert.Equal(9, reply.Content["cursor_end"].Int());
        Assert.Equal("keyword", reply.Content["metadata"]!["_jupyter_types_experimental"]![0]!["type"].Str());

        var inspect = c.Request(c.Shell, "inspect_request", new JsonObject { ["code"] = "😀 sleep", ["cursor_pos"] = 4, ["detail_level"] = 0 });
        Assert.True(inspect.Content["found"]!.GetValue<bool>());
        Assert.StartsWith("sleep SECONDS", inspect.Content["data"]!["text/plain"].Str());
        var missing = c.Request(c.Shell, "inspect_request", new JsonObject { ["code"] = "nothing", ["cursor_pos"] = 3 });
        Assert.False(missing.Content["found"]!.GetValue<bool>());
        Assert.Empty(missing.Content["data"]!.AsObject());

        var past = c.Request(c.Shell, "complete_request", new JsonObject { ["code"] = code, ["cursor_pos"] = 10 });
        Assert.Equal("error", past.Content["status"].Str());
        Assert.Contains("past the end", past.Content["evalue"].Str());
    }

    [Fact]
    public async Task IsCompleteHistoryCommInfoAndCommOpenFollowTheSpec()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        JsonObject IsComplete(string code) => c.Request(c.Shell, "is_complete_request", new JsonObject { ["code"] = code }).Content;
        Assert.Equal("complete", IsComplete("echo a")["status"].Str());
        Assert.Null(IsComplete("echo a")["indent"]);
        Assert.Equal("incomplete", IsComplete("echo a \\")["status"].Str());
        Assert.Equal("    ", IsComplete("echo a \\")["indent"].Str());
        Assert.Equal("invalid", IsComplete("bogus")["status"].Str());

        var history = c.Request(c.Shell, "history_request", new JsonObject { ["hist_access_type"] = "tail", ["n"] = 10 });
        Assert.Equal(("history_reply", "ok"), (history.MsgType, history.Content["status"].Str()));
        Assert.Empty(history.Content["history"]!.AsArray());
        var comms = c.Request(c.Shell, "comm_info_request", new JsonObject());
        Assert.Empty(comms.Content["comms"]!.AsObject());

        var open = c.Send(c.Shell, "comm_open", new JsonObject { ["comm_id"] = "c-1", ["target_name"] = "widgets", ["data"] = new JsonObject() });
        var iopub = c.IOPubUntilIdle(open);
        Assert.Equal("c-1", iopub.Single(m => m.MsgType == "comm_close").Content["comm_id"].Str());
    }

    [Fact]
    public async Task MalformedAndUnknownRequestsGetErrorReplies()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        var noCode = c.Request(c.Shell, "execute_request", new JsonObject { ["silent"] = false });
        Assert.Equal(("execute_reply", "error"), (noCode.MsgType, noCode.Content["status"].Str()));
        Assert.Contains("\"code\"", noCode.Content["evalue"].Str());
        var badFlag = c.Request(c.Shell, "execute_request", new JsonObject { ["code"] = "echo x", ["silent"] = "yes" });
        Assert.Contains("\"silent\" must be true or false", badFlag.Content["evalue"].Str());
        var unknown = c.Request(c.Shell, "debug_request", new JsonObject());
        Assert.Equal(("debug_reply", "error"), (unknown.MsgType, unknown.Content["status"].Str()));
        Assert.Equal("UnsupportedRequest", unknown.Content["ename"].Str());
        var onControl = c.Request(c.Control, "execute_request", new JsonObject { ["code"] = "echo x" });
        Assert.Contains("control channel", onControl.Content["evalue"].Str());
        Assert.Empty(kernel.Backend.Requests);
        var unknownCommand = c.Execute("unknowncommand", out var iopub);
        Assert.Equal("error", unknownCommand.Content["status"].Str());
        Assert.Equal("UnknownCommand", iopub.Single(m => m.MsgType == "error").Content["ename"].Str());
    }

    [Fact]
    public async Task HeartbeatEchoesBytes()
    {
        await using var kernel = InProcessKernel.Start();
        var hb = kernel.Client.Heartbeat;
        hb.SendMultipartBytes(Encoding.ASCII.GetBytes("ping-1"));
        var echo = new List<byte[]>();
        Assert.True(hb.TryReceiveMultipartBytes(TimeSpan.FromSeconds(5), ref echo));
        Assert.Equal("ping-1", Encoding.ASCII.GetString(Assert.Single(echo)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShutdownRepliesBroadcastsAndStopsServing(bool restart)
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        var id = c.Send(c.Control, "shutdown_request", new JsonObject { ["restart"] = restart });
        var reply = c.ReplyTo(c.Control, id);
        Assert.Equal(("shutdown_reply", "ok", restart), (reply.MsgType, reply.Content["status"].Str(), reply.Content["restart"]!.GetValue<bool>()));
        await kernel.Serving.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([restart], kernel.Backend.Shutdowns);
        JupyterMessage? broadcast = null;
        while (broadcast is null && c.TryReceive(c.IOPub, TimeSpan.FromSeconds(2)) is { } m)
            if (m.MsgType == "shutdown_reply") broadcast = m;
        Assert.NotNull(broadcast);
        Assert.Equal(id, broadcast.ParentHeader["msg_id"].Str());
    }

    [Fact]
    public async Task ShutdownDuringACellCancelsIt()
    {
        await using var kernel = InProcessKernel.Start();
        var c = kernel.Client;
        var sleeping = c.Send(c.Shell, "execute_request", new JsonObject { ["code"] = "sleep 30" });
        while (c.TryReceive(c.IOPub, TimeSpan.FromSeconds(10)) is { } m && m.MsgType != "execute_input") { }
        var clock = Stopwatch.StartNew();
        c.Request(c.Control, "shutdown_request", new JsonObject { ["restart"] = false });
        await kernel.Serving.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"shutdown took {clock.Elapsed}");
        var reply = c.ReplyTo(c.Shell, sleeping);
        Assert.Contains("shutting down", reply.Content["evalue"].Str());
    }

    [Fact]
    public async Task ListensOnlyOnTheAddressTheConnectionFileNames()
    {
        // 127.0.0.2 is loopback too, but a different address: a socket bound to it refuses 127.0.0.1.
        var p = TestPorts.Free(5);
        var info = new ConnectionInfo("127.0.0.2", p[0], p[1], p[2], p[3], p[4], Encoding.UTF8.GetBytes("k"), null);
        using var host = KernelHost.Start(info, new TestHost.EchoBackend(), new KernelHostOptions { HandleSignals = false });
        foreach (var port in p)
        {
            using var named = new System.Net.Sockets.TcpClient();
            await named.ConnectAsync("127.0.0.2", port);
            using var other = new System.Net.Sockets.TcpClient();
            await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => other.ConnectAsync("127.0.0.1", port));
        }
    }

    [Fact]
    public async Task ServesOnIPv6Loopback()
    {
        await using var kernel = InProcessKernel.Start(TestPorts.Connection(ip: "::1"));
        var reply = kernel.Client.Execute("echo over IPv6", out var iopub);
        Assert.Equal("ok", reply.Content["status"].Str());
        Assert.Equal("over IPv6\n", iopub.Single(m => m.MsgType == "stream").Content["text"].Str());
    }

    [Fact]
    public void TheSocketsAreManagedCodeWithNoNativeZeroMq()
    {
        // Every P/Invoke of the kernel assembly (source-generated ones included, which are plain DllImports underneath):
        // only the C library, for the SIGINT disposition, and nothing of libzmq, which the kernel no longer needs.
        var imports = typeof(KernelHost).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<DllImportAttribute>()?.Value)
            .OfType<string>()
            .Distinct()
            .ToArray();
        Assert.Equal(["libc"], imports);
    }

    [Fact]
    public void BindingAnOccupiedPortIsAStartupErrorNamingThePort()
    {
        var info = TestPorts.Connection();
        using var first = KernelHost.Start(info, new TestHost.EchoBackend(), new KernelHostOptions { HandleSignals = false });
        var e = Assert.Throws<KernelStartupException>(() =>
            KernelHost.Start(info, new TestHost.EchoBackend(), new KernelHostOptions { HandleSignals = false }));
        Assert.Contains($"Binding the shell socket to tcp://127.0.0.1:{info.ShellPort} failed", e.Message);
        Assert.Contains("Address already in use", e.Message);
        Assert.Contains("fresh ports", e.Message);
    }
}
