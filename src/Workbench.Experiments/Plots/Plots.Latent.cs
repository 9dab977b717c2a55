using System.Globalization;
using Plotly.NET;
using Plotly.NET.CSharp;
using TorchSharp;
using Workbench.Experiments.Charts;
using Chart = Plotly.NET.CSharp.Chart;

namespace Workbench.Experiments.Plots;

public static partial class Plots
{
    // ---------------------------------------------------------------- latent space

    /// <summary>
    /// Posterior means [N, latent >= 2] on dims (<paramref name="dimX"/>, <paramref name="dimY"/>), one marker
    /// trace per label (ascending), so the legend reads as the classes.
    /// </summary>
    public static GenericChart LatentScatter(torch.Tensor means, IReadOnlyList<int> labels, int dimX = 0, int dimY = 1)
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
        var classes = labels.Distinct().Order().ToList();
        var traces = new List<GenericChart>();
        for (int c = 0; c < classes.Count; c++)
        {
            var rows = Enumerable.Range(0, n).Where(i => labels[i] == classes[c]).ToArray();
            var points = Chart.Point<double, double, string>(rows.Select(i => z[i * latent + dimX]), rows.Select(i => z[i * latent + dimY]),
                Name: classes[c].ToString(CultureInfo.InvariantCulture), MarkerColor: Color.fromHex(Palette.Color(c)), Opacity: 0.7);
            traces.Add(FsMarkerSize(points, 4));
        }
        var chart = ChartKit.Axes(Chart.Combine(traces), $"z[{dimX}] (posterior mean)", $"z[{dimY}] (posterior mean)");
        chart = chart.WithLegendStyle(Title: Title.init(ChartKit.Some("label"), null, null, null, null, null, null, null, null, null, null, null));
        return ChartKit.Finish(chart, "Latent space", 720, 640, subtitle: "posterior means, coloured by label");
    }

    /// <summary>Posterior means coloured by byte labels (as <c>ImageDataset.Labels</c>).</summary>
    public static GenericChart LatentScatter(torch.Tensor means, byte[] labels, int dimX = 0, int dimY = 1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return LatentScatter(means, labels.Select(b => (int)b).ToArray(), dimX, dimY);
    }

    /// <summary>
    /// KL(q(z_d|x) ‖ p(z_d)) per latent dimension (e.g. <c>Metrics.KlPerDimension</c>) as bars, dimensions at or
    /// above <paramref name="activeThreshold"/> nats in one colour and the collapsed rest in grey.
    /// </summary>
    public static GenericChart KlPerDimension(IReadOnlyList<double> klPerDimension, double activeThreshold = 0.01)
    {
        ArgumentNullException.ThrowIfNull(klPerDimension);
        if (klPerDimension.Count == 0) throw new ArgumentException("Plots.KlPerDimension: no dimensions to plot.", nameof(klPerDimension));
        if (klPerDimension.Any(v => !double.IsFinite(v)))
            throw new ArgumentException("Plots.KlPerDimension: a KL value is NaN or infinite; check the model for divergence first.", nameof(klPerDimension));
        var keys = Enumerable.Range(0, klPerDimension.Count).Select(i => $"z{i}").ToArray();
        int active = klPerDimension.Count(v => v >= activeThreshold);
        var bars = Chart.Column<double, string, string>(klPerDimension, Keys: keys, Name: "KL per dimension", ShowLegend: false,
            MultiText: klPerDimension.Select(v => v >= activeThreshold ? "in use" : "collapsed to the prior").ToArray());
        bars = Plotly.NET.Chart.withMarkerStyle(null, null, null, null, null, null, null, null,
            ChartKit.Some<IEnumerable<Color>>(klPerDimension.Select(v => Color.fromHex(v >= activeThreshold ? "#4c78a8" : "#bbbbbb")).ToArray()),
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null).Invoke(bars);
        var chart = ChartKit.Axes(bars, "latent dimension", "KL (nats)");
        return ChartKit.Finish(chart, "KL per latent dimension", Math.Clamp(200 + 30 * klPerDimension.Count, 640, 1400), 440,
            subtitle: $"{active} of {klPerDimension.Count} carry more than {activeThreshold.ToString(CultureInfo.InvariantCulture)} nats; total {klPerDimension.Sum().ToString("F2", CultureInfo.InvariantCulture)} nats");
    }

    // ---------------------------------------------------------------- images

    /// <summary>
    /// Images [N, height * width] with grey values in [0, 1] (reconstructions, samples) tiled by
    /// <see cref="Charts.ImageGrid"/> into one PNG and shown as an image trace with hidden axes.
    /// </summary>
    public static GenericChart ImageGrid(torch.Tensor pixels, int columns = 10, int height = 28, int width = 28, string? title = null, int scale = 2, int padding = 2)
    {
        var (png, w, h) = GridPng(pixels, columns, height, width, scale, padding, "Plots.ImageGrid");
        return ImageChart(png, w, h, title ?? $"{pixels.shape[0]} images", left: 10);
    }

    /// <summary>
    /// Rows of images side by side, each row labelled on the left: latent traversals (one row per dimension),
    /// interpolations, or originals above their reconstructions. Every row is [columns, height * width] in [0, 1].
    /// </summary>
    public static GenericChart ImageRows(IReadOnlyList<torch.Tensor> rows, IReadOnlyList<string> labels, string title, int height = 28, int width = 28, int scale = 2, int padding = 2)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count == 0) throw new ArgumentException("Plots.ImageRows: give at least one row of images.", nameof(rows));
        if (labels.Count != rows.Count)
            throw new ArgumentException($"Plots.ImageRows: {labels.Count} labels for {rows.Count} rows; give one label per row.", nameof(labels));
        long columns = rows[0].shape[0];
        for (int r = 0; r < rows.Count; r++)
            if (rows[r].dim() != 2 || rows[r].shape[0] != columns)
                throw new ArgumentException(
                    $"Plots.ImageRows: row {r} ('{labels[r]}') is {TensorValues.Shape(rows[r])} but row 0 has {columns} images; every row needs [{columns}, {height * width}].", nameof(rows));
        using var scope = torch.NewDisposeScope();
        var all = torch.cat(rows.ToArray(), 0);                                     // [rows * columns, D]
        var (png, w, h) = GridPng(all, (int)columns, height, width, scale, padding, "Plots.ImageRows");
        var chart = ImageChart(png, w, h, title, left: 150);
        // Row r's centre in image pixels, where the y axis shows its label.
        var ticks = Enumerable.Range(0, rows.Count).Select(r => padding + r * (height * scale + padding) + height * scale / 2.0).ToArray();
        return ChartKit.Layout(chart, layout =>
        {
            var y = new Plotly.NET.LayoutObjects.LinearAxis();
            y.SetProperty("tickvals", ticks);
            y.SetProperty("ticktext", labels.ToArray());
            y.SetProperty("showgrid", false);
            y.SetProperty("zeroline", false);
            y.SetProperty("ticks", "");
            layout.SetProperty("yaxis", y);
        });
    }

    /// <summary>
    /// The 2-D latent manifold (Kingma and Welling 2014, fig. 4) from decoded grid points [steps², D] as made by
    /// <c>Inspect.LatentGrid</c>: a steps x steps image without padding, rows top to bottom.
    /// </summary>
    public static GenericChart LatentManifold(torch.Tensor pixels, int steps, int height = 28, int width = 28, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Plots.LatentManifold: need at least 2 steps per side.");
        if (pixels.dim() != 2 || pixels.shape[0] != steps * steps)
            throw new ArgumentException(
                $"Plots.LatentManifold: pixels must be [steps², D] = [{steps * steps}, D] for {steps} steps, got {TensorValues.Shape(pixels)}.", nameof(pixels));
        var (png, w, h) = GridPng(pixels, steps, height, width, scale, 0, "Plots.LatentManifold");
        return ImageChart(png, w, h, $"2-D latent manifold<br><sup>decoded {steps} x {steps} grid of prior quantiles</sup>", left: 10);
    }

    private static GenericChart ImageChart(byte[] png, int w, int h, string title, int left)
    {
        var chart = Chart.Image<string>(Source: Png.ToDataUri(png), Name: "images");
        chart = ChartKit.HiddenAxes(chart);
        int top = title.Contains("<br>", StringComparison.Ordinal) ? 80 : 60;
        chart = ChartKit.Finish(chart, title, Math.Max(w + left + 20, 360), h + top + 20);
        return Plotly.NET.Chart.withMarginSize<int, int, int, int, int, bool>(ChartKit.Some(left), ChartKit.Some(10), ChartKit.Some(top), ChartKit.Some(10), null, null).Invoke(chart);
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
}
