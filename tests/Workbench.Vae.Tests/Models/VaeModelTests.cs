using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests.Models;

using Workbench.Vae.Models;

public class VaeModelTests
{
    private static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    private static Dictionary<string, int[]> Shapes(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.Dims());

    [Fact]
    public void PytorchExamplesPresetHasSeparateMeanAndLogVarHeads()
    {
        var model = new MlpVae(VaeConfig.PytorchExamples, new Generator(1));
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("mean.weight", names);
        Assert.Contains("logvar.weight", names);
        var shapes = Shapes(model);
        Assert.Equal(new[] { 400, 784 }, shapes["encoder.0.weight"]);
        Assert.Equal(new[] { 20, 400 }, shapes["mean.weight"]);
        Assert.Equal(new[] { 20, 400 }, shapes["logvar.weight"]);
        Assert.Equal(new[] { 400, 20 }, shapes["decoder.0.weight"]);
        Assert.Equal(new[] { 784, 400 }, shapes["output.weight"]);
        Assert.Equal(new[] { 784 }, shapes["output.bias"]);
        Assert.DoesNotContain("output_logvar.weight", names);
        // 784*400+400 + 2*(400*20+20) + 20*400+400 + 400*784+784, as torch counts the pytorch/examples model.
        Assert.Equal(652_824, ParameterCount(model));
    }

    [Fact]
    public void TheHeadsAreIndependent()
    {
        // The seed's bug: mean and log-variance from one layer. Here they differ and each has its own gradient.
        var model = new MlpVae(VaeConfig.PytorchExamples with { LatentDim = 3, Hidden = [8], InputShape = [1, 2, 2] }, new Generator(2));
        var q = model.Encode(torch.rand([5, 4], generator: new Generator(3)));
        Assert.Equal(new[] { 5, 3 }, q.Mean.Dims());
        Assert.NotEqual(q.Mean.Floats(), q.LogVar.Floats());
        q.LogVar.sum().backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.NotNull(parameters["logvar.weight"].grad);
        Assert.Null(parameters["mean.weight"].grad);
        Assert.NotNull(parameters["encoder.0.weight"].grad);   // the shared trunk feeds both heads
        Assert.Null(parameters["output.weight"].grad);
    }

