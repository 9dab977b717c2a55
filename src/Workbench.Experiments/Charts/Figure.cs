using System.Text.Json;

namespace Workbench.Experiments.Charts;

/// <summary>
/// A plotly.js figure: traces plus layout, serialised to <c>{"data": [...], "layout": {...}}</c>.
/// </summary>
/// <remarks>
/// The JSON is deterministic: properties in a fixed order, numbers in shortest round-trip form with the
/// invariant culture, NaN and +-Infinity as null, unset properties omitted so plotly.js applies its own
/// defaults. Build it fluently:
/// <code>
/// var fig = new Figure()
///     .Add(new Scatter { X = epochs, Y = relu, Name = "relu", Mode = ScatterMode.Lines })
///     .WithTitle("Test ELBO").WithAxes("epoch", "nats");
/// </code>
/// For a grid of panels use <see cref="Subplots"/> and <see cref="Add(Trace, int, int)"/>.
/// </remarks>
public sealed class Figure
{
    private int rows;
    private int columns;

    /// <summary>The traces, drawn in order (later traces on top).</summary>
    public List<Trace> Data { get; } = [];

    /// <summary>Title, size, axes, legend, annotations, shapes.</summary>
    public Layout Layout { get; } = new();

    /// <summary>Rows of the subplot grid (0 when the figure was not made by <see cref="Subplots"/>).</summary>
    public int GridRows => rows;

    /// <summary>Columns of the subplot grid (0 when the figure was not made by <see cref="Subplots"/>).</summary>
    public int GridColumns => columns;

    /// <summary>Appends a trace; returns this figure.</summary>
    public Figure Add(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Data.Add(trace);
        return this;
    }

    /// <summary>Appends traces; returns this figure.</summary>
    public Figure Add(params Trace[] traces)
    {
        ArgumentNullException.ThrowIfNull(traces);
        foreach (var t in traces) Add(t);
        return this;
    }

