using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using Workbench.Vae.Torch;

namespace Workbench.Notebooks;

/// <summary>
/// Runs C# notebook cells one after another on Roslyn scripting, each cell continuing the state of the
/// ones before (variables, types, usings, references). Cells compile with optimisations on, import the
/// common System, TorchSharp and Workbench namespaces (with <c>using static TorchSharp.torch</c>) and reference
/// TorchSharp and every Workbench assembly, so notebooks never name a path; libtorch is loaded before the first
/// cell. While a cell runs, its console output, displays and display updates stream to
/// <see cref="CellRequest.OnEvent"/>; the result then lists the outputs as they go into the notebook.
/// <code>
/// await using var executor = new CellExecutor();
/// await executor.ExecuteAsync("var model = new MlpVae(new VaeConfig(LatentDim: 2), new Generator(1));");
/// var result = await executor.ExecuteAsync(new CellRequest("model.Encode(zeros(1, 784)).Mean.shape",
///     OnEvent: e => Console.WriteLine(e)));
/// </code>
/// One cell runs at a time; further requests wait their turn. Cancelling a request's token (or its
/// timeout) stops the cell at the next loop iteration or <see cref="ScriptRuntime.Check"/>; a cell that
/// does not stop within <see cref="CellExecutorOptions.CancellationGrace"/> is abandoned.
/// </summary>
public sealed class CellExecutor : IAsyncDisposable, IDisposable
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> BaseReferences = new(LoadBaseReferences);
    private static readonly TimeSpan StreamWindow = TimeSpan.FromMilliseconds(15);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Channel<Item> events = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task pump;
    private readonly Dictionary<string, List<DisplayDataOutput>> displays = new(StringComparer.Ordinal); // pump thread only
    private readonly List<MetadataReference> addedReferences = [];
    private readonly HashSet<string> addedReferencePaths = new(BaseReferences.Value.Select(r => r.Display ?? ""), StringComparer.Ordinal);
    private readonly PackageResolver packages;
    private readonly ScriptGlobals globals;
    private ScriptOptions scriptOptions;
    private ScriptState<object>? state;
    private string? plotlyDisplayId;
    private int executionCount;
    private bool disposed;

    public CellExecutor(CellExecutorOptions? options = null)
    {
        Options = options ?? new CellExecutorOptions();
        BaseDirectory = Path.GetFullPath(Options.BaseDirectory ?? Directory.GetCurrentDirectory());
        FormatContext = new FormatContext(Options.LoadPlotlyJs);
        packages = new PackageResolver(Options.PackageCacheDirectory);
        globals = new ScriptGlobals(this, BaseDirectory);
        scriptOptions = ScriptOptions.Default
            .WithReferences(BaseReferences.Value)
            .WithImports(ExistingNamespaces(Options.Imports))
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8)
            .WithAllowUnsafe(true);
        // The pump must not inherit the creator's flow: its callbacks write to the real console.
        using (ExecutionContext.SuppressFlow())
            pump = Task.Run(PumpAsync);
    }

    public CellExecutorOptions Options { get; }

    /// <summary>The folder relative <c>#r</c> paths resolve against.</summary>
    public string BaseDirectory { get; }

    /// <summary>Formatting state of this notebook (whether plotly.js was sent).</summary>
    public FormatContext FormatContext { get; }

    /// <summary>How many cells have been executed (the last In [N]).</summary>
    public int ExecutionCount => Volatile.Read(ref executionCount);

    /// <summary>The namespaces every cell imports (those of <see cref="CellExecutorOptions.Imports"/> that exist).</summary>
    public IReadOnlyList<string> Imports => scriptOptions.Imports;

    /// <summary>The variables the cells have defined, by name (a later definition hides an earlier one).</summary>
    public IReadOnlyDictionary<string, object?> Variables
    {
        get
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is { } s)
                foreach (var v in s.Variables) result[v.Name] = v.Value;
            return result;
        }
    }

    /// <summary>Compiles an empty cell so that the first real cell does not pay for starting the compiler.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            // Loading libtorch takes a second or so; a failure is reported by the first cell.
            await Task.Run(TorchLoadFailure, cancellationToken).ConfigureAwait(false);
            // Compiling (not running) a typical cell brings the compiler's binding and emitting code up to
            // speed, which otherwise the first real cell waits for.
            var sample = state!.Script.ContinueWith<object>("var sample = new List<int> { 1, 2 }.Select(i => i * 2).ToArray();\nsample.Length",
                scriptOptions.WithFilePath(ErrorReport.CellPath(0)));
            await Task.Run(() => sample.Compile(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Executes one cell of C#.</summary>
    public Task<CellResult> ExecuteAsync(string code, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new CellRequest(code), cancellationToken);

    /// <summary>
    /// Executes one cell. Failures of the cell (compile errors, exceptions, cancellation) are reported in the
    /// result, not thrown; cancelling <paramref name="cancellationToken"/> interrupts the cell (or, while it
    /// still waits for the cell before it, drops it with a <see cref="CellStatus.Cancelled"/> result).
    /// </summary>
    public async Task<CellResult> ExecuteAsync(CellRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Code);
        ObjectDisposedException.ThrowIf(disposed, this);
        try
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled while waiting for the cell before it: this one never started (no execution count, no events).
            int number = request.CellNumber ?? ExecutionCount + 1;
            var error = ErrorReport.Stopped(number, CellStatus.Cancelled, null, null, abandoned: false, Options.CancellationGrace, request.Code,
                beforeRunning: true);
            return new CellResult
            {
                Status = CellStatus.Cancelled, CellNumber = number, Outputs = [error], Error = error,
                Failure = ErrorReport.Summary(number, error, null),
            };
        }
        try
        {
            return await ExecuteLockedAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<CellResult> ExecuteLockedAsync(CellRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int number = request.CellNumber ?? ExecutionCount + 1;
        var source = CellSource.Parse(request.Code.Replace("\r\n", "\n"), number);
        if (source.IsMarkdown)
            return new CellResult { Status = CellStatus.Skipped, CellNumber = number, Outputs = [], Elapsed = clock.Elapsed };

        int count = Interlocked.Increment(ref executionCount);
        var execution = new Execution(this, number, count, request.OnEvent);
        Post(new Item(execution, null, Started: true));
        try
        {
            await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            if (TorchLoadFailure() is { } torchFailure)
                return await FailAsync(execution, CellStatus.RuntimeError,
                    ErrorReport.Directive(nameof(TorchLoadException), $"cell {number}: {torchFailure.Message}", request.Code, null), null, torchFailure, clock)
                    .ConfigureAwait(false);
            if (source.Problem is not null)
                return await FailAsync(execution, CellStatus.CompileError, ErrorReport.Directive("DirectiveError", source.Problem, request.Code, source.ProblemLine), source.ProblemLine, null, clock).ConfigureAwait(false);

            try
            {
                await AddReferencesAsync(source.References, cancellationToken).ConfigureAwait(false);
            }
            catch (ReferenceException e)
            {
                return await FailAsync(execution, CellStatus.CompileError,
                    ErrorReport.Directive(e.Kind, $"cell {number}, line {e.Line}: {e.Message}", request.Code, e.Line), e.Line, null, clock).ConfigureAwait(false);
            }

            var options = scriptOptions.WithFilePath(ErrorReport.CellPath(number));
            var code = Options.CancellationChecksInLoops ? CellSource.InsertLoopChecks(source.Code) : source.Code;
            var (script, errors) = await Task.Run(() => Compile(code, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (errors.Length > 0 && !ReferenceEquals(code, source.Code))
                (script, errors) = await Task.Run(() => Compile(source.Code, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (errors.Length > 0)
            {
                var (error, line) = ErrorReport.Compilation(number, errors, source.Code);
                return await FailAsync(execution, CellStatus.CompileError, error, line, null, clock).ConfigureAwait(false);
            }
            bool hasValue = HasTrailingValue(script.GetCompilation());
            return await RunAsync(execution, script, hasValue, request, source.Code, clock, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted while restoring packages or compiling: the cell never ran.
            var error = ErrorReport.Stopped(number, CellStatus.Cancelled, null, null, abandoned: false, Options.CancellationGrace, request.Code,
                beforeRunning: true);
            return await FailAsync(execution, CellStatus.Cancelled, error, null, null, clock).ConfigureAwait(false);
        }
        finally
        {
            execution.Collecting = false;
        }
    }

    private (Script<object> Script, ImmutableArray<Diagnostic> Errors) Compile(string code, ScriptOptions options, CancellationToken cancellationToken)
    {
        var script = state!.Script.ContinueWith<object>(code, options);
        var diagnostics = script.Compile(cancellationToken);
        return (script, diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray());
    }

    /// <summary>
    /// True when the submission ends in an expression without a semicolon whose type is not void: its
    /// value is the cell's result (as Roslyn's script return value defines it).
    /// </summary>
    private static bool HasTrailingValue(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.LastOrDefault();
        if (tree?.GetRoot() is not CompilationUnitSyntax root) return false;
        if (root.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
            || !statement.SemicolonToken.IsMissing)
            return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private async Task<CellResult> RunAsync(Execution execution, Script<object> script, bool hasValue, CellRequest request, string code,
        Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        if (request.Timeout is { } limit) timeout.CancelAfter(limit);
        execution.Token = linked.Token;
        ConsoleRouter.EnsureInstalled();

        var previous = state!;
        // A thread of its own: the cell may block it (a long loop, Thread.Sleep) and may have to be
        // abandoned, which must not cost a thread-pool thread or the caller's thread.
        using var registration = linked.Token.Register(execution.OnCancelled);
        var run = Task.Factory.StartNew(async () =>
        {
            ScriptRuntime.Current = execution;
            ScriptState<object> next;
            try
            {
                next = await script.RunFromAsync(previous, _ => true, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                execution.OnReturned();
            }
            MimeBundle? bundle = null;
            Exception? formatError = null;
            if (next.Exception is null && hasValue && next.ReturnValue is not DisplayHandle)
            {
                try { bundle = Formatter.Format(next.ReturnValue, FormatContext); }
                catch (Exception e) { formatError = e; }
            }
            return (next, bundle, formatError);
        }, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();

        var stopped = Task.Delay(Timeout.Infinite, linked.Token);
        bool abandoned = false;
        if (await Task.WhenAny(run, stopped).ConfigureAwait(false) != run)
        {
            var grace = Task.Delay(Options.CancellationGrace, CancellationToken.None);
            abandoned = await Task.WhenAny(run, grace).ConfigureAwait(false) != run;
        }

        bool timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
        var stopStatus = timedOut ? CellStatus.TimedOut : CellStatus.Cancelled;
        if (abandoned)
        {
            // The cell keeps its thread until it returns; its later output only reaches OnEvent. The state
            // stays that of the cell before, which is consistent (this cell's submission never finished).
            _ = run.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            var error = ErrorReport.Stopped(execution.CellNumber, stopStatus, request.Timeout, null, abandoned: true, Options.CancellationGrace, code);
            return await FailAsync(execution, stopStatus, error, null, null, clock).ConfigureAwait(false);
        }

        ScriptState<object> next;
        MimeBundle? resultBundle;
        Exception? failure;
        try
        {
            (next, resultBundle, var formatError) = await run.ConfigureAwait(false);
            failure = next.Exception ?? formatError;
        }
        catch (Exception e)
        {
            // Thrown before the submission ran (e.g. loading a referenced assembly failed): no new state.
            next = previous;
            resultBundle = null;
            failure = e;
        }
        state = next;

        if (failure is not null)
        {
            ReleaseUnreachableTensors();
            var inner = ErrorReport.Unwrap(failure);
            if (inner is OperationCanceledException && linked.IsCancellationRequested)
            {
                int? line = ErrorReport.FindCellLine(inner, execution.CellNumber);
                var error = ErrorReport.Stopped(execution.CellNumber, stopStatus, request.Timeout, line, abandoned: false, Options.CancellationGrace, code);
                return await FailAsync(execution, stopStatus, error, line, inner, clock).ConfigureAwait(false);
            }
            var (runtimeError, errorLine) = ErrorReport.Runtime(execution.CellNumber, inner, code);
            return await FailAsync(execution, CellStatus.RuntimeError, runtimeError, errorLine, inner, clock).ConfigureAwait(false);
        }

        if (resultBundle is not null)
            Post(new Item(execution, new ExecuteResultOutput(resultBundle, execution.ExecutionCount)));
        await DrainAsync(execution).ConfigureAwait(false);
        return new CellResult
        {
            Status = CellStatus.Ok,
            CellNumber = execution.CellNumber,
            ExecutionCount = execution.ExecutionCount,
            Outputs = execution.Outputs.ToList(),
            HasReturnValue = hasValue && next.ReturnValue is not DisplayHandle,
            ReturnValue = next.ReturnValue,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>
    /// A stopped or failed cell leaves behind the tensors its locals held (a half-built list, a batch in flight). They
    /// are unreachable now, but TorchSharp frees a tensor's native memory only in its finalizer, and with little
    /// managed allocation no collection may come for a long time: gigabytes would stay resident. A full collection
    /// and the finalizers it queues hand that memory back at once; variables of earlier cells are untouched.
    /// </summary>
    private static void ReleaseUnreachableTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private async Task<CellResult> FailAsync(Execution execution, CellStatus status, ErrorOutput error, int? line, Exception? exception, Stopwatch clock)
    {
        Post(new Item(execution, error));
        await DrainAsync(execution).ConfigureAwait(false);
        return new CellResult
        {
            Status = status,
            CellNumber = execution.CellNumber,
            ExecutionCount = execution.ExecutionCount,
            Outputs = execution.Outputs.ToList(),
            Exception = exception,
            Error = error,
            ErrorLine = line,
            Failure = ErrorReport.Summary(execution.CellNumber, error, line),
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>
    /// Loads libtorch (once per process) before any cell runs, so that a machine that cannot load it gets one message
    /// naming the file and the reason in every cell, instead of a TypeInitializationException at a cell's first tensor.
    /// </summary>
    private static TorchLoadException? TorchLoadFailure()
    {
        try
        {
            TorchRuntime.EnsureLoaded();
            return null;
        }
        catch (TorchLoadException e)
        {
            return e;
        }
    }

    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (state is not null) return;
        var options = scriptOptions.WithFilePath(ErrorReport.CellPath(0));
        state = await Task.Run(() => CSharpScript.RunAsync<object>("", options, globals, typeof(ScriptGlobals), cancellationToken), cancellationToken)
            .ConfigureAwait(false);
    }

    // ---- references ----

    private sealed class ReferenceException(string kind, int line, string message) : Exception(message)
    {
        public string Kind { get; } = kind;
        public int Line { get; } = line;
    }

    private async Task AddReferencesAsync(IReadOnlyList<ReferenceDirective> directives, CancellationToken cancellationToken)
    {
        if (directives.Count == 0) return;
        var files = new List<string>();
        foreach (var d in directives)
        {
            if (d.PackageId is not null)
            {
                try
                {
                    files.AddRange(await packages.ResolveAsync(d.PackageId, d.PackageVersion, cancellationToken).ConfigureAwait(false));
                }
                catch (PackageRestoreException e)
                {
                    throw new ReferenceException("PackageRestoreError", d.Line, e.Message);
                }
            }
            else
            {
                files.Add(ResolvePath(d));
            }
        }
        bool changed = false;
        foreach (var file in files)
        {
            if (!addedReferencePaths.Add(file)) continue;
            try
            {
                addedReferences.Add(MetadataReference.CreateFromFile(file));
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
            {
                addedReferencePaths.Remove(file);
                var d = directives[0];
                throw new ReferenceException("ReferenceError", d.Line, $"'{file}' cannot be referenced: {e.Message}");
            }
            changed = true;
        }
        if (changed) scriptOptions = scriptOptions.WithReferences(BaseReferences.Value.AddRange(addedReferences));
    }

    private string ResolvePath(ReferenceDirective d)
    {
        var path = d.Path!;
        var full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(BaseDirectory, path));
        if (File.Exists(full)) return full;
        // #r "System.Net.Http" names a framework assembly.
        if (!path.Contains('/') && !path.Contains('\\'))
        {
            var name = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? path : path + ".dll";
            var framework = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, name);
            if (File.Exists(framework)) return framework;
        }
        throw new ReferenceException("ReferenceError", d.Line,
            $"#r \"{d.Text}\": no such file ({full}). Relative paths are relative to the notebook's folder, {BaseDirectory}.");
    }

    /// <summary>The shared framework's assemblies, every Workbench assembly and the packages they stand on, created once per process.</summary>
    private static ImmutableArray<MetadataReference> LoadBaseReferences()
    {
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in trusted)
            if (string.Equals(Path.GetDirectoryName(file), frameworkDir, StringComparison.Ordinal) && seen.Add(Path.GetFileName(file)))
                builder.Add(MetadataReference.CreateFromFile(file));
        foreach (var assembly in WorkbenchAssemblies().Concat(TorchAssemblies()).Concat(LibraryAssemblies()))
            if (seen.Add(Path.GetFileName(assembly.Location)))
                builder.Add(MetadataReference.CreateFromFile(assembly.Location));
        return builder.ToImmutable();
    }

    /// <summary>
    /// TorchSharp (TorchSharp.dll: tensors, modules, optimisers), the other TorchSharp assemblies the Workbench ones use
    /// (TorchSharp.PyBridge) and the non-framework assemblies TorchSharp's public API names (Google.Protobuf,
    /// SharpZipLib, SkiaSharp), so that cells compile against them without a #r.
    /// </summary>
    internal static IReadOnlyList<Assembly> TorchAssemblies()
    {
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        void Add(Assembly a)
        {
            if (!a.IsDynamic && a.Location.Length > 0 && !string.Equals(Path.GetDirectoryName(a.Location), frameworkDir, StringComparison.Ordinal))
                found.TryAdd(a.GetName().Name!, a);
        }
        static Assembly? TryLoad(AssemblyName name)
        {
            try { return Assembly.Load(name); }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { return null; }
        }
        var torchSharp = typeof(TorchSharp.torch).Assembly;
        Add(torchSharp);
        foreach (var r in torchSharp.GetReferencedAssemblies())
            if (TryLoad(r) is { } a) Add(a);
        foreach (var w in WorkbenchAssemblies())
            foreach (var r in w.GetReferencedAssemblies())
                if (r.Name?.StartsWith("TorchSharp", StringComparison.Ordinal) == true && TryLoad(r) is { } a) Add(a);
        return found.Values.OrderBy(a => a.GetName().Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The packages the Workbench libraries are built on, so that cells use them without a #r: Plotly.NET and
    /// Plotly.NET.CSharp (with FSharp.Core and DynamicObj, which their API names), Microsoft.Data.Analysis and
    /// MathNet.Numerics; that is, every non-framework assembly Workbench.Experiments references, and theirs.
    /// </summary>
    internal static IReadOnlyList<Assembly> LibraryAssemblies()
    {
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        static Assembly? TryLoad(AssemblyName name)
        {
            try { return Assembly.Load(name); }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { return null; }
        }
        bool Add(Assembly a) =>
            !a.IsDynamic && a.Location.Length > 0 && !a.GetName().Name!.StartsWith("Workbench.", StringComparison.Ordinal)
            && !string.Equals(Path.GetDirectoryName(a.Location), frameworkDir, StringComparison.Ordinal)
            && found.TryAdd(a.GetName().Name!, a);
        foreach (var r in typeof(Workbench.Experiments.Plots.Plots).Assembly.GetReferencedAssemblies())
            if (TryLoad(r) is { } a && Add(a))
                foreach (var inner in a.GetReferencedAssemblies())
                    if (TryLoad(inner) is { } b) Add(b);
        return found.Values.OrderBy(a => a.GetName().Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The Workbench assemblies: those this library depends on (loaded here if they were not yet) and any
    /// other Workbench assembly already loaded (e.g. one a host adds).
    /// </summary>
    internal static IReadOnlyList<Assembly> WorkbenchAssemblies()
    {
        static bool IsWorkbench(AssemblyName n) => n.Name is { } s && s.StartsWith("Workbench.", StringComparison.Ordinal);
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>();
        queue.Enqueue(typeof(CellExecutor).Assembly);
        foreach (var a in AppDomain.CurrentDomain.GetAssemblies())
            if (!a.IsDynamic && IsWorkbench(a.GetName()) && a.Location.Length > 0) queue.Enqueue(a);
        while (queue.Count > 0)
        {
            var a = queue.Dequeue();
            if (!found.TryAdd(a.GetName().Name!, a)) continue;
            foreach (var r in a.GetReferencedAssemblies())
                if (IsWorkbench(r) && !found.ContainsKey(r.Name!))
                    queue.Enqueue(Assembly.Load(r));
        }
        return found.Values.Where(a => a.Location.Length > 0).OrderBy(a => a.GetName().Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The imports of <paramref name="wanted"/> that exist: System namespaces, and namespaces or (for a static
    /// import) non-generic types that a Workbench, TorchSharp or library assembly defines ("TorchSharp.torch.nn" for the
    /// nested type torch.nn).
    /// </summary>
    private static IEnumerable<string> ExistingNamespaces(IReadOnlyList<string> wanted)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in WorkbenchAssemblies().Concat(TorchAssemblies()).Concat(LibraryAssemblies()))
        {
            Type?[] types;
            try { types = a.GetExportedTypes(); }
            catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
            {
                types = e is ReflectionTypeLoadException r ? r.Types : [];
            }
            foreach (var t in types)
            {
                if (t is null) continue;
                for (var ns = t.Namespace; ns is not null; ns = ns.Contains('.') ? ns[..ns.LastIndexOf('.')] : null)
                    known.Add(ns);
                if (!t.IsGenericType && t.FullName is { } full) known.Add(full.Replace('+', '.'));
            }
        }
        return wanted.Where(n => n.StartsWith("System", StringComparison.Ordinal) || known.Contains(n));
    }

    // ---- display ----

    internal DisplayHandle Display(object? value)
    {
        var execution = CurrentExecutionOfThis() ?? throw new InvalidOperationException(
            "display() was called outside a running cell of this notebook (e.g. from a background thread that outlived its cell).");
        bool carried = FormatContext.PlotlyJsSent;
        var bundle = Formatter.Format(value, FormatContext);
        var id = Guid.NewGuid().ToString("N");
        // The display that brought plotly.js into the notebook must keep it when it is updated (a live chart),
        // or the saved notebook would lose the library every later chart draws with.
        if (!carried && FormatContext.PlotlyJsSent) plotlyDisplayId = id;
        Post(new Item(execution, new DisplayDataOutput(bundle, displayId: id)));
        return new DisplayHandle(this, execution, id);
    }

    internal void UpdateDisplay(DisplayHandle handle, Execution origin, object? value)
    {
        if (handle.DisplayId == plotlyDisplayId) FormatContext.ResetPlotlyJs();
        var bundle = Formatter.Format(value, FormatContext);
        var execution = CurrentExecutionOfThis() ?? origin;
        Post(new Item(execution, null, Update: (handle.DisplayId, bundle)));
    }

    private Execution? CurrentExecutionOfThis() => ScriptRuntime.Current is { } e && ReferenceEquals(e.Owner, this) ? e : null;

    // ---- the event pump: one consumer delivers every event in order ----

    private readonly record struct Item(Execution? Execution, CellOutput? Output, (string Id, MimeBundle Data)? Update = null,
        string? StreamName = null, string? StreamText = null, TaskCompletionSource? Barrier = null, bool Started = false)
    {
        public bool IsStream => StreamName is not null;
    }

    internal void PostStream(Execution execution, string name, string text) =>
        Post(new Item(execution, null, StreamName: name, StreamText: text));

    private void Post(Item item) => events.Writer.TryWrite(item);

    /// <summary>Waits until every event posted so far for the cell was delivered.</summary>
    private async Task DrainAsync(Execution execution)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!events.Writer.TryWrite(new Item(execution, null, Barrier: done))) return;
        await done.Task.ConfigureAwait(false);
        if (execution.CallbackError is { } e)
            throw new InvalidOperationException($"The OnEvent callback of cell {execution.CellNumber} threw: {e.Message}", e);
    }

    private async Task PumpAsync()
    {
        var reader = events.Reader;
        var batch = new List<Item>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Text written in small pieces (a character at a time, a progress line) is gathered for a moment
            // so that it travels as a few chunks rather than one message per write.
            if (reader.TryPeek(out var first) && first.IsStream)
                await Task.Delay(StreamWindow).ConfigureAwait(false);
            batch.Clear();
            while (reader.TryRead(out var item))
            {
                if (item.IsStream && batch.Count > 0 && batch[^1] is { IsStream: true } last
                    && ReferenceEquals(last.Execution, item.Execution) && last.StreamName == item.StreamName)
                    batch[^1] = last with { StreamText = last.StreamText + item.StreamText };
                else
                    batch.Add(item);
            }
            foreach (var item in batch) Deliver(item);
        }
    }

    private void Deliver(Item item)
    {
        if (item.Barrier is { } barrier)
        {
            barrier.TrySetResult();
            return;
        }
        var execution = item.Execution!;
        CellEvent e;
        if (item.Started)
        {
            e = new CellStartedEvent(execution.CellNumber, execution.ExecutionCount);
        }
        else if (item.IsStream)
        {
            if (execution.Collecting)
            {
                if (execution.Outputs.Count > 0 && execution.Outputs[^1] is StreamOutput s && s.Name == item.StreamName)
                    s.Text += item.StreamText;
                else
                    execution.Outputs.Add(new StreamOutput(item.StreamName!, item.StreamText!));
            }
            e = new OutputEvent(execution.CellNumber, new StreamOutput(item.StreamName!, item.StreamText!));
        }
        else if (item.Update is { } update)
        {
            if (displays.TryGetValue(update.Id, out var shown))
                foreach (var output in shown) output.Data = update.Data;
            e = new DisplayUpdateEvent(execution.CellNumber, update.Id, update.Data);
        }
        else
        {
            var output = item.Output!;
            if (output is DisplayDataOutput { DisplayId: { } id } display)
            {
                if (!displays.TryGetValue(id, out var list)) displays[id] = list = [];
                list.Add(display);
            }
            if (execution.Collecting) execution.Outputs.Add(output);
            e = new OutputEvent(execution.CellNumber, output);
        }
        if (execution.OnEvent is { } callback)
        {
            try
            {
                callback(e);
            }
            catch (Exception ex)
            {
                execution.CallbackError ??= ex;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        events.Writer.TryComplete();
        await pump.ConfigureAwait(false);
        gate.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
