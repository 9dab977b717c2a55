namespace Workbench.Autograd;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32) =>
        new(AllocateStorage(dtype, ShapeUtil.Numel(shape), zero: true), 0, (int[])shape.Clone(), dtype);

    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor filled with one value.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        t.Fill_(value);
        return t;
    }

    public static Tensor ZerosLike(Tensor t) => Zeros(t.ShapeArray(), t.DType);
    public static Tensor OnesLike(Tensor t) => Ones(t.ShapeArray(), t.DType);
    public static Tensor FullLike(Tensor t, double value) => Full(t.ShapeArray(), value, t.DType);

    /// <summary>A one-element tensor of shape [].</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full([], value, dtype);

    /// <summary>0, step, 2 step, ... below <paramref name="end"/>, starting at <paramref name="start"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentException("Arange: step must be non-zero.", nameof(step));
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty([n], dtype);
        if (dtype == DType.Float32) { var s = t.AsSpan<float>(); for (int i = 0; i < n; i++) s[i] = (float)(start + i * step); }
        else { var s = t.AsSpan<double>(); for (int i = 0; i < n; i++) s[i] = start + i * step; }
        return t;
    }

    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>A float32 tensor holding a copy of <paramref name="values"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromArray(float[] values, params int[] shape)
    {
        var s = shape.Length == 0 ? [values.Length] : shape;
        if (ShapeUtil.Numel(s) != values.Length)
            throw new ArgumentException($"FromArray: {values.Length} values do not fill shape {ShapeUtil.Format(s)}.");
        return new Tensor((float[])values.Clone(), 0, (int[])s.Clone(), DType.Float32);
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="values"/> in the given shape (default: 1-D).</summary>
    public static Tensor FromArray(double[] values, params int[] shape)
    {
        var s = shape.Length == 0 ? [values.Length] : shape;
        if (ShapeUtil.Numel(s) != values.Length)
            throw new ArgumentException($"FromArray: {values.Length} values do not fill shape {ShapeUtil.Format(s)}.");
        return new Tensor((double[])values.Clone(), 0, (int[])s.Clone(), DType.Float64);
    }

    /// <summary>A 2-D float32 tensor from a rectangular array.</summary>
    public static Tensor FromArray(float[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var t = Empty([r, c], DType.Float32);
        var s = t.AsSpan<float>();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) s[i * c + j] = values[i, j];
        return t;
    }

    /// <summary>A 2-D float64 tensor from a rectangular array.</summary>
    public static Tensor FromArray(double[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var t = Empty([r, c], DType.Float64);
        var s = t.AsSpan<double>();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) s[i * c + j] = values[i, j];
        return t;
    }

    /// <summary>Wraps an existing array without copying (the tensor and the caller share it).</summary>
    public static Tensor Wrap(float[] storage, params int[] shape)
    {
        if (ShapeUtil.Numel(shape) > storage.Length)
            throw new ArgumentException($"Wrap: an array of {storage.Length} floats cannot hold shape {ShapeUtil.Format(shape)}.");
        return new Tensor(storage, 0, (int[])shape.Clone(), DType.Float32);
    }

    /// <summary>Standard normal draws from <paramref name="generator"/>.</summary>
    public static Tensor Randn(int[] shape, Generator generator, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32) generator.FillNormal(t.AsSpan<float>()); else generator.FillNormal(t.AsSpan<double>());
        return t;
    }

    /// <summary>Uniform draws on [low, high) from <paramref name="generator"/>.</summary>
    public static Tensor Rand(int[] shape, Generator generator, double low = 0, double high = 1, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32) generator.FillUniform(t.AsSpan<float>(), (float)low, (float)high);
        else generator.FillUniform(t.AsSpan<double>(), low, high);
        return t;
    }

    public static Tensor RandnLike(Tensor t, Generator generator) => Randn(t.ShapeArray(), generator, t.DType);

    /// <summary>Bernoulli draws: 1 with probability p (element-wise, p in [0, 1]), else 0. Not differentiable.</summary>
    public static Tensor Bernoulli(Tensor probabilities, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var t = Empty(probabilities.Shape, probabilities.DType);
        if (t.DType == DType.Float32)
        {
            var p = probabilities.AsSpan<float>(); var s = t.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) s[i] = generator.NextFloat() < p[i] ? 1f : 0f;
        }
        else
        {
            var p = probabilities.AsSpan<double>(); var s = t.AsSpan<double>();
            for (int i = 0; i < s.Length; i++) s[i] = generator.NextDouble() < p[i] ? 1.0 : 0.0;
        }
        return t;
    }
}
