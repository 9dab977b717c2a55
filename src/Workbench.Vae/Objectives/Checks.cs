using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>Argument checks shared by the objectives, so every bad input fails early with a message that says
/// what was wrong, where, and what to do (instead of a broadcasting error deep inside an op).</summary>
internal static class Checks
{
    public static string Format(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static bool SameShape(ReadOnlySpan<long> a, ReadOnlySpan<long> b) => a.SequenceEqual(b);

    /// <summary>Mean and log-variance must agree in shape and dtype and hold at least the latent dim.</summary>
    public static void Posterior(Posterior q, string where)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(q.Mean, $"{nameof(q)}.{nameof(q.Mean)}");
        ArgumentNullException.ThrowIfNull(q.LogVar, $"{nameof(q)}.{nameof(q.LogVar)}");
        if (!SameShape(q.Mean.shape, q.LogVar.shape))
            throw new ArgumentException(
                $"{where}: the posterior's mean has shape {Format(q.Mean.shape)} but its log-variance has shape {Format(q.LogVar.shape)}; " +
                "the encoder must return one mean and one log-variance per latent dimension.");
        if (q.Mean.dtype != q.LogVar.dtype)
            throw new ArgumentException(
                $"{where}: the posterior's mean is {q.Mean.dtype} but its log-variance is {q.LogVar.dtype}; convert one with To(...).");
        if (q.Mean.dim() == 0)
            throw new ArgumentException($"{where}: the posterior is a scalar; it needs at least a latent dimension, shape [..., latent].");
    }

    /// <summary>A posterior over a batch: mean and log-variance of shape [batch, latent].</summary>
    public static void BatchPosterior(Posterior q, long batch, string where)
    {
        Posterior(q, where);
        if (q.Mean.dim() != 2 || q.Mean.shape[0] != batch)
            throw new ArgumentException(
                $"{where}: the encoder returned a posterior of shape {Format(q.Mean.shape)} for a batch of {batch} examples; " +
                $"it must return mean and log-variance of shape [{batch}, latent].");
    }

    /// <summary>Data of shape [batch, ...] with at least one example and one value per example.</summary>
    public static void Data(Tensor x, string where)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() < 2)
            throw new ArgumentException(
                $"{where}: the data has shape {Format(x.shape)} but must be [batch, features...]; add a batch dim with Unsqueeze(0) for one example.");
        if (x.shape[0] == 0)
            throw new ArgumentException($"{where}: the data batch is empty (shape {Format(x.shape)}); pass at least one example.");
        if (x.numel() == 0)
            throw new ArgumentException($"{where}: the examples have no values (shape {Format(x.shape)}); every example needs at least one feature.");
    }

    public static void Positive(int value, string name, string where)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{where}: {name} must be at least 1 but is {value}.");
    }

    public static void NonNegativeFinite(double value, string name, string where)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{where}: {name} must be a finite number >= 0 but is {value}.");
    }

    public static void SameDType(Tensor a, Tensor b, string aName, string bName, string where)
    {
        if (a.dtype != b.dtype)
            throw new ArgumentException($"{where}: {aName} is {a.dtype} but {bName} is {b.dtype}; convert one with To(...) so both match.");
    }
}
