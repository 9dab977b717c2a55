using System.Numerics;
using System.Numerics.Tensors;

namespace Workbench.Autograd;

internal struct Log1pOp : IUnaryOp
{
    public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => SpecialFunctions.Log1p(x);
}

internal struct SignOp : IUnaryOp
{
    public static T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
}

public sealed partial class Tensor
{
    /// <summary>e^x.</summary>
    public Tensor Exp()
    {
        var y = SpanMaps.Map(this, TensorPrimitives.Exp, TensorPrimitives.Exp);
        return Autograd.Record(y, "exp", g => [g.Mul(y)], this);
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log()
    {
        var y = SpanMaps.Map(this, TensorPrimitives.Log, TensorPrimitives.Log);
        return Autograd.Record(y, "log", g => [g.Div(this)], this);
    }

    /// <summary>log(1 + x), accurate for small x.</summary>
    public Tensor Log1p()
    {
        var y = Kernels.Map<Log1pOp>(this);
        return Autograd.Record(y, "log1p", g => [g.Div(Add(1.0))], this);
    }

    /// <summary>Square root.</summary>
    public Tensor Sqrt()
    {
        var y = SpanMaps.Map(this, TensorPrimitives.Sqrt, TensorPrimitives.Sqrt);
        return Autograd.Record(y, "sqrt", g => [g.Div(y.Mul(2.0))], this);
    }

    /// <summary>|x|; the gradient at 0 is 0.</summary>
    public Tensor Abs()
    {
        var y = SpanMaps.Map(this, TensorPrimitives.Abs, TensorPrimitives.Abs);
        return Autograd.Record(y, "abs", g => [g.Mul(Kernels.Map<SignOp>(this))], this);
    }

    /// <summary>Sign of each element: -1, 0 or 1 (no gradient).</summary>
    public Tensor Sign() => Kernels.Map<SignOp>(this);

    /// <summary>x^2.</summary>
    public Tensor Square()
    {
        var y = SpanMaps.Mul(this, this);
        return Autograd.Record(y, "square", g => [g.Mul(this).Mul(2.0)], this);
    }

    /// <summary>1 / x.</summary>
    public Tensor Reciprocal()
    {
        var y = SpanMaps.Map(this, TensorPrimitives.Reciprocal, TensorPrimitives.Reciprocal);
        return Autograd.Record(y, "reciprocal", g => [g.Mul(y.Square()).Neg()], this);
    }

    /// <summary>x^p for a constant exponent.</summary>
    public Tensor Pow(double p)
    {
        if (p == 2) return Square();
        var y = SpanMaps.Map(this, (s, d) => TensorPrimitives.Pow(s, (float)p, d), (s, d) => TensorPrimitives.Pow(s, p, d));
        return Autograd.Record(y, "pow", g => [g.Mul(Pow(p - 1).Mul(p))], this);
    }

    /// <summary>Limits every element to [min, max]; the gradient passes where min &lt;= x &lt;= max.</summary>
    public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} is greater than max {max}.");
        var y = SpanMaps.Map(this,
            (s, d) => { for (int i = 0; i < s.Length; i++) d[i] = Math.Clamp(s[i], (float)min, (float)max); },
            (s, d) => { for (int i = 0; i < s.Length; i++) d[i] = Math.Clamp(s[i], min, max); });
        return Autograd.Record(y, "clamp", g =>
        {
            var pass = SpanMaps.Map(this,
                (s, d) => { for (int i = 0; i < s.Length; i++) d[i] = s[i] >= min && s[i] <= max ? 1f : 0f; },
                (s, d) => { for (int i = 0; i < s.Length; i++) d[i] = s[i] >= min && s[i] <= max ? 1.0 : 0.0; });
            return [g.Mul(pass)];
        }, this);
    }

    /// <summary>Logistic sigmoid 1 / (1 + e^-x).</summary>
    public Tensor Sigmoid() => F.Sigmoid(this);

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => F.Tanh(this);

    /// <summary>log(1 + e^x) in its stable form; derivative sigmoid(x).</summary>
    public Tensor Softplus() => F.Softplus(this);

    /// <summary>log sigmoid(x) = -softplus(-x); derivative sigmoid(-x).</summary>
    public Tensor LogSigmoid() => F.LogSigmoid(this);

    /// <summary>Element-wise choice: <paramref name="a"/> where <paramref name="condition"/> is non-zero, else <paramref name="b"/>.
    /// All three are broadcast together; gradients flow to a and b, not to the condition.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ShapeUtil.RequireSameDType(a, b, "where");
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.Shape, a.Shape, "where"), b.Shape, "where");
        Tensor mask;
        using (NoGrad())
        {
            var c = condition.To(a.DType).BroadcastTo(shape);
            mask = SpanMaps.Map(c, TensorPrimitives.Abs, TensorPrimitives.Abs);
            mask = Kernels.Map<SignOp>(mask);
        }
        var ab = a.BroadcastTo(shape).Detach();
        var bb = b.BroadcastTo(shape).Detach();
        var y = Empty(shape, a.DType);
        if (a.DType == DType.Float32)
        {
            var m = mask.AsSpan<float>(); var x1 = ab.AsSpan<float>(); var x2 = bb.AsSpan<float>(); var d = y.AsSpan<float>();
            for (int i = 0; i < d.Length; i++) d[i] = m[i] != 0 ? x1[i] : x2[i];
        }
        else
        {
            var m = mask.AsSpan<double>(); var x1 = ab.AsSpan<double>(); var x2 = bb.AsSpan<double>(); var d = y.AsSpan<double>();
            for (int i = 0; i < d.Length; i++) d[i] = m[i] != 0 ? x1[i] : x2[i];
        }
        return Autograd.Record(y, "where", g =>
        [
            Kernels.SumTo(g.Mul(mask), a.Shape),
            Kernels.SumTo(g.Mul(mask.RSub(1.0)), b.Shape),
        ], a, b);
    }
}
