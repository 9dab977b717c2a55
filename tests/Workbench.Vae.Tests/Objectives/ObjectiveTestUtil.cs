using TorchSharp;
using Workbench.Vae.Models;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests.Objectives;

/// <summary>Float64 inputs, a gradient-check assertion and tiny linear encoders/decoders for the objective tests.</summary>
public static class ObjectiveTestUtil
{
    /// <summary>Standard normal float64 values as a leaf that requires gradients.</summary>
    public static Tensor Rand64(Generator g, params long[] shape) => torch.randn(shape, ScalarType.Float64, generator: g).requires_grad_();

    /// <summary>Standard normal float64 values times <paramref name="scale"/>, as a leaf that requires gradients.</summary>
    public static Tensor Scaled(Generator g, double scale, params long[] shape) =>
        torch.randn(shape, ScalarType.Float64, generator: g).mul(scale).requires_grad_();

    /// <summary>Standard normal float64 values without gradients.</summary>
    public static Tensor Randn64(Generator g, params long[] shape) => torch.randn(shape, ScalarType.Float64, generator: g);

    public static Tensor Data64(double[] values, params long[] shape) => torch.tensor(values, shape, ScalarType.Float64);

    public static void AssertGrad(Func<Tensor[], Tensor> f, params Tensor[] inputs) => GradCheck.Check(f, inputs);

    public static void AssertClose(double expected, double actual, double tolerance, string what = "")
    {
        Assert.True(Math.Abs(expected - actual) <= tolerance,
            $"{what} expected {expected:R} but got {actual:R} (difference {Math.Abs(expected - actual):G3}, tolerance {tolerance:G3})");
    }

    /// <summary>AssertClose for one element of a tensor.</summary>
    public static void AssertClose(double expected, Tensor actual, double tolerance, string what = "") =>
        AssertClose(expected, actual.ToDouble(), tolerance, what);

    public static (double Mean, double StdError) MeanAndStdError(double[] values)
    {
        double mean = values.Average();
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(ss / (values.Length - 1) / values.Length));
    }

    /// <summary>q(z|x) = N(W x + b's first L outputs, exp of the last L): weight [2L, D], bias [2L].</summary>
    public static Func<Tensor, Posterior> LinearEncoder(Tensor weight, Tensor bias)
    {
        long latent = weight.shape[0] / 2;
        return x =>
        {
            var h = nn.functional.linear(x, weight, bias);   // [B, 2L]
            return new Posterior(h.narrow(1, 0, latent), h.narrow(1, latent, latent));
        };
    }

    /// <summary>Bernoulli logits = W z + b: weight [D, L], bias [D].</summary>
    public static Func<Tensor, DecoderOutput> BernoulliDecoder(Tensor weight, Tensor bias) =>
        z => new DecoderOutput(Likelihood.Bernoulli, nn.functional.linear(z, weight, bias));

    /// <summary>Gaussian with a mean head W z + b and a log-variance head V z + c.</summary>
    public static Func<Tensor, DecoderOutput> LearnedVarianceDecoder(Tensor weight, Tensor bias, Tensor varWeight, Tensor varBias) =>
        z => new DecoderOutput(Likelihood.GaussianLearnedVariance, nn.functional.linear(z, weight, bias), nn.functional.linear(z, varWeight, varBias));

    /// <summary>Soft targets in (0.05, 0.95), float64, no gradient.</summary>
    public static Tensor SoftData(Generator g, long rows, long dims) =>
        torch.rand([rows, dims], ScalarType.Float64, generator: g).mul(0.9).add(0.05);

    /// <summary>Sample s of an [S, B, ...] tensor as [B, ...].</summary>
    public static Tensor SampleOf(Tensor z, long s) => z[s];
}
