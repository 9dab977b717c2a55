using System.Numerics;
using System.Numerics.Tensors;

namespace Workbench.Autograd;

internal struct AddOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(a, b, y);
    public static bool Vectorised => true;
}

internal struct SubOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
    public static bool Vectorised => true;
}

internal struct MulOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(a, b, y);
    public static bool Vectorised => true;
}

internal struct DivOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
    public static bool Vectorised => true;
}

internal struct MaximumOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(a) || a >= b ? a : b;
}

internal struct MinimumOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(a) || a <= b ? a : b;
}

/// <summary>1 where a &gt;= b else 0: routes the gradient of maximum to the first operand on ties.</summary>
internal struct GreaterEqualOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a >= b ? T.One : T.Zero;
}

internal struct LessEqualOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a <= b ? T.One : T.Zero;
}

public sealed partial class Tensor
{
    /// <summary>Element-wise sum with broadcasting.</summary>
    public Tensor Add(Tensor other)
    {
        var y = Kernels.Map<AddOp>(this, other, "add");
        return Autograd.Record(y, "add", g => [Kernels.SumTo(g, Shape), Kernels.SumTo(g, other.Shape)], this, other);
    }

    /// <summary>Element-wise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other)
    {
        var y = Kernels.Map<SubOp>(this, other, "sub");
        return Autograd.Record(y, "sub", g => [Kernels.SumTo(g, Shape), other.RequiresGrad ? Kernels.SumTo(g.Neg(), other.Shape) : null], this, other);
    }

    /// <summary>Element-wise product with broadcasting.</summary>
    public Tensor Mul(Tensor other)
    {
        var y = Kernels.Map<MulOp>(this, other, "mul");
        return Autograd.Record(y, "mul", g =>
        [
            RequiresGrad ? Kernels.SumTo(g.Mul(other), Shape) : null,
            other.RequiresGrad ? Kernels.SumTo(g.Mul(this), other.Shape) : null,
        ], this, other);
    }

    /// <summary>Element-wise quotient with broadcasting.</summary>
    public Tensor Div(Tensor other)
    {
        var y = Kernels.Map<DivOp>(this, other, "div");
        return Autograd.Record(y, "div", g =>
        [
            RequiresGrad ? Kernels.SumTo(g.Div(other), Shape) : null,
            // d(a/b)/db = -a/b^2 = -y/b
            other.RequiresGrad ? Kernels.SumTo(g.Mul(y).Div(other).Neg(), other.Shape) : null,
        ], this, other);
    }

    /// <summary>Element-wise maximum with broadcasting; on ties the gradient goes to this tensor.</summary>
    public Tensor Maximum(Tensor other)
    {
        var y = Kernels.Map<MaximumOp>(this, other, "maximum");
        return Autograd.Record(y, "maximum", g =>
        {
            var pick = Kernels.Map<GreaterEqualOp>(this, other, "maximum");
            return [Kernels.SumTo(g.Mul(pick), Shape), Kernels.SumTo(g.Mul(pick.RSub(1)), other.Shape)];
        }, this, other);
    }

    /// <summary>Element-wise minimum with broadcasting; on ties the gradient goes to this tensor.</summary>
    public Tensor Minimum(Tensor other)
    {
        var y = Kernels.Map<MinimumOp>(this, other, "minimum");
        return Autograd.Record(y, "minimum", g =>
        {
            var pick = Kernels.Map<LessEqualOp>(this, other, "minimum");
            return [Kernels.SumTo(g.Mul(pick), Shape), Kernels.SumTo(g.Mul(pick.RSub(1)), other.Shape)];
        }, this, other);
    }

    /// <summary>this + c.</summary>
    public Tensor Add(double c) => Autograd.Record(SpanMaps.AddScalar(this, c), "add_scalar", g => [g], this);

    /// <summary>this - c.</summary>
    public Tensor Sub(double c) => Add(-c);

    /// <summary>c - this.</summary>
    public Tensor RSub(double c) => Neg().Add(c);

    /// <summary>this * c.</summary>
    public Tensor Mul(double c) => Autograd.Record(SpanMaps.MulScalar(this, c), "mul_scalar", g => [g.Mul(c)], this);

    /// <summary>this / c.</summary>
    public Tensor Div(double c) => Mul(1.0 / c);

    /// <summary>-this.</summary>
    public Tensor Neg() => Autograd.Record(SpanMaps.MulScalar(this, -1), "neg", g => [g.Neg()], this);

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator +(Tensor a, double c) => a.Add(c);
    public static Tensor operator +(double c, Tensor a) => a.Add(c);
    public static Tensor operator -(Tensor a, double c) => a.Add(-c);
    public static Tensor operator -(double c, Tensor a) => a.RSub(c);
    public static Tensor operator *(Tensor a, double c) => a.Mul(c);
    public static Tensor operator *(double c, Tensor a) => a.Mul(c);
    public static Tensor operator /(Tensor a, double c) => a.Div(c);
    public static Tensor operator /(double c, Tensor a) => a.Reciprocal().Mul(c);
}
