using System.Globalization;
using Plotly.NET;
using Plotly.NET.CSharp;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Chart = Plotly.NET.CSharp.Chart;

namespace Workbench.Experiments.Plots;

public static partial class Plots
{
    private static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- summary bars

    /// <summary>
    /// The mean of <paramref name="metric"/> (default: each summary's primary metric, NLL when present else test
    /// loss) per activation as bars, with the 95% t-interval as error bars (the interval's half width; none drawn
    /// where fewer than 2 seeds completed). One bar trace per group, named by the group.
    /// </summary>
    public static GenericChart SummaryBars(IReadOnlyList<ActivationSummary> summaries, string? metric = null)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (summaries.Count == 0) throw new ArgumentException("Plots.SummaryBars: no summaries to plot.", nameof(summaries));
        string name = metric ?? summaries[0].Primary.Name;
        var groups = summaries.GroupBy(s => s.Group).ToList();
        var bars = new List<GenericChart>();
        int k = 0;
        foreach (var g in groups)
        {
            var estimates = g.Select(s => metric is null ? s.PrimaryEstimate : s[name]).ToArray();
            var bar = Chart.Column<double, string, string>(estimates.Select(e => e.Mean), Keys: g.Select(s => s.Activation).ToArray(),
                Name: g.Key.Label, ShowLegend: groups.Count > 1, MarkerColor: Color.fromHex(groups.Count > 1 ? Palette.Color(k) : "#4c78a8"));
            bars.Add(ChartKit.ErrorBars(bar, estimates.Select(e => e.HalfWidth)));
            k++;
        }
        var chart = ChartKit.Layout(Chart.Combine(bars), l => l.SetProperty("barmode", "group"));
        chart = ChartKit.Axes(chart, "activation", MetricAxis(name));
        // Losses of competing activations differ by a few nats on top of ~100: start the axis near the data
        // (the title says what the bars show; the axis labels show where it starts).
        var all = summaries.Select(s => metric is null ? s.PrimaryEstimate : s[name]).ToArray();
        if (NearRange(all) is { } range)
            chart = chart.WithYAxisStyle<double, double, string>(MinMax: range);
        var seeds = summaries.Select(s => (metric is null ? s.PrimaryEstimate : s[name]).N).Distinct().Order().ToList();
        return ChartKit.Finish(chart, $"{MetricLabel(name)} by activation", Math.Clamp(200 + 70 * summaries.Count, 700, 1600), 480,
            subtitle: $"mean over {string.Join(" or ", seeds)} seed(s) with 95% t-interval (none for one seed)");
    }

    /// <summary>A y range that starts near the data when the data sit far from zero (null: let plotly.js choose).</summary>
    private static Tuple<double, double>? NearRange(IReadOnlyList<Estimate> estimates)
    {
        var lows = estimates.Select(e => double.IsNaN(e.Low) ? e.Mean : e.Low).Where(double.IsFinite).ToArray();
        var highs = estimates.Select(e => double.IsNaN(e.High) ? e.Mean : e.High).Where(double.IsFinite).ToArray();
        if (lows.Length == 0 || lows.Min() <= 0) return null;
        double lo = lows.Min(), hi = highs.Max(), span = Math.Max(hi - lo, 1e-9 * Math.Abs(hi));
        return span < 0.5 * hi ? Tuple.Create(lo - 0.25 * span - 1e-12, hi + 0.15 * span + 1e-12) : null;
    }

    // ---------------------------------------------------------------- NLL by activation

    /// <summary>
    /// The importance-sampled test NLL per activation: every completed seed as a small point, and the mean with
    /// its 95% t-interval as a large marker with error bars; one pair of traces per group ("mnist: seeds",
    /// "mnist: mean ± 95% CI"). Every completed run must have an NLL (evaluate with NLL samples &gt; 0).
    /// </summary>
    public static GenericChart NllByActivation(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var completed = records.Where(Metric.IsCompleted).ToList();
        if (completed.Count == 0) throw new ArgumentException("Plots.NllByActivation: no completed run to plot.", nameof(records));
        if (completed.Any(r => r.Final!.TestNll is null))
            throw new ArgumentException(
                "Plots.NllByActivation: some completed runs have no importance-sampled NLL; evaluate them with NLL samples (the grid's evaluation.nllSamples > 0), or plot the test loss with SummaryBars.", nameof(records));
        var axes = RunAxes.Varying(completed);
        var groups = completed.GroupBy(r => RunAxes.GroupOf(r, axes)).ToList();
        var traces = new List<GenericChart>();
        var estimates = new List<Estimate>();
        for (int k = 0; k < groups.Count; k++)
        {
            string prefix = groups.Count > 1 ? groups[k].Key.Label + ": " : "";
            var color = Color.fromHex(groups.Count > 1 ? Palette.Color(k) : "#4c78a8");
            var runs = groups[k].OrderBy(r => r.Config.Model.Activation, StringComparer.Ordinal).ThenBy(r => r.Config.Training.Seed).ToList();
            // Seeds in dark grey (one group) so they stay visible on top of the mean's marker.
            var seeds = Chart.Point<string, double, string>(runs.Select(r => r.Config.Model.Activation), runs.Select(r => r.Final!.TestNll!.Value),
                Name: prefix + "seeds", MarkerColor: groups.Count > 1 ? color : Color.fromHex("#333333"), Opacity: 0.8,
                MultiText: runs.Select(r => $"seed {r.Config.Training.Seed}").ToArray());
            var byActivation = runs.GroupBy(r => r.Config.Model.Activation).ToList();
            var e = byActivation.Select(a => Estimate.Of(a.Select(r => r.Final!.TestNll!.Value))).ToList();
            estimates.AddRange(e);
            var means = Chart.Point<string, double, string>(byActivation.Select(a => a.Key), e.Select(x => x.Mean), Name: prefix + "mean ± 95% CI",
                MarkerColor: color, MarkerSymbol: StyleParam.MarkerSymbol.Diamond, MultiText: e.Select(x => $"n = {x.N}").ToArray());
            means = FsMarkerSize(means, 13);
            // The seeds go after the means, so they are drawn on top of the larger markers.
            traces.Add(ChartKit.ErrorBars(means, e.Select(x => x.HalfWidth)));
            traces.Add(FsMarkerSize(seeds, 6));
        }
        var chart = ChartKit.Axes(Chart.Combine(traces), "activation", "test NLL (nats)");
        if (NearRange(estimates) is { } range) chart = chart.WithYAxisStyle<double, double, string>(MinMax: range);
        int samples = completed.Select(r => r.Final!.NllSamples ?? 0).Max();
        return ChartKit.Finish(chart, "Test NLL by activation", Math.Clamp(240 + 80 * completed.Select(r => r.Config.Model.Activation).Distinct().Count(), 700, 1400), 480,
            subtitle: $"importance sampled with k = {samples}; each seed, and the mean with its 95% t-interval");
    }

    private static GenericChart FsMarkerSize(GenericChart chart, int size) =>
        Plotly.NET.Chart.withMarkerStyle(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, ChartKit.Some(size), null, null, null, null, null, null, null, null, null, null, null, null).Invoke(chart);

    // ---------------------------------------------------------------- rate–distortion

    /// <summary>
    /// Rate–distortion of the completed runs: test KL (rate) on x, test reconstruction (distortion) on y, one
    /// marker trace per (activation, beta) with one point per seed; colour by activation, marker symbol by beta.
    /// Groups other than beta get their own panels.
    /// </summary>
    public static GenericChart RateDistortion(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var completed = records.Where(Metric.IsCompleted).ToList();
        if (completed.Count == 0) throw new ArgumentException("Plots.RateDistortion: no completed run to plot.", nameof(records));
        var colors = ColorMap(records);
        var betas = completed.Select(r => r.Config.Model.Beta).Distinct().Order().ToList();
        var axes = RunAxes.Varying(completed).Where(a => a.Name != "beta").ToList();
        var groups = completed.GroupBy(r => RunAxes.GroupOf(r, axes)).ToList();
        var legend = new HashSet<string>(StringComparer.Ordinal);
        var panels = new List<GenericChart>();
        foreach (var g in groups)
        {
            var traces = new List<GenericChart>();
            foreach (var set in g.GroupBy(r => (r.Config.Model.Activation, r.Config.Model.Beta))
                         .OrderBy(s => s.Key.Activation, StringComparer.Ordinal).ThenBy(s => s.Key.Beta))
            {
                var runs = set.OrderBy(r => r.Config.Training.Seed).ToList();
                string name = betas.Count > 1 ? $"{set.Key.Activation}, β={Invariant(set.Key.Beta)}" : set.Key.Activation;
                var points = Chart.Point<double, double, string>(runs.Select(r => r.Final!.TestKl), runs.Select(r => r.Final!.TestRecon), Name: name,
                    ShowLegend: legend.Add(name), MarkerColor: Color.fromHex(colors[set.Key.Activation]), MarkerSymbol: Palette.Symbol(betas.IndexOf(set.Key.Beta)),
                    MultiText: runs.Select(r => $"seed {r.Config.Training.Seed}").ToArray());
                traces.Add(FsMarkerSize(points, 10).WithTraceInfo(LegendGroup: name));
            }
            panels.Add(Chart.Combine(traces));
        }
        var (rows, cols) = ChartKit.GridShape(panels.Count);
        var chart = panels.Count == 1 ? panels[0]
            : Chart.Grid(panels, rows, cols, SubPlotTitles: groups.Select(g => g.Key.Label).ToArray(), XGap: 0.1, YGap: 0.25);
        for (int p = 0; p < panels.Count; p++) chart = ChartKit.Axes(chart, "rate: KL(q(z|x) ‖ p(z)) (nats)", "distortion: −E log p(x|z) (nats)", p + 1);
        return ChartKit.Finish(chart, "Rate–distortion", Math.Max(760, 540 * cols), Math.Max(480, 140 + 380 * rows),
            subtitle: betas.Count > 1 ? "one point per seed; colour: activation, marker: β" : "one point per seed");
    }
}
