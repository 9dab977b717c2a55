using System.Runtime.CompilerServices;
using System.Text;

namespace Workbench.Notebooks;

/// <summary>
/// What cell code can ask of the engine while it runs. The executor inserts <see cref="Check"/> at the top
/// of every loop body, so interrupting a cell stops ordinary loops; long library calls can be given
/// <see cref="CancellationToken"/> (also visible in cells as the global <c>CancellationToken</c>).
/// </summary>
public static class ScriptRuntime
{
    private static readonly AsyncLocal<Execution?> CurrentExecution = new();

    /// <summary>
    /// The token of the cell running on this flow of control (it flows into tasks, Parallel loops and
    /// threads the cell starts); <see cref="CancellationToken.None"/> outside cells.
    /// </summary>
    public static CancellationToken CancellationToken => CurrentExecution.Value?.Token ?? CancellationToken.None;

    /// <summary>
    /// How many cells were cancelled and may still be running. Reading the current cell (an AsyncLocal) costs
    /// tens of nanoseconds, far too much at the top of a tight loop, so <see cref="Check"/> only does it
    /// while this is non-zero; otherwise a check is one memory read.
    /// </summary>
    private static int cancelledAndRunning;

    /// <summary>
    /// Throws <see cref="OperationCanceledException"/> when the running cell was interrupted or timed out.
    /// Costs one memory read while no cell is being cancelled. Background work a cell leaves running after it
    /// returned is not stopped by this; give it <see cref="CancellationToken"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check()
    {
        if (Volatile.Read(ref cancelledAndRunning) != 0) CheckCurrent();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckCurrent()
    {
        var e = CurrentExecution.Value;
        if (e is not null && e.Token.IsCancellationRequested)
            throw new OperationCanceledException($"cell {e.CellNumber} was interrupted.", e.Token);
    }

    /// <summary>Called once when a running cell's token fires.</summary>
    internal static void CellCancelled() => Interlocked.Increment(ref cancelledAndRunning);

    /// <summary>Called once when a cell counted by <see cref="CellCancelled"/> has returned.</summary>
    internal static void CancelledCellReturned() => Interlocked.Decrement(ref cancelledAndRunning);

    internal static Execution? Current
    {
        get => CurrentExecution.Value;
        set => CurrentExecution.Value = value;
    }
}

/// <summary>One cell's run: where its outputs go and what stops it.</summary>
internal sealed class Execution(CellExecutor owner, int cellNumber, int executionCount, Action<CellEvent>? onEvent)
{
    public CellExecutor Owner { get; } = owner;
    public int CellNumber { get; } = cellNumber;
    public int ExecutionCount { get; } = executionCount;
    public Action<CellEvent>? OnEvent { get; } = onEvent;
    public CancellationToken Token { get; set; }

    /// <summary>Outputs collected for the result; only touched by the executor's event pump.</summary>
    public List<CellOutput> Outputs { get; } = [];

    /// <summary>False once the result was returned: later outputs only reach <see cref="OnEvent"/>.</summary>
    public volatile bool Collecting = true;

    /// <summary>The first exception the event callback threw.</summary>
    public Exception? CallbackError;

    private int runState; // 0 running, 1 cancelled while running (counted in ScriptRuntime), 2 returned

    /// <summary>The cell's token fired: loop checks must look (see <see cref="ScriptRuntime.Check"/>).</summary>
    public void OnCancelled()
    {
        if (Interlocked.CompareExchange(ref runState, 1, 0) == 0) ScriptRuntime.CellCancelled();
    }

    /// <summary>The cell's code returned (possibly long after it was abandoned).</summary>
    public void OnReturned()
    {
        if (Interlocked.Exchange(ref runState, 2) == 1) ScriptRuntime.CancelledCellReturned();
    }
}

/// <summary>
/// Stands in for Console.Out and Console.Error: text written on a flow of control that belongs to a running
/// cell becomes that cell's stream output; anything else goes to the writer that was there before.
/// Installed once per process and kept (re-installed if something else replaces the console writers).
/// </summary>
internal sealed class ConsoleRouter : TextWriter
{
    private static readonly Lock InstallLock = new();
    private static TextWriter? installedOut, installedError;

    private readonly TextWriter inner;
    private readonly string streamName;

    private ConsoleRouter(TextWriter inner, string streamName)
    {
        this.inner = inner;
        this.streamName = streamName;
    }

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>Makes sure Console.Out and Console.Error route through a router.</summary>
    internal static void EnsureInstalled()
    {
        lock (InstallLock)
        {
            if (!ReferenceEquals(Console.Out, installedOut))
            {
                Console.SetOut(new ConsoleRouter(Console.Out, "stdout"));
                installedOut = Console.Out;
            }
            if (!ReferenceEquals(Console.Error, installedError))
            {
                Console.SetError(new ConsoleRouter(Console.Error, "stderr"));
                installedError = Console.Error;
            }
        }
    }

    private bool Route(string text)
    {
        var e = ScriptRuntime.Current;
        if (e is null) return false;
        e.Owner.PostStream(e, streamName, text);
        return true;
    }

    public override void Write(char value)
    {
        if (!Route(value.ToString())) inner.Write(value);
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        if (!Route(value)) inner.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        if (count == 0) return;
        if (!Route(new string(buffer, index, count))) inner.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (buffer.IsEmpty) return;
        if (!Route(buffer.ToString())) inner.Write(buffer);
    }

    // One write per line, so "text" and its newline arrive as one stream chunk.
    public override void WriteLine(string? value)
    {
        if (!Route((value ?? "") + NewLine)) inner.WriteLine(value);
    }

    public override void WriteLine()
    {
        if (!Route(NewLine)) inner.WriteLine();
    }

    public override void Flush()
    {
        if (ScriptRuntime.Current is null) inner.Flush();
    }
}
