using Workbench.Autograd;
using Workbench.Autograd.Nn;
using Workbench.Autograd.Tests.Ops;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Nn;

public class ActivationModuleTests
{
    /// <summary>Each module with the functional it must equal.</summary>
    private static readonly (Module Module, Func<Tensor, Tensor> Functional)[] Pairs =
    [
        (new Identity(), F.Identity),
        (new Relu(), F.Relu),
        (new LeakyRelu(0.2), x => F.LeakyRelu(x, 0.2)),
        (new Elu(0.8), x => F.Elu(x, 0.8)),
        (new Celu(1.5), x => F.Celu(x, 1.5)),
        (new Selu(), F.Selu),
        (new Gelu(), F.Gelu),
        (new GeluTanh(), F.GeluTanh),
        (new Silu(), F.Silu),
        (new Swish(1.0, learnable: false), F.Silu),
        (new Mish(), F.Mish),
        (new Softplus(2, 10), x => F.Softplus(x, 2, 10)),
        (new Relu6(), F.Relu6),
        (new Hardswish(), F.Hardswish),
        (new Hardsigmoid(), F.Hardsigmoid),
        (new Softsign(), F.Softsign),
        (new Tanh(), F.Tanh),
        (new Sigmoid(), F.Sigmoid),
        (new Exp(), F.Exp),
    ];

    [Fact]
    public void EveryModuleComputesItsFunctional()
    {
        var x = ActivationTests.AwayFromKinks(new Generator(1), [4, 6]);
        foreach (var (module, functional) in Pairs)
        {
            Assert.Equal(functional(x).ToDoubleArray(), module.Forward(x).ToDoubleArray());
            Assert.Empty(module.Parameters());
            AssertGrad(t => module.Forward(t[0]), x);
        }
    }

    [Fact]
    public void DefaultsMatchPyTorch()
    {
        Assert.Equal(0.01, new LeakyRelu().NegativeSlope);
        Assert.Equal(1.0, new Elu().Alpha);
        Assert.Equal(1.0, new Celu().Alpha);
        Assert.Equal(1.0, new Softplus().Beta);
        Assert.Equal(20.0, new Softplus().Threshold);
        var prelu = new Prelu();
        Assert.Equal(new[] { 1 }, prelu.Weight.ShapeArray());
        Assert.Equal(0.25, prelu.Weight.Item());
        var swish = new Swish();
        Assert.True(swish.Learnable);
        Assert.Equal(1.0, swish.BetaValue);
    }

