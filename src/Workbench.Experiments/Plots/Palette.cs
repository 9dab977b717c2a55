using System.Globalization;
using Plotly.NET;

namespace Workbench.Experiments.Plots;

/// <summary>Colours of the standard plots: one fixed colour per series index, so a name keeps its colour across figures.</summary>
public static class Palette
{
    // The ten category colours of D3 ("category10", also plotly's default), then their light and dark variants.
    private static readonly string[] Colors =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#637939", "#3182bd", "#fd8d3c", "#74c476", "#ad494a",
        "#a55194", "#8c6d31", "#6baed6", "#9e9ac8",
    ];

    /// <summary>Marker symbols for a second categorical dimension (e.g. beta in a rate–distortion plot).</summary>
    private static readonly StyleParam.MarkerSymbol[] Symbols =
    [
        StyleParam.MarkerSymbol.Circle, StyleParam.MarkerSymbol.Square, StyleParam.MarkerSymbol.Diamond, StyleParam.MarkerSymbol.TriangleUp,
        StyleParam.MarkerSymbol.X, StyleParam.MarkerSymbol.Cross, StyleParam.MarkerSymbol.Star, StyleParam.MarkerSymbol.TriangleDown,
        StyleParam.MarkerSymbol.Pentagon, StyleParam.MarkerSymbol.Hexagon,
    ];

    /// <summary>Number of distinct colours before they repeat.</summary>
    public static int Count => Colors.Length;

    /// <summary>The colour of series <paramref name="index"/> (cycling).</summary>
    public static string Color(int index) => Colors[((index % Colors.Length) + Colors.Length) % Colors.Length];

    /// <summary>The marker symbol of category <paramref name="index"/> (cycling).</summary>
    public static StyleParam.MarkerSymbol Symbol(int index) => Symbols[((index % Symbols.Length) + Symbols.Length) % Symbols.Length];

    /// <summary>"#rrggbb" as "rgba(r,g,b,alpha)": for translucent bands.</summary>
    public static string Rgba(string hex, double alpha)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 7 || hex[0] != '#')
            throw new ArgumentException($"Palette.Rgba: '{hex}' is not a #rrggbb colour.", nameof(hex));
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Palette.Rgba: alpha must be in [0, 1].");
        int r = int.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        int g = int.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        int b = int.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"rgba({r},{g},{b},{alpha})");
    }
}