    /// <summary>
    /// Appends a trace to the panel at (<paramref name="row"/>, <paramref name="col"/>), both 1-based from the
    /// top left, by pointing its axis references at that panel's axes.
    /// </summary>
    public Figure Add(Trace trace, int row, int col)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var (x, y) = CellAxisIds(row, col, "Figure.Add");
        trace.XAxis = x;
        trace.YAxis = y;
        return Add(trace);
    }

    /// <summary>Sets the figure title.</summary>
    public Figure WithTitle(string? title)
    {
        Layout.Title = title;
        return this;
    }

    /// <summary>Sets the titles of the main x and y axes (null leaves one untitled).</summary>
    public Figure WithAxes(string? xTitle, string? yTitle)
    {
        Layout.XAxis.Title = xTitle;
        Layout.YAxis.Title = yTitle;
        return this;
    }

    /// <summary>Sets the axis titles of one panel of a subplot grid.</summary>
    public Figure WithAxes(int row, int col, string? xTitle, string? yTitle)
    {
        XAxis(row, col).Title = xTitle;
        YAxis(row, col).Title = yTitle;
        return this;
    }

    /// <summary>Sets the size in px.</summary>
    public Figure WithSize(int width, int height)
    {
        if (width < 10 || height < 10)
            throw new ArgumentOutOfRangeException(nameof(width), (width, height),
                $"Figure.WithSize: {width} x {height} px is below plotly.js's minimum of 10 px per side.");
        Layout.Width = width;
        Layout.Height = height;
        return this;
    }

    /// <summary>Edits the layout in place (for anything without its own shortcut); returns this figure.</summary>
    public Figure WithLayout(Action<Layout> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        edit(Layout);
        return this;
    }

    /// <summary>The x axis of a panel of a subplot grid (1-based row and column).</summary>
    public Axis XAxis(int row, int col) => Layout.Axis(CellAxisIds(row, col, "Figure.XAxis").X);

    /// <summary>The y axis of a panel of a subplot grid (1-based row and column).</summary>
    public Axis YAxis(int row, int col) => Layout.Axis(CellAxisIds(row, col, "Figure.YAxis").Y);

    /// <summary>
    /// A figure with a <paramref name="rows"/> x <paramref name="cols"/> grid of panels. Panel k (row-major
    /// from the top left, k = 1, 2, ...) gets axes "xk"/"yk" ("x"/"y" for k = 1), each anchored to the other,
    /// with domains that split the plot area evenly after the spacing. Optional titles (row-major, null or ""
    /// for none) are annotations centred above each panel.
    /// </summary>
    /// <param name="rows">Panel rows (>= 1).</param>
    /// <param name="cols">Panel columns (>= 1).</param>
    /// <param name="titles">Panel titles in row-major order; at most rows x cols.</param>
    /// <param name="horizontalSpacing">Gap between columns as a fraction of the width; default 0.2 / cols.</param>
    /// <param name="verticalSpacing">Gap between rows as a fraction of the height; default 0.3 / rows.</param>
    public static Figure Subplots(int rows, int cols, IReadOnlyList<string?>? titles = null,
        double? horizontalSpacing = null, double? verticalSpacing = null)
    {
        if (rows < 1 || cols < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), (rows, cols),
                $"Figure.Subplots: a grid needs at least 1 row and 1 column, got {rows} x {cols}.");
        if (rows * (long)cols > 1000)
            throw new ArgumentOutOfRangeException(nameof(rows), (rows, cols),
                $"Figure.Subplots: {rows} x {cols} panels is more than 1000; put many small images into one ImageGrid instead.");
        // Defaults follow the usual plotly subplot helper: the gaps shrink as panels are added.
        double hs = horizontalSpacing ?? 0.2 / cols;
        double vs = verticalSpacing ?? 0.3 / rows;
        if (!(hs >= 0) || (cols > 1 && !(hs < 1.0 / (cols - 1))))
            throw new ArgumentOutOfRangeException(nameof(horizontalSpacing), hs,
                $"Figure.Subplots: horizontal spacing {hs} leaves no room for {cols} columns; use a value in [0, {1.0 / Math.Max(1, cols - 1)}).");
        if (!(vs >= 0) || (rows > 1 && !(vs < 1.0 / (rows - 1))))
            throw new ArgumentOutOfRangeException(nameof(verticalSpacing), vs,
                $"Figure.Subplots: vertical spacing {vs} leaves no room for {rows} rows; use a value in [0, {1.0 / Math.Max(1, rows - 1)}).");
        if (titles is not null && titles.Count > rows * cols)
            throw new ArgumentException(
                $"Figure.Subplots: {titles.Count} titles for {rows * cols} panels; give at most one title per panel.", nameof(titles));

        var fig = new Figure { rows = rows, columns = cols };
        double width = (1 - (cols - 1) * hs) / cols;
        double height = (1 - (rows - 1) * vs) / rows;
        for (int r = 1; r <= rows; r++)
        {
            // Row 1 is at the top: its domain ends at 1.
            double top = Clean(1 - (r - 1) * (height + vs));
            double bottom = Clean(top - height);
            for (int c = 1; c <= cols; c++)
            {
                double left = Clean((c - 1) * (width + hs));
                double right = Clean(left + width);
                var (xid, yid) = fig.CellAxisIds(r, c, "Figure.Subplots");
                var x = fig.Layout.Axis(xid);
                var y = fig.Layout.Axis(yid);
                x.Domain = (left, Math.Min(right, 1));
                x.Anchor = yid;
                y.Domain = (Math.Max(bottom, 0), top);
                y.Anchor = xid;
                int k = (r - 1) * cols + c;
                if (titles is not null && k <= titles.Count && !string.IsNullOrEmpty(titles[k - 1]))
                    fig.Layout.Annotations.Add(new Annotation
                    {
                        Text = titles[k - 1]!,
                        X = Clean((left + right) / 2),
                        Y = top,
                        XAnchor = "center",
                        YAnchor = "bottom",
                        FontSize = 14,
                    });
            }
        }
        return fig;
    }

    /// <summary>
    /// Rounds a domain bound to 12 decimals so that 0.46 + 0.08 is written as 0.54 and not
    /// 0.5400000000000001; far below a pixel at any figure size.
    /// </summary>
    private static double Clean(double v) => Math.Round(v, 12);

    private (string X, string Y) CellAxisIds(int row, int col, string where)
    {
        if (rows == 0)
            throw new InvalidOperationException(
                $"{where}: this figure has no subplot grid; create it with Figure.Subplots(rows, cols) to place traces in panels.");
        if (row < 1 || row > rows || col < 1 || col > columns)
            throw new ArgumentOutOfRangeException(nameof(row), (row, col),
                $"{where}: panel ({row}, {col}) is outside the {rows} x {columns} grid; rows and columns are 1-based.");
        int k = (row - 1) * columns + col;
        string suffix = k == 1 ? "" : k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ("x" + suffix, "y" + suffix);
    }

    /// <summary>Writes the figure as one JSON object.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("data");
        for (int i = 0; i < Data.Count; i++)
        {
            try
            {
                Data[i].Write(writer);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException($"Figure trace {i}: {e.Message}", e);
            }
        }
        writer.WriteEndArray();
        Layout.Write(writer);
        writer.WriteEndObject();
    }

    /// <summary>The figure as compact plotly.js JSON.</summary>
    public string ToJson() => Json.ToJson(WriteJson);
}
