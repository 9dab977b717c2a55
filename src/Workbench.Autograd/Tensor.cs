using System.Globalization;
using System.Text;

namespace Workbench.Autograd;

/// <summary>Element type of a tensor: float32 for training, float64 for gradient checks and exact evaluation.</summary>
public enum DType { Float32, Float64 }

/// <summary>
/// A dense, contiguous, row-major n-dimensional array with reverse-mode automatic differentiation.
/// Several tensors may share one storage array (reshape and dim-0 slices are views); the ops never write
/// into an input, so sharing is safe. Gradients flow only through ops run while gradients are enabled
/// (see <see cref="NoGrad"/>).
/// </summary>
public sealed partial class Tensor
{
    private readonly int[] _shape;

    /// <summary>The storage: a float[] or double[] holding at least <see cref="Offset"/> + <see cref="Numel"/> elements.</summary>
    internal readonly Array Storage;

    /// <summary>Index of this tensor's first element in <see cref="Storage"/> (non-zero for dim-0 slices).</summary>
    internal readonly int Offset;

    /// <summary>The op that produced this tensor, or null for a leaf or a tensor made without gradients.</summary>
    internal Node? GradFn;

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements (1 for a scalar of shape []).</summary>
    public int Numel { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The shape; do not modify the span's contents.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The gradient accumulated by <see cref="Backward"/> for a leaf that requires gradients.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True when gradients flow to this tensor: a leaf marked by the user, or the output of an op with such an input.</summary>
    public bool RequiresGrad { get; private set; }

    /// <summary>True for a tensor no op produced inside a recorded graph (parameters, data, detached values).</summary>
    public bool IsLeaf => GradFn is null;

    internal Tensor(Array storage, int offset, int[] shape, DType dtype)
    {
        Storage = storage;
        Offset = offset;
        _shape = shape;
        DType = dtype;
        Numel = ShapeUtil.Numel(shape);
    }

    /// <summary>Marks a leaf as requiring gradients (as PyTorch's <c>requires_grad_()</c>); returns this tensor.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        if (!IsLeaf)
            throw new InvalidOperationException(
                "RequiresGrad_ can only be set on a leaf tensor; call Detach() first to make a new leaf from this result.");
        RequiresGrad = requiresGrad;
        return this;
    }

    internal void SetGradFn(Node node)
    {
        GradFn = node;
        RequiresGrad = true;
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[ShapeUtil.NormalizeDim(dim, Rank, "Size")];

    /// <summary>A copy of the shape.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>The elements of a float32 tensor, in row-major order.</summary>
    public Span<float> AsSpan() => DType == DType.Float32
        ? ((float[])Storage).AsSpan(Offset, Numel)
        : throw new InvalidOperationException($"AsSpan() needs a float32 tensor but this one is {DType}; use AsSpan<double>().");

    /// <summary>The elements as a span of <typeparamref name="T"/> (float for Float32, double for Float64).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Storage is T[] array) return array.AsSpan(Offset, Numel);
        throw new InvalidOperationException($"This tensor is {DType}; it has no {typeof(T).Name} view.");
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Item() needs a tensor with one element but this one has shape {ShapeUtil.Format(_shape)}.");
        return DType == DType.Float32 ? ((float[])Storage)[Offset] : ((double[])Storage)[Offset];
    }

    /// <summary>Element at a multi-dimensional index.</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public double this[params int[] index]
    {
        get
        {
            int flat = ShapeUtil.FlatIndex(_shape, index);
            return DType == DType.Float32 ? ((float[])Storage)[Offset + flat] : ((double[])Storage)[Offset + flat];
        }
    }

    /// <summary>The elements copied to a new float array (converting from float64 if needed).</summary>
    public float[] ToArray()
    {
        if (DType == DType.Float32) return AsSpan<float>().ToArray();
        var src = AsSpan<double>();
        var dst = new float[src.Length];
        for (int i = 0; i < src.Length; i++) dst[i] = (float)src[i];
        return dst;
    }

