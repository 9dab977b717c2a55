using System.Text.Json;

namespace Workbench.Experiments.Charts;

/// <summary>Scale of a cartesian axis (plotly.js <c>type</c>; plotly.js guesses from the data when null).</summary>
public enum AxisType
{
    /// <summary>"linear".</summary>
    Linear,
    /// <summary>"log": base-10 logarithmic; note that plotly.js reads <see cref="Axis.Range"/> of a log axis in log10 units.</summary>
    Log,
    /// <summary>"category": values are labels, evenly spaced.</summary>
    Category,
}

/// <summary>How bars of several traces share a category (plotly.js <c>barmode</c>).</summary>
public enum BarMode
{
    /// <summary>"group": side by side.</summary>
    Group,
    /// <summary>"stack".</summary>
    Stack,
    /// <summary>"overlay".</summary>
    Overlay,
}

/// <summary>Kind of a layout shape (plotly.js <c>shape.type</c>).</summary>
public enum ShapeType
{
    /// <summary>"line" from (X0, Y0) to (X1, Y1).</summary>
    Line,
    /// <summary>"rect" with corners (X0, Y0), (X1, Y1).</summary>
    Rect,
    /// <summary>"circle" inscribed in that rectangle.</summary>
    Circle,
}

/// <summary>A cartesian axis of the layout (plotly.js <c>layout.xaxis</c>, <c>layout.yaxis2</c>, ...).</summary>
public sealed class Axis
{
    private string? anchor;
    private string? scaleAnchor;

    internal Axis(string id) => Id = id;

    /// <summary>plotly.js id of this axis: "x", "y", "x2", ...</summary>
    public string Id { get; }

    /// <summary>Axis title.</summary>
    public string? Title { get; set; }
    /// <summary>Linear, log or category.</summary>
    public AxisType? Type { get; set; }
    /// <summary>Visible range (log10 units on a log axis).</summary>
    public (double Min, double Max)? Range { get; set; }
    /// <summary>
    /// Draw the axis reversed, e.g. image rows top to bottom: plotly.js <c>autorange: "reversed"</c>, or with
    /// <see cref="Range"/> set, the range written as [Max, Min].
    /// </summary>
    public bool Reversed { get; set; }
    /// <summary>Fraction of the plot area the axis spans, in [0, 1]; set by <see cref="Figure.Subplots"/>.</summary>
    public (double Start, double End)? Domain { get; set; }
    /// <summary>The perpendicular axis this one is drawn against ("y2" for "x2"); set by <see cref="Figure.Subplots"/>.</summary>
    public string? Anchor
    {
        get => anchor;
        set => anchor = value is null ? null : Json.AxisRef(value, Id[0] == 'x' ? 'y' : 'x', $"Axis {Id}.Anchor");
    }
    /// <summary>Lock this axis's scale to another axis (e.g. "x" on a y axis for square pixels).</summary>
    public string? ScaleAnchor
    {
        get => scaleAnchor;
        set => scaleAnchor = value is null ? null : Json.AxisRef(value, value.Length > 0 ? value[0] : 'x', $"Axis {Id}.ScaleAnchor");
    }
    /// <summary>Units of this axis per unit of <see cref="ScaleAnchor"/> (default 1).</summary>
    public double? ScaleRatio { get; set; }
    /// <summary>Show grid lines.</summary>
    public bool? ShowGrid { get; set; }
    /// <summary>Show the zero line.</summary>
    public bool? ZeroLine { get; set; }
    /// <summary>Show tick labels.</summary>
    public bool? ShowTickLabels { get; set; }
    /// <summary>d3-format tick format, e.g. ".2f" or ".0%".</summary>
    public string? TickFormat { get; set; }
    /// <summary>Whether the axis (line, ticks, labels, grid) is drawn at all.</summary>
    public bool? Visible { get; set; }

    /// <summary>Sets the title; returns this axis for chaining.</summary>
    public Axis WithTitle(string? title)
    {
        Title = title;
        return this;
    }

    /// <summary>Hides ticks, labels, grid and zero line: for image subplots.</summary>
    public Axis Hidden()
    {
        Visible = false;
        ShowGrid = false;
        ZeroLine = false;
        ShowTickLabels = false;
        return this;
    }

