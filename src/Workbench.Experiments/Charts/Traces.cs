using System.Text.Json;

namespace Workbench.Experiments.Charts;

/// <summary>How a scatter trace draws its points (plotly.js <c>mode</c>).</summary>
public enum ScatterMode
{
    /// <summary>"lines": a polyline through the points.</summary>
    Lines,
    /// <summary>"markers": one marker per point.</summary>
    Markers,
    /// <summary>"lines+markers".</summary>
    LinesMarkers,
}

/// <summary>Line dash pattern (plotly.js <c>Dash</c>).</summary>
public enum Dash
{
    /// <summary>"solid".</summary>
    Solid,
    /// <summary>"dot".</summary>
    Dot,
    /// <summary>"dash".</summary>
    Dashed,
    /// <summary>"longdash".</summary>
    LongDash,
    /// <summary>"dashdot".</summary>
    DashDot,
    /// <summary>"longdashdot".</summary>
    LongDashDot,
}

/// <summary>Bar direction (plotly.js <c>orientation</c>).</summary>
public enum Orientation
{
    /// <summary>"v": bars rise from the x axis.</summary>
    Vertical,
    /// <summary>"h": bars extend from the y axis (x holds the lengths, y the categories).</summary>
    Horizontal,
}

/// <summary>Area fill of a scatter trace (plotly.js <c>fill</c>).</summary>
public enum Fill
{
    /// <summary>"none".</summary>
    None,
    /// <summary>"tozeroy": fill down to y = 0.</summary>
    ToZeroY,
    /// <summary>"tonexty": fill to the previous trace; a mean +- std band is a lower trace then an upper trace with this fill.</summary>
    ToNextY,
    /// <summary>"toself": close the path and fill it.</summary>
    ToSelf,
}

internal static class EnumNames
{
    internal static string Of(ScatterMode m) => m switch
    {
        ScatterMode.Lines => "lines",
        ScatterMode.Markers => "markers",
        ScatterMode.LinesMarkers => "lines+markers",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "unknown ScatterMode"),
    };

    internal static string Of(Dash d) => d switch
    {
        Dash.Solid => "solid",
        Dash.Dot => "dot",
        Dash.Dashed => "dash",
        Dash.LongDash => "longdash",
        Dash.DashDot => "dashdot",
        Dash.LongDashDot => "longdashdot",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown Dash"),
    };

    internal static string Of(Orientation o) => o switch
    {
        Orientation.Vertical => "v",
        Orientation.Horizontal => "h",
        _ => throw new ArgumentOutOfRangeException(nameof(o), o, "unknown Orientation"),
    };

    internal static string Of(Fill f) => f switch
    {
        Fill.None => "none",
        Fill.ToZeroY => "tozeroy",
        Fill.ToNextY => "tonexty",
        Fill.ToSelf => "toself",
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "unknown Fill"),
    };
}

/// <summary>
/// One plotly.js trace. Properties left null are omitted from the JSON so plotly.js applies its defaults.
/// JSON property order is the order of the writes in each <c>WriteBody</c>: type first, axes last.
/// </summary>
public abstract class Trace
{
    private string? xAxis;
    private string? yAxis;

    /// <summary>plotly.js trace type ("scatter", "bar", ...).</summary>
    public abstract string Type { get; }

    /// <summary>Legend entry and hover label.</summary>
    public string? Name { get; set; }

    /// <summary>Opacity of the whole trace in [0, 1].</summary>
    public double? Opacity { get; set; }

    /// <summary>x axis reference: "x" (default), "x2", ...; set by <see cref="Figure.Add(Trace, int, int)"/> for subplots.</summary>
    public string? XAxis
    {
        get => xAxis;
        set => xAxis = value is null ? null : Json.AxisRef(value, 'x', $"{GetType().Name}.XAxis");
    }

    /// <summary>y axis reference: "y" (default), "y2", ...</summary>
    public string? YAxis
    {
        get => yAxis;
        set => yAxis = value is null ? null : Json.AxisRef(value, 'y', $"{GetType().Name}.YAxis");
    }

    internal void Write(Utf8JsonWriter w)
    {
        Validate();
        w.WriteStartObject();
        w.WriteString("type", Type);
        Json.Prop(w, "name", Name);
        WriteBody(w);
        Json.Prop(w, "opacity", Opacity);
        Json.Prop(w, "xaxis", XAxis);
        Json.Prop(w, "yaxis", YAxis);
        w.WriteEndObject();
    }

    /// <summary>Writes the type-specific properties, between "name" and "opacity".</summary>
    private protected abstract void WriteBody(Utf8JsonWriter w);

