using System.Numerics;
using System.Numerics.Tensors;

namespace Workbench.Autograd;

/// <summary>An element-wise function of one value, written once for float and double.</summary>
internal interface IUnaryOp
{
    static abstract T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An element-wise function of two values; the span forms may be overridden with vectorised ones.</summary>
internal interface IBinaryOp
{
    static abstract T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;

    static virtual void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        throw new NotSupportedException();
    }

    static virtual bool Vectorised => false;
}

/// <summary>Loops over spans: element-wise maps, broadcasting, and gradient reduction. Large maps use both cores.</summary>
internal static class Kernels
{
    /// <summary>Below this many elements a map runs on one thread: thread hand-off costs more than it saves.</summary>
    public const int ParallelThreshold = 1 << 16;

    /// <summary>At most this many chunks: a fixed number, so that the split never depends on the machine's core count.</summary>
    private const int MaxChunks = 16;

    /// <summary>
    /// Splits [0, n) into chunks run in parallel when n is large (or when <paramref name="force"/>: the caller knows each
    /// index is much work); the split depends only on n and the grain.
    /// </summary>
    public static void For(int n, int grain, Action<int, int> body, bool force = false)
    {
        if (n < ParallelThreshold && !force)
        {
            body(0, n);
            return;
        }
        int chunks = Math.Min(MaxChunks, Math.Max(1, n / Math.Max(grain, 1)));
        int size = (n + chunks - 1) / chunks;
        UnitDispatch.Run(c =>
        {
            int start = c * size;
            int end = Math.Min(n, start + size);
            if (start < end) body(start, end);
        }, chunks);
    }

    public static Tensor Map<TOp>(Tensor x) where TOp : IUnaryOp =>
        x.DType == DType.Float32 ? Map<TOp, float>(x) : Map<TOp, double>(x);

