using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;
using Workbench.Vae.Objectives;
using static Workbench.Vae.Tests.Objectives.ObjectiveTestUtil;

namespace Workbench.Vae.Tests.Objectives;

public class LogLikelihoodTests
{
    private readonly Generator _g = new(31);

    [Fact]
    public void BernoulliMatchesHandComputedValues()
    {
        // x l - softplus(l) per pixel:
        //   x = 1,   l = 0:   0 - ln 2                              = -0.6931471805599453
        //   x = 0,   l = 2:   0 - (2 + ln(1 + e^-2))                = -2.1269280110429727
        //   x = 0.3, l = -1:  -0.3 - ln(1 + e^-1)                   = -0.6132616875182229
        // sum                                                       = -3.433336879121141
        var x = Data64([1, 0, 0.3], 1, 3);
        var px = new DecoderOutput(Likelihood.Bernoulli, Data64([0, 2, -1], 1, 3));
        var ll = LogLikelihood.Of(x, px);
        Assert.Equal(new[] { 1 }, ll.Dims());
        AssertClose(-3.433336879121141, ll[0], 1e-14);
    }

    [Fact]
    public void BernoulliIsTheLogProbabilityOfBinaryPixels()
    {
        var x = torch.bernoulli(torch.full([4, 6], 0.5, ScalarType.Float64), _g);
        var logits = Randn64(_g, 4, 6).mul(3);
        var ll = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, logits));
        for (int b = 0; b < 4; b++)
        {
            double expected = 0;
            for (int d = 0; d < 6; d++)
            {
                double p = 1 / (1 + Math.Exp(-logits.At(b, d)));
                expected += x.At(b, d) == 1 ? Math.Log(p) : Math.Log(1 - p);
            }
            AssertClose(expected, ll[b], 1e-12, $"row {b}");
        }
    }

    [Fact]
    public void BernoulliIsStableForExtremeLogits()
    {
        // Confident and right: log p = 0; confident and wrong: log p = -1000 (finite, not -inf or NaN).
        var x = Data64([1, 0, 1, 0], 4, 1);
        var ll = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, Data64([1000, -1000, -1000, 1000], 4, 1)));
        Assert.Equal(0.0, ll.At(0));
        Assert.Equal(0.0, ll.At(1));
        Assert.Equal(-1000.0, ll.At(2));
        Assert.Equal(-1000.0, ll.At(3));
        var ll32 = LogLikelihood.Of(x.to(ScalarType.Float32), new DecoderOutput(Likelihood.Bernoulli, Data64([100, -100, -100, 100], 4, 1).to(ScalarType.Float32)));
        Assert.Equal(-100.0, ll32.At(2));
    }

    [Fact]
    public void GaussianMatchesHandComputedValues()
    {
        // -0.5 (ln 2 pi + logVar + (x - mean)^2 exp(-logVar)):
        //   x = 1, mean = 0, logVar = 0:         -0.5 (ln 2 pi + 1)             = -1.4189385332046727
        //   x = 0.5, mean = 1, logVar = ln 2:    -0.5 (ln 2 pi + ln 2 + 0.125)  = -1.3280121234846454
        //   x = 0.5, mean = 0.5, logVar = 0:     -0.5 ln 2 pi                   = -0.9189385332046727
        var x = Data64([1, 0.5], 1, 2);
        var fixedVar = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Gaussian, Data64([0, 0.5], 1, 2), torch.tensor(0.0, ScalarType.Float64)));
        AssertClose(-1.4189385332046727 - 0.9189385332046727, fixedVar[0], 1e-14);
        var learned = LogLikelihood.Of(x, new DecoderOutput(Likelihood.GaussianLearnedVariance, Data64([0, 1], 1, 2), Data64([0, Math.Log(2)], 1, 2)));
        AssertClose(-1.4189385332046727 - 1.3280121234846454, learned[0], 1e-14);
    }

    [Fact]
    public void SampleDimsBroadcastAgainstTheData()
    {
        var x = torch.rand([3, 5], ScalarType.Float64, generator: _g);
        var logits = Randn64(_g, 4, 3, 5);
        var means = Randn64(_g, 4, 3, 5);
        var logVar = Randn64(_g, 4, 3, 5);
        var bern = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, logits));
        var gauss = LogLikelihood.Of(x, new DecoderOutput(Likelihood.GaussianLearnedVariance, means, logVar));
        var shared = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Gaussian, means, Data64([0.1, 0.2, 0.3, 0.4, 0.5], 1, 5)));
        Assert.Equal(new[] { 4, 3 }, bern.Dims());
        for (int s = 0; s < 4; s++)
        {
            var b1 = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, logits[s]));
            var g1 = LogLikelihood.Of(x, new DecoderOutput(Likelihood.GaussianLearnedVariance, means[s], logVar[s]));
            var s1 = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Gaussian, means[s], Data64([0.1, 0.2, 0.3, 0.4, 0.5], 5)));
            for (int b = 0; b < 3; b++)
            {
                AssertClose(b1.At(b), bern[s, b], 1e-13);
                AssertClose(g1.At(b), gauss[s, b], 1e-13);
                AssertClose(s1.At(b), shared[s, b], 1e-13);
            }
        }
    }

    [Fact]
    public void ImageShapedDataIsSummedOverEveryPixel()
    {
        var x = torch.rand([2, 1, 2, 3], ScalarType.Float64, generator: _g);
        var logits = Randn64(_g, 2, 1, 2, 3);
        var image = LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, logits));
        var flat = LogLikelihood.Of(x.reshape(2, 6), new DecoderOutput(Likelihood.Bernoulli, logits.reshape(2, 6)));
        Assert.Equal(new[] { 2 }, image.Dims());
        for (int b = 0; b < 2; b++) AssertClose(flat.At(b), image[b], 1e-14);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = torch.rand([3, 4], ScalarType.Float64, generator: _g);
        AssertGrad(t => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, t[0])), Rand64(_g, 2, 3, 4));
        AssertGrad(t => LogLikelihood.Of(x, new DecoderOutput(Likelihood.GaussianLearnedVariance, t[0], t[1])), Rand64(_g, 3, 4), Rand64(_g, 3, 4));
        AssertGrad(t => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Gaussian, t[0], t[1])), Rand64(_g, 2, 3, 4), Rand64(_g));
        AssertGrad(t => LogLikelihood.Of(t[0], new DecoderOutput(Likelihood.Bernoulli, t[1])), Rand64(_g, 3, 4), Rand64(_g, 3, 4));
    }

    [Fact]
    public void BadInputsAreRejectedWithAClearMessage()
    {
        var x = torch.zeros([2, 3], ScalarType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Gaussian, torch.zeros([2, 3], ScalarType.Float64))));
        Assert.Contains("log-variance", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, x, x)));
        Assert.Contains("Bernoulli", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, torch.zeros([2, 4], ScalarType.Float64))));
        Assert.Contains("[2, 4]", ex.Message);
        Assert.Throws<ArgumentException>(() => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, torch.zeros([3, 3], ScalarType.Float64))));
        ex = Assert.Throws<ArgumentException>(() => LogLikelihood.Of(x, new DecoderOutput(Likelihood.Bernoulli, torch.zeros([2, 3], ScalarType.Float32))));
        Assert.Contains("Float32", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LogLikelihood.Of(x, new DecoderOutput(Likelihood.GaussianLearnedVariance, x, torch.zeros([5, 2, 3], ScalarType.Float64))));
        Assert.Contains("broadcast", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LogLikelihood.Of(torch.zeros([3], ScalarType.Float64), new DecoderOutput(Likelihood.Bernoulli, torch.zeros([3], ScalarType.Float64))));
        Assert.Contains("[batch, features", ex.Message);
    }
}
