using System.Globalization;
using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Workbench.Vae.Activations;
using Workbench.Vae.Evaluation;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Plots;

/// <summary>How the spread over seeds is drawn around a mean training curve.</summary>
public enum CurveBand
{
    /// <summary>From the lowest to the highest seed at each epoch.</summary>
    MinMax,
    /// <summary>Mean ± one sample standard deviation.</summary>
    StdDev,
}

/// <summary>
/// The standard plots of an activation study, each returned as a <see cref="Figure"/> (show it in a notebook,
/// save it with <see cref="HtmlExport"/> or <see cref="PngExport"/>).
/// </summary>
public static class Plots
{
    private static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- activation functions

    /// <summary>
    /// f(x) and f'(x) of registered activations over [<paramref name="min"/>, <paramref name="max"/>] in two
    /// panels. Derivatives come from libtorch's autograd (requires_grad input, f(x).sum().backward(), x.grad), so
    /// they are exactly what training back-propagates, including the conventions at kinks (relu'(0) = 0).
    /// Learnable activations are drawn at their initial parameters. Two traces per activation: f in panel 1
    /// (with a legend entry) then f' in panel 2, in the order given.
    /// </summary>
    public static Figure ActivationCurves(IReadOnlyList<string> names, double min = -5, double max = 5, int points = 201)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) throw new ArgumentException("Plots.ActivationCurves: name at least one activation.", nameof(names));
        if (!(min < max) || !double.IsFinite(min) || !double.IsFinite(max))
            throw new ArgumentOutOfRangeException(nameof(min), (min, max), $"Plots.ActivationCurves: need finite min < max, got [{min}, {max}].");
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "Plots.ActivationCurves: need at least 2 points.");
        var xs = new double[points];
        for (int i = 0; i < points; i++) xs[i] = min + (max - min) * i / (points - 1);

        var fig = Figure.Subplots(1, 2, ["f(x)", "f'(x)"])
            .WithTitle("Activation functions and their derivatives")
            .WithAxes(1, 1, "x", "f(x)")
            .WithAxes(1, 2, "x", "f'(x)")
            .WithSize(1000, 450);
        for (int k = 0; k < names.Count; k++)
        {
            var (y, dy) = Evaluate(names[k], xs);
            string color = Palette.Color(k);
            fig.Add(new Scatter { Name = names[k], X = xs, Y = y, Mode = ScatterMode.Lines, Line = new Line { Color = color, Width = 2 }, LegendGroup = names[k] }, 1, 1);
            fig.Add(new Scatter { Name = names[k], X = xs, Y = dy, Mode = ScatterMode.Lines, Line = new Line { Color = color, Width = 2 }, LegendGroup = names[k], ShowLegend = false }, 1, 2);
        }
        return fig;
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
    /// Per-epoch <paramref name="metric"/> (test_loss, train_loss, test_recon, test_kl or active_units) of the
    /// completed runs, one panel per group (data set and other varying axes), per activation the mean over seeds
    /// with a shaded band. Three traces per activation and panel, in this order: the band's lower edge, its upper
    /// edge (filled to the lower), the mean curve (legend entry in the first panel only).
    /// </summary>
    public static Figure TrainingCurves(IReadOnlyList<RunRecord> records, CurveBand band = CurveBand.MinMax, string metric = "test_loss")
    {
        ArgumentNullException.ThrowIfNull(records);
        var get = EpochMetric(metric);
        var completed = records.Where(Metric.IsCompleted).Where(r => r.Epochs.Count > 0).ToList();
        if (completed.Count == 0)
            throw new ArgumentException("Plots.TrainingCurves: no completed run with epochs to plot.", nameof(records));
        var colors = ColorMap(records);
        var groups = Panels(completed, []);
        var (rows, cols) = GridShape(groups.Count);
        var fig = Figure.Subplots(rows, cols, groups.Count > 1 ? groups.Select(g => (string?)g.Key.Label).ToList() : null)
            .WithTitle($"{MetricLabel(metric)} per epoch (mean over seeds, band: {(band == CurveBand.MinMax ? "min–max" : "± 1 s.d.")})")
            .WithSize(Math.Max(700, 520 * cols), Math.Max(450, 380 * rows));
        var legendShown = new HashSet<string>(StringComparer.Ordinal);
        for (int p = 0; p < groups.Count; p++)
        {
            int row = p / cols + 1, col = p % cols + 1;
            fig.WithAxes(row, col, "epoch", metric == "active_units" ? "active units" : "nats");
            foreach (var runs in groups[p].GroupBy(r => r.Config.Model.Activation).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var epochs = runs.SelectMany(r => r.Epochs.Select(e => e.Epoch)).Distinct().Order().ToArray();
                var mean = new double[epochs.Length];
                var low = new double[epochs.Length];
                var high = new double[epochs.Length];
                for (int i = 0; i < epochs.Length; i++)
                {
                    var values = runs.SelectMany(r => r.Epochs.Where(e => e.Epoch == epochs[i]).Select(get)).ToArray();
                    mean[i] = Descriptive.Mean(values);
                    if (band == CurveBand.MinMax)
                    {
                        low[i] = values.Min();
                        high[i] = values.Max();
                    }
                    else
                    {
                        double s = values.Length > 1 ? Descriptive.StandardDeviation(values) : 0;
                        low[i] = mean[i] - s;
                        high[i] = mean[i] + s;
                    }
                }
                string name = runs.Key, color = colors[name];
                fig.Add(new Scatter
                {
                    Name = name + " low", X = epochs, Y = low, Mode = ScatterMode.Lines, Line = new Line { Color = color, Width = 0 },
                    ShowLegend = false, LegendGroup = name, HoverTemplate = "%{y:.3f}",
                }, row, col);
                fig.Add(new Scatter
                {
                    Name = name + " high", X = epochs, Y = high, Mode = ScatterMode.Lines, Line = new Line { Color = color, Width = 0 },
                    Fill = Fill.ToNextY, FillColor = Palette.Rgba(color, 0.2), ShowLegend = false, LegendGroup = name, HoverTemplate = "%{y:.3f}",
                }, row, col);
                fig.Add(new Scatter
                {
                    Name = name, X = epochs, Y = mean, Mode = ScatterMode.LinesMarkers, Line = new Line { Color = color, Width = 2 },
                    LegendGroup = name, ShowLegend = legendShown.Add(name),
                    Text = epochs.Select(_ => $"{runs.Count()} seed(s)").ToArray(),
                }, row, col);
            }
        }
        return fig;
    }

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

    // ---------------------------------------------------------------- summary bars

    /// <summary>
    /// The mean of <paramref name="metric"/> (default: each summary's primary metric, NLL when present else test
    /// loss) per activation as bars, with the 95% t-interval as error bars (error_y.array = the interval's half
    /// width; none drawn where fewer than 2 seeds completed). One bar trace per group, named by the group.
    /// </summary>
    public static Figure SummaryBars(IReadOnlyList<ActivationSummary> summaries, string? metric = null)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (summaries.Count == 0) throw new ArgumentException("Plots.SummaryBars: no summaries to plot.", nameof(summaries));
        string name = metric ?? summaries[0].Primary.Name;
        var groups = summaries.GroupBy(s => s.Group).ToList();
        var fig = new Figure()
            .WithTitle($"{MetricLabel(name)} by activation (mean and 95% t-interval over seeds)")
            .WithAxes("activation", name == "active_units" ? "active units" : name == "seconds_per_epoch" ? "seconds" : "nats")
            .WithSize(Math.Clamp(140 + 60 * summaries.Count, 700, 1600), 480);
        if (groups.Count > 1) fig.Layout.BarMode = BarMode.Group;
        int k = 0;
        foreach (var g in groups)
        {
            var estimates = g.Select(s => metric is null ? s.PrimaryEstimate : s[name]).ToArray();
            fig.Add(new Bar
            {
                Name = g.Key.Label,
                X = g.Select(s => (string?)s.Activation).ToArray(),
                Y = estimates.Select(e => e.Mean).ToArray(),
                ErrorY = new ErrorBars { Array = estimates.Select(e => e.HalfWidth).ToArray(), Color = "#333" },
                Color = groups.Count > 1 ? Palette.Color(k) : "#4c78a8",
                HoverText = estimates.Select(e => $"n = {e.N}").ToArray(),
            });
            k++;
        }
        // Losses of competing activations differ by a few nats on top of ~100: start the axis near the data
        // (the title says what the bars show; the axis labels show where it starts).
        var all = summaries.Select(s => metric is null ? s.PrimaryEstimate : s[name]).ToArray();
        var lows = all.Select(e => double.IsNaN(e.Low) ? e.Mean : e.Low).Where(double.IsFinite).ToArray();
        var highs = all.Select(e => double.IsNaN(e.High) ? e.Mean : e.High).Where(double.IsFinite).ToArray();
        if (lows.Length > 0 && lows.Min() > 0)
        {
            double lo = lows.Min(), hi = highs.Max(), span = Math.Max(hi - lo, 1e-9 * Math.Abs(hi));
            if (span < 0.5 * hi) fig.Layout.YAxis.Range = (lo - 0.25 * span - 1e-12, hi + 0.15 * span + 1e-12);
        }
        return fig;
    }

    // ---------------------------------------------------------------- rate–distortion

    /// <summary>
    /// Rate–distortion of the completed runs: test KL (rate) on x, test reconstruction (distortion) on y, one
    /// marker trace per (activation, beta) with one point per seed; colour by activation, marker symbol by beta.
    /// Groups other than beta get their own panels.
    /// </summary>
    public static Figure RateDistortion(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var completed = records.Where(Metric.IsCompleted).ToList();
        if (completed.Count == 0) throw new ArgumentException("Plots.RateDistortion: no completed run to plot.", nameof(records));
        var colors = ColorMap(records);
        var betas = completed.Select(r => r.Config.Model.Beta).Distinct().Order().ToList();
        var groups = Panels(completed, ["beta"]);
        var (rows, cols) = GridShape(groups.Count);
        var fig = Figure.Subplots(rows, cols, groups.Count > 1 ? groups.Select(g => (string?)g.Key.Label).ToList() : null)
            .WithTitle("Rate–distortion: KL (rate) against reconstruction (distortion), one point per seed")
            .WithSize(Math.Max(700, 520 * cols), Math.Max(480, 400 * rows));
        var legendShown = new HashSet<string>(StringComparer.Ordinal);
        for (int p = 0; p < groups.Count; p++)
        {
            int row = p / cols + 1, col = p % cols + 1;
            fig.WithAxes(row, col, "KL(q(z|x) ‖ p(z)), nats", "−E log p(x|z), nats");
            foreach (var set in groups[p].GroupBy(r => (r.Config.Model.Activation, r.Config.Model.Beta))
                         .OrderBy(g => g.Key.Activation, StringComparer.Ordinal).ThenBy(g => g.Key.Beta))
            {
                var runs = set.OrderBy(r => r.Config.Training.Seed).ToList();
                string name = betas.Count > 1 ? $"{set.Key.Activation}, β={Invariant(set.Key.Beta)}" : set.Key.Activation;
                fig.Add(new Scatter
                {
                    Name = name,
                    Mode = ScatterMode.Markers,
                    X = runs.Select(r => r.Final!.TestKl).ToArray(),
                    Y = runs.Select(r => r.Final!.TestRecon).ToArray(),
                    Text = runs.Select(r => $"seed {r.Config.Training.Seed}").ToArray(),
                    Marker = new Marker { Color = colors[set.Key.Activation], Symbol = Palette.Symbol(betas.IndexOf(set.Key.Beta)), Size = 9 },
                    LegendGroup = name,
                    ShowLegend = legendShown.Add(name),
                }, row, col);
            }
        }
        return fig;
    }

    // ---------------------------------------------------------------- latent space and images

    /// <summary>
    /// Posterior means [N, latent >= 2] on dims (<paramref name="dimX"/>, <paramref name="dimY"/>), one marker
    /// trace per label (ascending), so the legend reads as the classes.
    /// </summary>
    public static Figure LatentScatter(torch.Tensor means, IReadOnlyList<int> labels, int dimX = 0, int dimY = 1)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(labels);
        if (means.dim() != 2 || means.shape[1] < 2)
            throw new ArgumentException($"Plots.LatentScatter: means must be [N, latent >= 2], got {TensorValues.Shape(means)}.", nameof(means));
        int n = (int)means.shape[0], latent = (int)means.shape[1];
        if (labels.Count != n)
            throw new ArgumentException($"Plots.LatentScatter: {labels.Count} labels for {n} points; give one label per row of means.", nameof(labels));
        if (dimX == dimY || (uint)dimX >= (uint)latent || (uint)dimY >= (uint)latent)
            throw new ArgumentOutOfRangeException(nameof(dimX), (dimX, dimY), $"Plots.LatentScatter: dims ({dimX}, {dimY}) must be two different dims below {latent}.");
        var z = TensorValues.Doubles(means);   // [N * latent], row-major
        var fig = new Figure().WithTitle("Latent space: posterior means coloured by label")
            .WithAxes($"z[{dimX}]", $"z[{dimY}]").WithSize(650, 600);
        var classes = labels.Distinct().Order().ToList();
        for (int c = 0; c < classes.Count; c++)
        {
            var rows = Enumerable.Range(0, n).Where(i => labels[i] == classes[c]).ToArray();
            fig.Add(new Scatter
            {
                Name = classes[c].ToString(CultureInfo.InvariantCulture),
                Mode = ScatterMode.Markers,
                X = rows.Select(i => z[i * latent + dimX]).ToArray(),
                Y = rows.Select(i => z[i * latent + dimY]).ToArray(),
                Marker = new Marker { Color = Palette.Color(c), Size = 4, Opacity = 0.7 },
            });
        }
        return fig;
    }

    /// <summary>Posterior means coloured by byte labels (as <c>ImageDataset.Labels</c>).</summary>
    public static Figure LatentScatter(torch.Tensor means, byte[] labels, int dimX = 0, int dimY = 1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return LatentScatter(means, labels.Select(b => (int)b).ToArray(), dimX, dimY);
    }

    /// <summary>
    /// Images [N, height * width] with grey values in [0, 1] (e.g. reconstructions or samples) tiled into one
    /// PNG by <see cref="Charts.ImageGrid"/> and shown as an image trace with hidden axes.
    /// </summary>
    public static Figure ImageGrid(torch.Tensor pixels, int columns = 10, int height = 28, int width = 28, string? title = null, int scale = 2, int padding = 2)
    {
        var (png, w, h) = GridPng(pixels, columns, height, width, scale, padding, "Plots.ImageGrid");
        var fig = new Figure().Add(Image.FromPng(png, title)).WithTitle(title);
        fig.Layout.XAxis.Hidden();
        fig.Layout.YAxis.Hidden();
        fig.Layout.Margin = new Margin(10, 10, title is null ? 10 : 50, 10);
        return fig.WithSize(w + 20, h + (title is null ? 20 : 60));
    }

    /// <summary>
    /// The 2-D latent manifold (Kingma and Welling 2014, fig. 4) from decoded grid points [steps², D] as made by
    /// <c>Inspect.LatentGrid</c>: a steps x steps image without padding, rows top to bottom.
    /// </summary>
    public static Figure LatentManifold(torch.Tensor pixels, int steps, int height = 28, int width = 28, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Plots.LatentManifold: need at least 2 steps per side.");
        if (pixels.dim() != 2 || pixels.shape[0] != steps * steps)
            throw new ArgumentException(
                $"Plots.LatentManifold: pixels must be [steps², D] = [{steps * steps}, D] for {steps} steps, got {TensorValues.Shape(pixels)}.", nameof(pixels));
        var (png, w, h) = GridPng(pixels, steps, height, width, scale, 0, "Plots.LatentManifold");
        var fig = new Figure().Add(Image.FromPng(png, "manifold")).WithTitle("2-D latent manifold");
        fig.Layout.XAxis.Hidden();
        fig.Layout.YAxis.Hidden();
        fig.Layout.Margin = new Margin(10, 10, 50, 10);
        return fig.WithSize(Math.Max(w + 20, 200), h + 60);
    }

    private static (byte[] Png, int Width, int Height) GridPng(torch.Tensor pixels, int columns, int height, int width, int scale, int padding, string where)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.dim() != 2 || pixels.shape[1] != height * width)
            throw new ArgumentException(
                $"{where}: pixels must be [N, {height * width}] for {height} x {width} images, got {TensorValues.Shape(pixels)}.", nameof(pixels));
        int count = (int)pixels.shape[0];
        var (w, h) = Charts.ImageGrid.Size(count, height, width, columns, padding, scale);
        var png = Charts.ImageGrid.Png(TensorValues.Floats(pixels), count, height, width, columns, padding, scale);   // [N * H * W]
        return (png, w, h);
    }

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
    public static Figure AdaptiveWeights(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var runs = AdaptiveRuns(records).ToList();
        if (runs.Count == 0)
            throw new ArgumentException("Plots.AdaptiveWeights: no completed 'adaptive' run with recorded mixture weights.", nameof(records));
        var baseNames = AdaptiveActivation.DefaultBase;
        var groups = runs.GroupBy(r => RunAxes.GroupOf(r, RunAxes.Varying(runs))).ToList();
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
        var fig = WeightBars(layers, baseNames);
        fig.WithTitle($"Learned adaptive-mixture weights per layer (mean over {runs.Count} run(s), 95% t-interval)");
        return fig;
    }

    /// <summary>The mixture weights of one model, by layer (e.g. read from its <see cref="AdaptiveActivation"/> modules).</summary>
    public static Figure AdaptiveWeights(IReadOnlyDictionary<string, double[]> weightsByLayer, IReadOnlyList<string>? baseNames = null)
    {
        ArgumentNullException.ThrowIfNull(weightsByLayer);
        baseNames ??= AdaptiveActivation.DefaultBase;
        if (weightsByLayer.Count == 0) throw new ArgumentException("Plots.AdaptiveWeights: no layers given.", nameof(weightsByLayer));
        foreach (var (layer, w) in weightsByLayer)
            if (w.Length != baseNames.Count)
                throw new ArgumentException($"Plots.AdaptiveWeights: layer '{layer}' has {w.Length} weights for {baseNames.Count} base activations.", nameof(weightsByLayer));
        var fig = WeightBars(weightsByLayer.Select(kv => (kv.Key, new[] { kv.Value })).ToList(), baseNames);
        fig.WithTitle("Learned adaptive-mixture weights per layer");
        return fig;
    }

    private static Figure WeightBars(IReadOnlyList<(string Name, double[][] Weights)> layers, IReadOnlyList<string> baseNames)
    {
        var fig = new Figure().WithAxes("base activation", "weight softmax(a)").WithSize(Math.Clamp(200 + 50 * layers.Count * baseNames.Count, 700, 1600), 480);
        fig.Layout.BarMode = BarMode.Group;
        // Name the layers even when there is only one.
        fig.Layout.ShowLegend = true;
        for (int l = 0; l < layers.Count; l++)
        {
            var estimates = Enumerable.Range(0, baseNames.Count).Select(i => Estimate.Of(layers[l].Weights.Select(w => w[i]))).ToArray();
            fig.Add(new Bar
            {
                Name = layers[l].Name,
                X = baseNames.Select(n => (string?)n).ToArray(),
                Y = estimates.Select(e => e.Mean).ToArray(),
                ErrorY = new ErrorBars { Array = estimates.Select(e => e.HalfWidth).ToArray(), Color = "#333" },
                Color = Palette.Color(l),
            });
        }
        fig.Layout.Shapes.Add(new Shape
        {
            Type = ShapeType.Line, XRef = "paper", X0 = 0, X1 = 1, Y0 = 1.0 / baseNames.Count, Y1 = 1.0 / baseNames.Count,
            Line = new Line { Color = "#888", Dash = Dash.Dashed, Width = 1 },
        });
        return fig;
    }

    /// <summary>
    /// Learned parameters of the other learnable activations (PReLU slopes, Swish beta) as a strip plot: one marker
    /// trace per activation, x the layer (module path), one point per value and seed.
    /// </summary>
    public static Figure LearnedParameters(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var runs = LearnedRuns(records).ToList();
        if (runs.Count == 0)
            throw new ArgumentException("Plots.LearnedParameters: no completed run of a learnable activation (other than adaptive) recorded its parameters.", nameof(records));
        var colors = ColorMap(records);
        var fig = new Figure().WithTitle("Learned activation parameters after training (one point per value and seed)")
            .WithAxes("layer", "value").WithSize(800, 480);
        foreach (var act in runs.GroupBy(r => r.Config.Model.Activation).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var points = act.SelectMany(r => r.ActivationParameters.SelectMany(kv => kv.Value.Select(v => (Layer: kv.Key, Value: v, r.Config.Training.Seed)))).ToList();
            fig.Add(new Scatter
            {
                Name = act.Key,
                Mode = ScatterMode.Markers,
                X = points.Select(p => (string?)p.Layer).ToArray(),
                Y = points.Select(p => p.Value).ToArray(),
                Text = points.Select(p => $"seed {p.Seed}").ToArray(),
                Marker = new Marker { Color = colors[act.Key], Size = 7, Opacity = 0.8 },
            });
        }
        return fig;
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
    public static Figure GradientHealth(IReadOnlyList<LayerHealth> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var weights = layers.Where(l => !double.IsNaN(l.GradNorm)).ToList();
        var activations = layers.Where(l => double.IsNaN(l.GradNorm)).ToList();
        if (weights.Count == 0 && activations.Count == 0)
            throw new ArgumentException("Plots.GradientHealth: no layers to plot.", nameof(layers));
        var fig = Figure.Subplots(1, 2, ["weight gradient norm", "dead and saturated units"])
            .WithTitle("Gradient health per layer")
            .WithAxes(1, 1, "layer", "‖∇W‖₂").WithAxes(1, 2, "activation layer", "fraction of units")
            .WithSize(1100, 480);
        fig.YAxis(1, 1).Type = AxisType.Log;
        fig.YAxis(1, 2).Range = (0, 1);
        fig.YAxis(1, 2).TickFormat = ".0%";
        fig.Layout.BarMode = BarMode.Group;
        fig.Add(new Bar { Name = "gradient norm", X = weights.Select(l => (string?)l.Layer).ToArray(), Y = weights.Select(l => l.GradNorm).ToArray(), Color = "#4c78a8" }, 1, 1);
        var names = activations.Select(l => (string?)$"{l.Layer} ({l.Kind})").ToArray();
        fig.Add(new Bar { Name = "dead", X = names, Y = activations.Select(l => l.DeadFraction).ToArray(), Color = "#d62728" }, 1, 2);
        fig.Add(new Bar { Name = "saturated", X = names, Y = activations.Select(l => l.SaturatedFraction).ToArray(), Color = "#ff7f0e" }, 1, 2);
        return fig;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A fixed colour per activation name (ordinal order over all records), the same in every figure of a report.</summary>
    public static IReadOnlyDictionary<string, string> ColorMap(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var names = records.Select(r => r.Config.Model.Activation).Distinct().Order(StringComparer.Ordinal).ToList();
        return names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => Palette.Color(p.i), StringComparer.Ordinal);
    }

    /// <summary>Runs split into panels by the varying axes other than <paramref name="exclude"/>, in order of first appearance.</summary>
    private static List<IGrouping<RunGroup, RunRecord>> Panels(IReadOnlyList<RunRecord> runs, string[] exclude)
    {
        var axes = RunAxes.Varying(runs).Where(a => !exclude.Contains(a.Name)).ToList();
        return runs.GroupBy(r => RunAxes.GroupOf(r, axes)).ToList();
    }

    private static (int Rows, int Cols) GridShape(int panels)
    {
        int cols = panels <= 1 ? 1 : panels <= 4 ? 2 : 3;
        return ((panels + cols - 1) / cols, cols);
    }
}