    internal void Write(Utf8JsonWriter w)
    {
        if (Range is { } r && !(r.Min < r.Max))
            throw new InvalidOperationException(
                $"Axis {Id}: Range ({r.Min}, {r.Max}) must have Min < Max; to flip the axis set Reversed = true instead.");
        if (Domain is { } d && !(d.Start >= 0 && d.Start < d.End && d.End <= 1))
            throw new InvalidOperationException($"Axis {Id}: Domain ({d.Start}, {d.End}) must satisfy 0 <= Start < End <= 1.");
        if (ScaleRatio is { } s && !(s > 0))
            throw new InvalidOperationException($"Axis {Id}: ScaleRatio {s} must be > 0.");

        w.WriteStartObject(LayoutName(Id));
        Json.Title(w, "title", Title);
        if (Type is { } t)
            w.WriteString("type", t switch
            {
                AxisType.Linear => "linear",
                AxisType.Log => "log",
                AxisType.Category => "category",
                _ => throw new ArgumentOutOfRangeException(nameof(Type), t, "unknown AxisType"),
            });
        if (Range is { } range)
            Json.Pair(w, "range", Reversed ? (range.Max, range.Min) : (range.Min, range.Max));
        else if (Reversed)
            w.WriteString("autorange", "reversed");
        Json.Pair(w, "domain", Domain);
        Json.Prop(w, "anchor", Anchor);
        Json.Prop(w, "scaleanchor", ScaleAnchor);
        Json.Prop(w, "scaleratio", ScaleRatio);
        Json.Prop(w, "showgrid", ShowGrid);
        Json.Prop(w, "zeroline", ZeroLine);
        Json.Prop(w, "showticklabels", ShowTickLabels);
        Json.Prop(w, "tickformat", TickFormat);
        Json.Prop(w, "visible", Visible);
        w.WriteEndObject();
    }

    /// <summary>"x" -> "xaxis", "y3" -> "yaxis3": the layout key plotly.js stores an axis under.</summary>
    internal static string LayoutName(string id) => id[0] + "axis" + id[1..];

    /// <summary>Axis number: 1 for "x"/"y", k for "xk"/"yk".</summary>
    internal static int Number(string id) => id.Length == 1 ? 1 : int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Legend placement and style (plotly.js <c>layout.legend</c>).</summary>
public sealed class Legend
{
    /// <summary>x position in plot fraction (can exceed [0, 1] to sit outside the axes).</summary>
    public double? X { get; set; }
    /// <summary>y position in plot fraction.</summary>
    public double? Y { get; set; }
    /// <summary>"left", "center", "right" or "auto".</summary>
    public string? XAnchor { get; set; }
    /// <summary>"top", "middle", "bottom" or "auto".</summary>
    public string? YAnchor { get; set; }
    /// <summary>Vertical (default) or horizontal list.</summary>
    public Orientation? Orientation { get; set; }
    /// <summary>CSS background colour.</summary>
    public string? BackgroundColor { get; set; }
    /// <summary>Legend title.</summary>
    public string? Title { get; set; }

    internal void Write(Utf8JsonWriter w)
    {
        Json.OneOf(XAnchor, "Legend.XAnchor", Json.XAnchors);
        Json.OneOf(YAnchor, "Legend.YAnchor", Json.YAnchors);
        w.WriteStartObject("legend");
        Json.Title(w, "title", Title);
        if (Orientation is { } o) w.WriteString("orientation", EnumNames.Of(o));
        Json.Prop(w, "x", X);
        Json.Prop(w, "y", Y);
        Json.Prop(w, "xanchor", XAnchor);
        Json.Prop(w, "yanchor", YAnchor);
        Json.Prop(w, "bgcolor", BackgroundColor);
        w.WriteEndObject();
    }
}

/// <summary>Space around the plot area in px (plotly.js <c>layout.margin</c>).</summary>
public sealed record Margin(int? Left = null, int? Right = null, int? Top = null, int? Bottom = null)
{
    internal void Write(Utf8JsonWriter w)
    {
        foreach (var (name, v) in new[] { ("Left", Left), ("Right", Right), ("Top", Top), ("Bottom", Bottom) })
            if (v < 0)
                throw new InvalidOperationException($"Margin.{name} is {v}; margins are pixel counts >= 0.");
        w.WriteStartObject("margin");
        Json.Prop(w, "l", Left);
        Json.Prop(w, "r", Right);
        Json.Prop(w, "t", Top);
        Json.Prop(w, "b", Bottom);
        w.WriteEndObject();
    }
}

/// <summary>A text label placed on the figure (plotly.js <c>layout.annotations[i]</c>); also used for subplot titles.</summary>
public sealed class Annotation
{
    /// <summary>The text (plotly.js accepts a small subset of HTML such as &lt;b&gt; and &lt;br&gt;).</summary>
    public required string Text { get; set; }
    /// <summary>x position, in units of <see cref="XRef"/>.</summary>
    public double X { get; set; }
    /// <summary>y position, in units of <see cref="YRef"/>.</summary>
    public double Y { get; set; }
    /// <summary>"paper" (fraction of the plot area) or an x axis id such as "x" or "x2" (data units); default "paper".</summary>
    public string XRef { get; set; } = "paper";
    /// <summary>"paper" or a y axis id; default "paper".</summary>
    public string YRef { get; set; } = "paper";
    /// <summary>"left", "center", "right" or "auto".</summary>
    public string? XAnchor { get; set; }
    /// <summary>"top", "middle", "bottom" or "auto".</summary>
    public string? YAnchor { get; set; }
    /// <summary>Draw an arrow from the text to (X, Y); default false.</summary>
    public bool ShowArrow { get; set; }
    /// <summary>Font size in px.</summary>
    public double? FontSize { get; set; }

