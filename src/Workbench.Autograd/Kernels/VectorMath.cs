using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Workbench.Autograd;

/// <summary>
/// float32 transcendental functions on whole 256-bit registers (eight lanes), for the float32 paths of the
/// activation and loss kernels: a scalar libm call per element costs 5 to 15 ns, these about 0.3 ns.
/// Accuracy: exp follows Moshier's Cephes expf (range reduction plus a degree-6 polynomial), within 2 ulp of the
/// correctly rounded result, and the functions built on it within 4; NaN propagates, +-inf give the IEEE limits.
/// float64 kernels keep their scalar, reference-accurate code: they are what gradient checks and golden values use.
/// </summary>
internal static class VectorMath
{
    /// <summary>True when Vector256 runs in hardware (AVX2 here); otherwise the kernels take their scalar loops.</summary>
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;

    private static Vector256<float> V(float c) => Vector256.Create(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    /// <summary>The first <c>min(8, length)</c> values of <paramref name="source"/> in a register, zeros after them.</summary>
    public static Vector256<float> LoadTail(ReadOnlySpan<float> source)
    {
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        lanes.Clear();
        source[..Math.Min(source.Length, lanes.Length)].CopyTo(lanes);
        return Vector256.Create((ReadOnlySpan<float>)lanes);
    }

    /// <summary>Stores the first <c>min(8, length)</c> lanes of <paramref name="value"/>.</summary>
    public static void StoreTail(Vector256<float> value, Span<float> destination)
    {
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        value.CopyTo(lanes);
        lanes[..Math.Min(destination.Length, lanes.Length)].CopyTo(destination);
    }

    /// <summary>All bits set in the first <paramref name="count"/> lanes, clear in the others.</summary>
    public static Vector256<float> TailMask(int count) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();

    /// <summary>e^x. Underflows to 0 below about -103.9 and overflows to +inf above 88.72, as expf does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // x = n ln 2 + r with |r| <= ln(2)/2; ln 2 split in two (C1 exact in float) so r keeps its digits.
        var xc = Vector256.Min(Vector256.Max(x, V(-104f)), V(88.8f));
        var n = Vector256.Round(xc * V(1.44269504088896341f));
        var r = Fma(n, V(-0.693359375f), xc);
        r = Fma(n, V(2.12194440e-4f), r);
        var p = Fma(V(1.9875691500e-4f), r, V(1.3981999507e-3f));
        p = Fma(p, r, V(8.3334519073e-3f));
        p = Fma(p, r, V(4.1665795894e-2f));
        p = Fma(p, r, V(1.6666665459e-1f));
        p = Fma(p, r, V(5.0000001201e-1f));
        var y = Fma(p, r * r, r) + Vector256<float>.One;
        // 2^n as two factors 2^a 2^b (a = n/2), each a normal float for every n in [-150, 128], so the product
        // underflows and overflows exactly where e^x does.
        var ni = Vector256.ConvertToInt32(n);
        var a = Vector256.ShiftRightArithmetic(ni, 1);
        var b = ni - a;
        var scaleA = Vector256.ShiftLeft(a + Vector256.Create(127), 23).AsSingle();
        var scaleB = Vector256.ShiftLeft(b + Vector256.Create(127), 23).AsSingle();
        y = y * scaleA * scaleB;
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x);
    }

    /// <summary>
    /// e^x - 1, accurate near 0: a Taylor polynomial on |x| &lt; 0.7, e^x - 1 elsewhere, where e^x is at least 2 or at
    /// most 1/2 so the subtraction loses no more than a bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Expm1(Vector256<float> x)
    {
        // x (1 + x/2! + ... + x^9/10!): the first omitted term is below 2e-9 of the result on |x| < 0.7.
        var p = Fma(V(1f / 3628800f), x, V(1f / 362880f));
        p = Fma(p, x, V(1f / 40320f));
        p = Fma(p, x, V(1f / 5040f));
        p = Fma(p, x, V(1f / 720f));
        p = Fma(p, x, V(1f / 120f));
        p = Fma(p, x, V(1f / 24f));
        p = Fma(p, x, V(1f / 6f));
        p = Fma(p, x, V(0.5f));
        p = Fma(p, x, Vector256<float>.One) * x;
        var small = Vector256.LessThan(Vector256.Abs(x), V(0.7f));
        return Vector256.ConditionalSelect(small, p, Exp(x) - Vector256<float>.One);
    }

    /// <summary>1 / (1 + e^-x) from e^-|x|, so neither tail overflows or loses digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var e = Exp(-Vector256.Abs(x));
        var d = Vector256<float>.One / (Vector256<float>.One + e);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), d, e * d);
    }

    /// <summary>
    /// log(1 + e^-|x|), the non-linear part of softplus and of binary cross-entropy. With e = e^-|x| in (0, 1],
    /// log(1 + e) = 2 atanh(s), s = e / (2 + e) in (0, 1/3]: an odd series in s (terms to s^15, the first omitted
    /// one below 2e-9 of the result) that keeps full relative precision for tiny e and needs no general log.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log1pExpNegAbs(Vector256<float> x)
    {
        var e = Exp(-Vector256.Abs(x));
        var s = e / (V(2f) + e);
        var s2 = s * s;
        var p = Fma(V(1f / 15f), s2, V(1f / 13f));
        p = Fma(p, s2, V(1f / 11f));
        p = Fma(p, s2, V(1f / 9f));
        p = Fma(p, s2, V(1f / 7f));
        p = Fma(p, s2, V(1f / 5f));
        p = Fma(p, s2, V(1f / 3f));
        p = Fma(p, s2, Vector256<float>.One);
        return (s + s) * p;
    }

    /// <summary>
    /// tanh x: Cephes tanhf's odd polynomial on |x| &lt; 0.625, 1 - 2 / (e^2|x| + 1) with x's sign elsewhere
    /// (no cancellation there, and exactly +-1 once e^2|x| overflows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Fma(V(-5.70498872745e-3f), z, V(2.06390887954e-2f));
        p = Fma(p, z, V(-5.37397155531e-2f));
        p = Fma(p, z, V(1.33314422036e-1f));
        p = Fma(p, z, V(-3.33332819422e-1f));
        var small = Fma(p * z, x, x);
        var two = V(2f);
        var large = Vector256<float>.One - two / (Exp(two * ax) + Vector256<float>.One);
        large |= x & V(-0f);   // x's sign
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, V(0.625f)), small, large);
    }
}
