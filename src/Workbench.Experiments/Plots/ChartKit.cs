using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.CSharp;
using Plotly.NET.LayoutObjects;
using Chart = Plotly.NET.CSharp.Chart;
using FsChart = Plotly.NET.Chart;

namespace Workbench.Experiments.Plots;

/// <summary>
/// The few Plotly.NET calls the standard plots share: Plotly.NET.CSharp's trace constructors and axis styles, and,
/// where the C# layer has no method (titles, error bars, shapes, margins), Plotly.NET's F# functions, whose
/// optional arguments C# passes as FSharpOption (null is None).
/// </summary>
internal static class ChartKit
{
    public static FSharpOption<T> Some<T>(T value) => FSharpOption<T>.Some(value);

    /// <summary>
    /// The finishing touches of every standard plot: a title with an optional smaller second line saying what is
    /// drawn, size, a white paper template, margins that fit the axis titles.
    /// </summary>
    public static GenericChart Finish(GenericChart chart, string title, int width, int height, int top = 80, string? subtitle = null)
    {
        chart = FsChart.withTemplate(ChartTemplates.light).Invoke(chart);
        chart = FsChart.withTitle(subtitle is null ? title : $"{title}<br><sup>{subtitle}</sup>", null).Invoke(chart);
        chart = FsChart.withMarginSize<int, int, int, int, int, bool>(Some(70), Some(30), Some(top), Some(60), null, null).Invoke(chart);
        return chart.WithSize(width, height);
    }

    /// <summary>Axis titles of panel <paramref name="panel"/> (1-based; 1 is the first or only panel).</summary>
    public static GenericChart Axes(GenericChart chart, string? xTitle, string? yTitle, int panel = 1, StyleParam.AxisType? yType = null)
    {
        if (xTitle is not null)
            chart = chart.WithXAxisStyle<double, double, string>(TitleText: xTitle, Id: StyleParam.SubPlotId.NewXAxis(panel));
        if (yTitle is not null)
            chart = yType is { } type
                ? chart.WithYAxisStyle<double, double, string>(TitleText: yTitle, AxisType: type, Id: StyleParam.SubPlotId.NewYAxis(panel))
                : chart.WithYAxisStyle<double, double, string>(TitleText: yTitle, Id: StyleParam.SubPlotId.NewYAxis(panel));
        return chart;
    }

    /// <summary>
    /// Whole-number ticks on panel <paramref name="panel"/>'s x axis running up to <paramref name="max"/> (epochs): at
    /// most about ten, so a two-epoch run is not labelled 1.2, 1.4, ... and a fifty-epoch one is not crowded.
    /// </summary>
    public static GenericChart WholeNumberX(GenericChart chart, int max, int panel = 1) => Layout(chart, layout =>
    {
        if (layout.TryGetPropertyValue(panel == 1 ? "xaxis" : "xaxis" + panel) is not { } found || found.Value is not DynamicObj.DynamicObj axis) return;
        axis.SetProperty("tickmode", "linear");
        axis.SetProperty("tick0", 1);
        axis.SetProperty("dtick", Math.Max(1, (int)Math.Ceiling(max / 10.0)));
    });

    /// <summary>Symmetric error bars of half-width <paramref name="halfWidths"/> (null draws none at that point) on every trace of the chart.</summary>
    public static GenericChart ErrorBars(GenericChart chart, IEnumerable<double> halfWidths, string color = "#333333")
    {
        var array = halfWidths.Select(h => double.IsFinite(h) ? h : double.NaN).ToArray();
        return FsChart.withYErrorStyle<double, double>(Some(true), Some(StyleParam.ErrorType.Data), Some(true), Some<IEnumerable<double>>(array),
            null, null, null, null, null, null, Some(Color.fromHex(color)), Some(1.5), Some(6.0)).Invoke(chart);
    }

