using Plotly.NET;

namespace Workbench.Experiments.Plots;

/// <summary>
/// What Plotly.NET.CSharp has no method for, as extension methods a notebook can chain after <c>Chart.Line(...)</c>:
/// a title, and the look of the standard plots (white template, margins, size).
/// </summary>
public static class ChartStyle
{
    /// <summary>The chart with <paramref name="title"/> above it (Plotly.NET's <c>Chart.withTitle</c>).</summary>
    public static GenericChart WithTitle(this GenericChart chart, string title)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentNullException.ThrowIfNull(title);
        return Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
    }

    /// <summary>
    /// The chart titled and sized like the standard plots of <see cref="Plots"/>, on the same white template, with
    /// an optional smaller second title line (<paramref name="subtitle"/>).
    /// </summary>
    public static GenericChart WithStandardStyle(this GenericChart chart, string title, int width = 800, int height = 480, string? subtitle = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentNullException.ThrowIfNull(title);
        if (width < 100 || height < 100 || width > 8192 || height > 8192)
            throw new ArgumentOutOfRangeException(nameof(width), (width, height), $"ChartStyle: size {width} x {height} px must be within 100..8192 per side.");
        return ChartKit.Finish(chart, title, width, height, subtitle: subtitle);
    }
}
