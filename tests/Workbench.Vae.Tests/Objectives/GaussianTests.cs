using Workbench.Autograd;
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
        Assert.Equal(new[] { 2, 2 }, perDim.ShapeArray());
        AssertClose(0.5, perDim[0, 0], 1e-15);
        AssertClose(0.8068528194400547, perDim[0, 1], 1e-15);
        AssertClose(2.1839397205857214, perDim[1, 0], 1e-15);
        Assert.Equal(0.0, perDim[1, 1]);
        var total = Gaussian.KlToStandardNormal(q);
        Assert.Equal(new[] { 2 }, total.ShapeArray());
        AssertClose(1.3068528194400546, total[0], 1e-15);
        AssertClose(2.1839397205857214, total[1], 1e-15);
    }

    [Fact]
    public void KlMatchesAMonteCarloEstimate()
    {
        // KL(q || p) = E_q[log q(z) - log p(z)]; 200000 draws give a standard error of a few thousandths.
        var q = new Posterior(Data64([0.7, -1.2, 0.1, 0.0, 2.0, -0.4], 3, 2), Data64([-0.5, 0.3, 1.1, -2.0, 0.0, 0.6], 3, 2));
        var z = Gaussian.Sample(q, new Generator(4), 200000);                                       // [S, 3, 2]
        var logRatio = Gaussian.LogDensity(z, q.Mean, q.LogVar).Sub(Gaussian.StandardNormalLogDensity(z));   // [S, 3]
        var values = logRatio.ToDoubleArray();
        var kl = Gaussian.KlToStandardNormal(q);
        for (int b = 0; b < 3; b++)
        {
            var column = Enumerable.Range(0, 200000).Select(s => values[s * 3 + b]).ToArray();
            var (mean, se) = MeanAndStdError(column);
            AssertClose(kl[b], mean, 5 * se, $"example {b}");
            Assert.True(se < 0.01, $"standard error {se} too large to test against");
        }
    }

    [Fact]
    public void KlIsTheSameInFloat32()
    {
        var mean = Tensor.Randn([4, 3], _g, DType.Float64);
        var logVar = Tensor.Randn([4, 3], _g, DType.Float64);
        var kl64 = Gaussian.KlToStandardNormal(new Posterior(mean, logVar));
        var kl32 = Gaussian.KlToStandardNormal(new Posterior(mean.To(DType.Float32), logVar.To(DType.Float32)));
        Assert.Equal(DType.Float32, kl32.DType);
        for (int b = 0; b < 4; b++) AssertClose(kl64[b], kl32[b], 1e-5 * (1 + Math.Abs(kl64[b])));
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
        AssertClose(-4.337877066409345, Gaussian.LogDensity(z, Tensor.Zeros([2], DType.Float64), Tensor.Zeros([2], DType.Float64))[0], 1e-14);
    }

    [Fact]
    public void LogDensityBroadcastsSamplesAgainstThePosterior()
    {
        var mean = Tensor.Randn([3, 2], _g, DType.Float64);
        var logVar = Tensor.Randn([3, 2], _g, DType.Float64);
        var z = Tensor.Randn([5, 3, 2], _g, DType.Float64);
        var all = Gaussian.LogDensity(z, mean, logVar);
        Assert.Equal(new[] { 5, 3 }, all.ShapeArray());
        for (int s = 0; s < 5; s++)
        {
            var one = Gaussian.LogDensity(z.Slice(s, s + 1).Reshape(3, 2), mean, logVar);
            for (int b = 0; b < 3; b++) AssertClose(one[b], all[s, b], 1e-14);
        }
    }

    [Fact]
    public void SampleIsTheReparameterisationOfTheGeneratorsNormals()
    {
        var q = new Posterior(Data64([0.5, -1, 2, 0], 2, 2), Data64([0, 1, -1, 0.5], 2, 2));
        var z = Gaussian.Sample(q, new Generator(21), 3);
        Assert.Equal(new[] { 3, 2, 2 }, z.ShapeArray());
        var eps = Tensor.Randn([3, 2, 2], new Generator(21), DType.Float64);
        for (int s = 0; s < 3; s++)
            for (int b = 0; b < 2; b++)
                for (int l = 0; l < 2; l++)
                    AssertClose(q.Mean[b, l] + Math.Exp(0.5 * q.LogVar[b, l]) * eps[s, b, l], z[s, b, l], 1e-14);

        var single = Gaussian.Sample(q, new Generator(21));
        Assert.Equal(new[] { 2, 2 }, single.ShapeArray());
        for (int b = 0; b < 2; b++) for (int l = 0; l < 2; l++) Assert.Equal(z[0, b, l], single[b, l]);
    }

    [Fact]
    public void SamplesHaveThePosteriorsMeanAndVariance()
    {
        var q = new Posterior(Data64([1.5, -0.5], 1, 2), Data64([Math.Log(0.25), Math.Log(4)], 1, 2));
        const int n = 100000;
        var v = Gaussian.Sample(q, new Generator(22), n).ToDoubleArray();
        for (int l = 0; l < 2; l++)
        {
            var column = Enumerable.Range(0, n).Select(s => v[s * 2 + l]).ToArray();
            var (mean, se) = MeanAndStdError(column);
            double variance = column.Sum(c => (c - mean) * (c - mean)) / (n - 1);
            double trueVar = Math.Exp(q.LogVar[0, l]);
            AssertClose(q.Mean[0, l], mean, 5 * se);
            // The sample variance's relative standard error is sqrt(2 / n) = 0.0045.
            AssertClose(trueVar, variance, 0.025 * trueVar, $"variance of dim {l}");
        }
    }

    [Fact]
    public void SampleDrawsSampleMajorSoSplitDrawsMatchOneDraw()
    {
        var q = new Posterior(Tensor.Randn([3, 2], _g, DType.Float64), Tensor.Randn([3, 2], _g, DType.Float64));
        var whole = Gaussian.Sample(q, new Generator(23), 10).ToDoubleArray();
        var g = new Generator(23);
        var split = Gaussian.Sample(q, g, 4).ToDoubleArray().Concat(Gaussian.Sample(q, g, 6).ToDoubleArray()).ToArray();
        Assert.Equal(whole, split);
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
        var mean = Tensor.Zeros([2, 3], DType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => Gaussian.KlToStandardNormal(new Posterior(mean, Tensor.Zeros([2, 2], DType.Float64))));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gaussian.KlToStandardNormal(new Posterior(mean, Tensor.Zeros([2, 3], DType.Float32))));
        Assert.Contains("Float32", ex.Message);
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => Gaussian.Sample(new Posterior(mean, mean), _g, 0));
        Assert.Contains("samples", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => Gaussian.StandardNormalLogDensity(Tensor.Scalar(1.0, DType.Float64)));
        ex = Assert.Throws<ArgumentException>(() => Gaussian.LogDensity(Tensor.Zeros([3], DType.Float64), mean, mean));
        Assert.Contains("broadcast", ex.Message);
        Assert.Throws<ArgumentException>(() => Gaussian.LogDensity(Tensor.Zeros([2, 3], DType.Float32), mean, mean));
    }
}
