using System.Text.Json;
using Plotly.NET;
using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Plots;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Workbench.Experiments.Tests.Results;
using Workbench.Vae;
using Workbench.Vae.Evaluation;

namespace Workbench.Experiments.Tests.Plots;

// Inside the namespace "Plots" is this test namespace, so the class goes by an alias.
using P = Workbench.Experiments.Plots.Plots;

public class PlotsTests
{
    internal static JsonElement Json(GenericChart c) => JsonDocument.Parse(ChartHtml.FigureJson(c)).RootElement;

    internal static JsonElement[] Traces(GenericChart c) => Json(c).GetProperty("data").EnumerateArray().ToArray();

    private static JsonElement Layout(GenericChart c) => Json(c).GetProperty("layout");

    private static double[] Numbers(JsonElement array) =>
        array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN).ToArray();

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(v => v.GetString() ?? "<null>").ToArray();

    private static string? Str(JsonElement e, string property) => e.TryGetProperty(property, out var v) ? v.GetString() : null;

    private static bool ShowLegend(JsonElement trace) => !trace.TryGetProperty("showlegend", out var v) || v.GetBoolean();

    /// <summary>The title, which every standard chart has.</summary>
    private static string Title(GenericChart c) => Layout(c).GetProperty("title").GetProperty("text").GetString()!;

    private static string AxisTitle(GenericChart c, string axis) => Layout(c).GetProperty(axis).GetProperty("title").GetProperty("text").GetString()!;

    [Fact]
    public void Activation_curves_have_autograd_derivatives()
    {
        var chart = P.ActivationCurves(["relu", "tanh"]);
        var traces = Traces(chart);
        Assert.Equal(4, traces.Length);
        // Panel 1 holds f of each activation, panel 2 their derivatives; only f has legend entries.
        Assert.Equal(["relu", "tanh", "relu", "tanh"], traces.Select(t => Str(t, "name")));
        Assert.Equal(["x", "x", "x2", "x2"], traces.Select(t => Str(t, "xaxis") ?? "x"));
        Assert.False(ShowLegend(traces[2]));
        Assert.Equal("f′(x)", AxisTitle(chart, "yaxis2"));
        Assert.Contains("derivatives", Title(chart));

        var x = Numbers(traces[0].GetProperty("x"));
        Assert.Equal(201, x.Length);
        Assert.Equal(-5.0, x[0]);
        Assert.Equal(0.0, x[100]);
        Assert.Equal(5.0, x[200]);
        var relu = Numbers(traces[0].GetProperty("y"));
        var tanh = Numbers(traces[1].GetProperty("y"));
        var reluGrad = Numbers(traces[2].GetProperty("y"));
        var tanhGrad = Numbers(traces[3].GetProperty("y"));
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(Math.Max(0, x[i]), relu[i]);
            // relu'(x) is the step 1[x > 0] (0 at the kink, as in PyTorch).
            Assert.Equal(x[i] > 0 ? 1.0 : 0.0, reluGrad[i]);
            Assert.Equal(Math.Tanh(x[i]), tanh[i], 1e-15);
            // tanh'(x) = 1 - tanh²(x).
            Assert.Equal(1 - Math.Tanh(x[i]) * Math.Tanh(x[i]), tanhGrad[i], 1e-15);
        }
    }

    [Fact]
    public void Learnable_activations_are_drawn_at_their_initial_parameters()
    {
        // PReLU starts with slope 0.25: f'(x) = 0.25 for x < 0 and 1 for x > 0 (float32 parameters).
        var (y, dy) = P.Evaluate("prelu", [-2.0, -0.5, 0.5, 3.0]);
        Assert.Equal([-0.5, -0.125, 0.5, 3.0], y);
        Assert.Equal([0.25, 0.25, 1.0, 1.0], dy);
        // Swish with learnable beta = 1 is x σ(x): derivative σ(x) + x σ(x)(1 - σ(x)); at 0 that is 1/2.
        var (_, swish) = P.Evaluate("swish_beta", [0.0]);
        Assert.Equal(0.5, swish[0], 1e-7);
        Assert.Contains("no curve", Assert.Throws<ArgumentException>(() => P.ActivationCurves(["maxout"])).Message);
        Assert.Contains("Unknown activation", Assert.Throws<ConfigException>(() => P.ActivationCurves(["nope"])).Message);
    }

    private static List<RunRecord> Runs() =>
    [
        SyntheticRuns.Run("relu", 1, 90), SyntheticRuns.Run("relu", 2, 92), SyntheticRuns.Run("relu", 3, 97),
        SyntheticRuns.Run("tanh", 1, 95), SyntheticRuns.Run("tanh", 2, 96),
        SyntheticRuns.Run("tanh", 3, 0, outcome: "diverged"),
    ];

    [Fact]
    public void Training_curves_draw_a_band_and_a_mean_per_activation()
    {
        var chart = P.TrainingCurves(Runs(), CurveBand.MinMax);
        var traces = Traces(chart);
        Assert.Equal(6, traces.Length);
        Assert.Equal(["relu (band)", "relu (band)", "relu", "tanh (band)", "tanh (band)", "tanh"], traces.Select(t => Str(t, "name")));
        Assert.Equal("tonexty", Str(traces[1], "fill"));
        Assert.False(ShowLegend(traces[0]) || ShowLegend(traces[1]));
        Assert.Equal([1.0, 2, 3], Numbers(traces[2].GetProperty("x")));
        // relu epochs: loss_e = final + 2 (3 - e): seeds end at 90, 92, 97, so epoch 3 has mean 93, min 90, max 97.
        Assert.Equal([97.0, 95, 93], Numbers(traces[2].GetProperty("y")));
        Assert.Equal([94.0, 92, 90], Numbers(traces[0].GetProperty("y")));
        Assert.Equal([101.0, 99, 97], Numbers(traces[1].GetProperty("y")));
        // The diverged tanh seed is not averaged: mean of 95 and 96 at the end.
        Assert.Equal(95.5, Numbers(traces[5].GetProperty("y"))[2]);
        Assert.Equal("epoch", AxisTitle(chart, "xaxis"));
        Assert.Equal("negative ELBO (nats)", AxisTitle(chart, "yaxis"));

        // The default band is the 95% t-interval: relu at epoch 3 {90, 92, 97}, s² = 13, half-width t_(0.975, 2) sqrt(13/3).
        var ci = Traces(P.TrainingCurves(Runs()));
        Assert.Equal(93 - 4.302653 * Math.Sqrt(13.0 / 3), Numbers(ci[0].GetProperty("y"))[2], 1e-5);
        Assert.Equal(93 + 4.302653 * Math.Sqrt(13.0 / 3), Numbers(ci[1].GetProperty("y"))[2], 1e-5);
        var std = Traces(P.TrainingCurves(Runs(), CurveBand.StdDev));
        Assert.Equal(93 - Math.Sqrt(13), Numbers(std[0].GetProperty("y"))[2], 1e-12);
        Assert.Contains("per-epoch metric", Assert.Throws<ArgumentException>(() => P.TrainingCurves(Runs(), metric: "nll")).Message);
    }

    [Fact]
    public void Loss_curves_have_a_train_and_a_test_panel_per_dataset()
    {
        var runs = Runs().Concat([SyntheticRuns.Run("relu", 1, 230, dataset: "fashion-mnist")]).ToList();
        var chart = P.LossCurves(runs);
        var traces = Traces(chart);
        // mnist: relu and tanh in the train and the test panel; fashion-mnist: relu in both.
        Assert.Equal(6 + 6 + 3 + 3, traces.Length);
        Assert.Equal(["x", "x2", "x3", "x4"], traces.Select(t => Str(t, "xaxis") ?? "x").Distinct());
        // Train loss of relu, mnist (panel 1): epoch 3 means train = test + 1 = 94.
        Assert.Equal(94.0, Numbers(traces[2].GetProperty("y"))[2]);
        Assert.Equal(93.0, Numbers(traces[8].GetProperty("y"))[2]);
        // One legend entry per activation across all panels.
        Assert.Equal(["relu", "tanh"], traces.Where(ShowLegend).Select(t => Str(t, "name")));
        var titles = Layout(chart).GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString());
        Assert.Equal(["mnist: training", "mnist: test", "fashion-mnist: training", "fashion-mnist: test"], titles);
        Assert.Equal("negative ELBO (nats)", AxisTitle(chart, "yaxis4"));
        Assert.Contains("95% t-interval", Title(chart));
        // Epochs are whole numbers: one tick per epoch for these short runs, on every panel.
        foreach (var axis in new[] { "xaxis", "xaxis2", "xaxis3", "xaxis4" })
            Assert.Equal(1, Layout(chart).GetProperty(axis).GetProperty("dtick").GetInt32());
    }

    [Fact]
    public void Summary_bars_carry_the_interval_half_widths_as_error_bars()
    {
        var summary = Summary.PerActivation(Runs());
        var chart = P.SummaryBars(summary);
        var bar = Assert.Single(Traces(chart));
        Assert.Equal("bar", Str(bar, "type"));
        Assert.Equal(["relu", "tanh"], Strings(bar.GetProperty("x")));
        Assert.Equal([93.0, 95.5], Numbers(bar.GetProperty("y")));
        var errors = Numbers(bar.GetProperty("error_y").GetProperty("array"));
        // relu: s = sqrt 13, half-width t_(0.975, 2) sqrt(13/3) = 4.302653 · 2.0816660 = 8.956701.
        Assert.Equal(4.302653 * Math.Sqrt(13.0 / 3), errors[0], 1e-5);
        Assert.Equal(summary.Select(s => s.TestLoss.HalfWidth), errors);
        Assert.Equal("activation", AxisTitle(chart, "xaxis"));
        Assert.Equal("negative ELBO (nats)", AxisTitle(chart, "yaxis"));

        // A second data set adds a second bar trace, named by its group; one seed draws no error bar.
        var two = Summary.PerActivation(Runs().Concat([SyntheticRuns.Run("relu", 1, 230, dataset: "fashion-mnist")]).ToList());
        var traces = Traces(P.SummaryBars(two));
        Assert.Equal(["mnist", "fashion-mnist"], traces.Select(t => Str(t, "name")));
        Assert.True(double.IsNaN(Numbers(traces[1].GetProperty("error_y").GetProperty("array"))[0]));
        Assert.Equal("bits/dim", AxisTitle(P.SummaryBars(summary, "bits_per_dim"), "yaxis"));
    }

    [Fact]
    public void Nll_by_activation_shows_seeds_and_the_mean_with_its_interval()
    {
        var runs = new List<RunRecord>
        {
            SyntheticRuns.Run("relu", 1, 90, nll: 86), SyntheticRuns.Run("relu", 2, 91, nll: 88),
            SyntheticRuns.Run("silu", 1, 89, nll: 85), SyntheticRuns.Run("silu", 2, 89, nll: 85.5),
        };
        var chart = P.NllByActivation(runs);
        var traces = Traces(chart);
        // The seeds come last, drawn over the means.
        Assert.Equal(["mean ± 95% CI", "seeds"], traces.Select(t => Str(t, "name")));
        Assert.Equal([86.0, 88, 85, 85.5], Numbers(traces[1].GetProperty("y")));
        Assert.Equal([87.0, 85.25], Numbers(traces[0].GetProperty("y")));
        // relu {86, 88}: s = sqrt 2, half-width t_(0.975, 1) · sqrt 2 / sqrt 2 = 12.706205.
        Assert.Equal(12.706205, Numbers(traces[0].GetProperty("error_y").GetProperty("array"))[0], 1e-5);
        Assert.Equal("test NLL (nats)", AxisTitle(chart, "yaxis"));
        Assert.Contains("k = 100", Title(chart));
        Assert.Contains("no importance-sampled NLL", Assert.Throws<ArgumentException>(() => P.NllByActivation(Runs())).Message);
    }

    [Fact]
    public void Rate_distortion_has_one_trace_per_activation_and_beta()
    {
        var runs = Runs().Concat([SyntheticRuns.Run("relu", 1, 110, beta: 4, kl: 8), SyntheticRuns.Run("relu", 2, 111, beta: 4, kl: 9)]).ToList();
        var chart = P.RateDistortion(runs);
        var traces = Traces(chart);
        Assert.Equal(["relu, β=1", "relu, β=4", "tanh, β=1"], traces.Select(t => Str(t, "name")));
        Assert.Equal([8.0, 9.0], Numbers(traces[1].GetProperty("x")));
        // distortion = loss - KL: 110 - 8, 111 - 9.
        Assert.Equal([102.0, 102.0], Numbers(traces[1].GetProperty("y")));
        Assert.NotEqual(traces[0].GetProperty("marker").GetProperty("symbol").ToString(), traces[1].GetProperty("marker").GetProperty("symbol").ToString());
        Assert.Equal(traces[0].GetProperty("marker").GetProperty("color").ToString(), traces[1].GetProperty("marker").GetProperty("color").ToString());
        Assert.Equal(["seed 1", "seed 2", "seed 3"], Strings(traces[0].GetProperty("text")));
        Assert.Contains("(nats)", AxisTitle(chart, "xaxis"));
    }

    [Fact]
    public void Latent_scatter_has_one_trace_per_label()
    {
        using var means = torch.tensor(new float[] { 0, 1, 10, 2, 3, 11, 4, 5, 12, 6, 7, 13 }, [4, 3]);
        var traces = Traces(P.LatentScatter(means, [3, 1, 3, 0]));
        Assert.Equal(["0", "1", "3"], traces.Select(t => Str(t, "name")));
        Assert.Equal([6.0], Numbers(traces[0].GetProperty("x")));
        Assert.Equal([0.0, 4.0], Numbers(traces[2].GetProperty("x")));
        Assert.Equal([1.0, 5.0], Numbers(traces[2].GetProperty("y")));
        var other = Traces(P.LatentScatter(means, new byte[] { 0, 0, 0, 0 }, dimX: 2, dimY: 0));
        Assert.Equal([10.0, 11, 12, 13], Numbers(Assert.Single(other).GetProperty("x")));
        Assert.Contains("one label per row", Assert.Throws<ArgumentException>(() => P.LatentScatter(means, [1, 2])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => P.LatentScatter(means, [1, 2, 3, 4], 0, 3));
    }

    [Fact]
    public void Kl_per_dimension_marks_collapsed_dimensions()
    {
        var chart = P.KlPerDimension([3.5, 0.001, 2.0]);
        var bar = Assert.Single(Traces(chart));
        Assert.Equal(["z0", "z1", "z2"], Strings(bar.GetProperty("x")));
        Assert.Equal([3.5, 0.001, 2.0], Numbers(bar.GetProperty("y")));
        Assert.Equal(["in use", "collapsed to the prior", "in use"], Strings(bar.GetProperty("text")));
        Assert.Contains("2 of 3", Title(chart));
        Assert.Equal("KL (nats)", AxisTitle(chart, "yaxis"));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => P.KlPerDimension([double.NaN])).Message);
    }

    private static byte[] ImageOf(JsonElement trace) =>
        Convert.FromBase64String(trace.GetProperty("source").GetString()!["data:image/png;base64,".Length..]);

    [Fact]
    public void Image_grids_rows_and_manifold_are_single_image_traces()
    {
        using var generator = new torch.Generator(3);
        using var pixels = torch.rand([9, 16], generator: generator);
        var grid = P.ImageGrid(pixels, columns: 3, height: 4, width: 4, title: "samples", scale: 2);
        var trace = Assert.Single(Traces(grid));
        Assert.Equal("image", Str(trace, "type"));
        var (w, h) = ImageGrid.Size(9, 4, 4, 3, 2, 2);
        var decoded = Workbench.Experiments.Tests.Charts.PngDecoder.Decode(ImageOf(trace));
        Assert.Equal((w, h), (decoded.Width, decoded.Height));
        Assert.Equal("samples", Title(grid));

        var manifold = P.LatentManifold(pixels, steps: 3, height: 4, width: 4);
        // No padding: 3 x 3 tiles of 4 x 4 make a 12 x 12 image.
        var m = Workbench.Experiments.Tests.Charts.PngDecoder.Decode(ImageOf(Traces(manifold)[0]));
        Assert.Equal((12, 12), (m.Width, m.Height));
        Assert.Contains("[steps², D]", Assert.Throws<ArgumentException>(() => P.LatentManifold(pixels, steps: 2, height: 4, width: 4)).Message);
        Assert.Contains("[N, 784]", Assert.Throws<ArgumentException>(() => P.ImageGrid(pixels)).Message);

        // Rows of 3 images, labelled at each row's centre (padding 2 + row · (4 · 2 + 2) + 4).
        var rows = P.ImageRows([pixels.narrow(0, 0, 3), pixels.narrow(0, 3, 3)], ["z0", "z1"], "traversals", height: 4, width: 4);
        var yaxis = Layout(rows).GetProperty("yaxis");
        Assert.Equal(["z0", "z1"], Strings(yaxis.GetProperty("ticktext")));
        Assert.Equal([6.0, 16.0], Numbers(yaxis.GetProperty("tickvals")));
        Assert.Contains("one label per row", Assert.Throws<ArgumentException>(() => P.ImageRows([pixels], ["a", "b"], "t", 4, 4)).Message);
    }

    private static Dictionary<string, double[]> Weights(params double[] w) => new() { ["encoder.1"] = w, ["decoder.1"] = w.Reverse().ToArray() };

    [Fact]
    public void Adaptive_weights_are_bars_per_layer_with_intervals()
    {
        var runs = new List<RunRecord>
        {
            SyntheticRuns.Run("adaptive", 1, 90, parameters: Weights(0.1, 0.2, 0.3, 0.2, 0.2)),
            SyntheticRuns.Run("adaptive", 2, 91, parameters: Weights(0.3, 0.2, 0.1, 0.2, 0.2)),
            SyntheticRuns.Run("relu", 1, 92),
        };
        Assert.True(P.HasAdaptiveWeights(runs));
        Assert.False(P.HasLearnedParameters(runs));
        var chart = P.AdaptiveWeights(runs);
        var traces = Traces(chart);
        Assert.Equal(["encoder.1", "decoder.1"], traces.Select(t => Str(t, "name")));
        Assert.Equal(["identity", "relu", "tanh", "sigmoid", "silu"], Strings(traces[0].GetProperty("x")));
        Assert.Equal([0.2, 0.2, 0.2, 0.2, 0.2], Numbers(traces[0].GetProperty("y")).Select(v => Math.Round(v, 12)));
        // identity weights {0.1, 0.3}: s = sqrt(0.02), half-width t_(0.975, 1) · sqrt(0.02) / sqrt 2 = 12.706205 · 0.1.
        Assert.Equal(12.706205 * 0.1, Numbers(traces[0].GetProperty("error_y").GetProperty("array"))[0], 1e-6);
        // The uniform initial weight 1/5 as a dashed line.
        Assert.Equal(0.2, Layout(chart).GetProperty("shapes")[0].GetProperty("y0").GetDouble());

        var bad = new List<RunRecord> { SyntheticRuns.Run("adaptive", 1, 90, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.5, 0.5] }) };
        Assert.Contains("has 2 mixture weights", Assert.Throws<InvalidDataException>(() => P.AdaptiveWeights(bad)).Message);
        Assert.Contains("no completed 'adaptive' run", Assert.Throws<ArgumentException>(() => P.AdaptiveWeights(Runs())).Message);
        var single = Traces(P.AdaptiveWeights(new Dictionary<string, double[]> { ["layer"] = [0.5, 0.5] }, ["relu", "tanh"]));
        Assert.Equal([0.5, 0.5], Numbers(Assert.Single(single).GetProperty("y")));
    }

    [Fact]
    public void Learned_parameters_are_a_strip_per_activation()
    {
        var runs = new List<RunRecord>
        {
            SyntheticRuns.Run("prelu", 1, 90, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.2], ["decoder.1"] = [0.3] }),
            SyntheticRuns.Run("prelu", 2, 90, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.1], ["decoder.1"] = [0.4] }),
            SyntheticRuns.Run("swish_beta", 1, 90, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [1.3] }),
        };
        Assert.True(P.HasLearnedParameters(runs));
        var traces = Traces(P.LearnedParameters(runs));
        Assert.Equal(["prelu", "swish_beta"], traces.Select(t => Str(t, "name")));
        Assert.Equal(["encoder.1", "decoder.1", "encoder.1", "decoder.1"], Strings(traces[0].GetProperty("x")));
        Assert.Equal([0.2, 0.3, 0.1, 0.4], Numbers(traces[0].GetProperty("y")));
        Assert.Equal(["seed 1", "seed 1", "seed 2", "seed 2"], Strings(traces[0].GetProperty("text")));
    }

    [Fact]
    public void Gradient_health_of_a_real_model()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Workbench.Vae.Models.Vae.Create(new VaeConfig(InputShape: [1, 4, 4], Hidden: [8], LatentDim: 2, Activation: "tanh"), new torch.Generator(1));
        var batch = torch.rand([6, 16], generator: new torch.Generator(2));   // [B, D]
        var health = GradientHealth.Measure(model, batch, new torch.Generator(3));
        var chart = P.GradientHealth(health);
        var traces = Traces(chart);
        Assert.Equal(["gradient norm", "dead", "saturated"], traces.Select(t => Str(t, "name")));
        var weights = health.Where(h => !double.IsNaN(h.GradNorm)).ToList();
        Assert.Equal(weights.Select(w => w.Layer), Strings(traces[0].GetProperty("x")));
        Assert.Equal(weights.Select(w => w.GradNorm), Numbers(traces[0].GetProperty("y")));
        Assert.Equal(health.Count(h => double.IsNaN(h.GradNorm)), Numbers(traces[1].GetProperty("y")).Length);
        Assert.Equal("log", Layout(chart).GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal("x2", Str(traces[2], "xaxis"));
    }

    [Fact]
    public void Colours_are_stable_per_activation()
    {
        var map = P.ColorMap(Runs());
        Assert.Equal(Palette.Color(0), map["relu"]);
        Assert.Equal(Palette.Color(1), map["tanh"]);
        Assert.Equal("rgba(31,119,180,0.2)", Palette.Rgba("#1f77b4", 0.2));
    }
}
