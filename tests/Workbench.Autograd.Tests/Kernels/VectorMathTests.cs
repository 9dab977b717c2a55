using System.Runtime.Intrinsics;
using Workbench.Autograd;

namespace Workbench.Autograd.Tests.Kernels;

/// <summary>The float32 register functions against float64 references, in units in the last place of the float32 result.</summary>
public class VectorMathTests
{
    private static float Lane0(Func<Vector256<float>, Vector256<float>> f, float x) => f(Vector256.Create(x))[0];

    /// <summary>|got - want| in ulps of want rounded to float32 (one ulp of the smallest normal below that).</summary>
    private static double Ulps(float got, double want)
    {
        float w = (float)want;
        double ulp = Math.Max(MathF.BitIncrement(Math.Abs(w)) - Math.Abs(w), float.Epsilon);
        return Math.Abs(got - want) / ulp;
    }

    private static void AssertWithinUlps(Func<Vector256<float>, Vector256<float>> f, Func<double, double> reference,
        IEnumerable<float> inputs, double maxUlps, string name)
    {
        double worst = 0; float at = 0;
        foreach (float x in inputs)
        {
            double u = Ulps(Lane0(f, x), reference(x));
            if (u > worst) { worst = u; at = x; }
        }
        Assert.True(worst <= maxUlps, $"{name}: {worst:0.00} ulps at x = {at:R} (allowed {maxUlps})");
    }

    private static IEnumerable<float> Uniform(double low, double high, int count, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++) yield return (float)(low + (high - low) * random.NextDouble());
    }

    [Fact]
    public void ExpIsWithinTwoUlpsOverTheNormalRange() =>
        AssertWithinUlps(VectorMath.Exp, Math.Exp, Uniform(-87, 88.7, 200_000, 1), 2, "exp");

    [Fact]
    public void Log1pExpNegAbsKeepsFullPrecisionInTheTailsAndExpm1NearZero()
    {
        static double Reference(double x)
        {
            double e = Math.Exp(-Math.Abs(x));
            return e < 1e-6 ? e - e * e / 2 : Math.Log(1 + e);   // log(1 + e) in double loses digits for tiny e
        }
        AssertWithinUlps(VectorMath.Log1pExpNegAbs, Reference, Uniform(-100, 100, 200_000, 3).Concat([0f, 1e-30f, -88f]), 4, "log1p(exp(-|x|))");
        AssertWithinUlps(VectorMath.Expm1, v => Math.Abs(v) < 1e-5 ? v + v * v / 2 : Math.Exp(v) - 1,
            Uniform(-5, 5, 100_000, 4).Concat([1e-30f, -1e-8f, 0.699f, -0.701f, 0.3506021f]), 3, "expm1");
    }

    [Fact]
    public void SigmoidAndTanhAreAccurateIncludingTheirTails()
    {
        AssertWithinUlps(VectorMath.Sigmoid, v => 1 / (1 + Math.Exp(-v)), Uniform(-100, 40, 200_000, 5), 3, "sigmoid");
        AssertWithinUlps(VectorMath.Tanh, Math.Tanh, Uniform(-12, 12, 200_000, 6).Concat([1e-20f, -0.624f, 0.626f]), 3, "tanh");
        Assert.Equal(1f, Lane0(VectorMath.Tanh, 50f));
        Assert.Equal(-1f, Lane0(VectorMath.Tanh, -50f));
    }

    [Fact]
    public void SpecialValuesFollowIeee()
    {
        Assert.Equal(float.PositiveInfinity, Lane0(VectorMath.Exp, 89f));
        Assert.Equal(float.PositiveInfinity, Lane0(VectorMath.Exp, float.PositiveInfinity));
        Assert.Equal(0f, Lane0(VectorMath.Exp, -110f));
        Assert.Equal(0f, Lane0(VectorMath.Exp, float.NegativeInfinity));
        Assert.Equal(0f, Lane0(VectorMath.Log1pExpNegAbs, 200f));
        Assert.Equal(-1f, Lane0(VectorMath.Expm1, float.NegativeInfinity));
        foreach (var f in new Func<Vector256<float>, Vector256<float>>[] { VectorMath.Exp, VectorMath.Log1pExpNegAbs, VectorMath.Expm1, VectorMath.Sigmoid, VectorMath.Tanh })
            Assert.True(float.IsNaN(Lane0(f, float.NaN)), "NaN must propagate, so a diverging run is not hidden");
    }

    [Fact]
    public void TailHelpersLoadZerosAndStoreOnlyTheTail()
    {
        var tail = VectorMath.LoadTail([1f, 2f, 3f]);
        Assert.Equal(new float[] { 1, 2, 3, 0, 0, 0, 0, 0 }, Enumerable.Range(0, 8).Select(i => tail[i]).ToArray());
        var destination = new float[] { 9, 9, 9, 9 };
        VectorMath.StoreTail(Vector256.Create(5f), destination.AsSpan(1, 2));
        Assert.Equal(new float[] { 9, 5, 5, 9 }, destination);
        var mask = VectorMath.TailMask(3).AsInt32();
        Assert.Equal(new[] { -1, -1, -1, 0, 0, 0, 0, 0 }, Enumerable.Range(0, 8).Select(i => mask[i]).ToArray());
    }
}