    /// <summary>The elements copied to a new double array.</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64) return AsSpan<double>().ToArray();
        var src = AsSpan<float>();
        var dst = new double[src.Length];
        for (int i = 0; i < src.Length; i++) dst[i] = src[i];
        return dst;
    }

    /// <summary>A new leaf sharing this tensor's storage but cut from the graph.</summary>
    public Tensor Detach() => new(Storage, Offset, _shape, DType);

    /// <summary>A new leaf with its own copy of the data.</summary>
    public Tensor Clone()
    {
        var copy = new Tensor(AllocateStorage(DType, Numel, zero: false), 0, (int[])_shape.Clone(), DType);
        if (DType == DType.Float32) AsSpan<float>().CopyTo(copy.AsSpan<float>());
        else AsSpan<double>().CopyTo(copy.AsSpan<double>());
        return copy;
    }

    /// <summary>Converts to another element type (differentiable).</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var result = Empty(_shape, dtype);
        if (dtype == DType.Float64)
        {
            var src = AsSpan<float>(); var dst = result.AsSpan<double>();
            for (int i = 0; i < src.Length; i++) dst[i] = src[i];
        }
        else
        {
            var src = AsSpan<double>(); var dst = result.AsSpan<float>();
            for (int i = 0; i < src.Length; i++) dst[i] = (float)src[i];
        }
        return Autograd.Record(result, "to", g => [g.To(DType)], this);
    }

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place (no gradient; for optimisers and loading).</summary>
    public void CopyFrom(Tensor source)
    {
        ShapeUtil.RequireSameShape(this, source, "CopyFrom");
        if (DType == source.DType)
        {
            if (DType == DType.Float32) source.AsSpan<float>().CopyTo(AsSpan<float>());
            else source.AsSpan<double>().CopyTo(AsSpan<double>());
        }
        else
        {
            using var _ = NoGrad();
            CopyFrom(source.To(DType));
        }
    }

    /// <summary>Sets every element to zero in place.</summary>
    public void Zero_()
    {
        if (DType == DType.Float32) AsSpan<float>().Clear(); else AsSpan<double>().Clear();
    }

    /// <summary>Sets every element to <paramref name="value"/> in place.</summary>
    public void Fill_(double value)
    {
        if (DType == DType.Float32) AsSpan<float>().Fill((float)value); else AsSpan<double>().Fill(value);
    }

    internal static Array AllocateStorage(DType dtype, int length, bool zero)
    {
        if (dtype == DType.Float32)
            return zero ? new float[length] : GC.AllocateUninitializedArray<float>(length);
        return zero ? new double[length] : GC.AllocateUninitializedArray<double>(length);
    }

    /// <summary>A new tensor of the given shape whose contents are not initialised (every op writes all of it).</summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape, DType dtype)
    {
        var s = shape.ToArray();
        return new Tensor(AllocateStorage(dtype, ShapeUtil.Numel(s), zero: false), 0, s, dtype);
    }

    internal static Tensor Empty<T>(ReadOnlySpan<int> shape) where T : unmanaged => Empty(shape, DTypeOf<T>());

    internal static DType DTypeOf<T>() => typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"Tensors hold float or double, not {typeof(T).Name}.");

    /// <summary>A short description: shape, dtype and the first values.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("tensor(");
        int shown = Math.Min(Numel, 8);
        sb.Append('[');
        for (int i = 0; i < shown; i++)
        {
            if (i > 0) sb.Append(", ");
            double v = DType == DType.Float32 ? ((float[])Storage)[Offset + i] : ((double[])Storage)[Offset + i];
            sb.Append(v.ToString("G6", CultureInfo.InvariantCulture));
        }
        if (shown < Numel) sb.Append(", ...");
        sb.Append("], shape=").Append(ShapeUtil.Format(_shape));
        if (DType == DType.Float64) sb.Append(", dtype=float64");
        if (GradFn is not null) sb.Append(", grad_fn=").Append(GradFn.Op);
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        sb.Append(')');
        return sb.ToString();
    }
}
