using Workbench.Vae.Models;

namespace Workbench.Vae.Tests;

public class VaeConfigTests
{
    [Fact]
    public void JsonRoundTripKeepsEveryField()
    {
        var config = new VaeConfig(Architecture: "mlp", InputShape: [1, 28, 28], Hidden: [200, 200], LatentDim: 50, Activation: "swish_beta",
            Likelihood: Likelihood.GaussianLearnedVariance, OutputLogVar: -1.5, Beta: 4, Dropout: 0.1);
        var back = VaeConfig.FromJson(config.ToJson());
        Assert.Equal(config, back);
        Assert.Contains("\"likelihood\": \"gaussianLearnedVariance\"", config.ToJson());
    }

    [Fact]
    public void WithCopiesMakeAblations()
    {
        var baseline = VaeConfig.PytorchExamples;
        var swish = baseline with { Activation = "swish" };
        Assert.Equal("relu", baseline.Activation);
        Assert.NotEqual(baseline, swish);
        Assert.Equal(baseline, baseline with { Hidden = [400] });
    }

    [Theory]
    [InlineData("{\"latentDim\": 0}", "latentDim must be positive")]
    [InlineData("{\"hidden\": []}", "hidden is empty")]
    [InlineData("{\"hidden\": [400, -1]}", "hidden widths must be positive")]
    [InlineData("{\"activation\": \"swishy\"}", "activation 'swishy' is not known")]
    [InlineData("{\"beta\": -1}", "beta must be")]
    [InlineData("{\"dropout\": 1.0}", "dropout must be in [0, 1)")]
    [InlineData("{\"architecture\": \"rnn\"}", "architecture 'rnn'")]
    [InlineData("{\"inputShape\": [28, 28]}", "inputShape must be three")]
    [InlineData("{\"latentDim\": \"twenty\"}", "line 1")]
    [InlineData("{\"latentDims\": 3}", "latentDims")]
    [InlineData("{\"likelihood\": \"poisson\"}", "invalid configuration")]
    [InlineData("[1, 2]", "invalid configuration")]
    public void BadConfigsSayWhatIsWrong(string json, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => VaeConfig.FromJson(json, "my.json"));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void UnknownPresetListsTheKnownOnes()
    {
        var ex = Assert.Throws<ConfigException>(() => VaeConfig.Preset("bigger"));
        Assert.Contains("pytorch-examples", ex.Message);
        Assert.Contains("iwae-paper", ex.Message);
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        var ex = Assert.Throws<ConfigException>(() => VaeConfig.Load("/nonexistent/vae.json"));
        Assert.Contains("/nonexistent/vae.json", ex.Message);
    }
}