    /// <summary>Rejects inconsistent settings before anything is written.</summary>
    private protected virtual void Validate()
    {
        if (Opacity is { } o && !(o >= 0 && o <= 1))
            throw new InvalidOperationException($"{Describe()}: Opacity {o} is outside [0, 1].");
    }

    private protected string Describe() => Name is null ? $"{GetType().Name} trace" : $"{GetType().Name} trace '{Name}'";

    private protected void CheckSameLength(Values? a, string aName, Values? b, string bName)
    {
        if (a is not null && b is not null && a.Length != b.Length)
            throw new InvalidOperationException(
                $"{Describe()}: {aName} has {a.Length} values but {bName} has {b.Length}; give one {bName} per {aName} point.");
    }
}

/// <summary>Line style of a scatter trace (plotly.js <c>line</c>).</summary>
public sealed class Line
{
    /// <summary>CSS colour, e.g. "#1f77b4".</summary>
    public string? Color { get; set; }
    /// <summary>Width in px.</summary>
    public double? Width { get; set; }
    /// <summary>Dash pattern.</summary>
    public Dash? Dash { get; set; }

    internal void Write(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        Json.Prop(w, "color", Color);
        Json.Prop(w, "width", Width);
        if (Dash is { } d) w.WriteString("dash", EnumNames.Of(d));
        w.WriteEndObject();
    }
}

/// <summary>
/// Marker style of a scatter trace (plotly.js <c>marker</c>). Colour is either one CSS colour
/// (<see cref="Color"/>) or one value per point (<see cref="Colors"/>: numbers mapped through
/// <see cref="ColorScale"/>, e.g. a latent scatter coloured by digit label).
/// </summary>
public sealed class Marker
{
    /// <summary>Diameter in px, the same for every point.</summary>
    public double? Size { get; set; }
    /// <summary>Diameter in px per point (exclusive with <see cref="Size"/>).</summary>
    public Values? Sizes { get; set; }
    /// <summary>One CSS colour for every point.</summary>
    public string? Color { get; set; }
    /// <summary>Per-point colour: numbers through <see cref="ColorScale"/>, or CSS colour strings.</summary>
    public Values? Colors { get; set; }
    /// <summary>Colour scale for numeric <see cref="Colors"/>.</summary>
    public ColorScale? ColorScale { get; set; }
    /// <summary>Lower end of the colour scale (plotly.js <c>cmin</c>).</summary>
    public double? CMin { get; set; }
    /// <summary>Upper end of the colour scale (plotly.js <c>cmax</c>).</summary>
    public double? CMax { get; set; }
    /// <summary>Show the colour bar of numeric <see cref="Colors"/>.</summary>
    public bool? ShowScale { get; set; }
    /// <summary>Title of the colour bar.</summary>
    public string? ColorBarTitle { get; set; }
    /// <summary>Marker opacity in [0, 1] (useful for dense latent scatters).</summary>
    public double? Opacity { get; set; }
    /// <summary>plotly.js symbol name, e.g. "circle", "square", "x".</summary>
    public string? Symbol { get; set; }

    internal void Validate(string where, int? points)
    {
        if (Size is not null && Sizes is not null)
            throw new InvalidOperationException($"{where}: marker has both Size and Sizes; set one size for all points or one per point.");
        if (Color is not null && Colors is not null)
            throw new InvalidOperationException($"{where}: marker has both Color and Colors; set one colour for all points or one per point.");
        if (points is { } n)
        {
            if (Sizes is not null && Sizes.Length != n)
                throw new InvalidOperationException($"{where}: marker Sizes has {Sizes.Length} values for {n} points; give one size per point.");
            if (Colors is not null && Colors.Length != n)
                throw new InvalidOperationException($"{where}: marker Colors has {Colors.Length} values for {n} points; give one colour per point.");
        }
        if (ColorScale is not null && Colors is null)
            throw new InvalidOperationException($"{where}: marker ColorScale is set but Colors is not; the scale maps numeric Colors, so set Colors too.");
        if (Opacity is { } o && !(o >= 0 && o <= 1))
            throw new InvalidOperationException($"{where}: marker Opacity {o} is outside [0, 1].");
    }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("marker");
        Json.Prop(w, "size", Size);
        Json.Prop(w, "size", Sizes);
        Json.Prop(w, "symbol", Symbol);
        Json.Prop(w, "color", Color);
        Json.Prop(w, "color", Colors);
        Json.Prop(w, "colorscale", ColorScale);
        Json.Prop(w, "cmin", CMin);
        Json.Prop(w, "cmax", CMax);
        Json.Prop(w, "showscale", ShowScale);
        if (ColorBarTitle is not null)
        {
            w.WriteStartObject("colorbar");
            Json.Title(w, "title", ColorBarTitle);
            w.WriteEndObject();
        }
        Json.Prop(w, "opacity", Opacity);
        w.WriteEndObject();
    }
}

