using System.Numerics;
using System.Numerics.Tensors;

namespace Workbench.Autograd;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements, as a tensor of shape [].</summary>
    public Tensor Sum()
    {
        var y = Empty([], DType);
        if (DType == DType.Float32) y.AsSpan<float>()[0] = TensorPrimitives.Sum<float>(AsSpan<float>());
        else y.AsSpan<double>()[0] = TensorPrimitives.Sum<double>(AsSpan<double>());
        return Autograd.Record(y, "sum", g => [g.BroadcastTo(Shape)], this);
    }

    /// <summary>Sum over one dim (negative counts from the end), keeping it as size 1 when <paramref name="keepDim"/>.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "sum");
        var (outer, n, inner) = Split(d);
        var keepShape = ShapeArray(); keepShape[d] = 1;
        var y = Empty(keepShape, DType);
        if (DType == DType.Float32) SumDim<float>(this, y, outer, n, inner); else SumDim<double>(this, y, outer, n, inner);
        var result = keepDim ? y : y.Reshape(DropDim(d));
        return Autograd.Record(result, "sum_dim", g => [g.Reshape(keepShape).BroadcastTo(Shape)], this);
    }

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Sum().Div(Math.Max(Numel, 1));

    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(int dim, bool keepDim = false) =>
        Sum(dim, keepDim).Div(Shape[ShapeUtil.NormalizeDim(dim, Rank, "mean")]);

    /// <summary>Largest element; the gradient goes to its first occurrence.</summary>
    public Tensor Max() => Reshape(-1).Max(0);

    /// <summary>Smallest element; the gradient goes to its first occurrence.</summary>
    public Tensor Min() => Reshape(-1).Min(0);

    /// <summary>Largest value along a dim; the gradient goes to the first occurrence.</summary>
    public Tensor Max(int dim, bool keepDim = false) => Extremum(dim, keepDim, max: true);

    /// <summary>Smallest value along a dim; the gradient goes to the first occurrence.</summary>
    public Tensor Min(int dim, bool keepDim = false) => Extremum(dim, keepDim, max: false);

    /// <summary>Index of the largest value along a dim (first on ties).</summary>
    public int[] Argmax(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "argmax");
        var (outer, n, inner) = Split(d);
        return DType == DType.Float32 ? ArgExtremum<float>(this, outer, n, inner, true) : ArgExtremum<double>(this, outer, n, inner, true);
    }

    private Tensor Extremum(int dim, bool keepDim, bool max)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, max ? "max" : "min");
        var (outer, n, inner) = Split(d);
        if (n == 0) throw new ArgumentException($"{(max ? "max" : "min")}: dim {dim} of shape {ShapeUtil.Format(Shape)} is empty.");
        var idx = DType == DType.Float32 ? ArgExtremum<float>(this, outer, n, inner, max) : ArgExtremum<double>(this, outer, n, inner, max);
        var keepShape = ShapeArray(); keepShape[d] = 1;
        var y = Empty(keepShape, DType);
        if (DType == DType.Float32) GatherAt<float>(this, y, idx, n, inner); else GatherAt<double>(this, y, idx, n, inner);
        var result = keepDim ? y : y.Reshape(DropDim(d));
        return Autograd.Record(result, max ? "max" : "min", g =>
        {
            var gx = ZerosLike(this);
            var gk = g.Reshape(keepShape);
            if (DType == DType.Float32) ScatterAt<float>(gk, gx, idx, n, inner); else ScatterAt<double>(gk, gx, idx, n, inner);
            return [gx];
        }, this);
    }

    /// <summary>log(sum(exp(x))) over a dim, computed after subtracting the maximum so it cannot overflow.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "logsumexp");
        Tensor y;
        using (NoGrad())
        {
            var m = Max(d, keepDim: true);
            // An all -inf slice has max -inf; shift by 0 there so that the result is -inf, not NaN.
            var shift = SpanMaps.Map(m,
                (s, t) => { for (int i = 0; i < s.Length; i++) t[i] = float.IsFinite(s[i]) ? s[i] : 0f; },
                (s, t) => { for (int i = 0; i < s.Length; i++) t[i] = double.IsFinite(s[i]) ? s[i] : 0.0; });
            y = Sub(shift).Exp().Sum(d, keepDim: true).Log().Add(shift);
        }
        var keepShape = y.ShapeArray();
        var result = keepDim ? y : y.Reshape(DropDim(d));
        return Autograd.Record(result, "logsumexp", g => [g.Reshape(keepShape).Mul(Sub(y).Exp())], this);
    }

    /// <summary>Softmax along a dim.</summary>
    public Tensor Softmax(int dim) => Sub(LogSumExp(dim, keepDim: true)).Exp();

    /// <summary>Log-softmax along a dim.</summary>
    public Tensor LogSoftmax(int dim) => Sub(LogSumExp(dim, keepDim: true));

    /// <summary>Views the shape as [outer, n, inner] around dim d.</summary>
    private (int Outer, int N, int Inner) Split(int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= Shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= Shape[i];
        return (outer, Shape[d], inner);
    }

    private int[] DropDim(int d)
    {
        var s = new int[Rank - 1];
        for (int i = 0, j = 0; i < Rank; i++) if (i != d) s[j++] = Shape[i];
        return s;
    }

    private static void SumDim<T>(Tensor x, Tensor y, int outer, int n, int inner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xs = x.AsSpan<T>(); var ys = y.AsSpan<T>();
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) ys[o] = TensorPrimitives.Sum<T>(xs.Slice(o * n, n));
            return;
        }
        ys.Clear();
        for (int o = 0; o < outer; o++)
        {
            var acc = ys.Slice(o * inner, inner);
            for (int k = 0; k < n; k++) TensorPrimitives.Add(acc, xs.Slice((o * n + k) * inner, inner), acc);
        }
    }

    private static int[] ArgExtremum<T>(Tensor x, int outer, int n, int inner, bool max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xs = x.AsSpan<T>();
        var idx = new int[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                T bv = xs[o * n * inner + i];
                for (int k = 1; k < n && !T.IsNaN(bv); k++)
                {
                    T v = xs[(o * n + k) * inner + i];
                    if (T.IsNaN(v) || (max ? v > bv : v < bv)) { bv = v; best = k; }
                }
                idx[o * inner + i] = best;
            }
        return idx;
    }

    private static void GatherAt<T>(Tensor x, Tensor y, int[] idx, int n, int inner) where T : unmanaged
    {
        var xs = x.AsSpan<T>(); var ys = y.AsSpan<T>();
        for (int j = 0; j < idx.Length; j++)
        {
            int o = j / inner, i = j % inner;
            ys[j] = xs[(o * n + idx[j]) * inner + i];
        }
    }

    private static void ScatterAt<T>(Tensor g, Tensor gx, int[] idx, int n, int inner) where T : unmanaged
    {
        var gs = g.AsSpan<T>(); var xs = gx.AsSpan<T>();
        for (int j = 0; j < idx.Length; j++)
        {
            int o = j / inner, i = j % inner;
            xs[(o * n + idx[j]) * inner + i] = gs[j];
        }
    }
}