    /// <summary>
    /// A mean curve with a shaded band from <paramref name="low"/> to <paramref name="high"/>: the band's lower edge,
    /// its upper edge filled down to it, then the mean line; all three in legend group <paramref name="name"/>, the
    /// band without legend entries or hover text of its own.
    /// </summary>
    public static GenericChart Band(IReadOnlyList<double> x, IReadOnlyList<double> mean, IReadOnlyList<double> low, IReadOnlyList<double> high,
        string name, string color, bool showLegend, StyleParam.DrawingStyle? dash = null, string? hover = null)
    {
        var fill = Color.fromString(Palette.Rgba(color, 0.18));
        var lower = Chart.Scatter<double, double, string>(x, low, StyleParam.Mode.Lines, Name: name + " (band)", ShowLegend: false,
            LineColor: Color.fromString(Palette.Rgba(color, 0)), LineWidth: 0.0);
        var upper = Chart.Scatter<double, double, string>(x, high, StyleParam.Mode.Lines, Name: name + " (band)", ShowLegend: false,
            LineColor: Color.fromString(Palette.Rgba(color, 0)), LineWidth: 0.0, Fill: StyleParam.Fill.ToNext_y, FillColor: fill);
        var text = x.Select(_ => hover ?? name).ToArray();
        var line = dash is { } d
            ? Chart.Scatter<double, double, string>(x, mean, StyleParam.Mode.Lines_Markers, Name: name, ShowLegend: showLegend,
                LineColor: Color.fromHex(color), LineWidth: 2.0, LineDash: d, MarkerColor: Color.fromHex(color), MultiText: text)
            : Chart.Scatter<double, double, string>(x, mean, StyleParam.Mode.Lines_Markers, Name: name, ShowLegend: showLegend,
                LineColor: Color.fromHex(color), LineWidth: 2.0, MarkerColor: Color.fromHex(color), MultiText: text);
        lower = lower.WithTraceInfo(LegendGroup: name);
        upper = upper.WithTraceInfo(LegendGroup: name);
        line = line.WithTraceInfo(LegendGroup: name);
        return Chart.Combine([lower, upper, line]);
    }

    /// <summary>A horizontal dashed reference line across the plot at <paramref name="y"/> (a layout shape).</summary>
    public static GenericChart HorizontalLine(GenericChart chart, double y, string color = "#888")
    {
        var shape = new Shape();
        shape.SetProperty("type", "line");
        shape.SetProperty("xref", "paper");
        shape.SetProperty("x0", 0.0);
        shape.SetProperty("x1", 1.0);
        shape.SetProperty("y0", y);
        shape.SetProperty("y1", y);
        var line = new Line();
        line.SetProperty("color", color);
        line.SetProperty("dash", "dash");
        line.SetProperty("width", 1.0);
        shape.SetProperty("line", line);
        return FsChart.withShape(shape, null).Invoke(chart);
    }

    /// <summary>Changes the chart's layout with plotly.js property names (e.g. barmode) the typed API has no short form for.</summary>
    public static GenericChart Layout(GenericChart chart, Action<Layout> change)
    {
        var layout = GenericChart.getLayout(chart);
        change(layout);
        return GenericChart.setLayout(layout, chart);
    }

    /// <summary>Both axes of panel <paramref name="panel"/> hidden (for image traces).</summary>
    public static GenericChart HiddenAxes(GenericChart chart, int panel = 1)
    {
        chart = chart.WithXAxisStyle<double, double, string>(ShowGrid: false, ZeroLine: false, ShowLine: false, Id: StyleParam.SubPlotId.NewXAxis(panel));
        chart = chart.WithYAxisStyle<double, double, string>(ShowGrid: false, ZeroLine: false, ShowLine: false, Id: StyleParam.SubPlotId.NewYAxis(panel));
        return Layout(chart, layout =>
        {
            foreach (var axis in new[] { panel == 1 ? "xaxis" : "xaxis" + panel, panel == 1 ? "yaxis" : "yaxis" + panel })
                if (layout.TryGetPropertyValue(axis) is { } found && found.Value is DynamicObj.DynamicObj a)
                {
                    a.SetProperty("visible", false);
                }
        });
    }

    /// <summary>(rows, columns) of a panel grid: 1, 2 side by side, up to 4 in two columns, else three columns.</summary>
    public static (int Rows, int Cols) GridShape(int panels)
    {
        int cols = panels <= 1 ? 1 : panels <= 4 ? 2 : 3;
        return ((panels + cols - 1) / cols, cols);
    }
}
