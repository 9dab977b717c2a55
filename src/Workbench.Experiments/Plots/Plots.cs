using Plotly.NET;
using Plotly.NET.CSharp;
using TorchSharp;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Workbench.Vae.Activations;
using Workbench.Vae.Training;
using Chart = Plotly.NET.CSharp.Chart;

namespace Workbench.Experiments.Plots;

/// <summary>How the spread over seeds is drawn around a mean training curve.</summary>
public enum CurveBand
{
    /// <summary>The 95% Student-t interval of the mean over seeds (none with one seed).</summary>
    Confidence95,
    /// <summary>From the lowest to the highest seed at each epoch.</summary>
    MinMax,
    /// <summary>Mean ± one sample standard deviation.</summary>
    StdDev,
}

/// <summary>
/// The standard plots of an activation study, each a Plotly.NET <see cref="GenericChart"/>: a notebook shows it
/// as it is, <see cref="Charts.ChartHtml"/> saves it as a self-contained page and <see cref="Charts.PngExport"/> as a PNG.
/// Every chart has a title, axis titles with units and a legend where there is more than one series.
/// </summary>
public static partial class Plots
{
    // ---------------------------------------------------------------- activation functions

    /// <summary>
    /// f(x) and f'(x) of registered activations over [<paramref name="min"/>, <paramref name="max"/>] in two
    /// panels. Derivatives come from libtorch's autograd (requires_grad input, f(x).sum().backward(), x.grad), so
    /// they are exactly what training back-propagates, including the conventions at kinks (relu'(0) = 0).
    /// Learnable activations are drawn at their initial parameters. Two traces per activation: f in panel 1
    /// (with a legend entry) then f' in panel 2, in the order given.
    /// </summary>
    public static GenericChart ActivationCurves(IReadOnlyList<string> names, double min = -5, double max = 5, int points = 201)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) throw new ArgumentException("Plots.ActivationCurves: name at least one activation.", nameof(names));
        if (!(min < max) || !double.IsFinite(min) || !double.IsFinite(max))
            throw new ArgumentOutOfRangeException(nameof(min), (min, max), $"Plots.ActivationCurves: need finite min < max, got [{min}, {max}].");
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "Plots.ActivationCurves: need at least 2 points.");
        var xs = new double[points];
        for (int i = 0; i < points; i++) xs[i] = min + (max - min) * i / (points - 1);

        var values = new List<GenericChart>();
        var derivatives = new List<GenericChart>();
        for (int k = 0; k < names.Count; k++)
        {
            var (y, dy) = Evaluate(names[k], xs);
            var color = Color.fromHex(Palette.Color(k));
            values.Add(Chart.Line<double, double, string>(xs, y, Name: names[k], LineColor: color, LineWidth: 2.0).WithTraceInfo(LegendGroup: names[k]));
            derivatives.Add(Chart.Line<double, double, string>(xs, dy, Name: names[k], ShowLegend: false, LineColor: color, LineWidth: 2.0)
                .WithTraceInfo(LegendGroup: names[k]));
        }
        var chart = Chart.Grid([Chart.Combine(values), Chart.Combine(derivatives)], 1, 2, SubPlotTitles: new[] { "f(x)", "f′(x)" }, XGap: 0.12);
        chart = ChartKit.Axes(chart, "x", "f(x)", 1);
        chart = ChartKit.Axes(chart, "x", "f′(x)", 2);
        return ChartKit.Finish(chart, "Activation functions and their derivatives", 1000, 470, top: 100,
            subtitle: "f′ from autograd, as training back-propagates it; learnable activations at their initial parameters");
    }

    /// <summary>f(x) and f'(x) of a registered activation at the points <paramref name="xs"/>, through autograd.</summary>
    public static (double[] Values, double[] Derivatives) Evaluate(string activation, double[] xs)
    {
        ArgumentNullException.ThrowIfNull(xs);
        var spec = ActivationRegistry.Get(activation);
        if (spec.WidthFactor != 1)
            throw new ArgumentException(
                $"Plots: '{activation}' maps {spec.WidthFactor} inputs to one output, so it has no curve f(x); leave it out of activation plots.", nameof(activation));
        using var scope = torch.NewDisposeScope();
        // The derivative needs autograd even when the caller (a notebook cell, say) sits inside torch.no_grad().
        using var grad = torch.enable_grad();
        using var module = ActivationRegistry.Create(activation);
        // Parameter-free activations run in float64; learnable ones in their parameters' precision (ops need one dtype).
        var dtype = module.parameters().FirstOrDefault()?.dtype ?? torch.float64;
        // Converted first, then marked: a leaf of the activation's dtype, so autograd fills its .grad.
        var x = torch.tensor(xs, [1, xs.Length]).to(dtype).requires_grad_();           // [1, points]
        var y = module.call(x);                                                          // [1, points]
        // d(sum f(x_i))/dx_j = f'(x_j): one backward pass gives every point's derivative.
        y.sum().backward();
        var dy = x.grad ?? throw new InvalidOperationException($"Plots: autograd produced no gradient for '{activation}'.");
        return (TensorValues.Doubles(y), TensorValues.Doubles(dy));
    }

    // ---------------------------------------------------------------- training curves

    /// <summary>
    /// Training and test negative ELBO per epoch of the completed runs: a train and a test panel per group (data
    /// set and other varying axes), per activation the mean over seeds with a shaded <paramref name="band"/>
    /// (default: the 95% t-interval over seeds). Colours follow <see cref="ColorMap"/>.
    /// </summary>
    public static GenericChart LossCurves(IReadOnlyList<RunRecord> records, CurveBand band = CurveBand.Confidence95)
    {
        var groups = CompletedPanels(records, "Plots.LossCurves");
        var colors = ColorMap(records);
        var panels = new List<GenericChart>();
        var titles = new List<string>();
        var legend = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in groups)
            foreach (var metric in new[] { "train_loss", "test_loss" })
            {
                panels.Add(CurvePanel(g.ToList(), metric, band, colors, legend));
                titles.Add((groups.Count > 1 ? g.Key.Label + ": " : "") + (metric == "train_loss" ? "training" : "test"));
            }
        var chart = Chart.Grid(panels, groups.Count, 2, SubPlotTitles: titles, XGap: 0.1, YGap: 0.25);
        int epochs = records.Max(r => r.Epochs.Count);
        for (int p = 0; p < panels.Count; p++) chart = ChartKit.WholeNumberX(ChartKit.Axes(chart, "epoch", "negative ELBO (nats)", p + 1), epochs, p + 1);
        return ChartKit.Finish(chart, "Loss per epoch", 1100, 140 + 380 * groups.Count, top: 100,
            subtitle: $"mean over seeds; band: {BandLabel(band)}");
    }

    /// <summary>
    /// One per-epoch <paramref name="metric"/> (test_loss, train_loss, test_recon, test_kl or active_units) of the
    /// completed runs, one panel per group, per activation the mean over seeds with a shaded band. Three traces per
    /// activation and panel, in this order: the band's lower edge, its upper edge (filled to the lower), the mean
    /// curve (legend entry in the first panel only).
    /// </summary>
    public static GenericChart TrainingCurves(IReadOnlyList<RunRecord> records, CurveBand band = CurveBand.Confidence95, string metric = "test_loss")
    {
        EpochMetric(metric);
        var groups = CompletedPanels(records, "Plots.TrainingCurves");
        var colors = ColorMap(records);
        var legend = new HashSet<string>(StringComparer.Ordinal);
        var panels = groups.Select(g => CurvePanel(g.ToList(), metric, band, colors, legend)).ToList();
        var (rows, cols) = ChartKit.GridShape(panels.Count);
        var chart = panels.Count == 1 ? panels[0]
            : Chart.Grid(panels, rows, cols, SubPlotTitles: groups.Select(g => g.Key.Label).ToArray(), XGap: 0.1, YGap: 0.25);
        int epochs = records.Max(r => r.Epochs.Count);
        for (int p = 0; p < panels.Count; p++) chart = ChartKit.WholeNumberX(ChartKit.Axes(chart, "epoch", MetricAxis(metric), p + 1), epochs, p + 1);
        return ChartKit.Finish(chart, $"{MetricLabel(metric)} per epoch", Math.Max(760, 540 * cols), Math.Max(480, 140 + 360 * rows), top: 100,
            subtitle: $"mean over seeds; band: {BandLabel(band)}");
    }

    private static List<IGrouping<RunGroup, RunRecord>> CompletedPanels(IReadOnlyList<RunRecord> records, string where)
    {
        ArgumentNullException.ThrowIfNull(records);
        var completed = records.Where(Metric.IsCompleted).Where(r => r.Epochs.Count > 0).ToList();
        if (completed.Count == 0)
            throw new ArgumentException($"{where}: no completed run with epochs to plot.", nameof(records));
        var axes = RunAxes.Varying(completed);
        return completed.GroupBy(r => RunAxes.GroupOf(r, axes)).ToList();
    }

    private static GenericChart CurvePanel(IReadOnlyList<RunRecord> runs, string metric, CurveBand band,
        IReadOnlyDictionary<string, string> colors, HashSet<string> legendShown)
    {
        var get = EpochMetric(metric);
        var curves = new List<GenericChart>();
        foreach (var byActivation in runs.GroupBy(r => r.Config.Model.Activation).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var epochs = byActivation.SelectMany(r => r.Epochs.Select(e => e.Epoch)).Distinct().Order().ToArray();
            var mean = new double[epochs.Length];
            var low = new double[epochs.Length];
            var high = new double[epochs.Length];
            for (int i = 0; i < epochs.Length; i++)
            {
                var values = byActivation.SelectMany(r => r.Epochs.Where(e => e.Epoch == epochs[i]).Select(get)).ToArray();
                var estimate = Estimate.Of(values);
                mean[i] = estimate.Mean;
                (low[i], high[i]) = band switch
                {
                    CurveBand.MinMax => (values.Min(), values.Max()),
                    CurveBand.StdDev when values.Length > 1 => (estimate.Mean - estimate.StdDev, estimate.Mean + estimate.StdDev),
                    CurveBand.Confidence95 when values.Length > 1 => (estimate.Low, estimate.High),
                    _ => (estimate.Mean, estimate.Mean),
                };
            }
            string name = byActivation.Key;
            curves.Add(ChartKit.Band(epochs.Select(e => (double)e).ToArray(), mean, low, high, name, colors[name], legendShown.Add(name),
                hover: $"{name}, {byActivation.Count()} seed(s)"));
        }
        return Chart.Combine(curves);
    }

    private static string BandLabel(CurveBand band) => band switch
    {
        CurveBand.Confidence95 => "95% t-interval",
        CurveBand.MinMax => "min–max",
        _ => "± 1 s.d.",
    };

    private static Func<EpochMetrics, double> EpochMetric(string metric) => metric switch
    {
        "test_loss" => e => e.TestLoss,
        "train_loss" => e => e.TrainLoss,
        "test_recon" => e => e.TestRecon,
        "test_kl" => e => e.TestKl,
        "active_units" => e => e.ActiveUnits,
        _ => throw new ArgumentException(
            $"Plots.TrainingCurves: no per-epoch metric '{metric}'; use test_loss, train_loss, test_recon, test_kl or active_units.", nameof(metric)),
    };

    private static string MetricLabel(string metric) => metric switch
    {
        "test_loss" => "Test negative ELBO",
        "train_loss" => "Training negative ELBO",
        "test_recon" => "Test reconstruction",
        "test_kl" => "Test KL",
        "active_units" => "Active units",
        "test_nll" => "Test NLL (importance sampled)",
        "bits_per_dim" => "Bits per dimension",
        "seconds_per_epoch" => "Seconds per epoch",
        _ => metric,
    };

    /// <summary>The y-axis title of a metric, with its unit.</summary>
    private static string MetricAxis(string metric) => metric switch
    {
        "active_units" => "active units",
        "seconds_per_epoch" => "seconds per epoch",
        "bits_per_dim" => "bits/dim",
        "test_nll" => "NLL (nats)",
        "test_recon" => "reconstruction (nats)",
        "test_kl" => "KL (nats)",
        _ => "negative ELBO (nats)",
    };

    // ---------------------------------------------------------------- helpers

    /// <summary>A fixed colour per activation name (ordinal order over all records), the same in every chart of a report.</summary>
    public static IReadOnlyDictionary<string, string> ColorMap(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var names = records.Select(r => r.Config.Model.Activation).Distinct().Order(StringComparer.Ordinal).ToList();
        return names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => Palette.Color(p.i), StringComparer.Ordinal);
    }
}