    private static Tensor Map<TOp, T>(Tensor x) where TOp : IUnaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty<T>(x.Shape);
        var xa = (T[])x.Storage; int xo = x.Offset;
        var ya = (T[])y.Storage;
        For(x.Numel, 4096, (s, e) =>
        {
            var xs = xa.AsSpan(xo + s, e - s);
            var ys = ya.AsSpan(s, e - s);
            for (int i = 0; i < xs.Length; i++) ys[i] = TOp.Apply(xs[i]);
        });
        return y;
    }

    /// <summary>Applies a binary op with NumPy broadcasting.</summary>
    public static Tensor Map<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryOp
    {
        ShapeUtil.RequireSameDType(a, b, op);
        return a.DType == DType.Float32 ? Map<TOp, float>(a, b, op) : Map<TOp, double>(a, b, op);
    }

    private static Tensor Map<TOp, T>(Tensor a, Tensor b, string op) where TOp : IBinaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        var aa = (T[])a.Storage; var ba = (T[])b.Storage;
        int ao = a.Offset, bo = b.Offset;
        if (ShapeUtil.SameShape(a.Shape, b.Shape))
        {
            var y = Tensor.Empty<T>(a.Shape);
            var ya = (T[])y.Storage;
            For(a.Numel, 4096, (s, e) => Row<TOp, T>(aa.AsSpan(ao + s, e - s), 1, ba.AsSpan(bo + s, e - s), 1, ya.AsSpan(s, e - s)));
            return y;
        }

        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, op);
        var result = Tensor.Empty<T>(shape);
        var ra = (T[])result.Storage;
        int rank = shape.Length;
        if (result.Numel == 0) return result;
        // One operand repeated along leading dims only (a [B, L] against z [S, B, L]): whole contiguous blocks of the
        // smaller operand's size, each a plain same-shape row (vectorised), not one short row per last-dim slice.
        if (IsTrailingBlock(b.Shape, shape) || IsTrailingBlock(a.Shape, shape))
        {
            bool bSmall = IsTrailingBlock(b.Shape, shape);
            int block = bSmall ? b.Numel : a.Numel;
            For(result.Numel / block, Math.Max(1, 4096 / block), (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    var blockA = bSmall ? aa.AsSpan(ao + r * block, block) : aa.AsSpan(ao, block);
                    var blockB = bSmall ? ba.AsSpan(bo, block) : ba.AsSpan(bo + r * block, block);
                    Row<TOp, T>(blockA, 1, blockB, 1, ra.AsSpan(r * block, block));
                }
            });
            return result;
        }
        var sa = ShapeUtil.BroadcastStrides(a.Shape, shape);
        var sb = ShapeUtil.BroadcastStrides(b.Shape, shape);
        int inner = shape[rank - 1];
        int rows = result.Numel / inner;
        int ia = sa[rank - 1], ib = sb[rank - 1];
        For(rows, Math.Max(1, 4096 / Math.Max(inner, 1)), (r0, r1) =>
        {
            Span<int> index = stackalloc int[rank];
            // Multi-index of row r0 (all dims but the last).
            int rem = r0;
            for (int d = rank - 2; d >= 0; d--) { index[d] = rem % shape[d]; rem /= shape[d]; }
            for (int r = r0; r < r1; r++)
            {
                int offA = ao, offB = bo;
                for (int d = 0; d < rank - 1; d++) { offA += index[d] * sa[d]; offB += index[d] * sb[d]; }
                var rowA = ia == 0 ? aa.AsSpan(offA, 1) : aa.AsSpan(offA, inner);
                var rowB = ib == 0 ? ba.AsSpan(offB, 1) : ba.AsSpan(offB, inner);
                Row<TOp, T>(rowA, ia, rowB, ib, ra.AsSpan(r * inner, inner));
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) break;
                    index[d] = 0;
                }
            }
        });
        return result;
    }

    /// <summary>True when <paramref name="small"/> (rank >= 1, no size-1 dims being stretched) equals the trailing dims of <paramref name="shape"/>.</summary>
    private static bool IsTrailingBlock(ReadOnlySpan<int> small, ReadOnlySpan<int> shape)
    {
        if (small.Length == 0 || small.Length >= shape.Length) return false;
        return small.SequenceEqual(shape[^small.Length..]);
    }

    /// <summary>One contiguous output row; a stride of 0 means the operand is a single broadcast value.</summary>
    private static void Row<TOp, T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> y)
        where TOp : IBinaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (strideA == 1 && strideB == 1)
        {
            if (TOp.Vectorised) { TOp.Apply(a, b, y); return; }
            for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(a[i], b[i]);
        }
        else if (strideB == 0)
        {
            T bv = b[0];
            for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(a[strideA == 0 ? 0 : i], bv);
        }
        else
        {
            T av = a[0];
            for (int i = 0; i < y.Length; i++) y[i] = TOp.Apply(av, b[i]);
        }
    }

    /// <summary>target += source, element-wise (same shape; used to accumulate gradients).</summary>
    public static void AddInPlace(Tensor target, Tensor source)
    {
        if (!ShapeUtil.SameShape(target.Shape, source.Shape))
            throw new ArgumentException($"Cannot add a tensor of shape {ShapeUtil.Format(source.Shape)} into one of shape {ShapeUtil.Format(target.Shape)}.");
        if (target.DType != source.DType)
        {
            using var _ = Tensor.NoGrad();
            source = source.To(target.DType);
        }
        if (target.DType == DType.Float32)
            TensorPrimitives.Add(target.AsSpan<float>(), source.AsSpan<float>(), target.AsSpan<float>());
        else
            TensorPrimitives.Add(target.AsSpan<double>(), source.AsSpan<double>(), target.AsSpan<double>());
    }

    /// <summary>
    /// Sums a gradient over the dims along which an input of shape <paramref name="shape"/> was broadcast,
    /// so that it has the input's shape again.
    /// </summary>
    public static Tensor SumTo(Tensor grad, ReadOnlySpan<int> shape)
    {
        if (ShapeUtil.SameShape(grad.Shape, shape)) return grad;
        int lead = grad.Rank - shape.Length;
        var result = grad;
        for (int d = 0; d < grad.Rank; d++)
        {
            bool reduce = d < lead || (shape[d - lead] == 1 && grad.Shape[d] != 1);
            if (reduce) result = result.Sum(d, keepDim: true);
        }
        return result.Reshape(shape.ToArray());
    }
}
