using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetMQ;
using NetMQ.Sockets;
using Workbench.Kernel.Protocol;

namespace Workbench.Kernel;

/// <summary>Settings of a <see cref="KernelHost"/>.</summary>
public sealed record KernelHostOptions
{
    /// <summary>Where rejected messages and backend failures are reported; standard error when null.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>
    /// Route SIGINT to an interrupt of the running cell (interrupt_mode "signal", or Ctrl-C in the terminal that
    /// started Jupyter) and SIGTERM to a clean shutdown. True for a kernel process; false when hosted in-process.
    /// </summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>How long shutdown waits for a running cell that ignores cancellation before abandoning it.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>The kernel could not start: bad connection file, or a port it cannot bind.</summary>
public class KernelStartupException : Exception
{
    public KernelStartupException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3) over ZeroMQ (NetMQ, in managed code): shell and control ROUTER
/// sockets, an IOPub PUB socket, a stdin ROUTER socket and a REP heartbeat, each bound to the address the
/// connection file names. Every outgoing message is signed and every incoming one verified before it is
/// looked at. Shell requests run one at a time, in order, on the shell thread; control (interrupt, shutdown,
/// kernel_info) has its own thread so it is served while a cell runs; the heartbeat echoes on a third.
/// A NetMQ socket is not thread-safe, so each socket has one owner: shell, control and heartbeat are used only
/// by their loop's thread, and IOPub, which the shell and control threads and a cell's own threads all publish
/// on, is used under a lock, one whole message at a time.
/// </summary>
public sealed class KernelHost : IDisposable
{
    /// <summary>The implementation name reported in kernel_info_reply.</summary>
    public const string Implementation = "workbench";

    // Receive timeouts bound only how fast the loops notice a stop; messages wake them at once.
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    // Give replies already queued (the shutdown_reply above all) up to a second to leave on close.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    private readonly IKernelBackend _backend;
    private readonly KernelHostOptions _options;
    private readonly TextWriter _log;
    private readonly ConnectionInfo _info;
    private readonly List<NetMQSocket> _sockets = [];
    private readonly RouterSocket _shell, _control, _stdin;
    private readonly PublisherSocket _iopub;
    private readonly ResponseSocket _heartbeat;
    private readonly MessageSigner _signer;
    private readonly KernelSession _session;
    private readonly ReplayGuard _replayGuard = new();
    private readonly Lock _iopubLock = new();
    private readonly Lock _runLock = new();
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _shellDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _controlDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _heartbeatDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _running;
    private volatile bool _stopping;
    private bool _iopubClosed;
    private bool _started;
    private bool _restartRequested;
    private List<List<byte[]>>? _queuedBehindError;
    private int _executionCount;
    private bool _disposed;
    private bool _socketsClosed;
    private volatile bool _shellAbandoned;

    private KernelHost(ConnectionInfo info, IKernelBackend backend, KernelHostOptions options)
    {
        _info = info;
        _backend = backend;
        _options = options;
        _log = options.Log is null ? Console.Error : TextWriter.Synchronized(options.Log);
        _signer = new MessageSigner(info.Key);
        _session = new KernelSession(_signer);
        try
        {
            _shell = Bind(new RouterSocket(), "shell", info.ShellPort);
            _control = Bind(new RouterSocket(), "control", info.ControlPort);
            _stdin = Bind(new RouterSocket(), "stdin", info.StdinPort);
            _iopub = Bind(new PublisherSocket(), "iopub", info.IOPubPort);
            _heartbeat = Bind(new ResponseSocket(), "heartbeat", info.HeartbeatPort);
        }
        catch
        {
            foreach (var socket in _sockets) socket.Dispose();
            _signer.Dispose();
            throw;
        }
        if (!info.IsLoopback)
            Log($"listening on {info.Ip}, which other machines may reach; every message must still carry a valid signature.");
    }

    /// <summary>The IOPub session id (the "session" field of every header this kernel writes).</summary>
    internal string SessionId => _session.SessionId;