/// <summary>
/// Error bars given as data (plotly.js <c>error_y</c> with <c>type: "data"</c>): <see cref="Array"/> is the
/// length above each point and, unless <see cref="ArrayMinus"/> is set, below it as well.
/// </summary>
public sealed class ErrorBars
{
    /// <summary>Bar length above (and, if symmetric, below) each point, in data units; e.g. the standard error over seeds.</summary>
    public Values? Array { get; set; }
    /// <summary>Length below each point when the bars are asymmetric.</summary>
    public Values? ArrayMinus { get; set; }
    /// <summary>Draw the bars (plotly.js <c>visible</c>); default true.</summary>
    public bool Visible { get; set; } = true;
    /// <summary>CSS colour of the bars.</summary>
    public string? Color { get; set; }
    /// <summary>Stroke thickness in px.</summary>
    public double? Thickness { get; set; }
    /// <summary>Cross-bar width in px.</summary>
    public double? Width { get; set; }

    internal void Validate(string where, int? points)
    {
        if (Array is null)
            throw new InvalidOperationException($"{where}: error bars have no Array; set ErrorBars.Array to one length per point.");
        if (points is { } n && Array.Length != n)
            throw new InvalidOperationException($"{where}: error bar Array has {Array.Length} values for {n} points; give one length per point.");
        if (points is { } m && ArrayMinus is not null && ArrayMinus.Length != m)
            throw new InvalidOperationException($"{where}: error bar ArrayMinus has {ArrayMinus.Length} values for {m} points; give one length per point.");
    }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("error_y");
        w.WriteString("type", "data");
        Json.Prop(w, "array", Array);
        if (ArrayMinus is not null)
        {
            w.WriteBoolean("symmetric", false);
            Json.Prop(w, "arrayminus", ArrayMinus);
        }
        w.WriteBoolean("visible", Visible);
        Json.Prop(w, "color", Color);
        Json.Prop(w, "thickness", Thickness);
        Json.Prop(w, "width", Width);
        w.WriteEndObject();
    }
}

/// <summary>A plotly.js <c>scatter</c> trace: loss curves, latent scatters, activation function plots.</summary>
public sealed class Scatter : Trace
{
    /// <inheritdoc/>
    public override string Type => "scatter";
    /// <summary>Lines, markers or both; plotly.js picks by point count when null.</summary>
    public ScatterMode? Mode { get; set; }
    /// <summary>x coordinates.</summary>
    public Values? X { get; set; }
    /// <summary>y coordinates; NaN breaks the line.</summary>
    public Values? Y { get; set; }
    /// <summary>Per-point text shown on hover (and as labels in text modes).</summary>
    public string?[]? Text { get; set; }
    /// <summary>Per-point hover text (takes precedence over <see cref="Text"/> on hover).</summary>
    public string?[]? HoverText { get; set; }
    /// <summary>plotly.js hover template, e.g. "epoch %{x}: %{y:.3f}".</summary>
    public string? HoverTemplate { get; set; }
    /// <summary>Line style.</summary>
    public Line? Line { get; set; }
    /// <summary>Marker style.</summary>
    public Marker? Marker { get; set; }
    /// <summary>Vertical error bars.</summary>
    public ErrorBars? ErrorY { get; set; }
    /// <summary>Area fill.</summary>
    public Fill? Fill { get; set; }
    /// <summary>CSS colour of the fill (e.g. "rgba(31,119,180,0.2)" for a band).</summary>
    public string? FillColor { get; set; }
    /// <summary>Whether the trace has a legend entry.</summary>
    public bool? ShowLegend { get; set; }
    /// <summary>Traces sharing a group toggle together in the legend (e.g. a curve and its band).</summary>
    public string? LegendGroup { get; set; }

    private protected override void Validate()
    {
        base.Validate();
        CheckSameLength(X, "X", Y, "Y");
        int? n = Y?.Length ?? X?.Length;
        if (Text is not null && n is { } t && Text.Length != t)
            throw new InvalidOperationException($"{Describe()}: Text has {Text.Length} entries for {t} points; give one per point.");
        if (HoverText is not null && n is { } h && HoverText.Length != h)
            throw new InvalidOperationException($"{Describe()}: HoverText has {HoverText.Length} entries for {h} points; give one per point.");
        Marker?.Validate(Describe(), n);
        ErrorY?.Validate(Describe(), n);
    }

