using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;
using Workbench.Vae.Objectives;
using static Workbench.Vae.Tests.Objectives.ObjectiveTestUtil;

namespace Workbench.Vae.Tests.Objectives;

public class GaussianTests
{
    private readonly Generator _g = new(3);

    [Fact]
    public void KlMatchesHandComputedValues()
    {
        // Per dim 0.5 (mu^2 + sigma^2 - 1 - log sigma^2):
        //   mu = 1,  logVar = 0:     0.5 (1 + 1 - 1 - 0)              = 0.5
        //   mu = 0,  sigma = 2:      0.5 (0 + 4 - 1 - ln 4)           = 0.8068528194400547
        //   mu = -2, logVar = -1:    0.5 (4 + e^-1 - 1 + 1)           = 2.1839397205857214
        //   mu = 0,  logVar = 0:     0 (q is the prior)
        var q = new Posterior(
            Data64([1, 0, -2, 0], 2, 2),
            Data64([0, Math.Log(4), -1, 0], 2, 2));
        var perDim = Gaussian.KlPerDimension(q);
        Assert.Equal(new[] { 2, 2 }, perDim.Dims());
        AssertClose(0.5, perDim[0, 0], 1e-15);
        AssertClose(0.8068528194400547, perDim[0, 1], 1e-15);
        AssertClose(2.1839397205857214, perDim[1, 0], 1e-15);
        Assert.Equal(0.0, perDim.At(1, 1));
        var total = Gaussian.KlToStandardNormal(q);
        Assert.Equal(new[] { 2 }, total.Dims());
        AssertClose(1.3068528194400546, total[0], 1e-15);
        AssertClose(2.1839397205857214, total[1], 1e-15);
        // The per-dimension terms sum to the KL.
        for (int b = 0; b < 2; b++) AssertClose(perDim.At(b, 0) + perDim.At(b, 1), total[b], 1e-15);
    }

    [Fact]
    public void KlMatchesAMonteCarloEstimate()
    {
        // KL(q || p) = E_q[log q(z) - log p(z)]; 200000 draws give a standard error of a few thousandths.
        var q = new Posterior(Data64([0.7, -1.2, 0.1, 0.0, 2.0, -0.4], 3, 2), Data64([-0.5, 0.3, 1.1, -2.0, 0.0, 0.6], 3, 2));
        var z = Gaussian.Sample(q, new Generator(4), 200000);                                       // [S, 3, 2]
        var logRatio = Gaussian.LogDensity(z, q.Mean, q.LogVar).sub(Gaussian.StandardNormalLogDensity(z));   // [S, 3]
        var values = logRatio.Doubles();
        var kl = Gaussian.KlToStandardNormal(q);
        for (int b = 0; b < 3; b++)
        {
            var column = Enumerable.Range(0, 200000).Select(s => values[s * 3 + b]).ToArray();
            var (mean, se) = MeanAndStdError(column);
            AssertClose(kl.At(b), mean, 5 * se, $"example {b}");
            Assert.True(se < 0.01, $"standard error {se} too large to test against");
        }
    }

    [Fact]
    public void KlIsTheSameInFloat32()
    {
        var mean = Randn64(_g, 4, 3);
        var logVar = Randn64(_g, 4, 3);
        var kl64 = Gaussian.KlToStandardNormal(new Posterior(mean, logVar));
        var kl32 = Gaussian.KlToStandardNormal(new Posterior(mean.to(ScalarType.Float32), logVar.to(ScalarType.Float32)));
        Assert.Equal(ScalarType.Float32, kl32.dtype);
        for (int b = 0; b < 4; b++) AssertClose(kl64.At(b), kl32[b], 1e-5 * (1 + Math.Abs(kl64.At(b))));
    }

    [Fact]
    public void LogDensityMatchesHandComputedValues()
    {
        // N(0.5; 1, 2): -0.5 (ln 2 pi + ln 2 + 0.25 / 2) = -1.3280121234846454.
        var one = Gaussian.LogDensity(Data64([0.5], 1, 1), Data64([1.0], 1, 1), Data64([Math.Log(2)], 1, 1));
        AssertClose(-1.3280121234846454, one[0], 1e-14);
        // N((1, -2); 0, I): -0.5 (2 ln 2 pi + 1 + 4) = -4.337877066409345, the same from both functions.
        var z = Data64([1, -2], 1, 2);
        AssertClose(-4.337877066409345, Gaussian.StandardNormalLogDensity(z)[0], 1e-14);
        AssertClose(-4.337877066409345, Gaussian.LogDensity(z, torch.zeros([2], ScalarType.Float64), torch.zeros([2], ScalarType.Float64))[0], 1e-14);
    }

    [Fact]
    public void LogDensityBroadcastsSamplesAgainstThePosterior()
    {
        var mean = Randn64(_g, 3, 2);
        var logVar = Randn64(_g, 3, 2);
        var z = Randn64(_g, 5, 3, 2);
        var all = Gaussian.LogDensity(z, mean, logVar);
        Assert.Equal(new[] { 5, 3 }, all.Dims());
        for (int s = 0; s < 5; s++)
        {
            var one = Gaussian.LogDensity(z[s], mean, logVar);
            for (int b = 0; b < 3; b++) AssertClose(one.At(b), all[s, b], 1e-14);
        }
    }

