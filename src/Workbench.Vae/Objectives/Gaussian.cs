using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>
/// The diagonal Gaussian pieces of a VAE: the analytic KL to the N(0, I) prior, log-densities, and reparameterised
/// sampling. Every function is differentiable and works in float32 and float64 (the dtype of its inputs).
/// </summary>
public static class Gaussian
{
    /// <summary>log(2 pi), the normalising constant of every Gaussian log-density below.</summary>
    public const double Log2Pi = 1.8378770664093454835606594728112;

    /// <summary>
    /// KL(q(z|x) || N(0, I)) per latent dimension, [..., latent]:
    /// 0.5 (mu^2 + sigma^2 - 1 - log sigma^2) (Kingma and Welling 2014, appendix B, the negative of their eq. 10's sum term).
    /// </summary>
    public static Tensor KlPerDimension(Posterior q)
    {
        Checks.Posterior(q, "Gaussian.KlPerDimension");
        // sigma^2 = exp(logVar); the KL is written in logVar so it needs no log of a variance.
        return (q.Mean.square() + q.LogVar.exp() - q.LogVar - 1.0) * 0.5;
    }

    /// <summary>KL(q(z|x) || N(0, I)) summed over the latent dimension: [..., latent] -> [...] (e.g. [B]).</summary>
    public static Tensor KlToStandardNormal(Posterior q) => KlPerDimension(q).sum(-1);

    /// <summary>
    /// log N(z; mean, diag(exp(logVar))) summed over the last dim:
    /// sum_d -0.5 (log 2 pi + logVar_d + (z_d - mean_d)^2 exp(-logVar_d)).
    /// The three tensors broadcast together, so z [S, B, L] against mean and logVar [B, L] gives [S, B].
    /// </summary>
    public static Tensor LogDensity(Tensor z, Tensor mean, Tensor logVar)
    {
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logVar);
        Checks.SameDType(z, mean, "z", "the mean", "Gaussian.LogDensity");
        Checks.SameDType(z, logVar, "z", "the log-variance", "Gaussian.LogDensity");
        if (z.dim() == 0)
            throw new ArgumentException("Gaussian.LogDensity: z is a scalar; it needs a last (latent) dimension to sum over, shape [..., latent].");
        var density = ((z - mean).square() * (-logVar).exp() + logVar + Log2Pi) * -0.5;
        if (density.dim() != z.dim() || density.shape[^1] != z.shape[^1])
            throw new ArgumentException(
                $"Gaussian.LogDensity: z {Checks.Format(z.shape)}, mean {Checks.Format(mean.shape)} and log-variance {Checks.Format(logVar.shape)} " +
                "broadcast to a different shape than z's; the mean and log-variance must not add dimensions to z.");
        return density.sum(-1);
    }

    /// <summary>log N(z; 0, I) summed over the last dim: sum_d -0.5 (log 2 pi + z_d^2).</summary>
    public static Tensor StandardNormalLogDensity(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.dim() == 0)
            throw new ArgumentException("Gaussian.StandardNormalLogDensity: z is a scalar; it needs a last (latent) dimension to sum over, shape [..., latent].");
        return ((z.square() + Log2Pi) * -0.5).sum(-1);
    }

    /// <summary>
    /// One reparameterised draw z = mu + exp(0.5 logVar) * eps, eps ~ N(0, I) from <paramref name="generator"/>
    /// (Kingma and Welling 2014, sec. 2.4): the randomness sits in eps, so gradients flow to mu and logVar.
    /// Returns the posterior's shape, e.g. [B, L].
    /// </summary>
    public static Tensor Sample(Posterior q, torch.Generator generator)
    {
        Checks.Posterior(q, "Gaussian.Sample");
        ArgumentNullException.ThrowIfNull(generator);
        using var eps = torch.randn(q.Mean.shape, dtype: q.Mean.dtype, device: q.Mean.device, generator: generator);   // [B, L]
        return Reparameterize(q, eps);
    }

    /// <summary>
    /// <paramref name="samples"/> reparameterised draws, shape [S, ...posterior] (e.g. [S, B, L], even for S = 1).
    /// eps is drawn sample-major in one call (all of sample 0, then sample 1, ...) from <paramref name="generator"/>.
    /// </summary>
    public static Tensor Sample(Posterior q, torch.Generator generator, int samples)
    {
        Checks.Posterior(q, "Gaussian.Sample");
        ArgumentNullException.ThrowIfNull(generator);
        Checks.Positive(samples, nameof(samples), "Gaussian.Sample");
        long[] shape = [samples, .. q.Mean.shape];
        using var eps = torch.randn(shape, dtype: q.Mean.dtype, device: q.Mean.device, generator: generator);   // [S, B, L]
        return Reparameterize(q, eps);
    }

    /// <summary>z = mu + exp(0.5 logVar) * eps for a given eps (broadcast against the posterior).</summary>
    public static Tensor Reparameterize(Posterior q, Tensor eps)
    {
        Checks.Posterior(q, "Gaussian.Reparameterize");
        ArgumentNullException.ThrowIfNull(eps);
        Checks.SameDType(eps, q.Mean, "eps", "the posterior", "Gaussian.Reparameterize");
        return q.Mean + (q.LogVar * 0.5).exp() * eps;
    }
}
