using System.Text.Json;
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
    private static JsonElement Json(Figure f) => JsonDocument.Parse(f.ToJson()).RootElement;

    private static JsonElement[] Traces(Figure f) => Json(f).GetProperty("data").EnumerateArray().ToArray();

    private static double[] Numbers(JsonElement array) =>
        array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(v => v.GetString() ?? "<null>").ToArray();

    [Fact]
    public void Activation_curves_have_autograd_derivatives()
    {
        var fig = P.ActivationCurves(["relu", "tanh"]);
        var traces = Traces(fig);
        Assert.Equal(4, traces.Length);
        Assert.Equal(["relu", "relu", "tanh", "tanh"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(["x", "x2", "x", "x2"], traces.Select(t => t.TryGetProperty("xaxis", out var a) ? a.GetString() : "x"));
        Assert.False(traces[1].GetProperty("showlegend").GetBoolean());

        var x = Numbers(traces[0].GetProperty("x"));
        Assert.Equal(201, x.Length);
        Assert.Equal(-5.0, x[0]);
        Assert.Equal(0.0, x[100]);
        Assert.Equal(5.0, x[200]);
        var relu = Numbers(traces[0].GetProperty("y"));
        var reluGrad = Numbers(traces[1].GetProperty("y"));
        var tanh = Numbers(traces[2].GetProperty("y"));
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
        Assert.Contains("Unknown activation", Assert.Throws<Workbench.Vae.ConfigException>(() => P.ActivationCurves(["nope"])).Message);
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
        var traces = Traces(P.TrainingCurves(Runs()));
        Assert.Equal(6, traces.Length);
        Assert.Equal(["relu low", "relu high", "relu", "tanh low", "tanh high", "tanh"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal("tonexty", traces[1].GetProperty("fill").GetString());
        Assert.Equal([1.0, 2, 3], Numbers(traces[2].GetProperty("x")));
        // relu epochs: loss_e = final + 2 (3 - e): seeds end at 90, 92, 97, so epoch 3 has mean 93, min 90, max 97.
        Assert.Equal([97.0, 95, 93], Numbers(traces[2].GetProperty("y")));
        Assert.Equal([94.0, 92, 90], Numbers(traces[0].GetProperty("y")));
        Assert.Equal([101.0, 99, 97], Numbers(traces[1].GetProperty("y")));
        // The diverged tanh seed is not averaged: mean of 95 and 96 at the end.
        Assert.Equal(95.5, Numbers(traces[5].GetProperty("y"))[2]);

        var std = Traces(P.TrainingCurves(Runs(), CurveBand.StdDev));
        // relu at epoch 3: {90, 92, 97}, mean 93, s² = (9 + 1 + 16) / 2 = 13.
        Assert.Equal(93 - Math.Sqrt(13), Numbers(std[0].GetProperty("y"))[2], 1e-12);
        Assert.Equal(93 + Math.Sqrt(13), Numbers(std[1].GetProperty("y"))[2], 1e-12);
        Assert.Contains("per-epoch metric", Assert.Throws<ArgumentException>(() => P.TrainingCurves(Runs(), metric: "nll")).Message);
    }

    [Fact]
    public void Training_curves_get_one_panel_per_dataset()
    {
        var runs = Runs().Concat([SyntheticRuns.Run("relu", 1, 230, dataset: "fashion-mnist")]).ToList();
        var fig = P.TrainingCurves(runs);
        var traces = Traces(fig);
        Assert.Equal(9, traces.Length);
        Assert.Equal("x2", traces[8].GetProperty("xaxis").GetString());
        // relu's mean has a legend entry only in the first panel.
        Assert.False(traces[8].GetProperty("showlegend").GetBoolean());
        var titles = Json(fig).GetProperty("layout").GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString());
        Assert.Equal(["mnist", "fashion-mnist"], titles);
    }

    [Fact]
    public void Summary_bars_carry_the_interval_half_widths_as_error_bars()
    {
        var summary = Summary.PerActivation(Runs());
        var traces = Traces(P.SummaryBars(summary));
        var bar = Assert.Single(traces);
        Assert.Equal("bar", bar.GetProperty("type").GetString());
        Assert.Equal(["relu", "tanh"], Strings(bar.GetProperty("x")));
        Assert.Equal([93.0, 95.5], Numbers(bar.GetProperty("y")));
        var errors = Numbers(bar.GetProperty("error_y").GetProperty("array"));
        Assert.Equal(summary.Select(s => s.TestLoss.HalfWidth), errors);
        // relu: s = sqrt 13, half-width t_(0.975, 2) sqrt(13/3) = 4.302652730 · 2.0816660 = 8.956701...
        Assert.Equal(4.302652730 * Math.Sqrt(13.0 / 3), errors[0], 1e-8);

        // A second data set adds a second bar trace, named by its group.
        var two = Summary.PerActivation(Runs().Concat([SyntheticRuns.Run("relu", 1, 230, dataset: "fashion-mnist")]).ToList());
        Assert.Equal(["mnist", "fashion-mnist"], Traces(P.SummaryBars(two)).Select(t => t.GetProperty("name").GetString()));
        // One seed: no error bar (null).
        Assert.Equal(JsonValueKind.Null, Traces(P.SummaryBars(two))[1].GetProperty("error_y").GetProperty("array")[0].ValueKind);
    }

    [Fact]
    public void Rate_distortion_has_one_trace_per_activation_and_beta()
    {
        var runs = Runs().Concat([SyntheticRuns.Run("relu", 1, 110, beta: 4, kl: 8), SyntheticRuns.Run("relu", 2, 111, beta: 4, kl: 9)]).ToList();
        var traces = Traces(P.RateDistortion(runs));
        Assert.Equal(["relu, β=1", "relu, β=4", "tanh, β=1"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal([8.0, 9.0], Numbers(traces[1].GetProperty("x")));
        // distortion = loss - KL: 110 - 8, 111 - 9.
        Assert.Equal([102.0, 102.0], Numbers(traces[1].GetProperty("y")));
        Assert.NotEqual(traces[0].GetProperty("marker").GetProperty("symbol").GetString(), traces[1].GetProperty("marker").GetProperty("symbol").GetString());
        Assert.Equal(traces[0].GetProperty("marker").GetProperty("color").GetString(), traces[1].GetProperty("marker").GetProperty("color").GetString());
        Assert.Equal(["seed 1", "seed 2", "seed 3"], Strings(traces[0].GetProperty("text")));
    }

    [Fact]
    public void Latent_scatter_has_one_trace_per_label()
    {
        using var means = torch.tensor(new float[] { 0, 1, 10, 2, 3, 11, 4, 5, 12, 6, 7, 13 }, [4, 3]);
        var traces = Traces(P.LatentScatter(means, [3, 1, 3, 0]));
        Assert.Equal(["0", "1", "3"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal([6.0], Numbers(traces[0].GetProperty("x")));
        Assert.Equal([0.0, 4.0], Numbers(traces[2].GetProperty("x")));
        Assert.Equal([1.0, 5.0], Numbers(traces[2].GetProperty("y")));
        var other = Traces(P.LatentScatter(means, new byte[] { 0, 0, 0, 0 }, dimX: 2, dimY: 0));
        Assert.Equal([10.0, 11, 12, 13], Numbers(Assert.Single(other).GetProperty("x")));
        Assert.Contains("one label per row", Assert.Throws<ArgumentException>(() => P.LatentScatter(means, [1, 2])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => P.LatentScatter(means, [1, 2, 3, 4], 0, 3));
    }

    [Fact]
    public void Image_grid_and_manifold_are_single_image_traces()
    {
        using var generator = new torch.Generator(3);
        using var pixels = torch.rand([9, 16], generator: generator);
        var grid = P.ImageGrid(pixels, columns: 3, height: 4, width: 4, title: "samples", scale: 2);
        var trace = Assert.Single(Traces(grid));
        Assert.Equal("image", trace.GetProperty("type").GetString());
        Assert.StartsWith("data:image/png;base64,", trace.GetProperty("source").GetString());
        var (w, h) = ImageGrid.Size(9, 4, 4, 3, 2, 2);
        Assert.Equal(w + 20, grid.Layout.Width);
        Assert.Equal(h + 60, grid.Layout.Height);

        var manifold = P.LatentManifold(pixels, steps: 3, height: 4, width: 4);
        var png = Convert.FromBase64String(Traces(manifold)[0].GetProperty("source").GetString()!["data:image/png;base64,".Length..]);
        var decoded = Workbench.Experiments.Tests.Charts.PngDecoder.Decode(png);
        // No padding: 3 x 3 tiles of 4 x 4 make a 12 x 12 image.
        Assert.Equal((12, 12), (decoded.Width, decoded.Height));
        Assert.Contains("[steps², D]", Assert.Throws<ArgumentException>(() => P.LatentManifold(pixels, steps: 2, height: 4, width: 4)).Message);
        Assert.Contains("[N, 784]", Assert.Throws<ArgumentException>(() => P.ImageGrid(pixels)).Message);
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
        var fig = P.AdaptiveWeights(runs);
        var traces = Traces(fig);
        Assert.Equal(["encoder.1", "decoder.1"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(["identity", "relu", "tanh", "sigmoid", "silu"], Strings(traces[0].GetProperty("x")));
        var y = Numbers(traces[0].GetProperty("y"));
        Assert.Equal([0.2, 0.2, 0.2, 0.2, 0.2], y.Select(v => Math.Round(v, 12)));
        // identity weights {0.1, 0.3}: s = sqrt(0.02), half-width t_(0.975, 1) · sqrt(0.02) / sqrt 2 = 12.706204736 · 0.1.
        Assert.Equal(12.706204736 * 0.1, Numbers(traces[0].GetProperty("error_y").GetProperty("array"))[0], 1e-8);
        // The uniform initial weight 1/5 as a dashed line.
        var shape = Json(fig).GetProperty("layout").GetProperty("shapes")[0];
        Assert.Equal(0.2, shape.GetProperty("y0").GetDouble());

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
        Assert.Equal(["prelu", "swish_beta"], traces.Select(t => t.GetProperty("name").GetString()));
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
        var fig = P.GradientHealth(health);
        var traces = Traces(fig);
        Assert.Equal(["gradient norm", "dead", "saturated"], traces.Select(t => t.GetProperty("name").GetString()));
        var weights = health.Where(h => !double.IsNaN(h.GradNorm)).ToList();
        Assert.Equal(weights.Select(w => w.Layer), Strings(traces[0].GetProperty("x")));
        Assert.Equal(weights.Select(w => w.GradNorm), Numbers(traces[0].GetProperty("y")));
        Assert.Equal(health.Count(h => double.IsNaN(h.GradNorm)), Numbers(traces[1].GetProperty("y")).Length);
        Assert.Equal("log", Json(fig).GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal("x2", traces[2].GetProperty("xaxis").GetString());
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