    private protected override void WriteBody(Utf8JsonWriter w)
    {
        if (Mode is { } m) w.WriteString("mode", EnumNames.Of(m));
        Json.Prop(w, "x", X);
        Json.Prop(w, "y", Y);
        if (Text is not null) Json.Prop(w, "text", (Values)Text);
        if (HoverText is not null) Json.Prop(w, "hovertext", (Values)HoverText);
        Json.Prop(w, "hovertemplate", HoverTemplate);
        Line?.Write(w, "line");
        Marker?.Write(w);
        ErrorY?.Write(w);
        if (Fill is { } f) w.WriteString("fill", EnumNames.Of(f));
        Json.Prop(w, "fillcolor", FillColor);
        Json.Prop(w, "showlegend", ShowLegend);
        Json.Prop(w, "legendgroup", LegendGroup);
    }
}

/// <summary>A plotly.js <c>bar</c> trace: final metrics per activation, with error bars over seeds.</summary>
public sealed class Bar : Trace
{
    /// <inheritdoc/>
    public override string Type => "bar";
    /// <summary>Vertical (default) or horizontal bars.</summary>
    public Orientation? Orientation { get; set; }
    /// <summary>Categories (vertical) or lengths (horizontal).</summary>
    public Values? X { get; set; }
    /// <summary>Lengths (vertical) or categories (horizontal).</summary>
    public Values? Y { get; set; }
    /// <summary>Per-bar text.</summary>
    public string?[]? Text { get; set; }
    /// <summary>Per-bar hover text.</summary>
    public string?[]? HoverText { get; set; }
    /// <summary>plotly.js hover template.</summary>
    public string? HoverTemplate { get; set; }
    /// <summary>One CSS colour for every bar (plotly.js <c>marker.color</c>).</summary>
    public string? Color { get; set; }
    /// <summary>Error bars along the bar length (plotly.js <c>error_y</c>; for horizontal bars plotly.js reads error_x, so use vertical bars with error bars).</summary>
    public ErrorBars? ErrorY { get; set; }
    /// <summary>Whether the trace has a legend entry.</summary>
    public bool? ShowLegend { get; set; }
    /// <summary>Legend group.</summary>
    public string? LegendGroup { get; set; }

    private protected override void Validate()
    {
        base.Validate();
        CheckSameLength(X, "X", Y, "Y");
        if (ErrorY is not null && Orientation == global::Workbench.Experiments.Charts.Orientation.Horizontal)
            throw new InvalidOperationException(
                $"{Describe()}: ErrorY on horizontal bars would be drawn across the bars, not along them; use vertical bars for error bars.");
        int? n = Y?.Length ?? X?.Length;
        if (Text is not null && n is { } t && Text.Length != t)
            throw new InvalidOperationException($"{Describe()}: Text has {Text.Length} entries for {t} bars; give one per bar.");
        if (HoverText is not null && n is { } h && HoverText.Length != h)
            throw new InvalidOperationException($"{Describe()}: HoverText has {HoverText.Length} entries for {h} bars; give one per bar.");
        ErrorY?.Validate(Describe(), n);
    }

    private protected override void WriteBody(Utf8JsonWriter w)
    {
        if (Orientation is { } o) w.WriteString("orientation", EnumNames.Of(o));
        Json.Prop(w, "x", X);
        Json.Prop(w, "y", Y);
        if (Text is not null) Json.Prop(w, "text", (Values)Text);
        if (HoverText is not null) Json.Prop(w, "hovertext", (Values)HoverText);
        Json.Prop(w, "hovertemplate", HoverTemplate);
        if (Color is not null)
        {
            w.WriteStartObject("marker");
            w.WriteString("color", Color);
            w.WriteEndObject();
        }
        ErrorY?.Write(w);
        Json.Prop(w, "showlegend", ShowLegend);
        Json.Prop(w, "legendgroup", LegendGroup);
    }
}

