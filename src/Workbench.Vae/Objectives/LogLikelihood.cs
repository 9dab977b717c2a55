using Workbench.Autograd;
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
    public static Tensor Of(Tensor x, DecoderOutput px)
    {
        const string where = "LogLikelihood.Of";
        Checks.Data(x, where);
        ArgumentNullException.ThrowIfNull(px);
        ArgumentNullException.ThrowIfNull(px.Location, $"{nameof(px)}.{nameof(px.Location)}");
        var loc = px.Location;
        Checks.SameDType(x, loc, "the data", "the decoder output", where);
        int lead = loc.Rank - x.Rank;
        bool fits = lead >= 0;
        for (int i = 0; fits && i < x.Rank; i++) fits = loc.Shape[lead + i] == x.Shape[i];
        if (!fits)
            throw new ArgumentException(
                $"{where}: the decoder output has shape {Checks.Format(loc.Shape)} but the data has shape {Checks.Format(x.Shape)}; " +
                "the decoder must return one value per pixel for every example, [B, ...] or [S, B, ...] with sample dims first.");

        Tensor perPixel;   // [lead..., B, ...]
        switch (px.Likelihood)
        {
            case Likelihood.Bernoulli:
                if (px.LogVar is not null)
                    throw new ArgumentException(
                        $"{where}: a Bernoulli decoder output carries a log-variance of shape {Checks.Format(px.LogVar.Shape)}; " +
                        "Bernoulli has no variance, so set LogVar to null or choose a Gaussian likelihood.");
                // log p = x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l), summed per example in one
                // fused kernel (and one fused backward), x broadcast over any sample dims.
                return F.BernoulliLogLikelihood(loc, x);
            case Likelihood.Gaussian:
            case Likelihood.GaussianLearnedVariance:
                var logVar = px.LogVar ?? throw new ArgumentException(
                    $"{where}: a {px.Likelihood} decoder output has no log-variance; the model must pass its " +
                    (px.Likelihood == Likelihood.Gaussian ? "fixed log-variance as a tensor (shape [] broadcasts to every pixel)." : "log-variance head's output."));
                Checks.SameDType(x, logVar, "the data", "the decoder's log-variance", where);
                perPixel = x.Sub(loc).Square().Mul(logVar.Neg().Exp()).Add(logVar).Add(Gaussian.Log2Pi).Mul(-0.5);
                if (!Checks.SameShape(perPixel.Shape, loc.Shape))
                    throw new ArgumentException(
                        $"{where}: the decoder's log-variance of shape {Checks.Format(logVar.Shape)} does not broadcast to its mean's shape {Checks.Format(loc.Shape)}; " +
                        "give it the mean's shape or a shape that broadcasts to it (e.g. [] or [1, D]).");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(px), px.Likelihood, $"{where}: unknown likelihood {px.Likelihood}.");
        }

        // Sum every dim after the batch dim: [lead..., B, ...] -> [lead..., B, pixels] -> [lead..., B].
        int[] flat = new int[lead + 2];
        for (int i = 0; i <= lead; i++) flat[i] = loc.Shape[i];
        flat[lead + 1] = -1;
        return perPixel.Reshape(flat).Sum(-1);
    }
}
