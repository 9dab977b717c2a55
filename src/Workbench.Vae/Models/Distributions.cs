using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Models;

/// <summary>How the decoder models a pixel given z: p(x | z).</summary>
public enum Likelihood
{
    /// <summary>Bernoulli with logits; grey levels in [0, 1] act as soft targets (the pytorch/examples protocol).</summary>
    Bernoulli,
    /// <summary>Gaussian with a fixed variance set in the model configuration.</summary>
    Gaussian,
    /// <summary>Gaussian whose per-pixel log-variance is a second decoder head.</summary>
    GaussianLearnedVariance,
}

/// <summary>A diagonal Gaussian q(z | x) = N(mean, diag(exp(logVar))); shapes [..., latent].</summary>
public sealed record Posterior(Tensor Mean, Tensor LogVar);

/// <summary>
/// The decoder's output: the parameters of p(x | z). <see cref="Location"/> holds logits for Bernoulli and the mean for
/// Gaussian; <see cref="LogVar"/> is the Gaussian's log-variance (a broadcastable tensor), null for Bernoulli.
/// </summary>
public sealed record DecoderOutput(Likelihood Likelihood, Tensor Location, Tensor? LogVar = null);