    /// <summary>
    /// Runs a kernel for the connection file a Jupyter client wrote (the {connection_file} of the kernelspec's
    /// argv) until a shutdown_request arrives or <paramref name="cancellationToken"/> is cancelled. This is the
    /// kernel process's main loop: on return NetMQ's process-wide context is ended too (after the replies still
    /// queued have left), so nothing else in the process should be using NetMQ sockets by then.
    /// </summary>
    /// <exception cref="KernelStartupException">The connection file is unusable, or a port cannot be bound.</exception>
    public static Task RunAsync(string connectionFilePath, IKernelBackend backend, CancellationToken cancellationToken = default) =>
        RunAsync(connectionFilePath, backend, new KernelHostOptions(), cancellationToken);

    /// <inheritdoc cref="RunAsync(string, IKernelBackend, CancellationToken)"/>
    public static async Task RunAsync(string connectionFilePath, IKernelBackend backend, KernelHostOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var info = ConnectionInfo.Load(connectionFilePath);
        KernelHost? host = null;
        try
        {
            host = Start(info, backend, options);
            await host.ServeAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            host?.Dispose();
            // NetMQ sends from background I/O threads, which die with the process: ending its context waits (up to
            // the linger) until what the sockets still hold, the shutdown_reply above all, has gone out. The wait
            // also covers every open socket, so it is skipped when a stuck cell still holds the shell socket; that
            // reply was sent a whole grace period earlier then.
            if (host is null || host._socketsClosed) NetMQConfig.Cleanup(block: true);
        }
    }

    /// <summary>Binds the sockets; the kernel serves once <see cref="ServeAsync"/> runs.</summary>
    /// <exception cref="KernelStartupException">A port cannot be bound.</exception>
    internal static KernelHost Start(ConnectionInfo info, IKernelBackend backend, KernelHostOptions options) =>
        new(info, backend, options);

    /// <summary>Serves until shutdown_request or cancellation, then shuts the backend down.</summary>
    internal async Task ServeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started) throw new InvalidOperationException("This kernel host is already serving; start a new one.");
        _started = true;