    internal void Write(Utf8JsonWriter w)
    {
        CheckRef(XRef, 'x', "Annotation.XRef");
        CheckRef(YRef, 'y', "Annotation.YRef");
        Json.OneOf(XAnchor, "Annotation.XAnchor", Json.XAnchors);
        Json.OneOf(YAnchor, "Annotation.YAnchor", Json.YAnchors);
        w.WriteStartObject();
        w.WriteString("text", Text);
        w.WritePropertyName("x");
        Json.Number(w, X);
        w.WritePropertyName("y");
        Json.Number(w, Y);
        w.WriteString("xref", XRef);
        w.WriteString("yref", YRef);
        Json.Prop(w, "xanchor", XAnchor);
        Json.Prop(w, "yanchor", YAnchor);
        w.WriteBoolean("showarrow", ShowArrow);
        if (FontSize is { } size)
        {
            w.WriteStartObject("font");
            w.WriteNumber("size", size);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    internal static void CheckRef(string value, char letter, string where)
    {
        if (value != "paper") Json.AxisRef(value, letter, where + " (or \"paper\")");
    }
}

/// <summary>A line, rectangle or circle drawn on the figure (plotly.js <c>layout.shapes[i]</c>), e.g. a reference line.</summary>
public sealed class Shape
{
    /// <summary>Line, rectangle or circle.</summary>
    public ShapeType Type { get; set; } = ShapeType.Line;
    /// <summary>First x.</summary>
    public double X0 { get; set; }
    /// <summary>First y.</summary>
    public double Y0 { get; set; }
    /// <summary>Second x.</summary>
    public double X1 { get; set; }
    /// <summary>Second y.</summary>
    public double Y1 { get; set; }
    /// <summary>"paper" or an x axis id; default "x" (data units).</summary>
    public string XRef { get; set; } = "x";
    /// <summary>"paper" or a y axis id; default "y".</summary>
    public string YRef { get; set; } = "y";
    /// <summary>Outline style.</summary>
    public Line? Line { get; set; }
    /// <summary>CSS fill colour (rectangles and circles).</summary>
    public string? FillColor { get; set; }
    /// <summary>Opacity in [0, 1].</summary>
    public double? Opacity { get; set; }

    internal void Write(Utf8JsonWriter w)
    {
        Annotation.CheckRef(XRef, 'x', "Shape.XRef");
        Annotation.CheckRef(YRef, 'y', "Shape.YRef");
        if (Opacity is { } o && !(o >= 0 && o <= 1))
            throw new InvalidOperationException($"Shape: Opacity {o} is outside [0, 1].");
        w.WriteStartObject();
        w.WriteString("type", Type switch
        {
            ShapeType.Line => "line",
            ShapeType.Rect => "rect",
            ShapeType.Circle => "circle",
            _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, "unknown ShapeType"),
        });
        w.WritePropertyName("x0");
        Json.Number(w, X0);
        w.WritePropertyName("y0");
        Json.Number(w, Y0);
        w.WritePropertyName("x1");
        Json.Number(w, X1);
        w.WritePropertyName("y1");
        Json.Number(w, Y1);
        w.WriteString("xref", XRef);
        w.WriteString("yref", YRef);
        Line?.Write(w, "line");
        Json.Prop(w, "fillcolor", FillColor);
        Json.Prop(w, "opacity", Opacity);
        w.WriteEndObject();
    }
}

/// <summary>
/// The plotly.js layout: title, size, axes, legend, annotations and shapes. Axes are created on first use
/// through <see cref="XAxis"/>, <see cref="YAxis"/> or <see cref="Axis(string)"/> and written in the order
/// xaxis, yaxis, xaxis2, yaxis2, ... whatever order they were touched in.
/// </summary>
public sealed class Layout
{
    private readonly Dictionary<string, Axis> axes = new(StringComparer.Ordinal);

