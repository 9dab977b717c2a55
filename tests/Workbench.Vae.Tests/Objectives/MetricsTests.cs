using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;
using Workbench.Vae.Objectives;
using static Workbench.Vae.Tests.Objectives.ObjectiveTestUtil;

namespace Workbench.Vae.Tests.Objectives;

public class MetricsTests
{
    private readonly Generator _g = new(61);

    [Fact]
    public void PosteriorMeanVarianceMatchesHandComputedValues()
    {
        // Column 0: 1, 2, 3, 4 -> mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 4 = 1.25.
        // Column 1: constant 0.7 -> exactly 0.
        var means = Data64([1, 0.7, 2, 0.7, 3, 0.7, 4, 0.7], 4, 2);
        var v = Metrics.PosteriorMeanVariance(means);
        AssertClose(1.25, v[0], 1e-15);
        Assert.Equal(0.0, v[1]);
    }

    [Fact]
    public void ActiveUnitsCountsDimsWhoseMeanVariesWithX()
    {
        // Dim 0 constant (collapsed to the prior), dim 1 standard normal (variance about 1), dim 2 small noise with
        // standard deviation 0.05 (variance about 0.0025, under the 0.01 threshold), dim 3 standard deviation 0.2
        // (variance about 0.04, over it).
        const int n = 2000;
        var normals = Randn64(_g, n, 3).Doubles();
        var values = new double[n * 4];
        for (int i = 0; i < n; i++)
        {
            values[i * 4 + 0] = 0.3;
            values[i * 4 + 1] = normals[i * 3];
            values[i * 4 + 2] = 0.05 * normals[i * 3 + 1];
            values[i * 4 + 3] = 1 + 0.2 * normals[i * 3 + 2];
        }
        var means = Data64(values, n, 4);
        Assert.Equal(2, Metrics.ActiveUnits(means));
        Assert.Equal(3, Metrics.ActiveUnits(means, threshold: 0.001));
        Assert.Equal(1, Metrics.ActiveUnits(means, threshold: 0.5));
        Assert.Equal(2, Metrics.ActiveUnits(means.to(ScalarType.Float32)));
    }

    [Fact]
    public void PosteriorMeansAndActiveUnitsFromAnEncoder()
    {
        // An encoder whose mean ignores x in dim 1 (its weights are zero) and follows x in dim 0.
        var weight = Data64([1, 1, 0, 0, 0, 0, 0, 0], 4, 2);   // [2L = 4, D = 2]: mean_0 = x_0 + x_1, mean_1 = 0
        var bias = Data64([0, 0.5, -1, -1], 4);
        var encode = LinearEncoder(weight, bias);
        var data = Randn64(_g, 9, 2);
        var means = Metrics.PosteriorMeans(data, encode, batchSize: 4);
        Assert.Equal(new[] { 9, 2 }, means.Dims());
        for (int i = 0; i < 9; i++)
        {
            AssertClose(data.At(i, 0) + data.At(i, 1), means[i, 0], 1e-15);
            Assert.Equal(0.5, means.At(i, 1));
        }
        Assert.Equal(1, Metrics.ActiveUnits(means));
    }

    [Fact]
    public void KlPerDimensionAveragesOverTheDataSet()
    {
        var weight = Randn64(_g, 6, 4);
        var bias = Randn64(_g, 6);
        var encode = LinearEncoder(weight, bias);
        var data = Randn64(_g, 11, 4);
        var perDim = Metrics.KlPerDimension(data, encode, batchSize: 4);
        var q = encode(data);
        var all = Gaussian.KlPerDimension(q);
        Assert.Equal(3, perDim.Length);
        for (int d = 0; d < 3; d++)
        {
            double expected = Enumerable.Range(0, 11).Average(i => all.At(i, d));
            AssertClose(expected, perDim[d], 1e-13, $"dim {d}");
        }
        // They sum to the data set's mean KL.
        AssertClose(Gaussian.KlToStandardNormal(q).mean().item<double>(), perDim.Sum(), 1e-13);
        var fromPosterior = Metrics.KlPerDimension(q);
        for (int d = 0; d < 3; d++) AssertClose(perDim[d], fromPosterior[d], 1e-13);
    }

    [Fact]
    public void BadInputsAreRejectedWithAClearMessage()
    {
        var ex = Assert.Throws<ArgumentException>(() => Metrics.ActiveUnits(torch.zeros([5], ScalarType.Float64)));
        Assert.Contains("[N, latent]", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.ActiveUnits(torch.zeros([5, 2], ScalarType.Float64), threshold: -1));
        var encode = LinearEncoder(torch.zeros([4, 3], ScalarType.Float64), torch.zeros([4], ScalarType.Float64));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.KlPerDimension(torch.zeros([5, 3], ScalarType.Float64), encode, batchSize: 0));
        var wrong = Assert.Throws<ArgumentException>(() =>
            Metrics.PosteriorMeans(torch.zeros([5, 3], ScalarType.Float64), x => new Posterior(torch.zeros([1, 2], ScalarType.Float64), torch.zeros([1, 2], ScalarType.Float64))));
        Assert.Contains("batch of 5", wrong.Message);
    }
}
