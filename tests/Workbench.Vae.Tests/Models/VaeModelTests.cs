using Workbench.Autograd;
namespace Workbench.Vae.Tests.Models;

using Workbench.Vae.Models;

public class VaeModelTests
{
    [Fact]
    public void PytorchExamplesPresetHasSeparateMeanAndLogVarHeads()
    {
        var model = new MlpVae(VaeConfig.PytorchExamples, new Generator(1));
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("mean.weight", names);
        Assert.Contains("logvar.weight", names);
        var shapes = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ShapeArray());
        Assert.Equal(new[] { 400, 784 }, shapes["encoder.0.weight"]);
        Assert.Equal(new[] { 20, 400 }, shapes["mean.weight"]);
        Assert.Equal(new[] { 20, 400 }, shapes["logvar.weight"]);
        Assert.Equal(new[] { 400, 20 }, shapes["decoder.0.weight"]);
        Assert.Equal(new[] { 784, 400 }, shapes["output.weight"]);
        // 784*400+400 + 2*(400*20+20) + 20*400+400 + 400*784+784, as torch counts the pytorch/examples model.
        Assert.Equal(652_824, model.ParameterCount());
    }

    [Fact]
    public void TheHeadsAreIndependent()
    {
        // The seed's bug: mean and log-variance from one layer. Here they differ and each has its own gradient.
        var model = new MlpVae(VaeConfig.PytorchExamples with { LatentDim = 3, Hidden = [8], InputShape = [1, 2, 2] }, new Generator(2));
        var q = model.Encode(Tensor.Rand([5, 4], new Generator(3)));
        Assert.NotEqual(q.Mean.ToArray(), q.LogVar.ToArray());
        q.LogVar.Sum().Backward();
        var grads = model.StateDict();
        Assert.NotNull(grads["logvar.weight"].Grad);
        Assert.Null(grads["mean.weight"].Grad);
    }

    [Fact]
    public void IwaePresetAndConvModelProduceTheRightShapes()
    {
        var iwae = Vae.Create(VaeConfig.IwaePaper, new Generator(1));
        var x = Tensor.Rand([3, 784], new Generator(2));
        var q = iwae.Encode(x);
        Assert.Equal(new[] { 3, 50 }, q.Mean.ShapeArray());
        Assert.Equal(new[] { 3, 784 }, iwae.Decode(q.Mean).Location.ShapeArray());

        var conv = Vae.Create(VaeConfig.Conv, new Generator(1));
        var qc = conv.Encode(x);
        Assert.Equal(new[] { 3, 20 }, qc.LogVar.ShapeArray());
        var px = conv.Decode(Vae.Reparameterize(qc, new Generator(4)));
        Assert.Equal(new[] { 3, 784 }, px.Location.ShapeArray());
    }

    [Theory]
    [InlineData("maxout")]
    [InlineData("prelu")]
    [InlineData("adaptive")]
    public void EveryArchitectureWorksWithWidthChangingAndLearnableActivations(string activation)
    {
        foreach (var config in new[] { VaeConfig.PytorchExamples with { Hidden = [16, 8] }, VaeConfig.Conv with { Hidden = [16] } })
        {
            var model = Vae.Create(config with { Activation = activation }, new Generator(1));
            var x = Tensor.Rand([2, 784], new Generator(2));
            var px = model.Decode(model.Encode(x).Mean);
            Assert.Equal(new[] { 2, 784 }, px.Location.ShapeArray());
        }
    }

    [Fact]
    public void GaussianLikelihoodsCarryTheirLogVariance()
    {
        var fixedVar = Vae.Create(VaeConfig.PytorchExamples with { Likelihood = Likelihood.Gaussian, OutputLogVar = -2, Hidden = [8] }, new Generator(1));
        var px = fixedVar.Decode(Tensor.Zeros(2, 20));
        Assert.Equal(-2, px.LogVar!.Item());
        var learned = Vae.Create(VaeConfig.PytorchExamples with { Likelihood = Likelihood.GaussianLearnedVariance, Hidden = [8] }, new Generator(1));
        Assert.Equal(new[] { 2, 784 }, learned.Decode(Tensor.Zeros(2, 20)).LogVar!.ShapeArray());
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = Vae.Create(VaeConfig.PytorchExamples, new Generator(7)).StateDict();
        var b = Vae.Create(VaeConfig.PytorchExamples, new Generator(7)).StateDict();
        foreach (var (k, v) in a) Assert.Equal(v.ToArray(), b[k].ToArray());
    }

    [Fact]
    public void ReparameterizationIsMeanPlusSigmaTimesNoise()
    {
        var q = new Posterior(Tensor.FromArray(new double[] { 1, -2 }), Tensor.FromArray(new double[] { 0, Math.Log(4) }));
        var eps = Tensor.Randn([2], new Generator(5), DType.Float64).ToDoubleArray();
        var z = Vae.Reparameterize(q, new Generator(5)).ToDoubleArray();
        Assert.Equal(1 + eps[0], z[0], 12);
        Assert.Equal(-2 + 2 * eps[1], z[1], 12);
    }
}