    /// <summary>Figure title.</summary>
    public string? Title { get; set; }
    /// <summary>Width in px (plotly.js fills its container when null).</summary>
    public int? Width { get; set; }
    /// <summary>Height in px.</summary>
    public int? Height { get; set; }
    /// <summary>Margins around the plot area.</summary>
    public Margin? Margin { get; set; }
    /// <summary>Show the legend (plotly.js shows it when there are two or more traces).</summary>
    public bool? ShowLegend { get; set; }
    /// <summary>Legend placement.</summary>
    public Legend? Legend { get; set; }
    /// <summary>How bars of several traces share a category.</summary>
    public BarMode? BarMode { get; set; }
    /// <summary>CSS background colour of the plot area.</summary>
    public string? PlotBackground { get; set; }
    /// <summary>Text labels, including subplot titles.</summary>
    public List<Annotation> Annotations { get; } = [];
    /// <summary>Lines, rectangles and circles.</summary>
    public List<Shape> Shapes { get; } = [];

    /// <summary>The main x axis ("x").</summary>
    public Axis XAxis => Axis("x");

    /// <summary>The main y axis ("y").</summary>
    public Axis YAxis => Axis("y");

    /// <summary>The axis with plotly.js id <paramref name="id"/> ("x", "y2", ...), created if new.</summary>
    public Axis Axis(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!Json.AxisRefPattern().IsMatch(id))
            throw new ArgumentException(
                $"Layout.Axis: '{id}' is not a plotly.js axis id; use \"x\", \"y\", \"x2\", \"y2\", ... (there is no \"x1\").", nameof(id));
        if (!axes.TryGetValue(id, out var axis))
            axes[id] = axis = new Axis(id);
        return axis;
    }

    /// <summary>The axes created so far, in the order they are written.</summary>
    public IEnumerable<Axis> Axes =>
        axes.Values.OrderBy(a => global::Workbench.Experiments.Charts.Axis.Number(a.Id)).ThenBy(a => a.Id[0]);

    internal void Write(Utf8JsonWriter w)
    {
        if (Width is { } width && width < 10)
            throw new InvalidOperationException($"Layout.Width {width} is below plotly.js's minimum of 10 px.");
        if (Height is { } height && height < 10)
            throw new InvalidOperationException($"Layout.Height {height} is below plotly.js's minimum of 10 px.");
        w.WriteStartObject("layout");
        Json.Title(w, "title", Title);
        Json.Prop(w, "width", Width);
        Json.Prop(w, "height", Height);
        Margin?.Write(w);
        Json.Prop(w, "showlegend", ShowLegend);
        Legend?.Write(w);
        if (BarMode is { } mode)
            w.WriteString("barmode", mode switch
            {
                global::Workbench.Experiments.Charts.BarMode.Group => "group",
                global::Workbench.Experiments.Charts.BarMode.Stack => "stack",
                global::Workbench.Experiments.Charts.BarMode.Overlay => "overlay",
                _ => throw new ArgumentOutOfRangeException(nameof(BarMode), mode, "unknown BarMode"),
            });
        Json.Prop(w, "plot_bgcolor", PlotBackground);
        foreach (var axis in Axes)
            axis.Write(w);
        if (Annotations.Count > 0)
        {
            w.WriteStartArray("annotations");
            foreach (var a in Annotations) a.Write(w);
            w.WriteEndArray();
        }
        if (Shapes.Count > 0)
        {
            w.WriteStartArray("shapes");
            foreach (var s in Shapes) s.Write(w);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
