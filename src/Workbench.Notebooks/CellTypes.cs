namespace Workbench.Notebooks;

/// <summary>Something a running cell produced, delivered while the cell runs (see <see cref="CellRequest.OnEvent"/>).</summary>
/// <param name="CellNumber">The number of the cell that produced it (see <see cref="CellRequest.CellNumber"/>).</param>
public abstract record CellEvent(int CellNumber);

/// <summary>
/// The cell was given its execution count and is about to be compiled and run: the first event of every
/// cell that is not skipped (a kernel sends execute_input with this count).
/// </summary>
public sealed record CellStartedEvent(int CellNumber, int ExecutionCount) : CellEvent(CellNumber);

/// <summary>
/// A new output: a chunk of stdout/stderr text (<see cref="StreamOutput"/>, consecutive chunks are worth
/// appending), a display (<see cref="DisplayDataOutput"/>, with its <see cref="DisplayDataOutput.DisplayId"/>),
/// the trailing expression's value (<see cref="ExecuteResultOutput"/>) or a failure (<see cref="ErrorOutput"/>).
/// A kernel sends these as stream, display_data, execute_result and error messages.
/// </summary>
public sealed record OutputEvent(int CellNumber, CellOutput Output) : CellEvent(CellNumber);

/// <summary>
/// A display shown earlier was updated through its <see cref="DisplayHandle"/> (a kernel sends
/// update_display_data). The executor has already replaced the data of the <see cref="DisplayDataOutput"/>
/// objects it handed out with that id, so outputs kept from earlier results show the latest value.
/// </summary>
public sealed record DisplayUpdateEvent(int CellNumber, string DisplayId, MimeBundle Data) : CellEvent(CellNumber);

/// <summary>One cell to execute.</summary>
/// <param name="Code">The cell's source (C#, optionally starting with a Polyglot "#!csharp" line; "#!markdown" cells are skipped).</param>
/// <param name="CellNumber">Number used in messages ("cell 3, line 2") and events; the execution count when null.</param>
/// <param name="OnEvent">
/// Receives outputs while the cell runs, in order, one at a time, on a thread of the executor's own (never the
/// cell's thread): keep it quick. Outputs that background work of the cell writes after it finished still
/// arrive here.
/// </param>
/// <param name="Timeout">Cancel the cell after this long (reported as <see cref="CellStatus.TimedOut"/>).</param>
public sealed record CellRequest(string Code, int? CellNumber = null, Action<CellEvent>? OnEvent = null, TimeSpan? Timeout = null);

/// <summary>How a cell ended.</summary>
public enum CellStatus
{
    /// <summary>Ran to the end.</summary>
    Ok,

    /// <summary>Not C# to run: a Polyglot "#!markdown" cell.</summary>
    Skipped,

    /// <summary>Did not run: compile errors, a bad directive, a reference that could not be resolved, another language.</summary>
    CompileError,

    /// <summary>Threw an exception.</summary>
    RuntimeError,

    /// <summary>Stopped through the cancellation token passed to ExecuteAsync.</summary>
    Cancelled,

    /// <summary>Stopped because <see cref="CellRequest.Timeout"/> passed.</summary>
    TimedOut,
}

/// <summary>The outcome of one cell.</summary>
public sealed record CellResult
{
    public required CellStatus Status { get; init; }

    /// <summary>The number the cell was run as (see <see cref="CellRequest.CellNumber"/>).</summary>
    public required int CellNumber { get; init; }

    /// <summary>The execution count given to the cell (In [N]); null for a skipped cell.</summary>
    public int? ExecutionCount { get; init; }

    /// <summary>Outputs in order, consecutive stream chunks merged, as they go into the notebook.</summary>
    public required IReadOnlyList<CellOutput> Outputs { get; init; }

    /// <summary>True when the cell ends with an expression (no semicolon) whose value became an execute_result.</summary>
    public bool HasReturnValue { get; init; }

    /// <summary>The trailing expression's value.</summary>
    public object? ReturnValue { get; init; }

    /// <summary>The exception a failed run threw (unwrapped).</summary>
    public Exception? Exception { get; init; }

    /// <summary>The error output of a failed cell.</summary>
    public ErrorOutput? Error { get; init; }

    /// <summary>The line in the cell where it failed (1-based), when known.</summary>
    public int? ErrorLine { get; init; }

    /// <summary>Wall time from the request to the last output.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>True for <see cref="CellStatus.Ok"/> and <see cref="CellStatus.Skipped"/>.</summary>
    public bool Succeeded => Status is CellStatus.Ok or CellStatus.Skipped;

    /// <summary>One line saying what failed and where ("cell 3, line 2: DivideByZeroException: ..."), or null.</summary>
    public string? Failure { get; init; }
}

/// <summary>Settings of a <see cref="CellExecutor"/>.</summary>
public sealed record CellExecutorOptions
{
    /// <summary>
    /// The notebook's folder: relative <c>#r "lib.dll"</c> paths resolve against it and scripts see it as
    /// <c>NotebookDirectory</c>. The current directory when null.
    /// </summary>
    public string? BaseDirectory { get; init; }

    /// <summary>
    /// Namespaces imported in every cell, and types whose static members and nested types are imported (as
    /// <c>using static</c> does): "TorchSharp.torch" makes <c>Tensor</c>, <c>Generator</c>, <c>randn(...)</c> and
    /// <c>no_grad()</c> plain names. Names that neither a Workbench assembly nor TorchSharp defines are left out (a
    /// cell cannot compile with a using of a missing namespace).
    /// </summary>
    public IReadOnlyList<string> Imports { get; init; } = CellImports.Default;


    /// <summary>
    /// How long a cancelled cell gets to stop before it is abandoned: its thread may go on in the
    /// background, but the executor moves on with the state before that cell.
    /// </summary>
    public TimeSpan CancellationGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Insert a cancellation check at the top of every loop body in cell code, so that interrupting or
    /// timing out a cell stops plain loops too (library calls are only stopped between iterations).
    /// Line numbers in messages are unchanged.
    /// </summary>
    public bool CancellationChecksInLoops { get; init; } = true;

    /// <summary>Where <c>#r "nuget: ..."</c> packages are restored; see <see cref="PackageResolver.DefaultCacheDirectory"/> when null.</summary>
    public string? PackageCacheDirectory { get; init; }

    /// <summary>Source of plotly.js for the first chart; the bundle Plotly.NET ships (<see cref="Workbench.Experiments.Charts.ChartHtml.PlotlyJs"/>) when null.</summary>
    public Func<string>? LoadPlotlyJs { get; init; }
}
