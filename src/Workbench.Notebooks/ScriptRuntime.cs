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

    /// <summary>Throws <see cref="OperationCanceledException"/> when the running cell was interrupted or timed out.</summary>
    public static void Check()
    {
        var e = CurrentExecution.Value;
        if (e is not null && e.Token.IsCancellationRequested)
            throw new OperationCanceledException($"cell {e.CellNumber} was interrupted.", e.Token);
    }

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
