namespace Workbench.Autograd;

public sealed partial class Tensor
{
    /// <summary>The same elements in a new shape (one dim may be -1). Shares storage with this tensor.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = ShapeUtil.InferShape(shape, Numel, Shape);
        var y = new Tensor(Storage, Offset, s, DType);
        return Autograd.Record(y, "reshape", g => [g.Reshape(_shape)], this);
    }

    /// <summary>PyTorch's name for <see cref="Reshape"/> (all tensors here are contiguous).</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Flattens dims from <paramref name="startDim"/> on into one.</summary>
    public Tensor Flatten(int startDim = 0)
    {
        int d = Rank == 0 ? 0 : ShapeUtil.NormalizeDim(startDim, Rank, "flatten");
        var s = new int[d + 1];
        for (int i = 0; i < d; i++) s[i] = Shape[i];
        s[d] = -1;
        return Reshape(s);
    }

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank + 1, "unsqueeze");
        var s = new List<int>(_shape);
        s.Insert(d, 1);
        return Reshape([.. s]);
    }

    /// <summary>Removes dim <paramref name="dim"/>, which must have size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "squeeze");
        if (Shape[d] != 1) return this;
        var s = new List<int>(_shape);
        s.RemoveAt(d);
        return Reshape([.. s]);
    }

    /// <summary>A copy broadcast to <paramref name="shape"/> (NumPy rules); the gradient is summed back.</summary>
    public Tensor BroadcastTo(ReadOnlySpan<int> shape)
    {
        var target = shape.ToArray();
        if (ShapeUtil.SameShape(Shape, target)) return this;
        var full = ShapeUtil.Broadcast(Shape, target, "broadcast_to");
        if (!ShapeUtil.SameShape(full, target))
            throw new ArgumentException($"broadcast_to: shape {ShapeUtil.Format(Shape)} cannot be broadcast to {ShapeUtil.Format(target)}.");
        var y = Kernels.Map<AddOp>(this, Zeros(target, DType), "broadcast_to");
        return Autograd.Record(y, "broadcast_to", g => [Kernels.SumTo(g, _shape)], this);
    }

    /// <summary>Swaps two dims (a copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        int a = ShapeUtil.NormalizeDim(dim0, Rank, "transpose"), b = ShapeUtil.NormalizeDim(dim1, Rank, "transpose");
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Transpose of a 2-D tensor.</summary>
    public Tensor T()
    {
        if (Rank != 2) throw new InvalidOperationException($"T() needs a 2-D tensor but the shape is {ShapeUtil.Format(Shape)}; use Transpose(d0, d1).");
        return Transpose(0, 1);
    }

    /// <summary>Reorders dims: output dim i is input dim perm[i] (a copy).</summary>
    public Tensor Permute(params int[] perm)
    {
        if (perm.Length != Rank) throw new ArgumentException($"permute: {perm.Length} dims given for a tensor of rank {Rank}.");
        var p = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            p[i] = ShapeUtil.NormalizeDim(perm[i], Rank, "permute");
            if (seen[p[i]]) throw new ArgumentException($"permute: dim {perm[i]} appears twice in [{string.Join(", ", perm)}].");
            seen[p[i]] = true;
        }
        var outShape = new int[Rank];
        for (int i = 0; i < Rank; i++) outShape[i] = Shape[p[i]];
        var y = Empty(outShape, DType);
        if (DType == DType.Float32) PermuteCopy<float>(this, y, p); else PermuteCopy<double>(this, y, p);
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[p[i]] = i;
        return Autograd.Record(y, "permute", g => [g.Permute(inverse)], this);
    }

    private static void PermuteCopy<T>(Tensor x, Tensor y, int[] perm) where T : unmanaged
    {
        var src = x.AsSpan<T>(); var dst = y.AsSpan<T>();
        int rank = perm.Length;
        if (rank == 0 || dst.Length == 0) { src.CopyTo(dst); return; }
        var inStrides = ShapeUtil.Strides(x.Shape);
        var outShape = y.Shape;
        var strides = new int[rank];
        for (int i = 0; i < rank; i++) strides[i] = inStrides[perm[i]];
        Span<int> index = stackalloc int[rank];
        int inner = outShape[rank - 1], innerStride = strides[rank - 1];
        for (int o = 0; o < dst.Length; o += inner)
        {
            int off = 0;
            for (int d = 0; d < rank - 1; d++) off += index[d] * strides[d];
            for (int i = 0; i < inner; i++) dst[o + i] = src[off + i * innerStride];
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < outShape[d]) break;
                index[d] = 0;
            }
        }
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="end"/> (exclusive) along dim 0: a view, no copy.</summary>
    public Tensor Slice(int start, int end)
    {
        if (Rank == 0) throw new InvalidOperationException("Slice needs at least one dim.");
        int rows = Shape[0];
        if (start < 0 || end > rows || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {end}) is outside dim 0 of size {rows}.");
        int rowSize = rows == 0 ? 0 : Numel / rows;
        var s = ShapeArray(); s[0] = end - start;
        var y = new Tensor(Storage, Offset + start * rowSize, s, DType);
        return Autograd.Record(y, "slice", g =>
        {
            var gx = ZerosLike(this);
            gx.Slice(start, end).CopyFrom(g);
            return [gx];
        }, this);
    }

    /// <summary><paramref name="length"/> entries from <paramref name="start"/> along any dim (a copy unless dim is 0).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "narrow");
        if (start < 0 || length < 0 || start + length > Shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow: [{start}, {start + length}) is outside dim {dim} of size {Shape[d]}.");
        if (d == 0) return Slice(start, start + length);
        return Chunks(d, [start, length])[1];
    }

    /// <summary>Rows of dim 0 picked by index (repeats allowed); gradients add up on repeated rows.</summary>
    public Tensor IndexSelect(ReadOnlySpan<int> indices)
    {
        if (Rank == 0) throw new InvalidOperationException("IndexSelect needs at least one dim.");
        int rows = Shape[0], rowSize = rows == 0 ? 0 : Numel / rows;
        var idx = indices.ToArray();
        foreach (int i in idx)
            if ((uint)i >= (uint)rows) throw new IndexOutOfRangeException($"IndexSelect: row {i} is out of range for dim 0 of size {rows}.");
        var s = ShapeArray(); s[0] = idx.Length;
        var y = Empty(s, DType);
        if (DType == DType.Float32) CopyRows<float>(this, y, idx, rowSize); else CopyRows<double>(this, y, idx, rowSize);
        return Autograd.Record(y, "index_select", g =>
        {
            var gx = ZerosLike(this);
            if (DType == DType.Float32) AddRows<float>(g, gx, idx, rowSize); else AddRows<double>(g, gx, idx, rowSize);
            return [gx];
        }, this);
    }

    private static void CopyRows<T>(Tensor x, Tensor y, int[] idx, int rowSize) where T : unmanaged
    {
        var src = x.AsSpan<T>(); var dst = y.AsSpan<T>();
        for (int r = 0; r < idx.Length; r++) src.Slice(idx[r] * rowSize, rowSize).CopyTo(dst.Slice(r * rowSize, rowSize));
    }

    private static void AddRows<T>(Tensor g, Tensor gx, int[] idx, int rowSize) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var src = g.AsSpan<T>(); var dst = gx.AsSpan<T>();
        for (int r = 0; r < idx.Length; r++)
        {
            var row = dst.Slice(idx[r] * rowSize, rowSize);
            System.Numerics.Tensors.TensorPrimitives.Add(row, src.Slice(r * rowSize, rowSize), row);
        }
    }

    /// <summary>Values picked along <paramref name="dim"/> by an index of the same rank (PyTorch's gather):
    /// out[i][j] = x[i][index[i][j]] for dim 1.</summary>
    public Tensor Gather(int dim, int[] index, params int[] indexShape)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "gather");
        if (indexShape.Length != Rank) throw new ArgumentException($"gather: the index has rank {indexShape.Length} but the tensor has rank {Rank}.");
        if (ShapeUtil.Numel(indexShape) != index.Length) throw new ArgumentException($"gather: {index.Length} indices do not fill shape {ShapeUtil.Format(indexShape)}.");
        for (int i = 0; i < Rank; i++)
            if (i != d && indexShape[i] > Shape[i])
                throw new ArgumentException($"gather: index shape {ShapeUtil.Format(indexShape)} exceeds tensor shape {ShapeUtil.Format(Shape)} at dim {i}.");
        var strides = ShapeUtil.Strides(Shape);
        var positions = new int[index.Length];
        Span<int> at = stackalloc int[Rank];
        for (int j = 0; j < index.Length; j++)
        {
            int rem = j;
            for (int k = Rank - 1; k >= 0; k--) { at[k] = rem % indexShape[k]; rem /= indexShape[k]; }
            int v = index[j];
            if ((uint)v >= (uint)Shape[d]) throw new IndexOutOfRangeException($"gather: index {v} is out of range for dim {dim} of size {Shape[d]}.");
            at[d] = v;
            int off = 0;
            for (int k = 0; k < Rank; k++) off += at[k] * strides[k];
            positions[j] = off;
        }
        var y = Empty(indexShape, DType);
        if (DType == DType.Float32) { var s = AsSpan<float>(); var t = y.AsSpan<float>(); for (int j = 0; j < positions.Length; j++) t[j] = s[positions[j]]; }
        else { var s = AsSpan<double>(); var t = y.AsSpan<double>(); for (int j = 0; j < positions.Length; j++) t[j] = s[positions[j]]; }
        return Autograd.Record(y, "gather", g =>
        {
            var gx = ZerosLike(this);
            if (DType == DType.Float32) { var s = g.AsSpan<float>(); var t = gx.AsSpan<float>(); for (int j = 0; j < positions.Length; j++) t[positions[j]] += s[j]; }
            else { var s = g.AsSpan<double>(); var t = gx.AsSpan<double>(); for (int j = 0; j < positions.Length; j++) t[positions[j]] += s[j]; }
            return [gx];
        }, this);
    }

    /// <summary>Joins tensors along an existing dim; all other dims must match.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("cat: no tensors given.");
        var first = tensors[0];
        int d = ShapeUtil.NormalizeDim(dim, first.Rank, "cat");
        var outShape = first.ShapeArray();
        outShape[d] = 0;
        foreach (var t in tensors)
        {
            ShapeUtil.RequireSameDType(first, t, "cat");
            bool fits = t.Rank == first.Rank;
            for (int i = 0; fits && i < t.Rank; i++) fits = i == d || t.Shape[i] == first.Shape[i];
            if (!fits) throw new ArgumentException($"cat: shapes {ShapeUtil.Format(first.Shape)} and {ShapeUtil.Format(t.Shape)} differ outside dim {dim}.");
            outShape[d] += t.Shape[d];
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= outShape[i];
        for (int i = d + 1; i < outShape.Length; i++) inner *= outShape[i];
        var y = Empty(outShape, first.DType);
        int offset = 0;
        foreach (var t in tensors)
        {
            if (first.DType == DType.Float32) CopyBlock<float>(t.AsSpan<float>(), y.AsSpan<float>(), outer, t.Shape[d] * inner, outShape[d] * inner, offset * inner);
            else CopyBlock<double>(t.AsSpan<double>(), y.AsSpan<double>(), outer, t.Shape[d] * inner, outShape[d] * inner, offset * inner);
            offset += t.Shape[d];
        }
        var sizes = tensors.Select(t => t.Shape[d]).ToArray();
        return Autograd.Record(y, "cat", g => g.Chunks(d, sizes), [.. tensors]);
    }

    /// <summary>Joins same-shape tensors along a new dim.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("stack: no tensors given.");
        int d = ShapeUtil.NormalizeDim(dim, tensors[0].Rank + 1, "stack");
        foreach (var t in tensors)
            if (!ShapeUtil.SameShape(t.Shape, tensors[0].Shape))
                throw new ArgumentException($"stack: shapes {ShapeUtil.Format(tensors[0].Shape)} and {ShapeUtil.Format(t.Shape)} differ.");
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToList(), d);
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces along a dim (the last may be smaller), as PyTorch's chunk.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentOutOfRangeException(nameof(chunks), "chunk: the number of chunks must be positive.");
        int d = ShapeUtil.NormalizeDim(dim, Rank, "chunk");
        int n = Shape[d], size = (n + chunks - 1) / chunks;
        var sizes = new List<int>();
        for (int s = 0; s < n; s += size) sizes.Add(Math.Min(size, n - s));
        if (sizes.Count == 0) sizes.Add(0);
        return Chunks(d, [.. sizes]);
    }

    /// <summary>Splits along dim d into consecutive pieces of the given sizes, each a copy with its own gradient path.</summary>
    internal Tensor[] Chunks(int d, int[] sizes)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= Shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= Shape[i];
        var result = new Tensor[sizes.Length];
        int offset = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            var s = ShapeArray(); s[d] = sizes[k];
            var piece = Empty(s, DType);
            if (DType == DType.Float32) CopyBlockOut<float>(AsSpan<float>(), piece.AsSpan<float>(), outer, sizes[k] * inner, Shape[d] * inner, offset * inner);
            else CopyBlockOut<double>(AsSpan<double>(), piece.AsSpan<double>(), outer, sizes[k] * inner, Shape[d] * inner, offset * inner);
            int start = offset, size = sizes[k];
            result[k] = Autograd.Record(piece, "chunk", g =>
            {
                var gx = ZerosLike(this);
                if (DType == DType.Float32) CopyBlock<float>(g.AsSpan<float>(), gx.AsSpan<float>(), outer, size * inner, Shape[d] * inner, start * inner);
                else CopyBlock<double>(g.AsSpan<double>(), gx.AsSpan<double>(), outer, size * inner, Shape[d] * inner, start * inner);
                return [gx];
            }, this);
            offset += sizes[k];
        }
        return result;
    }

    /// <summary>Copies outer blocks of <paramref name="block"/> elements into a wider destination row at an offset.</summary>
    private static void CopyBlock<T>(ReadOnlySpan<T> src, Span<T> dst, int outer, int block, int dstRow, int dstOffset)
    {
        for (int o = 0; o < outer; o++) src.Slice(o * block, block).CopyTo(dst.Slice(o * dstRow + dstOffset, block));
    }

    private static void CopyBlockOut<T>(ReadOnlySpan<T> src, Span<T> dst, int outer, int block, int srcRow, int srcOffset)
    {
        for (int o = 0; o < outer; o++) src.Slice(o * srcRow + srcOffset, block).CopyTo(dst.Slice(o * block, block));
    }
}
