using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Workbench.Experiments.Charts;

/// <summary>
/// A 1-D data array of a trace (x, y, text, error lengths, marker colours): numbers kept in their own
/// precision (float32 values are written in float32's shortest round-trip form, so 0.1f prints as 0.1
/// rather than 0.10000000149011612) or strings (categories, colour names).
/// </summary>
/// <remarks>
/// The array is held by reference, not copied, exactly like a plotly.js trace holds its arrays: change the
/// array after building the figure and the next serialisation shows the change. NaN and +-Infinity are
/// written as JSON <c>null</c>, which plotly.js draws as a gap.
/// </remarks>
public sealed class Values
{
    private readonly double[]? doubles;
    private readonly float[]? floats;
    private readonly int[]? ints;
    private readonly string?[]? strings;

    private Values(double[]? d, float[]? f, int[]? i, string?[]? s)
    {
        doubles = d;
        floats = f;
        ints = i;
        strings = s;
    }

    /// <summary>Number of elements.</summary>
    public int Length => doubles?.Length ?? floats?.Length ?? ints?.Length ?? strings!.Length;

    /// <summary>True when the elements are strings (categories, colour names) rather than numbers.</summary>
    public bool IsText => strings is not null;

    /// <summary>Wraps a double array (held by reference); null stays null (the property is left unset).</summary>
    [return: NotNullIfNotNull(nameof(values))]
    public static implicit operator Values?(double[]? values) => values is null ? null : new(values, null, null, null);

    /// <summary>Wraps a float array (held by reference); null stays null.</summary>
    [return: NotNullIfNotNull(nameof(values))]
    public static implicit operator Values?(float[]? values) => values is null ? null : new(null, values, null, null);

    /// <summary>Wraps an int array (held by reference); null stays null.</summary>
    [return: NotNullIfNotNull(nameof(values))]
    public static implicit operator Values?(int[]? values) => values is null ? null : new(null, null, values, null);

    /// <summary>Wraps a string array (held by reference); null elements are written as JSON null; a null array stays null.</summary>
    [return: NotNullIfNotNull(nameof(values))]
    public static implicit operator Values?(string?[]? values) => values is null ? null : new(null, null, null, values);

    /// <summary>Copies a sequence of doubles.</summary>
    public static Values Of(IEnumerable<double> values) =>
        new(values?.ToArray() ?? throw new ArgumentNullException(nameof(values)), null, null, null);

    /// <summary>Copies a sequence of floats.</summary>
    public static Values Of(IEnumerable<float> values) =>
        new(null, values?.ToArray() ?? throw new ArgumentNullException(nameof(values)), null, null);

    /// <summary>Copies a sequence of ints.</summary>
    public static Values Of(IEnumerable<int> values) =>
        new(null, null, values?.ToArray() ?? throw new ArgumentNullException(nameof(values)), null);

    /// <summary>Copies a sequence of strings.</summary>
    public static Values Of(IEnumerable<string?> values) =>
        new(null, null, null, values?.ToArray() ?? throw new ArgumentNullException(nameof(values)));

    /// <summary><c>start, start + 1, ..., start + count - 1</c>: the usual x of a per-epoch curve.</summary>
    public static Values Range(int start, int count)
    {
        if (count < 0)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                "Values.Range: count must be >= 0; pass the number of points to generate.");
        return new(null, null, Enumerable.Range(start, count).ToArray(), null);
    }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        if (doubles is not null)
            foreach (var v in doubles) Json.Number(w, v);
        else if (floats is not null)
            foreach (var v in floats) Json.Number(w, v);
        else if (ints is not null)
            foreach (var v in ints) w.WriteNumberValue(v);
        else
            foreach (var v in strings!)
                if (v is null) w.WriteNullValue();
                else w.WriteStringValue(v);
        w.WriteEndArray();
    }
}

/// <summary>
/// A rectangular 2-D array of numbers (a heatmap's z): row i is drawn at y[i], column j at x[j], as plotly.js
/// reads <c>z[i][j]</c>. Held by reference; NaN and +-Infinity are written as null (an empty cell).
/// </summary>
public sealed class Matrix
{
    private readonly double[,]? d2;
    private readonly float[,]? f2;
    private readonly double[][]? dj;
    private readonly float[][]? fj;

