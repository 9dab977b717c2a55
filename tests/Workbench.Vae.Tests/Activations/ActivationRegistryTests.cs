using Workbench.Autograd;
using Workbench.Vae.Activations;

namespace Workbench.Vae.Tests.Activations;

public class ActivationRegistryTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var n in ActivationRegistry.Names) data.Add(n);
        return data;
    }

    [Fact]
    public void TheSeedsListAndTheIssuesListAreRegistered()
    {
        string[] required = ["identity", "exp", "tanh", "sigmoid", "relu", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu",
            "gelu_tanh", "silu", "swish_beta", "mish", "softplus", "relu6", "hardswish", "softsign", "maxout", "adaptive"];
        Assert.All(required, n => Assert.True(ActivationRegistry.Contains(n), n));
        Assert.True(ActivationRegistry.Contains("swish"));
        Assert.True(ActivationRegistry.Contains("linear"));
    }

    [Fact]
    public void UnknownNamesListTheKnownOnes()
    {
        var ex = Assert.Throws<ConfigException>(() => ActivationRegistry.Get("swishh"));
        Assert.Contains("swishh", ex.Message);
        Assert.Contains("relu", ex.Message);
        Assert.Contains("mish", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryActivationHasAFormulaANoteAndGradients(string name)
    {
        var spec = ActivationRegistry.Get(name);
        Assert.False(string.IsNullOrWhiteSpace(spec.Formula));
        Assert.False(string.IsNullOrWhiteSpace(spec.Note));
        var module = spec.Create(new Generator(1)).To(DType.Float64);
        Assert.Equal(spec.Learnable, module.Parameters().Any());
        // Inputs away from every kink (0, +-3, 6) so finite differences are valid.
        var x = Tensor.FromArray(new double[] { -2.3, -0.7, 0.4, 1.3, 2.2, 4.1, -5.2, 0.9 }, 2, 4).RequiresGrad_();
        var inputs = new List<Tensor> { x };
        inputs.AddRange(module.Parameters());
        var result = GradCheck.Run(_ => module.Call(x), [.. inputs]);
        Assert.True(result.Passed, $"{name}: {result}");
    }

    [Fact]
    public void MaxoutTakesTheLargerOfEachPair()
    {
        var y = new Maxout(2).Call(Tensor.FromArray(new float[] { 1, 5, -3, -4 }, 1, 4));
        Assert.Equal(new[] { 1, 2 }, y.ShapeArray());
        Assert.Equal(new float[] { 5, -3 }, y.ToArray());
    }

    [Fact]
    public void AdaptiveStartsUniformAndItsWeightsLearn()
    {
        var act = new AdaptiveActivation();
        Assert.All(act.Weights, w => Assert.Equal(1.0 / act.BaseNames.Count, w, 6));
        // Starting uniform, the mixture at x is the mean of the base activations.
        var x = Tensor.FromArray(new float[] { 0.5f });
        double expected = (0.5 + 0.5 + Math.Tanh(0.5) + 1 / (1 + Math.Exp(-0.5)) + 0.5 / (1 + Math.Exp(-0.5))) / 5;
        Assert.Equal(expected, act.Call(x).Item(), 6);
        // Gradient descent towards a pure tanh target moves weight onto tanh.
        var opt = new Workbench.Autograd.Optim.Adam(act.Parameters(), 0.05);
        var input = Tensor.Arange(-3, 3, 0.1);
        var target = input.Tanh();
        for (int i = 0; i < 200; i++)
        {
            opt.ZeroGrad();
            act.Call(input).Sub(target).Square().Mean().Backward();
            opt.Step();
        }
        int best = Array.IndexOf(act.Weights, act.Weights.Max());
        Assert.Equal("tanh", act.BaseNames[best]);
    }
}
