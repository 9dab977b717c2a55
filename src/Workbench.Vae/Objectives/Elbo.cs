using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>The terms of the negative ELBO, each per example, shape [B].</summary>
/// <param name="Loss">Reconstruction + beta * KL (with free bits when asked): what training minimises.</param>
/// <param name="Reconstruction">-E_q[log p(x | z)], estimated by Monte Carlo over the posterior samples.</param>
/// <param name="Kl">The true analytic KL(q(z | x) || p(z)), never clamped by free bits, so it can be reported as is.</param>
public sealed record ElboTerms(Tensor Loss, Tensor Reconstruction, Tensor Kl)
{
    /// <summary>The ELBO itself, -(Reconstruction + Kl), per example [B]: a lower bound on log p(x) whatever beta and free bits are.</summary>
    public Tensor Bound => -(Reconstruction + Kl);
}

/// <summary>
/// The evidence lower bound log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z)) (Kingma and Welling 2014, eq. 3 and 10),
/// with beta weighting (Higgins et al. 2017) and free bits (Kingma et al. 2016). Pure functions of the model's outputs:
/// the encoder and decoder are passed in as delegates.
/// </summary>
public static class Elbo
{
    /// <summary>
    /// Encodes <paramref name="x"/> [B, ...], draws <paramref name="samples"/> reparameterised z per example from
    /// <paramref name="generator"/>, decodes them all in one call (z of shape [S*B, L], sample-major) and returns the
    /// negative-ELBO terms per example. The KL is analytic (Kingma and Welling 2014, eq. 10), the reconstruction a
    /// Monte Carlo average over the S samples.
    /// </summary>
    /// <param name="x">Data, [B, D] (or [B, ...] when the decoder returns images).</param>
    /// <param name="encode">x [B, D] -> q(z | x) with mean and log-variance [B, L].</param>
    /// <param name="decode">z [N, L] -> parameters of p(x | z), location [N, D].</param>
    /// <param name="generator">The source of eps; the only randomness.</param>
    /// <param name="samples">Posterior samples per example (S >= 1).</param>
    /// <param name="beta">Weight of the KL in the loss (>= 0; 1 is the ELBO).</param>
    /// <param name="freeBits">Free-bits floor lambda in nats per latent dim (>= 0; 0 turns it off).</param>
    public static ElboTerms Compute(Tensor x, Func<Tensor, Posterior> encode, Func<Tensor, DecoderOutput> decode,
        torch.Generator generator, int samples = 1, double beta = 1.0, double freeBits = 0.0)
    {
        const string where = "Elbo.Compute";
        Checks.Data(x, where);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(generator);
        Checks.Positive(samples, nameof(samples), where);
        Checks.NonNegativeFinite(beta, nameof(beta), where);
        Checks.NonNegativeFinite(freeBits, nameof(freeBits), where);

        long batch = x.shape[0];
        var q = encode(x);
        Checks.BatchPosterior(q, batch, where);
        long latent = q.Mean.shape[1];
        var z = samples == 1
            ? Gaussian.Sample(q, generator)                                        // [B, L]
            : Gaussian.Sample(q, generator, samples).reshape(samples * batch, latent);   // [S*B, L]
        var px = Decode(decode, z, samples, batch, where);
        return Compute(x, q, px, beta, freeBits);
    }

    /// <summary>
    /// The negative-ELBO terms from an already computed posterior and decoder output (so a model's forward pass can
    /// be reused). <paramref name="px"/>'s location is [B, ...] for one sample per example or [S, B, ...] for S samples;
    /// the reconstruction averages over the sample dims.
    /// </summary>
    public static ElboTerms Compute(Tensor x, Posterior q, DecoderOutput px, double beta = 1.0, double freeBits = 0.0)
    {
        const string where = "Elbo.Compute";
        Checks.Data(x, where);
        Checks.BatchPosterior(q, x.shape[0], where);
        Checks.SameDType(x, q.Mean, "the data", "the posterior", where);
        Checks.NonNegativeFinite(beta, nameof(beta), where);
        Checks.NonNegativeFinite(freeBits, nameof(freeBits), where);

        var reconstruction = LogLikelihood.Negative(x, px);          // [B] or [S, B]
        while (reconstruction.dim() > 1) reconstruction = reconstruction.mean([0]);   // Monte Carlo average over samples -> [B]

        var klPerDim = Gaussian.KlPerDimension(q);        // [B, L]
        var kl = klPerDim.sum(-1);                        // [B]
        var klInLoss = freeBits > 0 ? FreeBits(klPerDim, freeBits).sum(-1) : kl;
        var loss = beta == 1.0 ? reconstruction + klInLoss : reconstruction + klInLoss * beta;
        return new ElboTerms(loss, reconstruction, kl);
    }

