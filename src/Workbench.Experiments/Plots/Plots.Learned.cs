using Plotly.NET;
using Plotly.NET.CSharp;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Workbench.Vae.Activations;
using Workbench.Vae.Evaluation;
using Chart = Plotly.NET.CSharp.Chart;

namespace Workbench.Experiments.Plots;

public static partial class Plots
{
    // ---------------------------------------------------------------- learned activation parameters

    /// <summary>True when some completed adaptive-mixture run recorded its mixture weights.</summary>
    public static bool HasAdaptiveWeights(IReadOnlyList<RunRecord> records) => AdaptiveRuns(records).Any();

    /// <summary>True when some completed run of another learnable activation recorded its parameters.</summary>
    public static bool HasLearnedParameters(IReadOnlyList<RunRecord> records) => LearnedRuns(records).Any();

    /// <summary>
    /// The adaptive mixture's learned weights softmax(a) of the completed adaptive runs: one bar trace per layer
    /// (module path), a bar per base activation at the mean over seeds with its 95% t-interval as error bars,
    /// and a dashed line at the uniform initial weight 1/K.
    /// </summary>
    public static GenericChart AdaptiveWeights(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var runs = AdaptiveRuns(records).ToList();
        if (runs.Count == 0)
            throw new ArgumentException("Plots.AdaptiveWeights: no completed 'adaptive' run with recorded mixture weights.", nameof(records));
        var baseNames = AdaptiveActivation.DefaultBase;
        var varying = RunAxes.Varying(runs);
        var groups = runs.GroupBy(r => RunAxes.GroupOf(r, varying)).ToList();
        var layers = new List<(string Name, double[][] Weights)>();
        foreach (var g in groups)
            foreach (var layer in g.SelectMany(r => r.ActivationParameters.Keys).Distinct())
            {
                var weights = g.Where(r => r.ActivationParameters.ContainsKey(layer)).Select(r =>
                {
                    var w = r.ActivationParameters[layer];
                    if (w.Length != baseNames.Count)
                        throw new InvalidDataException(
                            $"Run {r.Key}: layer '{layer}' has {w.Length} mixture weights but the adaptive activation mixes {baseNames.Count} ({string.Join(", ", baseNames)}).");
                    return w;
                }).ToArray();
                layers.Add((groups.Count > 1 ? $"{g.Key.Label}: {layer}" : layer, weights));
            }
        return WeightBars(layers, baseNames, $"mean over {runs.Count} run(s) with 95% t-interval; dashed: the uniform start 1/K");
    }

    /// <summary>The mixture weights of one model, by layer (e.g. read from its <see cref="AdaptiveActivation"/> modules).</summary>
    public static GenericChart AdaptiveWeights(IReadOnlyDictionary<string, double[]> weightsByLayer, IReadOnlyList<string>? baseNames = null)
    {
        ArgumentNullException.ThrowIfNull(weightsByLayer);
        baseNames ??= AdaptiveActivation.DefaultBase;
        if (weightsByLayer.Count == 0) throw new ArgumentException("Plots.AdaptiveWeights: no layers given.", nameof(weightsByLayer));
        foreach (var (layer, w) in weightsByLayer)
            if (w.Length != baseNames.Count)
                throw new ArgumentException($"Plots.AdaptiveWeights: layer '{layer}' has {w.Length} weights for {baseNames.Count} base activations.", nameof(weightsByLayer));
        return WeightBars(weightsByLayer.Select(kv => (kv.Key, new[] { kv.Value })).ToList(), baseNames, "dashed: the uniform start 1/K");
    }

    private static GenericChart WeightBars(IReadOnlyList<(string Name, double[][] Weights)> layers, IReadOnlyList<string> baseNames, string subtitle)
    {
        var bars = new List<GenericChart>();
        for (int l = 0; l < layers.Count; l++)
        {
            var estimates = Enumerable.Range(0, baseNames.Count).Select(i => Estimate.Of(layers[l].Weights.Select(w => w[i]))).ToArray();
            var bar = Chart.Column<double, string, string>(estimates.Select(e => e.Mean), Keys: baseNames.ToArray(), Name: layers[l].Name,
                ShowLegend: true, MarkerColor: Color.fromHex(Palette.Color(l)));
            bars.Add(ChartKit.ErrorBars(bar, estimates.Select(e => e.HalfWidth)));
        }
        var chart = ChartKit.Layout(Chart.Combine(bars), layout => layout.SetProperty("barmode", "group"));
        chart = ChartKit.HorizontalLine(chart, 1.0 / baseNames.Count);
        chart = ChartKit.Axes(chart, "base activation", "mixture weight softmax(a)");
        return ChartKit.Finish(chart, "Learned adaptive-mixture weights per layer", Math.Clamp(240 + 50 * layers.Count * baseNames.Count, 760, 1600), 480, subtitle: subtitle);
    }