    [Fact]
    public void PreluRegistersOneSlopePerChannel()
    {
        var prelu = new Prelu(numParameters: 3, init: 0.1);
        var (name, p) = Assert.Single(prelu.NamedParameters());
        Assert.Equal("weight", name);
        Assert.Equal(new[] { 3 }, p.ShapeArray());
        Assert.True(p.RequiresGrad);
        Assert.Equal(new[] { 0.1f, 0.1f, 0.1f }, p.ToArray());
        Assert.Equal(3, prelu.ParameterCount());
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, 3)]
    [InlineData(new[] { 2, 3, 4, 5 }, 1)]
    [InlineData(new[] { 5, 4 }, 4)]
    public void PreluModuleGradientsMatchFiniteDifferences(int[] shape, int channels)
    {
        var prelu = new Prelu(channels, 0.3);
        prelu.To(DType.Float64);
        // Move the slopes apart so that a per-channel mix-up would show.
        prelu.Weight.AsSpan<double>()[0] = -0.2;
        var x = ActivationTests.AwayFromKinks(new Generator(2), shape);
        AssertGrad(t => F.Prelu(t[0], t[1]), x, prelu.Weight);
        AssertGrad(t => prelu.Forward(t[0]), x);
        // The module's own parameter receives the gradient.
        prelu.ZeroGrad();
        prelu.Forward(x).Sum().Backward();
        Assert.NotNull(prelu.Weight.Grad);
    }

    [Fact]
    public void SwishLearnsBeta()
    {
        var swish = new Swish(beta: 1.5);
        var (name, beta) = Assert.Single(swish.NamedParameters());
        Assert.Equal("beta", name);
        Assert.Same(swish.Beta, beta);
        Assert.Equal(new[] { 1 }, beta.ShapeArray());
        swish.To(DType.Float64);
        var x = ActivationTests.AwayFromKinks(new Generator(3), [3, 4]);
        AssertGrad(t => F.Swish(t[0], t[1]), x, swish.Beta!);
        swish.Forward(x).Sum().Backward();
        Assert.NotEqual(0.0, swish.Beta!.Grad!.Item());
        Assert.Equal(1.5, swish.BetaValue);
    }

    [Fact]
    public void FixedSwishHasNoParametersAndWorksInAnyDType()
    {
        var swish = new Swish(beta: 0.5, learnable: false);
        Assert.Null(swish.Beta);
        Assert.Empty(swish.Parameters());
        Assert.Equal(0.5, swish.BetaValue);
        var x32 = Tensor.FromArray(new float[] { 2f });
        var x64 = Tensor.FromArray([2.0]);
        // 2 sigmoid(1) = 1.4621171572600098.
        Assert.Equal(1.4621171572600098, swish.Forward(x64).Item(), 1e-15);
        Assert.Equal(1.4621171572600098, swish.Forward(x32).Item(), 1e-6);
    }

    [Fact]
    public void ActivationsTrainInsideASequential()
    {
        var g = new Generator(4);
        var model = new Sequential(new Linear(3, 4, g), new Prelu(4), new Linear(4, 2, g), new Swish(), new Linear(2, 1, g));
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "2.weight", "2.bias", "3.beta", "4.weight", "4.bias" },
            model.NamedParameters().Select(p => p.Name).ToArray());
        model.To(DType.Float64);
        var x = Tensor.Randn([5, 3], g, DType.Float64);
        var parameters = model.Parameters().ToArray();
        AssertGrad(p => model.Forward(x).Sum(), parameters);
    }

    [Fact]
    public void StateDictRoundTripsLearnableActivations()
    {
        var source = new Sequential(new Prelu(2, 0.1), new Swish(0.7));
        var target = new Sequential(new Prelu(2), new Swish());
        target.LoadStateDict(source.StateDict());
        Assert.Equal(new[] { 0.1f, 0.1f }, ((Prelu)target.Layers[0]).Weight.ToArray());
        Assert.Equal(0.7, ((Swish)target.Layers[1]).BetaValue, 1e-7);
    }

    [Fact]
    public void BadHyperparametersAreRejectedAtConstruction()
    {
        Assert.Contains("numParameters", Assert.Throws<ArgumentOutOfRangeException>(() => new Prelu(0)).Message);
        Assert.Contains("init", Assert.Throws<ArgumentOutOfRangeException>(() => new Prelu(1, double.NaN)).Message);
        Assert.Contains("non-zero", Assert.Throws<ArgumentOutOfRangeException>(() => new Celu(0)).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentOutOfRangeException>(() => new Softplus(-1)).Message);
        Assert.Contains("negativeSlope", Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyRelu(double.NaN)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => new Swish(double.PositiveInfinity)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new Elu(double.NaN)).Message);
    }

    [Fact]
    public void ToStringShowsTheHyperparameters()
    {
        Assert.Equal("LeakyRelu(negativeSlope=0.2)", new LeakyRelu(0.2).ToString());
        Assert.Equal("Prelu(numParameters=3)", new Prelu(3).ToString());
        Assert.Equal("Swish(beta=1, learnable=True)", new Swish().ToString());
        Assert.Equal("Softplus(beta=1, threshold=20)", new Softplus().ToString());
        Assert.Equal("Elu(alpha=0.5)", new Elu(0.5).ToString());
        Assert.Equal("Gelu()", new Gelu().ToString());
    }
}
