using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>The decoder's log-likelihood log p(x | z), summed over pixels, one value per example (and per sample).</summary>
public static class LogLikelihood
{
    /// <summary>
    /// log p(x | z) summed over every dim of x but the first (the batch dim).
    /// <paramref name="x"/> is [B, ...]; <paramref name="px"/>'s location is either x's shape or has extra leading
    /// sample dims, [S, B, ...], and x is broadcast against it. Returns [B] or [S, B].
    /// Bernoulli (logits l): x l - softplus(l), the negative of binary cross-entropy with logits, stable for any l and
    /// correct for grey-level targets in [0, 1]. Gaussian: -0.5 (log 2 pi + logVar + (x - mean)^2 exp(-logVar)).
    /// </summary>
    public static Tensor Of(Tensor x, DecoderOutput px) => -Negative(x, px, "LogLikelihood.Of");

    /// <summary>
    /// -log p(x | z), the reconstruction term of the negative ELBO, with the shapes of <see cref="Of"/>: computed as it
    /// is, so the ELBO makes no per-pixel tensor only to flip its sign.
    /// </summary>
    public static Tensor Negative(Tensor x, DecoderOutput px) => Negative(x, px, "LogLikelihood.Negative");

    private static Tensor Negative(Tensor x, DecoderOutput px, string where)
    {
        Checks.Data(x, where);
        ArgumentNullException.ThrowIfNull(px);
        ArgumentNullException.ThrowIfNull(px.Location, $"{nameof(px)}.{nameof(px.Location)}");
        var loc = px.Location;
        Checks.SameDType(x, loc, "the data", "the decoder output", where);
        int lead = (int)(loc.dim() - x.dim());
        bool fits = lead >= 0;
        for (int i = 0; fits && i < x.dim(); i++) fits = loc.shape[lead + i] == x.shape[i];
        if (!fits)
            throw new ArgumentException(
                $"{where}: the decoder output has shape {Checks.Format(loc.shape)} but the data has shape {Checks.Format(x.shape)}; " +
                "the decoder must return one value per pixel for every example, [B, ...] or [S, B, ...] with sample dims first.");

        Tensor perPixel;   // -log p per pixel, [lead..., B, ...]
        switch (px.Likelihood)
        {
            case Likelihood.Bernoulli:
                if (px.LogVar is not null)
                    throw new ArgumentException(
                        $"{where}: a Bernoulli decoder output carries a log-variance of shape {Checks.Format(px.LogVar.shape)}; " +
                        "Bernoulli has no variance, so set LogVar to null or choose a Gaussian likelihood.");
                // log p = x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l) = -BCE_with_logits(l, x), per
                // pixel (libtorch's stable fused kernel), x broadcast over any sample dims.
                perPixel = nn.functional.binary_cross_entropy_with_logits(loc, lead == 0 ? x : x.expand(loc.shape), reduction: nn.Reduction.None);
                break;
            case Likelihood.Gaussian:
            case Likelihood.GaussianLearnedVariance:
                var logVar = px.LogVar ?? throw new ArgumentException(
                    $"{where}: a {px.Likelihood} decoder output has no log-variance; the model must pass its " +
                    (px.Likelihood == Likelihood.Gaussian ? "fixed log-variance as a tensor (shape [] broadcasts to every pixel)." : "log-variance head's output."));
                Checks.SameDType(x, logVar, "the data", "the decoder's log-variance", where);
                perPixel = ((x - loc).square() * (-logVar).exp() + logVar + Gaussian.Log2Pi) * 0.5;
                if (!Checks.SameShape(perPixel.shape, loc.shape))
                    throw new ArgumentException(
                        $"{where}: the decoder's log-variance of shape {Checks.Format(logVar.shape)} does not broadcast to its mean's shape {Checks.Format(loc.shape)}; " +
                        "give it the mean's shape or a shape that broadcasts to it (e.g. [] or [1, D]).");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(px), px.Likelihood, $"{where}: unknown likelihood {px.Likelihood}.");
        }

        // Sum every dim after the batch dim: [lead..., B, ...] -> [lead..., B, pixels] -> [lead..., B].
        long[] flat = new long[lead + 2];
        for (int i = 0; i <= lead; i++) flat[i] = loc.shape[i];
        flat[lead + 1] = -1;
        return perPixel.reshape(flat).sum(-1);
    }
}