        using var cancelled = cancellationToken.Register(() => RequestStop());
        var signals = new List<PosixSignalRegistration>();
        if (_options.HandleSignals)
        {
            if (SigintDisposition.RestoreIfIgnored()) Log("SIGINT was ignored (started from a background job?); taking it back for interrupts.");
            signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Interrupt(); }));
            signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; RequestStop(); }));
        }
        try
        {
            Publish("status", new JsonObject { ["execution_state"] = "starting" }, parent: null);
            StartThread("workbench-kernel-heartbeat", HeartbeatLoop, _heartbeatDone);
            StartThread("workbench-kernel-control", ControlLoop, _controlDone);
            StartThread("workbench-kernel-shell", ShellLoop, _shellDone);

            await _stopRequested.Task.ConfigureAwait(false);
            await Task.WhenAll(_controlDone.Task, _heartbeatDone.Task).ConfigureAwait(false);
            var grace = Task.Delay(_options.ShutdownGrace);
            if (await Task.WhenAny(_shellDone.Task, grace).ConfigureAwait(false) == grace)
            {
                _shellAbandoned = true;
                Log($"the running cell ignored cancellation for {_options.ShutdownGrace.TotalSeconds:0.#} s; abandoning it.");
            }

            try
            {
                await _backend.ShutdownAsync(_restartRequested).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log($"the backend failed while shutting down: {e}");
            }
        }
        finally
        {
            foreach (var signal in signals) signal.Dispose();
        }
    }

    private static void StartThread(string name, Action body, TaskCompletionSource done)
    {
        // Background threads: a cell that never returns must not keep the process alive after shutdown.
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            finally
            {
                done.TrySetResult();
            }
        }) { Name = name, IsBackground = true };
        thread.Start();
    }

    private T Bind<T>(T socket, string channel, int port) where T : NetMQSocket
    {
        _sockets.Add(socket);
        socket.Options.Linger = Linger;
        // NetMQ takes the address family from the address itself: an IPv6 address needs no socket option.
        var endpoint = _info.Endpoint(port);
        try
        {
            socket.Bind(endpoint);
        }
        catch (Exception e) when (e is NetMQException or SocketException)
        {
            // NetMQ's own exceptions carry no text; the operating system's reason is the inner SocketException (or the
            // exception itself, when a host name does not resolve).
            var reason = (e as SocketException ?? e.InnerException as SocketException)?.Message ?? e.Message;
            throw new KernelStartupException(
                $"The kernel could not open its sockets. Binding the {channel} socket to {endpoint} failed: {reason}. " +
                "Check that the address in the connection file belongs to this machine and that no other process uses " +
                "the port (let the Jupyter client pick fresh ports by restarting the kernel).", e);
        }
        return socket;
    }

    // ---------------------------------------------------------------- loops

    private void ShellLoop() => ServeLoop(_shell, "shell", HandleShell);

    private void ControlLoop() => ServeLoop(_control, "control", HandleControl);

    private void ServeLoop(RouterSocket socket, string channel, Action<List<byte[]>> handle)
    {
        try
        {
            while (!_stopping)
            {
                // A fresh list per message: a handler may keep the frames (the shell queue behind a failed cell).
                // What arrives once the kernel is stopping is left unanswered, as if it had come after the exit.
                var frames = new List<byte[]>(8);
                if (socket.TryReceiveMultipartBytes(PollTimeout, ref frames) && !_stopping) handle(frames);
            }
        }
        catch (Exception e)
        {
            // A kernel whose loop died cannot answer; exiting lets the client notice and offer a restart.
            Log($"the {channel} loop failed and the kernel is stopping: {e}");
            RequestStop();
        }
    }

    private void HeartbeatLoop()
    {
        try
        {
            var frames = new List<byte[]>(1);
            while (!_stopping)
                if (_heartbeat.TryReceiveMultipartBytes(PollTimeout, ref frames)) _heartbeat.SendMultipartBytes(frames);
        }
        catch (Exception e)
        {
            Log($"the heartbeat loop failed and the kernel is stopping: {e}");
            RequestStop();
        }
    }

    private JupyterMessage? Decode(List<byte[]> frames, string channel)
    {
        var message = WireCodec.Decode(frames, _signer, _replayGuard, out var rejection);
        // Rejected messages are never acted on: no reply, no status, no execution. Only the reason is logged.
        if (message is null) Log($"rejected a message on {channel}: {rejection}.");
        return message;
    }

    private void HandleShell(List<byte[]> frames)
    {
        var message = Decode(frames, "shell");
        if (message is null) return;
        ServeShellRequest(message, DispatchShell);
        if (_queuedBehindError is { } queued)
        {
            _queuedBehindError = null;
            AbortQueuedExecutions(queued);
        }
    }

    /// <summary>
    /// Serves one shell request between busy and idle status. Its cancellation scope is registered before
    /// busy goes out, so an interrupt sent by a client that has seen the request start always reaches it.
    /// </summary>
    private void ServeShellRequest(JupyterMessage message, Action<JupyterMessage, CancellationToken> handler)
    {
        using var cts = new CancellationTokenSource();
        lock (_runLock)
        {
            _running = cts;
            if (_stopping) cts.Cancel();
        }
        try
        {
            Publish("status", new JsonObject { ["execution_state"] = "busy" }, message.RawHeader);
            handler(message, cts.Token);
        }
        catch (Exception e)
        {
            ReplyFailure(_shell, message, e);
        }
        finally
        {
            lock (_runLock) _running = null;
            Publish("status", new JsonObject { ["execution_state"] = "idle" }, message.RawHeader);
        }
    }

    private void DispatchShell(JupyterMessage message, CancellationToken token)
    {
        switch (message.MsgType)
        {
            case "execute_request": Execute(message, token); break;
            case "kernel_info_request": Reply(_shell, message, "kernel_info_reply", KernelInfo()); break;
            case "complete_request": Complete(message, token); break;
            case "inspect_request": Inspect(message, token); break;
            case "is_complete_request": IsComplete(message); break;
            case "history_request": Reply(_shell, message, "history_reply", Ok(new JsonObject { ["history"] = new JsonArray() })); break;
            case "comm_info_request": Reply(_shell, message, "comm_info_reply", Ok(new JsonObject { ["comms"] = new JsonObject() })); break;
            case "comm_open": RefuseComm(message); break;
            case "comm_msg" or "comm_close": break; // no comm is ever opened, so there is nothing to route to
            case "shutdown_request": Shutdown(_shell, message); break;
            case "interrupt_request": Interrupt(); Reply(_shell, message, "interrupt_reply", Ok(new JsonObject())); break;
            default: Unsupported(_shell, message, "shell"); break;
        }
    }

    private void HandleControl(List<byte[]> frames)
    {
        var message = Decode(frames, "control");
        if (message is null) return;
        // No busy/idle here: a frontend would show the kernel idle while a cell is still running on shell.
        try
        {
            switch (message.MsgType)
            {
                case "interrupt_request": Interrupt(); Reply(_control, message, "interrupt_reply", Ok(new JsonObject())); break;
                case "shutdown_request": Shutdown(_control, message); break;
                case "kernel_info_request": Reply(_control, message, "kernel_info_reply", KernelInfo()); break;
                default: Unsupported(_control, message, "control"); break;
            }
        }
        catch (Exception e)
        {
            ReplyFailure(_control, message, e);
        }
    }

    // ---------------------------------------------------------------- handlers

    private JsonObject KernelInfo()
    {
        var language = _backend.LanguageInfo;
        var links = new JsonArray();
        foreach (var link in _backend.HelpLinks) links.Add(new JsonObject { ["text"] = link.Text, ["url"] = link.Url });
        return Ok(new JsonObject
        {
            ["protocol_version"] = KernelSession.ProtocolVersion,
            ["implementation"] = Implementation,
            ["implementation_version"] = ImplementationVersion,
            ["language_info"] = new JsonObject
            {
                ["name"] = language.Name,
                ["version"] = language.Version,
                ["mimetype"] = language.MimeType,
                ["file_extension"] = language.FileExtension,
                ["pygments_lexer"] = language.PygmentsLexer,
                ["codemirror_mode"] = language.CodeMirrorMode,
                ["nbconvert_exporter"] = "script",
            },
            ["banner"] = _backend.Banner,
            ["help_links"] = links,
            ["debugger"] = false,
        });
    }

    private static string ImplementationVersion { get; } =
        typeof(KernelHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(KernelHost).Assembly.GetName().Version?.ToString() ?? "0";

    private void Execute(JupyterMessage message, CancellationToken token)
    {
        var content = message.Content;
        var code = RequiredString(content, "code");
        var silent = OptionalBool(content, "silent", false);
        // The spec forces store_history off for silent cells.
        var storeHistory = !silent && OptionalBool(content, "store_history", true);
        var stopOnError = OptionalBool(content, "stop_on_error", true);
        var started = KernelSession.Now();

        // "In [n]" shows the number the cell would get; only stored cells advance the counter.
        if (!silent)
            Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = _executionCount + 1 }, message.RawHeader);
        if (storeHistory) _executionCount++;
        var count = _executionCount;

        var output = new ExecutionOutput(this, message.RawHeader, silent, count);
        ExecutionOutcome outcome;
        try
        {
            outcome = _backend.ExecuteAsync(new ExecuteRequest(code, silent, storeHistory, count), output, token)
                .GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            outcome = ExecutionOutcome.Error("OperationCanceledException",
                _stopping ? "Execution was stopped because the kernel is shutting down." : "Execution was interrupted.");
        }
        catch (Exception e)
        {
            outcome = ExecutionOutcome.Error(e.GetType().Name, e.Message, e.ToString().Split('\n'));
        }

        if (outcome.IsError && !silent)
            Publish("error", ErrorContent(outcome), message.RawHeader);
        var reply = outcome.IsError
            ? ErrorContent(outcome)
            : new JsonObject { ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray() };
        reply["status"] = outcome.IsError ? "error" : "ok";
        reply["execution_count"] = count;
        var metadata = new JsonObject
        {
            ["started"] = started,
            ["dependencies_met"] = true,
            ["engine"] = _session.SessionId,
            ["status"] = outcome.IsError ? "error" : "ok",
        };
        // Take what is queued behind a failed cell *before* replying: whatever the client sends after it has
        // seen the error is a new decision of the user and must run.
        if (outcome.IsError && stopOnError) _queuedBehindError = DrainShell();
        Reply(_shell, message, "execute_reply", reply, metadata);
    }

    private List<List<byte[]>> DrainShell()
    {
        var queued = new List<List<byte[]>>();
        for (var frames = new List<byte[]>(8); _shell.TryReceiveMultipartBytes(ref frames); frames = new List<byte[]>(8))
            queued.Add(frames);
        return queued;
    }

    /// <summary>
    /// After a failed cell with stop_on_error, cells the client had already queued behind it are answered
    /// "aborted" instead of run (a notebook's "run all" stops at the first error). Other requests in the
    /// queue are served normally, in order.
    /// </summary>
    private void AbortQueuedExecutions(List<List<byte[]>> queued)
    {
        foreach (var frames in queued)
        {
            if (_stopping) return;
            var message = Decode(frames, "shell");
            if (message is null) continue;
            ServeShellRequest(message, message.MsgType == "execute_request" ? ReplyAborted : DispatchShell);
        }
    }

    private void ReplyAborted(JupyterMessage message, CancellationToken token) =>
        Reply(_shell, message, "execute_reply", new JsonObject { ["status"] = "aborted", ["execution_count"] = _executionCount },
            new JsonObject { ["status"] = "aborted", ["engine"] = _session.SessionId });

    private void Complete(JupyterMessage message, CancellationToken token)
    {
        var code = RequiredString(message.Content, "code");
        var cursor = CodePoints.ToUtf16Index(code, RequiredInt(message.Content, "cursor_pos"));
        var result = _backend.CompleteAsync(code, cursor, token).GetAwaiter().GetResult();
        if (result.CursorStart < 0 || result.CursorStart > result.CursorEnd || result.CursorEnd > code.Length)
            throw new InvalidOperationException(
                $"The backend returned completion range {result.CursorStart}..{result.CursorEnd} for code of length {code.Length}.");
        if (result.Types is not null && result.Types.Count != result.Matches.Count)
            throw new InvalidOperationException(
                $"The backend returned {result.Types.Count} completion types for {result.Matches.Count} matches.");

        int start = CodePoints.FromUtf16Index(code, result.CursorStart), end = CodePoints.FromUtf16Index(code, result.CursorEnd);
        var metadata = new JsonObject();
        if (result.Types is not null)
        {
            // JupyterLab reads the kind of each completion from this (still experimental) key.
            var typed = new JsonArray();
            for (var i = 0; i < result.Matches.Count; i++)
                typed.Add(new JsonObject { ["start"] = start, ["end"] = end, ["text"] = result.Matches[i], ["type"] = result.Types[i] });
            metadata["_jupyter_types_experimental"] = typed;
        }
        var matches = new JsonArray();
        foreach (var match in result.Matches) matches.Add(match);
        Reply(_shell, message, "complete_reply", Ok(new JsonObject
        {
            ["matches"] = matches,
            ["cursor_start"] = start,
            ["cursor_end"] = end,
            ["metadata"] = metadata,
        }));
    }

    private void Inspect(JupyterMessage message, CancellationToken token)
    {
        var code = RequiredString(message.Content, "code");
        var cursor = CodePoints.ToUtf16Index(code, RequiredInt(message.Content, "cursor_pos"));
        var detail = OptionalInt(message.Content, "detail_level", 0);
        if (detail is not (0 or 1))
            throw new ArgumentException($"detail_level is {detail}; the protocol defines only 0 and 1.");
        var result = _backend.InspectAsync(code, cursor, detail, token).GetAwaiter().GetResult();
        var found = result.Found && result.Bundle is not null;
        Reply(_shell, message, "inspect_reply", Ok(new JsonObject
        {
            ["found"] = found,
            ["data"] = found ? result.Bundle!.DataJson() : new JsonObject(),
            ["metadata"] = found ? result.Bundle!.MetadataJson() : new JsonObject(),
        }));
    }

    private void IsComplete(JupyterMessage message)
    {
        var result = _backend.IsComplete(RequiredString(message.Content, "code"));
        var content = new JsonObject { ["status"] = result.Status.ToString().ToLowerInvariant() };
        if (result.Status == IsCompleteStatus.Incomplete) content["indent"] = result.Indent;
        Reply(_shell, message, "is_complete_reply", content);
    }

    private void RefuseComm(JupyterMessage message)
    {
        // The spec: a comm_open for an unknown target is answered at once with comm_close.
        var commId = message.Content["comm_id"]?.DeepClone() ?? JsonValue.Create("");
        Publish("comm_close", new JsonObject { ["comm_id"] = commId, ["data"] = new JsonObject() }, message.RawHeader);
    }

    private void Shutdown(RouterSocket socket, JupyterMessage message)
    {
        var restart = OptionalBool(message.Content, "restart", false);
        var content = Ok(new JsonObject { ["restart"] = restart });
        Reply(socket, message, "shutdown_reply", content);
        // Also broadcast, so every connected frontend learns the kernel is going away.
        Publish("shutdown_reply", content.DeepClone().AsObject(), message.RawHeader);
        // jupyter_client restarts by waiting for this process to exit and launching a new one, so both cases exit.
        _restartRequested = restart;
        RequestStop();
    }

    private void Unsupported(RouterSocket socket, JupyterMessage message, string channel)
    {
        var type = message.MsgType;
        if (!type.EndsWith("_request", StringComparison.Ordinal))
        {
            Log($"ignored a {type} message on {channel}.");
            return;
        }
        Reply(socket, message, type[..^"_request".Length] + "_reply",
            ErrorContent("UnsupportedRequest", $"This kernel does not serve {type} on the {channel} channel."));
    }

    /// <summary>Cancels whatever the shell thread is running (a cell, a completion, an inspection).</summary>
    private void Interrupt()
    {
        lock (_runLock) _running?.Cancel();
    }

    private void RequestStop()
    {
        _stopping = true;
        Interrupt();
        _stopRequested.TrySetResult();
    }

    // ---------------------------------------------------------------- sending

    /// <summary>
    /// Replies on a ROUTER socket; the request's routing ids lead it back to the client that asked. Called only on
    /// that socket's own thread (shell or control), and never blocks: a ROUTER drops what it cannot route.
    /// </summary>
    private void Reply(RouterSocket socket, JupyterMessage request, string replyType, JsonObject content, JsonObject? metadata = null) =>
        socket.SendMultipartBytes(_session.Serialize(request.Identities, replyType, content, request.RawHeader, metadata));

    /// <summary>Answers a request that failed (bad content, backend exception) with an error reply.</summary>
    private void ReplyFailure(RouterSocket socket, JupyterMessage message, Exception e)
    {
        Log($"{message.MsgType} {message.MsgId} failed: {e.GetType().Name}: {e.Message}");
        var type = message.MsgType;
        if (!type.EndsWith("_request", StringComparison.Ordinal)) return;
        var content = ErrorContent(e.GetType().Name, e.Message);
        if (type == "execute_request") content["execution_count"] = _executionCount;
        Reply(socket, message, type[..^"_request".Length] + "_reply", content);
    }

    /// <summary>Publishes on IOPub. Callers on several threads (shell, control, cell output) share the socket under a lock.</summary>
    internal void Publish(string msgType, JsonObject content, byte[]? parent)
    {
        var topic = Encoding.UTF8.GetBytes($"kernel.{_session.SessionId}.{msgType}");
        lock (_iopubLock)
        {
            // Output a stray background task writes after shutdown has nowhere to go.
            if (_iopubClosed) return;
            _iopub.SendMultipartBytes(_session.Serialize([topic], msgType, content, parent));
        }
    }

    private static JsonObject Ok(JsonObject content)
    {
        content["status"] = "ok";
        return content;
    }

    private static JsonObject ErrorContent(ExecutionOutcome outcome)
    {
        var traceback = new JsonArray();
        foreach (var line in outcome.Traceback) traceback.Add(line);
        return new JsonObject { ["ename"] = outcome.ErrorName, ["evalue"] = outcome.ErrorValue, ["traceback"] = traceback };
    }

    private static JsonObject ErrorContent(string name, string value)
    {
        var content = ErrorContent(ExecutionOutcome.Error(name, value));
        content["status"] = "error";
        return content;
    }

    private static string RequiredString(JsonObject content, string name) =>
        content[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new ArgumentException($"The request's content needs a string \"{name}\".");

    private static int RequiredInt(JsonObject content, string name) =>
        content[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)
            ? i
            : throw new ArgumentException($"The request's content needs an integer \"{name}\".");

    private static int OptionalInt(JsonObject content, string name, int fallback) =>
        content[name] is null ? fallback : RequiredInt(content, name);

    private static bool OptionalBool(JsonObject content, string name, bool fallback) => content[name] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw new ArgumentException($"\"{name}\" must be true or false, not {other.ToJsonString()}."),
    };

    private void Log(string message) => _log.WriteLine($"[workbench-kernel] {message}");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        RequestStop();
        lock (_iopubLock) _iopubClosed = true;
        // A socket may be closed only once its thread has left it. The control and heartbeat loops leave within
        // one receive timeout; a cell stuck past the grace period keeps the shell socket until the process exits.
        // Closing a socket hands what it still holds to NetMQ, which sends it for up to the linger.
        // A cell that serving already gave its grace period is not waited for a second time.
        var shellStuck = _started && !_shellDone.Task.Wait(_shellAbandoned ? TimeSpan.Zero : _options.ShutdownGrace);
        var othersStuck = _started && !Task.WaitAll([_controlDone.Task, _heartbeatDone.Task], TimeSpan.FromSeconds(5));
        foreach (var socket in _sockets)
        {
            var busy = ReferenceEquals(socket, _shell) ? shellStuck
                : (ReferenceEquals(socket, _control) || ReferenceEquals(socket, _heartbeat)) && othersStuck;
            if (!busy) socket.Dispose();
        }
        _socketsClosed = !shellStuck && !othersStuck;
        _signer.Dispose();
    }

    /// <summary>Sends a running cell's outputs to IOPub, parented to its execute_request.</summary>
    private sealed class ExecutionOutput(KernelHost host, byte[] parent, bool silent, int executionCount) : IExecutionOutput
    {
        public void WriteStream(KernelStream stream, string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            if (silent || text.Length == 0) return;
            var name = stream switch
            {
                KernelStream.Stdout => "stdout",
                KernelStream.Stderr => "stderr",
                _ => throw new ArgumentOutOfRangeException(nameof(stream), stream, "A stream is Stdout or Stderr."),
            };
            host.Publish("stream", new JsonObject { ["name"] = name, ["text"] = text }, parent);
        }

        public void Display(MimeBundle bundle, string? displayId = null)
        {
            ArgumentNullException.ThrowIfNull(bundle);
            if (silent) return;
            var transient = new JsonObject();
            if (displayId is not null) transient["display_id"] = CheckDisplayId(displayId);
            host.Publish("display_data", new JsonObject
            {
                ["data"] = bundle.DataJson(), ["metadata"] = bundle.MetadataJson(), ["transient"] = transient,
            }, parent);
        }

        public void UpdateDisplay(MimeBundle bundle, string displayId)
        {
            ArgumentNullException.ThrowIfNull(bundle);
            CheckDisplayId(displayId);
            if (silent) return;
            host.Publish("update_display_data", new JsonObject
            {
                ["data"] = bundle.DataJson(), ["metadata"] = bundle.MetadataJson(),
                ["transient"] = new JsonObject { ["display_id"] = displayId },
            }, parent);
        }

        public void Result(MimeBundle bundle)
        {
            ArgumentNullException.ThrowIfNull(bundle);
            if (silent) return;
            host.Publish("execute_result", new JsonObject
            {
                ["execution_count"] = executionCount, ["data"] = bundle.DataJson(), ["metadata"] = bundle.MetadataJson(),
            }, parent);
        }

        private static string CheckDisplayId(string displayId) =>
            string.IsNullOrEmpty(displayId)
                ? throw new ArgumentException("A display id must be a non-empty string, the same for a display and its updates.", nameof(displayId))
                : displayId;
    }
}