    [Fact]
    public void SampleIsTheReparameterisationOfTheGeneratorsNormals()
    {
        var q = new Posterior(Data64([0.5, -1, 2, 0], 2, 2), Data64([0, 1, -1, 0.5], 2, 2));
        var z = Gaussian.Sample(q, new Generator(21), 3);
        Assert.Equal(new[] { 3, 2, 2 }, z.Dims());
        var eps = Randn64(new Generator(21), 3, 2, 2);
        for (int s = 0; s < 3; s++)
            for (int b = 0; b < 2; b++)
                for (int l = 0; l < 2; l++)
                    AssertClose(q.Mean.At(b, l) + Math.Exp(0.5 * q.LogVar.At(b, l)) * eps.At(s, b, l), z[s, b, l], 1e-14);

        var single = Gaussian.Sample(q, new Generator(21));
        Assert.Equal(new[] { 2, 2 }, single.Dims());
        for (int b = 0; b < 2; b++) for (int l = 0; l < 2; l++) Assert.Equal(z.At(0, b, l), single.At(b, l));
    }

    [Fact]
    public void SamplesHaveThePosteriorsMeanAndVariance()
    {
        var q = new Posterior(Data64([1.5, -0.5], 1, 2), Data64([Math.Log(0.25), Math.Log(4)], 1, 2));
        const int n = 100000;
        var v = Gaussian.Sample(q, new Generator(22), n).Doubles();
        for (int l = 0; l < 2; l++)
        {
            var column = Enumerable.Range(0, n).Select(s => v[s * 2 + l]).ToArray();
            var (mean, se) = MeanAndStdError(column);
            double variance = column.Sum(c => (c - mean) * (c - mean)) / (n - 1);
            double trueVar = Math.Exp(q.LogVar.At(0, l));
            AssertClose(q.Mean.At(0, l), mean, 5 * se);
            // The sample variance's relative standard error is sqrt(2 / n) = 0.0045.
            AssertClose(trueVar, variance, 0.025 * trueVar, $"variance of dim {l}");
        }
    }

    [Fact]
    public void EachDrawAdvancesTheGeneratorAndTheSeedReplaysTheSequence()
    {
        // torch's normal sampler fills blocks of 16 values at a time, so one draw of 10 samples is not the concatenation
        // of draws of 4 and 6: what a seed guarantees is the same sequence of draws, and that no draw re-seeds.
        var q = new Posterior(Randn64(_g, 3, 2), Randn64(_g, 3, 2));
        var g1 = new Generator(23);
        var first = Gaussian.Sample(q, g1, 4).Doubles();
        var second = Gaussian.Sample(q, g1, 6).Doubles();
        var g2 = new Generator(23);
        Assert.Equal(first, Gaussian.Sample(q, g2, 4).Doubles());
        Assert.Equal(second, Gaussian.Sample(q, g2, 6).Doubles());
        Assert.NotEqual(first, second.Take(first.Length));
        Assert.NotEqual(Gaussian.Sample(q, new Generator(23)).Doubles(), Gaussian.Sample(q, new Generator(24)).Doubles());
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var mean = Rand64(_g, 3, 2);
        var logVar = Rand64(_g, 3, 2);
        var z = Rand64(_g, 4, 3, 2);
        AssertGrad(t => Gaussian.KlToStandardNormal(new Posterior(t[0], t[1])), mean, logVar);
        AssertGrad(t => Gaussian.KlPerDimension(new Posterior(t[0], t[1])), mean, logVar);
        AssertGrad(t => Gaussian.LogDensity(t[0], t[1], t[2]), z, mean, logVar);
        AssertGrad(t => Gaussian.StandardNormalLogDensity(t[0]), z);
        // A fresh generator inside f fixes eps, so z is a smooth function of (mean, logVar).
        AssertGrad(t => Gaussian.Sample(new Posterior(t[0], t[1]), new Generator(5), 3), mean, logVar);
        AssertGrad(t => Gaussian.Sample(new Posterior(t[0], t[1]), new Generator(5)), mean, logVar);
    }

    [Fact]
    public void BadInputsAreRejectedWithAClearMessage()
    {
        var mean = torch.zeros([2, 3], ScalarType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => Gaussian.KlToStandardNormal(new Posterior(mean, torch.zeros([2, 2], ScalarType.Float64))));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gaussian.KlToStandardNormal(new Posterior(mean, torch.zeros([2, 3], ScalarType.Float32))));
        Assert.Contains("Float32", ex.Message);
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => Gaussian.Sample(new Posterior(mean, mean), _g, 0));
        Assert.Contains("samples", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => Gaussian.StandardNormalLogDensity(torch.tensor(1.0, ScalarType.Float64)));
        ex = Assert.Throws<ArgumentException>(() => Gaussian.LogDensity(torch.zeros([3], ScalarType.Float64), mean, mean));
        Assert.Contains("broadcast", ex.Message);
        Assert.Throws<ArgumentException>(() => Gaussian.LogDensity(torch.zeros([2, 3], ScalarType.Float32), mean, mean));
    }
}