    [Fact]
    public void IwaePresetAndConvModelProduceTheRightShapes()
    {
        var iwae = Vae.Create(VaeConfig.IwaePaper, new Generator(1));
        Assert.IsType<MlpVae>(iwae);
        var x = torch.rand([3, 784], generator: new Generator(2));
        var q = iwae.Encode(x);
        Assert.Equal(new[] { 3, 50 }, q.Mean.Dims());
        Assert.Equal(new[] { 3, 784 }, iwae.Decode(q.Mean).Location.Dims());
        Assert.Equal(new[] { 3, 784 }, iwae.call(x).Dims());
        Assert.Equal(new[] { 200, 784 }, Shapes(iwae)["encoder.0.weight"]);
        Assert.Equal(new[] { 200, 200 }, Shapes(iwae)["encoder.2.weight"]);

        var conv = Vae.Create(VaeConfig.Conv, new Generator(1));
        Assert.IsType<ConvVae>(conv);
        var qc = conv.Encode(x);
        Assert.Equal(new[] { 3, 20 }, qc.LogVar.Dims());
        var px = conv.Decode(Vae.Reparameterize(qc, new Generator(4)));
        Assert.Equal(new[] { 3, 784 }, px.Location.Dims());
        // Image-shaped input is accepted as well as flattened.
        Assert.Equal(qc.Mean.Floats(), conv.Encode(x.reshape(3, 1, 28, 28)).Mean.Floats());
        var names = conv.state_dict().Keys.ToList();
        Assert.Contains(names, n => n.StartsWith("decoder_dense.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("decoder_conv.", StringComparison.Ordinal));
        Assert.Contains("mean.weight", names);
        Assert.Contains("logvar.weight", names);
    }

    [Theory]
    [InlineData("maxout")]
    [InlineData("prelu")]
    [InlineData("adaptive")]
    [InlineData("swish_beta")]
    public void EveryArchitectureWorksWithWidthChangingAndLearnableActivations(string activation)
    {
        foreach (var config in new[] { VaeConfig.PytorchExamples with { Hidden = [16, 8] }, VaeConfig.Conv with { Hidden = [16] } })
        {
            var model = Vae.Create(config with { Activation = activation }, new Generator(1));
            var x = torch.rand([2, 784], generator: new Generator(2));
            var px = model.Decode(model.Encode(x).Mean);
            Assert.Equal(new[] { 2, 784 }, px.Location.Dims());
            int activations = model.modules().Count(model.IsActivation);
            Assert.True(activations > 0, $"{config.Architecture}: no module is marked as an activation");
            // A learnable activation's parameters belong to the model, so the optimiser trains them; maxout adds none.
            bool learnable = Workbench.Vae.Activations.ActivationRegistry.Get(activation).Learnable;
            Assert.Equal(learnable, model.named_parameters().Any(p => IsActivationParameter(model, p.name)));
        }
    }

    private static bool IsActivationParameter(Vae model, string name) =>
        model.named_modules().Any(m => model.IsActivation(m.module) && name.StartsWith(m.name + ".", StringComparison.Ordinal));

    [Fact]
    public void MaxoutDoublesTheWidthOfTheLayerBeforeIt()
    {
        var mlp = Shapes(Vae.Create(VaeConfig.PytorchExamples with { Hidden = [16, 8], Activation = "maxout" }, new Generator(1)));
        Assert.Equal(new[] { 32, 784 }, mlp["encoder.0.weight"]);   // 2 * 16 outputs, pooled to 16
        Assert.Equal(new[] { 16, 16 }, mlp["encoder.2.weight"]);    // 16 inputs, 2 * 8 outputs
        Assert.Equal(new[] { 20, 8 }, mlp["mean.weight"]);
        Assert.Equal(new[] { 784, 16 }, mlp["output.weight"]);
        var relu = Shapes(Vae.Create(VaeConfig.PytorchExamples with { Hidden = [16, 8] }, new Generator(1)));
        Assert.Equal(new[] { 16, 784 }, relu["encoder.0.weight"]);
        var conv = Shapes(Vae.Create(VaeConfig.Conv with { Hidden = [16], Activation = "maxout" }, new Generator(1)));
        Assert.Equal(new[] { 64, 1, 4, 4 }, conv["encoder.0.weight"]);   // 2 * 32 channels
    }

    [Fact]
    public void GaussianLikelihoodsCarryTheirLogVariance()
    {
        var fixedVar = Vae.Create(VaeConfig.PytorchExamples with { Likelihood = Likelihood.Gaussian, OutputLogVar = -2, Hidden = [8] }, new Generator(1));
        var px = fixedVar.Decode(torch.zeros(2, 20));
        Assert.Equal(Likelihood.Gaussian, px.Likelihood);
        Assert.Equal(-2, px.LogVar!.ToDouble());
        var learned = Vae.Create(VaeConfig.PytorchExamples with { Likelihood = Likelihood.GaussianLearnedVariance, Hidden = [8] }, new Generator(1));
        var pl = learned.Decode(torch.rand(2, 20, generator: new Generator(3)));
        Assert.Equal(Likelihood.GaussianLearnedVariance, pl.Likelihood);
        Assert.Equal(new[] { 2, 784 }, pl.LogVar!.Dims());
        Assert.NotEqual(pl.Location.Floats(), pl.LogVar!.Floats());   // its own head, not a copy of the mean
        Assert.Equal(new[] { 784, 8 }, Shapes(learned)["output_logvar.weight"]);
        var conv = Vae.Create(VaeConfig.Conv with { Likelihood = Likelihood.GaussianLearnedVariance, Hidden = [16] }, new Generator(1));
        Assert.Equal(new[] { 2, 784 }, conv.Decode(torch.zeros(2, 20)).LogVar!.Dims());
        Assert.Null(Vae.Create(VaeConfig.PytorchExamples with { Hidden = [8] }, new Generator(1)).Decode(torch.zeros(2, 20)).LogVar);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    public void SameSeedSameWeightsDifferentSeedDifferentWeights(string architecture)
    {
        var config = architecture == "mlp" ? VaeConfig.PytorchExamples with { Hidden = [64] } : VaeConfig.Conv with { Hidden = [32] };
        var a = Vae.Create(config, new Generator(7)).state_dict();
        var b = Vae.Create(config, new Generator(7)).state_dict();
        var c = Vae.Create(config, new Generator(8)).state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (k, v) in a)
        {
            Assert.Equal(v.Floats(), b[k].Floats());
            Assert.NotEqual(v.Floats(), c[k].Floats());
        }
    }

    [Fact]
    public void BuildingAModelLeavesTheGlobalRandomStreamAlone()
    {
        var before = torch.random.get_rng_state().data<byte>().ToArray();
        Vae.Create(VaeConfig.Conv with { Hidden = [16] }, new Generator(1));
        Vae.Create(VaeConfig.PytorchExamples with { Hidden = [16] }, new Generator(1));
        Assert.Equal(before, torch.random.get_rng_state().data<byte>().ToArray());
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    public void InitialWeightsFollowPyTorchsDefaultBounds(string architecture)
    {
        // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias; fan_in = in for Linear [out, in], in*k*k for Conv2d
        // [out, in, k, k], and dim 1 times k*k for ConvTranspose2d, whose weight is [in, out, k, k] (PyTorch's
        // _calculate_fan_in_and_fan_out reads dim 1 either way).
        var config = architecture == "mlp" ? VaeConfig.PytorchExamples with { Hidden = [64] } : VaeConfig.Conv with { Hidden = [32] };
        var sd = Vae.Create(config, new Generator(3)).state_dict();
        foreach (var (name, weight) in sd.Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal)))
        {
            var shape = weight.shape;
            long fanIn = shape[1] * (shape.Length == 4 ? shape[2] * shape[3] : 1);
            double bound = 1 / Math.Sqrt(fanIn);
            var w = weight.Doubles();
            Assert.All(w, v => Assert.InRange(v, -bound, bound));
            // Many draws fill the interval: the largest is near the bound and the mean near 0.
            if (w.Length >= 1000)
            {
                Assert.True(w.Max(Math.Abs) > 0.95 * bound, $"{name}: largest |w| {w.Max(Math.Abs)} is far below the bound {bound}");
                Assert.InRange(w.Average(), -0.05 * bound, 0.05 * bound);
            }
            string biasName = name[..^"weight".Length] + "bias";
            if (sd.TryGetValue(biasName, out var bias)) Assert.All(bias.Doubles(), v => Assert.InRange(v, -bound, bound));
        }
    }

    [Fact]
    public void ReparameterizationIsMeanPlusSigmaTimesNoise()
    {
        var q = new Posterior(torch.tensor(new double[] { 1, -2 }), torch.tensor(new double[] { 0, Math.Log(4) }));
        var eps = torch.randn([2], ScalarType.Float64, generator: new Generator(5)).Doubles();
        var z = Vae.Reparameterize(q, new Generator(5)).Doubles();
        Assert.Equal(1 + eps[0], z[0], 12);
        Assert.Equal(-2 + 2 * eps[1], z[1], 12);
        Assert.NotEqual(z, Vae.Reparameterize(q, new Generator(6)).Doubles());
    }

    [Fact]
    public void ForwardIsTheDeterministicReconstructionFromTheMean()
    {
        var model = Vae.Create(VaeConfig.PytorchExamples with { Hidden = [16] }, new Generator(1));
        var x = torch.rand([4, 784], generator: new Generator(2));
        var expected = model.Decode(model.Encode(x).Mean).Location.Floats();
        Assert.Equal(expected, model.call(x).Floats());
        Assert.Equal(expected, model.call(x).Floats());
    }

    [Fact]
    public void AnUnknownArchitectureIsAConfigError()
    {
        var ex = Assert.Throws<ConfigException>(() => Vae.Create(VaeConfig.PytorchExamples with { Architecture = "rnn" }, new Generator(1)));
        Assert.Contains("rnn", ex.Message);
    }
}
