using Workbench.Autograd;
using Workbench.Vae.Models;

namespace Workbench.Vae.Tests.Objectives;

/// <summary>Float64 inputs, a gradient-check assertion and tiny linear encoders/decoders for the objective tests.</summary>
public static class ObjectiveTestUtil
{
    public static Tensor Rand64(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    /// <summary>Standard normal float64 values times <paramref name="scale"/>, as a leaf that requires gradients.</summary>
    public static Tensor Scaled(Generator g, double scale, params int[] shape) =>
        Tensor.Randn(shape, g, DType.Float64).Mul(scale).RequiresGrad_();

    public static Tensor Data64(double[] values, params int[] shape) => Tensor.FromArray(values, shape);

    public static void AssertGrad(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Run(f, inputs);
        Assert.True(result.Passed, result.ToString());
    }

    public static void AssertClose(double expected, double actual, double tolerance, string what = "")
    {
        Assert.True(Math.Abs(expected - actual) <= tolerance,
            $"{what} expected {expected:R} but got {actual:R} (difference {Math.Abs(expected - actual):G3}, tolerance {tolerance:G3})");
    }

    public static (double Mean, double StdError) MeanAndStdError(double[] values)
    {
        double mean = values.Average();
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(ss / (values.Length - 1) / values.Length));
    }

    /// <summary>q(z|x) = N(W x + b's first L outputs, exp of the last L): weight [2L, D], bias [2L].</summary>
    public static Func<Tensor, Posterior> LinearEncoder(Tensor weight, Tensor bias)
    {
        int latent = weight.Shape[0] / 2;
        return x =>
        {
            var h = F.Linear(x, weight, bias);   // [B, 2L]
            return new Posterior(h.Narrow(1, 0, latent), h.Narrow(1, latent, latent));
        };
    }

    /// <summary>Bernoulli logits = W z + b: weight [D, L], bias [D].</summary>
    public static Func<Tensor, DecoderOutput> BernoulliDecoder(Tensor weight, Tensor bias) =>
        z => new DecoderOutput(Likelihood.Bernoulli, F.Linear(z, weight, bias));

    /// <summary>Gaussian with a mean head W z + b and a log-variance head V z + c.</summary>
    public static Func<Tensor, DecoderOutput> LearnedVarianceDecoder(Tensor weight, Tensor bias, Tensor varWeight, Tensor varBias) =>
        z => new DecoderOutput(Likelihood.GaussianLearnedVariance, F.Linear(z, weight, bias), F.Linear(z, varWeight, varBias));

    /// <summary>Soft targets in (0, 1), float64, no gradient.</summary>
    public static Tensor SoftData(Generator g, int rows, int dims) => Tensor.Rand([rows, dims], g, 0.05, 0.95, DType.Float64);
}
