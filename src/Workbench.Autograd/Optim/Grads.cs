using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Workbench.Autograd.Optim;

/// <summary>Whole-model gradient utilities: norm clipping (torch.nn.utils.clip_grad_norm_) and finiteness checks.</summary>
public static class Grads
{
    /// <summary>
    /// The norm of all gradients taken together, as if concatenated into one vector: (sum |g|^p)^(1/p), or max |g|
    /// for <see cref="double.PositiveInfinity"/>. Parameters without a gradient are ignored; with none, 0.
    /// Accumulates in float64 whatever the gradients' dtype.
    /// </summary>
    public static double GradNorm(IEnumerable<Tensor> parameters, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckNormType(normType);
        return TotalNorm(parameters, normType);
    }

    /// <summary>
    /// Rescales the gradients in place so that their total norm is at most <paramref name="maxNorm"/>, as
    /// torch.nn.utils.clip_grad_norm_: every gradient is multiplied by min(1, maxNorm / (totalNorm + 1e-6)).
    /// Returns the total norm before clipping. A NaN or infinite norm propagates into the gradients (as in PyTorch)
    /// unless <paramref name="errorIfNonfinite"/> is set, in which case nothing is changed and an exception is thrown.
    /// </summary>
    /// <param name="parameters">Usually <c>model.Parameters()</c>; those without a gradient are skipped.</param>
    /// <param name="maxNorm">Largest allowed total norm (&gt;= 0).</param>
    /// <param name="normType">p of the p-norm (&gt; 0), or <see cref="double.PositiveInfinity"/> for the largest magnitude.</param>
    /// <param name="errorIfNonfinite">Throw instead of scaling when the total norm is NaN or infinite.</param>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"ClipGradNorm: maxNorm must be >= 0 but was {maxNorm}.");
        CheckNormType(normType);
        var list = parameters as IReadOnlyList<Tensor> ?? parameters.ToArray();
        double total = TotalNorm(list, normType);
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException(
                $"ClipGradNorm: the total {NormName(normType)} of the gradients is {total}, so they cannot be clipped; " +
                "the loss or a layer produced NaN or infinity. Lower the learning rate, check the inputs, or skip this step.");
        // The 1e-6 keeps the coefficient finite for an all-zero gradient; clamping at 1 means gradients are
        // only ever scaled down (torch.nn.utils.clip_grad_norm_).
        double coefficient = Math.Min(maxNorm / (total + 1e-6), 1.0);
        using var _ = Tensor.NoGrad();
        for (int i = 0; i < list.Count; i++)
        {
            var g = list[i].Grad;
            if (g is null) continue;
            if (g.DType == DType.Float32) TensorPrimitives.Multiply(g.AsSpan<float>(), (float)coefficient, g.AsSpan<float>());
            else TensorPrimitives.Multiply(g.AsSpan<double>(), coefficient, g.AsSpan<double>());
        }
        return total;
    }

    /// <summary>True when every gradient present is free of NaN and infinity (parameters without one count as finite).</summary>
    public static bool AllFinite(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            var g = p.Grad;
            if (g is null) continue;
            bool finite = g.DType == DType.Float32
                ? TensorPrimitives.IsFiniteAll<float>(g.AsSpan<float>())
                : TensorPrimitives.IsFiniteAll<double>(g.AsSpan<double>());
            if (!finite) return false;
        }
        return true;
    }

    private static void CheckNormType(double normType)
    {
        if (!(normType > 0))
            throw new ArgumentOutOfRangeException(nameof(normType), normType,
                $"Gradient norm type must be > 0 (2 for Euclidean, 1, or double.PositiveInfinity for the largest magnitude) but was {normType}.");
    }

    private static string NormName(double normType) => double.IsPositiveInfinity(normType) ? "infinity norm" : $"{normType}-norm";

    private static double TotalNorm(IEnumerable<Tensor> parameters, double normType)
    {
        bool inf = double.IsPositiveInfinity(normType);
        double acc = 0;
        foreach (var p in parameters)
        {
            var g = p.Grad;
            if (g is null || g.Numel == 0) continue;
            double part = g.DType == DType.Float32 ? Accumulate<float>(g.AsSpan<float>(), normType) : Accumulate<double>(g.AsSpan<double>(), normType);
            // Math.Max propagates NaN, as torch's max does.
            acc = inf ? Math.Max(acc, part) : acc + part;
        }
        if (inf) return acc;
        return normType == 2 ? Math.Sqrt(acc) : normType == 1 ? acc : Math.Pow(acc, 1 / normType);
    }

    /// <summary>max |x| for the infinity norm, else sum |x|^p, in float64.</summary>
    private static double Accumulate<T>(ReadOnlySpan<T> x, double normType) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (double.IsPositiveInfinity(normType))
            return double.CreateTruncating(T.Abs(TensorPrimitives.MaxMagnitude(x)));
        double sum = 0;
        if (normType == 2)
        {
            if (typeof(T) == typeof(double)) return TensorPrimitives.SumOfSquares(MemoryMarshal.Cast<T, double>(x));
            // float32: widen to float64 before squaring so a large gradient's norm keeps its precision.
            var f = MemoryMarshal.Cast<T, float>(x);
            int i = 0;
            if (Vector.IsHardwareAccelerated && f.Length >= Vector<float>.Count)
            {
                var vacc = Vector<double>.Zero;
                for (; i <= f.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.Widen(new Vector<float>(f[i..]), out var lo, out var hi);
                    vacc += lo * lo + hi * hi;
                }
                sum = Vector.Sum(vacc);
            }
            for (; i < f.Length; i++) { double v = f[i]; sum += v * v; }
        }
        else if (normType == 1)
        {
            for (int i = 0; i < x.Length; i++) sum += Math.Abs(double.CreateTruncating(x[i]));
        }
        else
        {
            for (int i = 0; i < x.Length; i++) sum += Math.Pow(Math.Abs(double.CreateTruncating(x[i])), normType);
        }
        return sum;
    }
}
