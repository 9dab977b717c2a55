using System.Numerics.Tensors;

namespace Workbench.Autograd;

internal delegate void SpanMap<T>(ReadOnlySpan<T> x, Span<T> y);
internal delegate void SpanMap2<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y);

/// <summary>Vectorised element-wise maps (TensorPrimitives) over whole tensors, in parallel chunks when large.</summary>
internal static class SpanMaps
{
    public static Tensor Map(Tensor x, SpanMap<float> f32, SpanMap<double> f64)
    {
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32)
        {
            var xa = (float[])x.Storage; int xo = x.Offset; var ya = (float[])y.Storage;
            Kernels.For(x.Numel, 8192, (s, e) => f32(xa.AsSpan(xo + s, e - s), ya.AsSpan(s, e - s)));
        }
        else
        {
            var xa = (double[])x.Storage; int xo = x.Offset; var ya = (double[])y.Storage;
            Kernels.For(x.Numel, 8192, (s, e) => f64(xa.AsSpan(xo + s, e - s), ya.AsSpan(s, e - s)));
        }
        return y;
    }

    /// <summary>Same-shape binary map.</summary>
    public static Tensor Map(Tensor a, Tensor b, SpanMap2<float> f32, SpanMap2<double> f64, string op)
    {
        ShapeUtil.RequireSameShape(a, b, op);
        var y = Tensor.Empty(a.Shape, a.DType);
        if (a.DType == DType.Float32)
        {
            var aa = (float[])a.Storage; var ba = (float[])b.Storage; var ya = (float[])y.Storage;
            int ao = a.Offset, bo = b.Offset;
            Kernels.For(a.Numel, 8192, (s, e) => f32(aa.AsSpan(ao + s, e - s), ba.AsSpan(bo + s, e - s), ya.AsSpan(s, e - s)));
        }
        else
        {
            var aa = (double[])a.Storage; var ba = (double[])b.Storage; var ya = (double[])y.Storage;
            int ao = a.Offset, bo = b.Offset;
            Kernels.For(a.Numel, 8192, (s, e) => f64(aa.AsSpan(ao + s, e - s), ba.AsSpan(bo + s, e - s), ya.AsSpan(s, e - s)));
        }
        return y;
    }

    public static Tensor AddScalar(Tensor x, double c) =>
        Map(x, (s, d) => TensorPrimitives.Add(s, (float)c, d), (s, d) => TensorPrimitives.Add(s, c, d));

    public static Tensor MulScalar(Tensor x, double c) =>
        Map(x, (s, d) => TensorPrimitives.Multiply(s, (float)c, d), (s, d) => TensorPrimitives.Multiply(s, c, d));

    public static Tensor Mul(Tensor a, Tensor b) =>
        Map(a, b, TensorPrimitives.Multiply, TensorPrimitives.Multiply, "mul");
}