/// <summary>A plotly.js <c>heatmap</c> trace: ablation grids, KL per latent dimension over epochs.</summary>
public sealed class Heatmap : Trace
{
    /// <inheritdoc/>
    public override string Type => "heatmap";
    /// <summary>Cell values; row i is drawn at Y[i], column j at X[j].</summary>
    public Matrix? Z { get; set; }
    /// <summary>Column coordinates or labels (one per column).</summary>
    public Values? X { get; set; }
    /// <summary>Row coordinates or labels (one per row).</summary>
    public Values? Y { get; set; }
    /// <summary>Colour scale.</summary>
    public ColorScale? ColorScale { get; set; }
    /// <summary>Reverse the colour scale.</summary>
    public bool? ReverseScale { get; set; }
    /// <summary>Value mapped to the bottom of the scale.</summary>
    public double? ZMin { get; set; }
    /// <summary>Value mapped to the top of the scale.</summary>
    public double? ZMax { get; set; }
    /// <summary>Show the colour bar.</summary>
    public bool? ShowScale { get; set; }
    /// <summary>Title of the colour bar.</summary>
    public string? ColorBarTitle { get; set; }
    /// <summary>plotly.js hover template, e.g. "%{y} / %{x}: %{z:.2f}".</summary>
    public string? HoverTemplate { get; set; }

    private protected override void Validate()
    {
        base.Validate();
        if (Z is null)
            throw new InvalidOperationException($"{Describe()}: Z is not set; a heatmap needs its 2-D values.");
        if (X is not null && X.Length != Z.Columns)
            throw new InvalidOperationException($"{Describe()}: X has {X.Length} values but Z has {Z.Columns} columns; give one x per column.");
        if (Y is not null && Y.Length != Z.Rows)
            throw new InvalidOperationException($"{Describe()}: Y has {Y.Length} values but Z has {Z.Rows} rows; give one y per row.");
        if (ZMin is { } lo && ZMax is { } hi && !(lo < hi))
            throw new InvalidOperationException($"{Describe()}: ZMin {lo} is not below ZMax {hi}.");
    }

    private protected override void WriteBody(Utf8JsonWriter w)
    {
        w.WritePropertyName("z");
        Z!.Write(w);
        Json.Prop(w, "x", X);
        Json.Prop(w, "y", Y);
        Json.Prop(w, "colorscale", ColorScale);
        Json.Prop(w, "reversescale", ReverseScale);
        Json.Prop(w, "zmin", ZMin);
        Json.Prop(w, "zmax", ZMax);
        Json.Prop(w, "showscale", ShowScale);
        if (ColorBarTitle is not null)
        {
            w.WriteStartObject("colorbar");
            Json.Title(w, "title", ColorBarTitle);
            w.WriteEndObject();
        }
        Json.Prop(w, "hovertemplate", HoverTemplate);
    }
}

/// <summary>
/// A plotly.js <c>image</c> trace showing an encoded picture (plotly.js <c>source</c>: a data URI), e.g. a grid
/// of reconstructions from <see cref="ImageGrid"/>. plotly.js reverses the y axis of an image subplot and
/// locks its aspect ratio so pixels stay square.
/// </summary>
public sealed class Image : Trace
{
    /// <inheritdoc/>
    public override string Type => "image";

    /// <summary>"data:image/png;base64,..."; see <see cref="FromPng"/>.</summary>
    public string? Source { get; set; }
    /// <summary>x of the first pixel's centre (default 0).</summary>
    public double? X0 { get; set; }
    /// <summary>y of the first pixel's centre (default 0).</summary>
    public double? Y0 { get; set; }
    /// <summary>Pixel width in x units (default 1).</summary>
    public double? Dx { get; set; }
    /// <summary>Pixel height in y units (default 1).</summary>
    public double? Dy { get; set; }
    /// <summary>plotly.js hover info, e.g. "skip" to disable hover on large grids.</summary>
    public string? HoverInfo { get; set; }

    /// <summary>An image trace showing PNG bytes (e.g. from <see cref="Png"/> or <see cref="ImageGrid"/>).</summary>
    public static Image FromPng(ReadOnlySpan<byte> png, string? name = null) =>
        new() { Source = Png.ToDataUri(png), Name = name };

    private protected override void Validate()
    {
        base.Validate();
        if (Source is null || !Source.StartsWith("data:image/", StringComparison.Ordinal))
            throw new InvalidOperationException(
                $"{Describe()}: Source must be a data URI (\"data:image/png;base64,...\"); plotly.js ignores anything else. " +
                "Build it with Image.FromPng(pngBytes).");
        if (Dx is { } dx && !(dx > 0))
            throw new InvalidOperationException($"{Describe()}: Dx {dx} must be > 0.");
        if (Dy is { } dy && !(dy > 0))
            throw new InvalidOperationException($"{Describe()}: Dy {dy} must be > 0.");
    }

    private protected override void WriteBody(Utf8JsonWriter w)
    {
        w.WriteString("source", Source);
        Json.Prop(w, "x0", X0);
        Json.Prop(w, "y0", Y0);
        Json.Prop(w, "dx", Dx);
        Json.Prop(w, "dy", Dy);
        Json.Prop(w, "hoverinfo", HoverInfo);
    }
}
