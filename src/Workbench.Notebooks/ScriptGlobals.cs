namespace Workbench.Notebooks;

/// <summary>
/// The globals every cell sees: <c>display(x)</c>, <c>CancellationToken</c> and <c>NotebookDirectory</c>.
/// </summary>
public sealed class ScriptGlobals
{
    private readonly CellExecutor executor;

    internal ScriptGlobals(CellExecutor executor, string notebookDirectory)
    {
        this.executor = executor;
        NotebookDirectory = notebookDirectory;
    }

    /// <summary>
    /// Shows <paramref name="value"/> now, through the <see cref="Formatter"/>, and returns a handle whose
    /// <see cref="DisplayHandle.Update"/> replaces what is shown (e.g. a loss curve redrawn every epoch).
    /// </summary>
#pragma warning disable IDE1006 // lower case, as in Jupyter's display()
    public DisplayHandle display(object? value) => executor.Display(value);
#pragma warning restore IDE1006

    /// <summary>Cancelled when the cell is interrupted or times out; pass it to long-running calls.</summary>
    public CancellationToken CancellationToken => ScriptRuntime.CancellationToken;

    /// <summary>The notebook's folder (the base of relative paths in <c>#r</c>).</summary>
    public string NotebookDirectory { get; }
}

/// <summary>A value shown with <c>display</c>; <see cref="Update"/> shows a new value in its place.</summary>
public sealed class DisplayHandle
{
    private readonly CellExecutor executor;
    private readonly Execution origin;

    internal DisplayHandle(CellExecutor executor, Execution origin, string displayId)
    {
        this.executor = executor;
        this.origin = origin;
        DisplayId = displayId;
    }

    /// <summary>The display id shared by the display and its updates.</summary>
    public string DisplayId { get; }

    /// <summary>Replaces the shown value with <paramref name="value"/> (an update_display_data with the same display id).</summary>
    public void Update(object? value) => executor.UpdateDisplay(this, origin, value);

    public override string ToString() => $"display {DisplayId}";
}