    private Matrix(double[,]? d2, float[,]? f2, double[][]? dj, float[][]? fj, int rows, int columns)
    {
        this.d2 = d2;
        this.f2 = f2;
        this.dj = dj;
        this.fj = fj;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows (the y extent).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (the x extent).</summary>
    public int Columns { get; }

    /// <summary>Wraps a rectangular double array; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(z))]
    public static implicit operator Matrix?(double[,]? z) =>
        z is null ? null : new(z, null, null, null, z.GetLength(0), z.GetLength(1));

    /// <summary>Wraps a rectangular float array; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(z))]
    public static implicit operator Matrix?(float[,]? z) =>
        z is null ? null : new(null, z, null, null, z.GetLength(0), z.GetLength(1));

    /// <summary>Wraps a jagged double array whose rows all have the same length; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(z))]
    public static implicit operator Matrix?(double[][]? z) =>
        z is null ? null : new(null, null, z, null, z.Length, CheckJagged(z, r => r.Length));

    /// <summary>Wraps a jagged float array whose rows all have the same length; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(z))]
    public static implicit operator Matrix?(float[][]? z) =>
        z is null ? null : new(null, null, null, z, z.Length, CheckJagged(z, r => r.Length));

    /// <summary>Wraps a row-major buffer (e.g. a tensor's elements) of <paramref name="rows"/> x <paramref name="columns"/>; copies it.</summary>
    public static Matrix FromRowMajor(ReadOnlySpan<float> values, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || (long)rows * columns != values.Length)
            throw new ArgumentException(
                $"Matrix.FromRowMajor: {values.Length} values cannot be viewed as {rows} x {columns}; " +
                "pass rows and columns whose product is the buffer length.", nameof(values));
        var z = new float[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                z[i, j] = values[i * columns + j];
        return new Matrix(null, z, null, null, rows, columns);
    }

    private static int CheckJagged<T>(T[][] z, Func<T[], int> length)
    {
        if (z.Length == 0) return 0;
        for (int i = 0; i < z.Length; i++)
            if (z[i] is null)
                throw new ArgumentException($"Matrix: row {i} of the jagged array is null; every row needs values.", nameof(z));
        int columns = length(z[0]);
        for (int i = 1; i < z.Length; i++)
            if (length(z[i]) != columns)
                throw new ArgumentException(
                    $"Matrix: row {i} has {length(z[i])} values but row 0 has {columns}; a heatmap's z must be rectangular.",
                    nameof(z));
        return columns;
    }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        for (int i = 0; i < Rows; i++)
        {
            w.WriteStartArray();
            for (int j = 0; j < Columns; j++)
            {
                if (d2 is not null) Json.Number(w, d2[i, j]);
                else if (f2 is not null) Json.Number(w, f2[i, j]);
                else if (dj is not null) Json.Number(w, dj[i][j]);
                else Json.Number(w, fj![i][j]);
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}

/// <summary>
/// A plotly.js colour scale: one of plotly's named palettes or explicit (stop, colour) pairs from 0 to 1.
/// A string converts implicitly (<c>ColorScale = "Viridis"</c>) and is checked against plotly's palette list.
/// </summary>
public sealed class ColorScale
{
    /// <summary>The palette names plotly.js accepts as a colorscale string (plotly.js 4.x schema).</summary>
    public static readonly IReadOnlyList<string> PaletteNames =
    [
        "Blackbody", "Bluered", "Blues", "Cividis", "Earth", "Electric", "Greens", "Greys", "Hot", "Jet",
        "Picnic", "Portland", "Rainbow", "RdBu", "Reds", "Viridis", "YlGnBu", "YlOrRd",
    ];

    private readonly string? name;
    private readonly (double Stop, string Color)[]? stops;

    private ColorScale(string? name, (double, string)[]? stops)
    {
        this.name = name;
        this.stops = stops;
    }

    /// <summary>Perceptually uniform, colour-blind safe: the default for heatmaps and latent scatters.</summary>
    public static ColorScale Viridis { get; } = new("Viridis", null);

    /// <summary>Grey ramp: for image-like heatmaps.</summary>
    public static ColorScale Greys { get; } = new("Greys", null);

    /// <summary>Diverging red-blue: for signed quantities centred on zero.</summary>
    public static ColorScale RdBu { get; } = new("RdBu", null);

    /// <summary>A named plotly palette; the name is matched exactly (plotly's names are case-sensitive).</summary>
    public static ColorScale Named(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!PaletteNames.Contains(name))
        {
            var near = PaletteNames.FirstOrDefault(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase));
            throw new ArgumentException(
                $"ColorScale: '{name}' is not a plotly.js palette" + (near is null ? "" : $" (did you mean '{near}'?)") +
                $"; use one of {string.Join(", ", PaletteNames)} or ColorScale.Of((0, colour), ..., (1, colour)).",
                nameof(name));
        }
        return new(name, null);
    }

    /// <summary>Explicit stops: the first at 0, the last at 1, strictly increasing, each with a CSS colour.</summary>
    public static ColorScale Of(params (double Stop, string Color)[] stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        if (stops.Length < 2 || stops[0].Stop != 0 || stops[^1].Stop != 1)
            throw new ArgumentException(
                "ColorScale.Of: plotly.js needs at least two stops, the first at 0 and the last at 1, " +
                "e.g. ColorScale.Of((0, \"#ffffff\"), (1, \"#000000\")).", nameof(stops));
        for (int i = 0; i < stops.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(stops[i].Color))
                throw new ArgumentException($"ColorScale.Of: stop {i} has no colour; give a CSS colour such as \"#1f77b4\".", nameof(stops));
            if (i > 0 && !(stops[i].Stop > stops[i - 1].Stop))
                throw new ArgumentException(
                    $"ColorScale.Of: stop {i} ({stops[i].Stop}) is not above stop {i - 1} ({stops[i - 1].Stop}); stops must increase from 0 to 1.",
                    nameof(stops));
        }
        return new(null, ((double, string)[])stops.Clone());
    }

    /// <summary>A palette name, checked as by <see cref="Named"/>.</summary>
    public static implicit operator ColorScale(string name) => Named(name);

    internal void Write(Utf8JsonWriter w)
    {
        if (name is not null)
        {
            w.WriteStringValue(name);
            return;
        }
        w.WriteStartArray();
        foreach (var (stop, color) in stops!)
        {
            w.WriteStartArray();
            w.WriteNumberValue(stop);
            w.WriteStringValue(color);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