    /// <summary>
    /// Free bits (Kingma et al. 2016, sec. "free bits" / appendix C): the loss carries sum_j max(lambda, E_batch[KL_j])
    /// per latent dim j, so a dim whose batch-average KL is below lambda nats is not pushed further towards the prior
    /// (its gradient is zero) and cannot collapse. Per example that is KL_bj where the batch mean reaches lambda and
    /// the constant lambda elsewhere; the batch mean of the result is exactly the paper's objective. [B, L] -> [B, L].
    /// </summary>
    internal static Tensor FreeBits(Tensor klPerDim, double lambda)
    {
        Tensor keep;   // [L] bool: true where the dim's batch-mean KL >= lambda (a constant: no gradient flows through the choice)
        using (torch.no_grad())
            keep = klPerDim.mean([0]).ge(lambda);
        using var floor = torch.full([], lambda, dtype: klPerDim.dtype, device: klPerDim.device);
        return torch.where(keep, klPerDim, floor);   // [B, L]
    }

    /// <summary>
    /// Calls the decoder on z [S*B, L] (or [B, L]) and views its outputs as [S, B, ...] when S > 1, so the data [B, ...]
    /// broadcasts against them. A log-variance with the location's leading size is split the same way; a smaller,
    /// broadcastable one ([], [D], [1, D]) is kept as it is.
    /// </summary>
    internal static DecoderOutput Decode(Func<Tensor, DecoderOutput> decode, Tensor z, long samples, long batch, string where)
    {
        var px = decode(z) ?? throw new InvalidOperationException($"{where}: the decoder returned null; it must return a DecoderOutput.");
        var loc = px.Location ?? throw new InvalidOperationException($"{where}: the decoder returned a null location; it must return p(x | z)'s parameters.");
        long rows = samples * batch;
        if (loc.dim() < 2 || loc.shape[0] != rows)
            throw new InvalidOperationException(
                $"{where}: the decoder was given {rows} latent codes (shape {Checks.Format(z.shape)}) but returned a location of shape " +
                $"{Checks.Format(loc.shape)}; it must return one row of pixel parameters per code, [{rows}, D].");
        if (samples == 1) return px;
        var logVar = px.LogVar;
        if (logVar is not null && logVar.dim() == loc.dim() && logVar.shape[0] == rows)
            logVar = SplitLeading(logVar, samples, batch);
        return px with { Location = SplitLeading(loc, samples, batch), LogVar = logVar };
    }

    /// <summary>[S*B, ...] -> [S, B, ...] (a view).</summary>
    private static Tensor SplitLeading(Tensor t, long samples, long batch)
    {
        long[] shape = [samples, batch, .. t.shape[1..]];
        return t.reshape(shape);
    }
}

/// <summary>
/// KL warm-up (KL annealing): beta rises linearly from 0 to <see cref="TargetBeta"/> over the first <see cref="Steps"/>
/// optimiser steps and stays there (Bowman et al. 2016, sec. 3.1; Sonderby et al. 2016, sec. 2.3), so the decoder
/// learns to use z before the KL pulls the posterior to the prior.
/// </summary>
public sealed record KlWarmup
{
    /// <summary>A schedule reaching <paramref name="targetBeta"/> after <paramref name="steps"/> steps (0 steps: no warm-up).</summary>
    public KlWarmup(double targetBeta = 1.0, int steps = 0)
    {
        Checks.NonNegativeFinite(targetBeta, nameof(targetBeta), "KlWarmup");
        if (steps < 0)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"KlWarmup: steps must be >= 0 (0 turns warm-up off) but is {steps}.");
        TargetBeta = targetBeta;
        Steps = steps;
    }

    /// <summary>The beta reached at the end of warm-up.</summary>
    public double TargetBeta { get; }

    /// <summary>Number of steps over which beta rises from 0.</summary>
    public int Steps { get; }

    /// <summary>beta at optimiser step <paramref name="step"/> (0-based): TargetBeta * min(1, step / Steps).</summary>
    public double BetaAt(long step)
    {
        if (step < 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"KlWarmup.BetaAt: step must be >= 0 but is {step}.");
        if (Steps == 0 || step >= Steps) return TargetBeta;
        return TargetBeta * ((double)step / Steps);
    }
}
