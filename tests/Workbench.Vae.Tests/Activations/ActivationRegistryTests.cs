using TorchSharp;
using Workbench.Vae.Activations;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests.Activations;

public class ActivationRegistryTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var n in ActivationRegistry.Names) data.Add(n);
        return data;
    }

    // Inputs away from every kink (0, +-3, 6) so that finite differences are valid.
    private static Tensor AwayFromKinks() =>
        torch.tensor(new double[] { -2.3, -0.7, 0.4, 1.3, 2.2, 4.1, -5.2, 0.9 }, [2, 4], ScalarType.Float64).requires_grad_();

    [Fact]
    public void TheSeedsListAndTheIssuesListAreRegistered()
    {
        string[] required = ["identity", "exp", "tanh", "sigmoid", "relu", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu",
            "gelu_tanh", "silu", "swish_beta", "mish", "softplus", "relu6", "hardswish", "hardsigmoid", "softsign", "maxout", "adaptive"];
        Assert.All(required, n => Assert.True(ActivationRegistry.Contains(n), n));
        Assert.Equal(required.Order(), ActivationRegistry.Names.Order());
        Assert.Equal(22, ActivationRegistry.All.Count);
        foreach (var alias in new[] { "swish", "linear", "leakyrelu", "gelu_exact" })
        {
            Assert.True(ActivationRegistry.Contains(alias), alias);
            Assert.NotNull(ActivationRegistry.Create(alias));
        }
        Assert.Equal("silu", ActivationRegistry.Get("swish").Name);
        Assert.Equal("identity", ActivationRegistry.Get("linear").Name);
        Assert.Equal("leaky_relu", ActivationRegistry.Get("leakyrelu").Name);
        Assert.Equal("gelu", ActivationRegistry.Get("gelu_exact").Name);
        Assert.Equal(2, ActivationRegistry.Get("maxout").WidthFactor);
    }

    [Fact]
    public void UnknownNamesListTheKnownOnes()
    {
        var ex = Assert.Throws<ConfigException>(() => ActivationRegistry.Get("swishh"));
        Assert.Contains("swishh", ex.Message);
        foreach (var name in ActivationRegistry.Names) Assert.Contains(name, ex.Message);
        Assert.Contains("swishh", Assert.Throws<ConfigException>(() => ActivationRegistry.Create("swishh")).Message);
        Assert.False(ActivationRegistry.Contains("swishh"));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryActivationBuildsAModuleWithAFormulaANoteAndCorrectGradients(string name)
    {
        var spec = ActivationRegistry.Get(name);
        Assert.Equal(name, spec.Name);
        Assert.False(string.IsNullOrWhiteSpace(spec.Formula));
        Assert.False(string.IsNullOrWhiteSpace(spec.Note));
        var module = spec.Create().to(ScalarType.Float64);
        Assert.Equal(spec.Learnable, module.parameters().Any());
        // Each call builds a fresh instance: two layers never share a learnable parameter.
        Assert.NotSame(module, spec.Create());

        var x = AwayFromKinks();
        var y = module.call(x);
        Assert.Equal(name == "maxout" ? new[] { 2, 2 } : new[] { 2, 4 }, y.Dims());
        Assert.All(y.Doubles(), v => Assert.True(double.IsFinite(v)));
        GradCheck.Check(() => module.call(x), [x, .. module.parameters()], name);
    }

    [Theory]
    // Each expected value is the formula evaluated in double arithmetic (Python's math module):
    [InlineData("identity", 2.0, 2.0, -1.5, -1.5)]
    [InlineData("relu", 2.0, 2.0, -1.0, 0.0)]
    [InlineData("relu6", 7.0, 6.0, 3.0, 3.0)]
    [InlineData("leaky_relu", 2.0, 2.0, -2.0, -0.02)]                                       // 0.01 * -2
    [InlineData("prelu", 2.0, 2.0, -2.0, -0.5)]                                             // a = 0.25 at init
    [InlineData("tanh", 1.0, 0.7615941559557649, -2.0, -0.9640275800758169)]
    [InlineData("sigmoid", 1.0, 0.7310585786300049, -2.0, 0.11920292202211755)]             // 1 / (1 + e^-x)
    [InlineData("silu", 1.0, 0.7310585786300049, -2.0, -0.2384058440442351)]                // x sigmoid(x)
    [InlineData("swish", 1.0, 0.7310585786300049, -2.0, -0.2384058440442351)]               // alias of silu
    [InlineData("elu", 2.0, 2.0, -2.0, -0.8646647167633873)]                                // e^-2 - 1
    [InlineData("selu", 2.0, 2.101401974710961, -1.0, -1.1113307378125625)]                 // lambda x; lambda alpha (e^-1 - 1), lambda 1.0507009873554805, alpha 1.6732632423543772
    [InlineData("celu", 2.0, 2.0, -1.0, -0.6321205588285577)]                               // alpha = 1: e^-1 - 1
    [InlineData("gelu", 1.0, 0.8413447460685429, -0.5, -0.15426876936299344)]               // x Phi(x) = x (1 + erf(x / sqrt 2)) / 2
    [InlineData("gelu_tanh", 1.0, 0.8411919906082768, -0.5, -0.15428599017485606)]          // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    [InlineData("mish", 1.0, 0.8650983882673103, -0.5, -0.22074377465173)]                  // x tanh(ln(1 + e^x))
    [InlineData("softplus", 1.0, 1.3132616875182228, -2.0, 0.1269280110429725)]             // ln(1 + e^x)
    [InlineData("hardswish", 1.0, 0.6666666666666666, -2.0, -0.3333333333333333)]           // x relu6(x + 3) / 6: 4/6, -2/6
    [InlineData("hardsigmoid", 1.0, 0.6666666666666666, -2.0, 0.16666666666666666)]         // relu6(x + 3) / 6
    [InlineData("softsign", 3.0, 0.75, -0.5, -0.3333333333333333)]                          // x / (1 + |x|)
    [InlineData("exp", 1.0, 2.718281828459045, -2.0, 0.1353352832366127)]
    [InlineData("swish_beta", 1.0, 0.7310585786300049, -2.0, -0.2384058440442351)]          // beta = 1 at init: SiLU
    public void ForwardValuesMatchTheFormula(string name, double x1, double y1, double x2, double y2)
    {
        var module = ActivationRegistry.Create(name).to(ScalarType.Float64);
        var y = module.call(torch.tensor(new[] { x1, x2 }, ScalarType.Float64)).Doubles();
        Assert.Equal(y1, y[0], 1e-12 * Math.Max(1, Math.Abs(y1)));
        Assert.Equal(y2, y[1], 1e-12 * Math.Max(1, Math.Abs(y2)));
        // The float32 default gives the same values to float precision.
        var y32 = ActivationRegistry.Create(name).call(torch.tensor(new[] { (float)x1, (float)x2 })).Doubles();
        Assert.Equal(y1, y32[0], 1e-6 * Math.Max(1, Math.Abs(y1)));
        Assert.Equal(y2, y32[1], 1e-6 * Math.Max(1, Math.Abs(y2)));
    }

    [Fact]
    public void ExpForwardAndGradient()
    {
        var exp = new Exp();
        Assert.Empty(exp.parameters());
        // e^0 = 1, e^1 = 2.718281828459045, e^-1 = 0.36787944117144233, e^ln 3 = 3.
        var y = exp.call(torch.tensor(new[] { 0, 1, -1, Math.Log(3) }, ScalarType.Float64)).Doubles();
        Assert.Equal([1, 2.718281828459045, 0.36787944117144233, 3], y, (a, b) => Math.Abs(a - b) < 1e-15);
        var x = AwayFromKinks();
        GradCheck.Check(() => exp.call(x), [x], "exp");
    }

    [Fact]
    public void SwishHasALearnableBetaThatShapesItsForward()
    {
        var swish = new Swish();
        var beta = Assert.Single(swish.named_parameters());
        Assert.Equal("beta", beta.name);
        Assert.Equal(new[] { 1 }, beta.parameter.Dims());
        Assert.Equal(1.0, swish.BetaValue);
        using (torch.no_grad()) swish.Beta.fill_(2.0);
        Assert.Equal(2.0, swish.BetaValue);
        // beta = 2: x sigmoid(2x); 0.5 sigmoid(1) = 0.5 * 0.7310585786300049 = 0.36552928931500245,
        // -1 sigmoid(-2) = -0.11920292202211755.
        var y = swish.to(ScalarType.Float64).call(torch.tensor(new[] { 0.5, -1.0 }, ScalarType.Float64)).Doubles();
        Assert.Equal(0.36552928931500245, y[0], 1e-15);
        Assert.Equal(-0.11920292202211755, y[1], 1e-15);
        Assert.Equal(2.0, swish.BetaValue);   // the conversion kept the value (and the field follows the parameter)
        Assert.Equal(0.5 * (1 / (1 + Math.Exp(-0.75))), new Swish(1.5).call(torch.tensor(0.5f)).ToDouble(), 1e-7);
    }

    [Fact]
    public void SwishGradientsForTheInputAndBeta()
    {
        var swish = new Swish(0.7).to(ScalarType.Float64);
        var x = AwayFromKinks();
        GradCheck.Check(() => swish.call(x), [x, swish.Beta], "swish_beta");
        // d/dbeta of x sigmoid(beta x) at one point, by hand: x^2 s (1 - s), s = sigmoid(beta x).
        var one = torch.tensor(new[] { 1.3 }, ScalarType.Float64);
        swish.zero_grad();
        swish.call(one).sum().backward();
        double b = swish.BetaValue;   // 0.7 rounded to float32 when the parameter was made, then widened
        double s = 1 / (1 + Math.Exp(-b * 1.3));
        Assert.Equal(1.3 * 1.3 * s * (1 - s), swish.Beta.grad!.ToDouble(), 1e-12);
    }

    [Fact]
    public void MaxoutTakesTheLargestOfEachGroup()
    {
        var x = torch.tensor(new float[] { 1, 5, -3, -4, 2, 2.5f }, [1, 6]);
        var pairs = new Maxout(2).call(x);
        Assert.Equal(new[] { 1, 3 }, pairs.Dims());
        Assert.Equal(new float[] { 5, -3, 2.5f }, pairs.Floats());                   // max(1, 5), max(-3, -4), max(2, 2.5)
        Assert.Equal(new float[] { 5, 2.5f }, new Maxout(3).call(x).Floats());         // max(1, 5, -3), max(-4, 2, 2.5)
        // Image-shaped input groups channels: [1, 4, 1, 2] -> [1, 2, 1, 2].
        var image = torch.tensor(new float[] { 1, 8, 3, 2, -1, 0, -5, 4 }, [1, 4, 1, 2]);
        var pooled = new Maxout(2).call(image);
        Assert.Equal(new[] { 1, 2, 1, 2 }, pooled.Dims());
        Assert.Equal(new float[] { 3, 8, -1, 4 }, pooled.Floats());   // channel pairs (0, 1) and (2, 3), per pixel
        Assert.Contains("divisible by 2", Assert.Throws<ArgumentException>(() => new Maxout(2).call(torch.zeros(1, 3))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Maxout(1));
    }

    [Fact]
    public void MaxoutGradientsFlowToTheWinners()
    {
        // Standard normal inputs have no ties, so maxout is differentiable there.
        var g = new torch.Generator(5);
        foreach (var (pieces, shape) in new[] { (2, new long[] { 3, 6 }), (3, new long[] { 2, 6 }), (2, new long[] { 2, 4, 2, 3 }) })
        {
            var x = torch.randn(shape, ScalarType.Float64, generator: g).requires_grad_();
            var maxout = new Maxout(pieces);
            GradCheck.Check(() => maxout.call(x), [x], $"maxout({pieces}) of [{string.Join(", ", shape)}]");
        }
    }

    [Fact]
    public void AdaptiveWeightsAreTheSoftmaxOfTheLogitsAndShapeTheForward()
    {
        var act = new AdaptiveActivation();
        Assert.Equal(AdaptiveActivation.DefaultBase, act.BaseNames);
        Assert.Equal(new[] { "identity", "relu", "tanh", "sigmoid", "silu" }, act.BaseNames);
        Assert.Equal(new[] { 5 }, act.Logits.Dims());
        Assert.All(act.Logits.Doubles(), l => Assert.Equal(0.0, l));
        Assert.All(act.Weights, w => Assert.Equal(0.2, w, 1e-7));
        // Uniform: the mean of the bases at 0.5: (0.5 + 0.5 + tanh 0.5 + sigmoid 0.5 + 0.5 sigmoid 0.5) / 5 = 0.47916123081255835.
        Assert.Equal(0.47916123081255835, act.call(torch.tensor(new[] { 0.5f })).ToDouble(), 1e-6);

        // Logits (0, ln 2, 0, 0, ln 3): weights (1, 2, 1, 1, 3) / 8.
        using (torch.no_grad()) act.Logits.copy_(torch.tensor(new[] { 0f, (float)Math.Log(2), 0f, 0f, (float)Math.Log(3) }));
        var w = act.Weights;
        Assert.Equal(1.0, w.Sum(), 1e-6);
        Assert.Equal(new[] { 0.125, 0.25, 0.125, 0.125, 0.375 }, w, (a, b) => Math.Abs(a - b) < 1e-6);
        var logits = act.Logits.Doubles();
        double z = logits.Sum(Math.Exp);
        for (int i = 0; i < 5; i++) Assert.Equal(Math.Exp(logits[i]) / z, w[i], 1e-7);   // softmax taken in float32
        // x = -1: -1/8 + 0 + tanh(-1)/8 + sigmoid(-1)/8 + 3 (-sigmoid(-1))/8 = -0.28743462483696935;
        // x = 2: 2/8 + 2/4 + tanh(2)/8 + sigmoid(2)/8 + 3 (2 sigmoid(2))/8 = 1.641200890740124.
        var y = act.to(ScalarType.Float64).call(torch.tensor(new[] { -1.0, 2.0 }, ScalarType.Float64)).Doubles();
        Assert.Equal(-0.28743462483696935, y[0], 1e-7);   // the logits were set in float32
        Assert.Equal(1.641200890740124, y[1], 1e-7);
    }

    [Fact]
    public void AdaptiveGradientsForTheInputAndTheLogits()
    {
        var act = new AdaptiveActivation().to(ScalarType.Float64);
        using (torch.no_grad()) act.Logits.copy_(torch.tensor(new[] { 0.3, -0.2, 0.5, -0.7, 0.1 }, ScalarType.Float64));
        var x = AwayFromKinks();
        GradCheck.Check(() => act.call(x), [x, act.Logits], "adaptive");
    }

    [Fact]
    public void AdaptiveWeightsChangeWithTrainingAndLearnATanhTarget()
    {
        var act = new AdaptiveActivation();
        var before = act.Weights;
        var opt = torch.optim.Adam(act.parameters(), 0.05);
        var input = torch.arange(-3.0, 3.0, 0.1, dtype: ScalarType.Float32);
        var target = input.tanh();
        opt.zero_grad();
        (act.call(input) - target).square().mean().backward();
        Assert.True(act.Logits.grad!.abs().max().ToDouble() > 0, "the toy loss gives the logits no gradient");
        opt.step();
        var after = act.Weights;
        Assert.NotEqual(before, after);
        Assert.Equal(1.0, after.Sum(), 1e-6);
        // Gradient descent towards a pure tanh target moves weight onto tanh.
        for (int i = 0; i < 200; i++)
        {
            opt.zero_grad();
            (act.call(input) - target).square().mean().backward();
            opt.step();
        }
        var learned = act.Weights;
        int best = Array.IndexOf(learned, learned.Max());
        Assert.Equal("tanh", act.BaseNames[best]);
        Assert.True(learned[best] > 0.4, $"tanh weight only {learned[best]}");
    }

    [Fact]
    public void AdaptiveRejectsBadBaseSets()
    {
        Assert.Contains("at least two", Assert.Throws<ArgumentException>(() => new AdaptiveActivation(["relu"])).Message);
        Assert.Contains("'maxout' cannot be part", Assert.Throws<ArgumentException>(() => new AdaptiveActivation(["relu", "maxout"])).Message);
        Assert.Contains("'prelu' cannot be part", Assert.Throws<ArgumentException>(() => new AdaptiveActivation(["relu", "prelu"])).Message);
        Assert.Throws<ConfigException>(() => new AdaptiveActivation(["relu", "nope"]));
    }
}