    /// <summary>
    /// Learned parameters of the other learnable activations (PReLU slopes, Swish beta) as a strip plot: one marker
    /// trace per activation, x the layer (module path), one point per value and seed.
    /// </summary>
    public static GenericChart LearnedParameters(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var runs = LearnedRuns(records).ToList();
        if (runs.Count == 0)
            throw new ArgumentException("Plots.LearnedParameters: no completed run of a learnable activation (other than adaptive) recorded its parameters.", nameof(records));
        var colors = ColorMap(records);
        var traces = new List<GenericChart>();
        foreach (var act in runs.GroupBy(r => r.Config.Model.Activation).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var points = act.SelectMany(r => r.ActivationParameters.SelectMany(kv => kv.Value.Select(v => (Layer: kv.Key, Value: v, r.Config.Training.Seed)))).ToList();
            traces.Add(FsMarkerSize(Chart.Point<string, double, string>(points.Select(p => p.Layer), points.Select(p => p.Value), Name: act.Key,
                MarkerColor: Color.fromHex(colors[act.Key]), Opacity: 0.8, MultiText: points.Select(p => $"seed {p.Seed}").ToArray()), 8));
        }
        var chart = ChartKit.Axes(Chart.Combine(traces), "layer", "learned value");
        return ChartKit.Finish(chart, "Learned activation parameters", 800, 480, subtitle: "after training; one point per value and seed");
    }

    private static bool IsAdaptive(string activation) =>
        ActivationRegistry.Contains(activation) && ActivationRegistry.Get(activation).Name == "adaptive";

    private static IEnumerable<RunRecord> AdaptiveRuns(IReadOnlyList<RunRecord> records) =>
        records.Where(r => Metric.IsCompleted(r) && IsAdaptive(r.Config.Model.Activation) && r.ActivationParameters.Count > 0);

    private static IEnumerable<RunRecord> LearnedRuns(IReadOnlyList<RunRecord> records) =>
        records.Where(r => Metric.IsCompleted(r) && !IsAdaptive(r.Config.Model.Activation) && r.ActivationParameters.Count > 0);

    // ---------------------------------------------------------------- gradient health

    /// <summary>
    /// Gradient health from <see cref="Workbench.Vae.Evaluation.GradientHealth.Measure"/>: panel 1 the L2 norm of
    /// each weight gradient (log axis), panel 2 the fraction of dead and of saturated units per activation layer.
    /// Three bar traces: "gradient norm", "dead", "saturated".
    /// </summary>
    public static GenericChart GradientHealth(IReadOnlyList<LayerHealth> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var weights = layers.Where(l => !double.IsNaN(l.GradNorm)).ToList();
        var activations = layers.Where(l => double.IsNaN(l.GradNorm)).ToList();
        if (weights.Count == 0 && activations.Count == 0)
            throw new ArgumentException("Plots.GradientHealth: no layers to plot.", nameof(layers));
        var norms = Chart.Column<double, string, string>(weights.Select(l => l.GradNorm), Keys: weights.Select(l => l.Layer).ToArray(),
            Name: "gradient norm", MarkerColor: Color.fromHex("#4c78a8"));
        var names = activations.Select(l => $"{l.Layer} ({l.Kind})").ToArray();
        var units = Chart.Combine([
            Chart.Column<double, string, string>(activations.Select(l => l.DeadFraction), Keys: names, Name: "dead", MarkerColor: Color.fromHex("#d62728")),
            Chart.Column<double, string, string>(activations.Select(l => l.SaturatedFraction), Keys: names, Name: "saturated", MarkerColor: Color.fromHex("#ff7f0e")),
        ]);
        var chart = Chart.Grid([norms, units], 1, 2, SubPlotTitles: new[] { "weight gradient norm", "dead and saturated units" }, XGap: 0.12);
        chart = ChartKit.Layout(chart, layout => layout.SetProperty("barmode", "group"));
        chart = ChartKit.Axes(chart, "layer", "‖∇W‖₂ (log scale)", 1, StyleParam.AxisType.Log);
        chart = ChartKit.Axes(chart, "activation layer", "fraction of units", 2);
        chart = chart.WithYAxisStyle<double, double, string>(MinMax: Tuple.Create(0.0, 1.0), Id: StyleParam.SubPlotId.NewYAxis(2));
        return ChartKit.Finish(chart, "Gradient health per layer", 1100, 480, top: 100);
    }
}
