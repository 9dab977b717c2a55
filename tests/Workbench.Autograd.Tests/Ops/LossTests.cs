using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Ops;

public class LossTests
{
    private const double Log2Pi = 1.8378770664093453;

    private static void AssertClose(double expected, double actual, double rtol = 1e-15, string? what = null) =>
        Assert.True(Math.Abs(actual - expected) <= rtol * Math.Abs(expected) || actual == expected,
            $"{what}: expected {expected:R}, got {actual:R}");

    public static TheoryData<Reduction> Reductions => new() { Reduction.None, Reduction.Mean, Reduction.Sum };

    // ---- binary cross-entropy with logits ------------------------------------------------------------------------

    [Fact]
    public void BceMatchesHandComputedValuesInEveryReduction()
    {
        var x = Tensor.FromArray([2.0, -1.0, 0.5]);
        var t = Tensor.FromArray([0.3, 1.0, 0.0]);
        // x = 2, t = 0.3:  softplus(2) - 2 * 0.3 = 2.12692801104297250 - 0.6 = 1.52692801104297250 (the double 1.5269280110429726).
        // x = -1, t = 1:   0 + 1 + log1p(e^-1) = 1 + 0.31326168751822286 = 1.3132616875182228.
        // x = 0.5, t = 0:  0.5 - 0 + log1p(e^-0.5) = 0.5 + 0.47407698418010668 = 0.9740769841801067.
        double[] expected = [1.5269280110429726, 1.3132616875182228, 0.9740769841801067];
        var none = F.BinaryCrossEntropyWithLogits(x, t, Reduction.None).ToDoubleArray();
        for (int i = 0; i < 3; i++) AssertClose(expected[i], none[i], 2e-16, $"bce[{i}]");
        // Sum = 1.5269280110429725 + 1.3132616875182228 + 0.9740769841801067 = 3.814266682741302; mean = / 3 = 1.2714222275804340.
        AssertClose(3.814266682741302, F.BinaryCrossEntropyWithLogits(x, t, Reduction.Sum).Item(), 4e-16, "sum");
        AssertClose(1.271422227580434, F.BinaryCrossEntropyWithLogits(x, t).Item(), 4e-16, "mean");
        Assert.Equal(0, F.BinaryCrossEntropyWithLogits(x, t).Rank);
    }

    [Fact]
    public void BceEqualsTheNaiveCrossEntropyWhereThatIsSafe()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([50], g, DType.Float64).Mul(2);
        var t = Tensor.Rand([50], g, 0, 1, DType.Float64);
        var stable = F.BinaryCrossEntropyWithLogits(x, t, Reduction.None).ToDoubleArray();
        var xs = x.ToDoubleArray(); var ts = t.ToDoubleArray();
        for (int i = 0; i < 50; i++)
        {
            double p = 1 / (1 + Math.Exp(-xs[i]));
            double naive = -ts[i] * Math.Log(p) - (1 - ts[i]) * Math.Log(1 - p);
            Assert.True(Math.Abs(stable[i] - naive) <= 1e-12 * (1 + naive), $"{stable[i]} vs {naive}");
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void BceIsStableAtHugeLogits(DType dtype)
    {
        var x = Tensor.FromArray([1000.0, -1000.0, 1000.0, -1000.0, 88, -88]).To(dtype).RequiresGrad_();
        var t = Tensor.FromArray([1.0, 0.0, 0.0, 1.0, 1.0, 0.0]).To(dtype);
        var l = F.BinaryCrossEntropyWithLogits(x, t, Reduction.None);
        // Confident and right: 0. Confident and wrong: |x| (max(x, 0) - x t + log1p(e^-1000) = 1000).
        Assert.Equal(new[] { 0.0, 0.0, 1000.0, 1000.0, 0.0, 0.0 }, l.ToDoubleArray().Select(v => Math.Round(v, 9)).ToArray());
        l.Sum().Backward();
        // sigmoid(x) - t: 0, 0, 1, -1, 0, 0.
        Assert.Equal(new[] { 0.0, 0.0, 1.0, -1.0, 0.0, 0.0 }, x.Grad!.ToDoubleArray().Select(v => Math.Round(v, 9)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Reductions))]
    public void BceGradientsMatchFiniteDifferencesForLogitsAndFractionalTargets(Reduction reduction)
    {
        var g = new Generator(7);
        foreach (var shape in new[] { new[] { 4 }, new[] { 2, 3 }, new[] { 2, 2, 3 } })
        {
            var x = Rand64(g, shape);
            var t = Tensor.Rand(shape, g, 0, 1, DType.Float64).RequiresGrad_();   // grey levels
            AssertGrad(z => F.BinaryCrossEntropyWithLogits(z[0], z[1], reduction), x, t);
        }
    }

    [Fact]
    public void BceGradientIsSigmoidMinusTargetOverN()
    {
        var x = Tensor.FromArray([0.0, 2.0]).RequiresGrad_();
        var t = Tensor.FromArray([1.0, 0.25]).RequiresGrad_();
        F.BinaryCrossEntropyWithLogits(x, t).Backward();
        // (sigmoid(0) - 1) / 2 = -0.25; (sigmoid(2) - 0.25) / 2 = (0.8807970779778823 - 0.25) / 2 = 0.3153985389889412.
        AssertClose(-0.25, x.Grad![0], what: "dx0");
        AssertClose(0.3153985389889412, x.Grad![1], 4e-16, "dx1");
        // -x / 2: 0 and -1.
        Assert.Equal(new[] { 0.0, -1.0 }, t.Grad!.ToDoubleArray().Select(v => v + 0.0).ToArray());
    }

    [Fact]
    public void LossesRejectMismatchedShapesNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(4, 784), Tensor.Zeros(4, 28, 28)));
        Assert.Contains("[4, 784]", ex.Message);
        Assert.Contains("[4, 28, 28]", ex.Message);
        Assert.Contains("binary_cross_entropy_with_logits", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros(3), Tensor.Zeros(1)));
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.GaussianNll(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2), Tensor.Zeros(3, 2)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.GaussianNll(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), Tensor.Zeros([2], DType.Float64)));
        Assert.Contains("Float64", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.MseLoss(Tensor.Zeros(2), Tensor.Zeros(2), (Reduction)7));
    }

    // ---- mean squared error --------------------------------------------------------------------------------------

    [Fact]
    public void MseMatchesHandComputedValues()
    {
        var x = Tensor.FromArray([1.0, 2.0, 3.0]);
        var t = Tensor.FromArray([0.0, 2.0, 5.0]);
        // (1 - 0)^2 = 1, (2 - 2)^2 = 0, (3 - 5)^2 = 4; sum 5, mean 5/3.
        Assert.Equal(new[] { 1.0, 0.0, 4.0 }, F.MseLoss(x, t, Reduction.None).ToDoubleArray());
        Assert.Equal(5.0, F.MseLoss(x, t, Reduction.Sum).Item());
        AssertClose(5.0 / 3.0, F.MseLoss(x, t).Item(), what: "mean");
    }

    [Theory]
    [MemberData(nameof(Reductions))]
    public void MseGradientsMatchFiniteDifferences(Reduction reduction)
    {
        var g = new Generator(9);
        foreach (var shape in new[] { new[] { 5 }, new[] { 3, 4 } })
            AssertGrad(z => F.MseLoss(z[0], z[1], reduction), Rand64(g, shape), Rand64(g, shape));
    }

    // ---- Gaussian negative log-likelihood ------------------------------------------------------------------------

    [Fact]
    public void GaussianNllMatchesHandComputedValues()
    {
        // t = 1, m = 0, v = 0: 0.5 (log 2 pi + 0 + 1) = 0.5 * 2.8378770664093453 = 1.4189385332046727.
        // t = 2, m = 1, v = ln 4: 0.5 (1.8378770664093453 + 1.3862943611198906 + 1/4) = 0.5 * 3.474171427529236 = 1.737085713764618.
        // t = -1, m = -1, v = -2: 0.5 (1.8378770664093453 - 2 + 0) = 0.5 * -0.16212293359065453 = -0.08106146679532726.
        var t = Tensor.FromArray([1.0, 2.0, -1.0]);
        var m = Tensor.FromArray([0.0, 1.0, -1.0]);
        var v = Tensor.FromArray([0.0, Math.Log(4), -2.0]);
        var l = F.GaussianNll(t, m, v, Reduction.None).ToDoubleArray();
        AssertClose(1.4189385332046727, l[0], 2e-16, "l0");
        AssertClose(1.737085713764618, l[1], 4e-16, "l1");
        AssertClose(-0.08106146679532726, l[2], 4e-15, "l2");
        // Without the constant: 0.5 (0 + 1) = 0.5.
        Assert.Equal(0.5, F.GaussianNll(t, m, v, Reduction.None, full: false).ToDoubleArray()[0]);
        // It is -log N(t; m, e^v): compare with the density written out.
        for (int i = 0; i < 3; i++)
        {
            double var_ = Math.Exp(v[i]);
            double density = Math.Exp(-(t[i] - m[i]) * (t[i] - m[i]) / (2 * var_)) / Math.Sqrt(2 * Math.PI * var_);
            AssertClose(-Math.Log(density), l[i], 1e-14, $"density {i}");
        }
        AssertClose(l.Sum(), F.GaussianNll(t, m, v, Reduction.Sum).Item(), 4e-16, "sum");
        AssertClose(l.Sum() / 3, F.GaussianNll(t, m, v).Item(), 4e-16, "mean");
    }

    [Theory]
    [MemberData(nameof(Reductions))]
    public void GaussianNllGradientsMatchFiniteDifferencesForMeanLogVarAndTarget(Reduction reduction)
    {
        var g = new Generator(13);
        foreach (var shape in new[] { new[] { 5 }, new[] { 3, 4 } })
        {
            var t = Rand64(g, shape);
            var m = Rand64(g, shape);
            var v = Rand64(g, shape);
            AssertGrad(z => F.GaussianNll(z[0], z[1], z[2], reduction), t, m, v);
            AssertGrad(z => F.GaussianNll(z[0], z[1], z[2], reduction, full: false), t, m, v);
        }
    }

    [Theory]
    [InlineData(new[] { 4 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 1, 4 })]
    [InlineData(new[] { 3, 1 })]
    public void GaussianNllBroadcastsASharedLogVariance(int[] logVarShape)
    {
        var g = new Generator(17);
        var t = Rand64(g, 3, 4);
        var m = Rand64(g, 3, 4);
        var v = Rand64(g, logVarShape);
        AssertGrad(z => F.GaussianNll(z[0], z[1], z[2], Reduction.Sum), t, m, v);
        // Same values as with the log-variance spelled out at full shape.
        var full = v.Detach().BroadcastTo([3, 4]);
        Assert.Equal(F.GaussianNll(t, m, full, Reduction.None).ToDoubleArray(), F.GaussianNll(t, m, v, Reduction.None).ToDoubleArray());
    }

    [Fact]
    public void GaussianNllGradientsAreTheHandFormulas()
    {
        // t = 3, m = 1, v = ln 2: d = 2, e^-v = 1/2. dl/dm = -d e^-v = -1; dl/dv = 0.5 (1 - d^2 e^-v) = 0.5 (1 - 2) = -0.5; dl/dt = 1.
        var t = Tensor.FromArray([3.0]).RequiresGrad_();
        var m = Tensor.FromArray([1.0]).RequiresGrad_();
        var v = Tensor.FromArray([Math.Log(2)]).RequiresGrad_();
        F.GaussianNll(t, m, v, Reduction.Sum).Backward();
        AssertClose(-1.0, m.Grad!.Item(), 4e-16, "dm");
        AssertClose(-0.5, v.Grad!.Item(), 4e-16, "dv");
        AssertClose(1.0, t.Grad!.Item(), 4e-16, "dt");
    }

    [Fact]
    public void GaussianNllStaysFiniteWhenTheTargetIsExactlyTheMeanAtTinyVariance()
    {
        // e^-v overflows at v = -1000, but (t - m)^2 = 0 exactly: the squared term is 0, the loss 0.5 (log 2 pi - 1000).
        var t = Tensor.FromArray([0.5]);
        var m = Tensor.FromArray([0.5]).RequiresGrad_();
        var v = Tensor.FromArray([-1000.0]).RequiresGrad_();
        var l = F.GaussianNll(t, m, v, Reduction.Sum);
        AssertClose(0.5 * (Log2Pi - 1000), l.Item(), 1e-15, "loss");
        l.Backward();
        Assert.Equal(0.0, m.Grad!.Item());
        Assert.Equal(0.5, v.Grad!.Item());
    }

    // ---- shared behaviour ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LargeMeanReductionsAreDeterministicAndAccurate(DType dtype)
    {
        // 200003 elements: several parallel blocks whose partial sums are added in a fixed order, in double.
        const int n = 200003;
        var g = new Generator(23);
        var x = Tensor.Randn([n], g, DType.Float64).Mul(3).To(dtype);
        var t = Tensor.Rand([n], g, 0, 1, DType.Float64).To(dtype);
        double first = F.BinaryCrossEntropyWithLogits(x, t).Item();
        double second = F.BinaryCrossEntropyWithLogits(x, t).Item();
        Assert.Equal(first, second);
        double expected = 0;
        var xs = x.ToDoubleArray(); var ts = t.ToDoubleArray();
        for (int i = 0; i < n; i++) expected += Math.Max(xs[i], 0) - xs[i] * ts[i] + Math.Log(1 + Math.Exp(-Math.Abs(xs[i])));
        expected /= n;
        Assert.True(Math.Abs(first - expected) <= (dtype == DType.Float32 ? 1e-6 : 1e-13) * expected, $"{first} vs {expected}");
    }

    [Fact]
    public void Float32LossesAgreeWithFloat64()
    {
        var g = new Generator(29);
        var x = Tensor.Randn([40], g, DType.Float64).Mul(3);
        var t = Tensor.Rand([40], g, 0, 1, DType.Float64);
        var v = Tensor.Randn([40], g, DType.Float64);
        // Round the float64 inputs to float32 values first, so both dtypes see the same numbers.
        x = x.To(DType.Float32).To(DType.Float64); t = t.To(DType.Float32).To(DType.Float64); v = v.To(DType.Float32).To(DType.Float64);
        Tensor[] Pair(Func<Tensor, Tensor, Tensor, Tensor> f) =>
            [f(x, t, v), f(x.To(DType.Float32), t.To(DType.Float32), v.To(DType.Float32))];
        // Tolerance: 1e-6 relative, plus float32's rounding of the terms that cancel (max(x, 0) - x t in BCE,
        // log 2 pi + v in the Gaussian NLL), which are of size 1 + |x| + |v|.
        var xs = x.ToDoubleArray(); var vs = v.ToDoubleArray();
        double Scale(int i, int n) => n == 1 ? 1 + xs.Max(Math.Abs) + vs.Max(Math.Abs) : 1 + Math.Abs(xs[i]) + Math.Abs(vs[i]);
        foreach (var pair in new[]
                 {
                     Pair((a, b, _) => F.BinaryCrossEntropyWithLogits(a, b, Reduction.None)),
                     Pair((a, b, _) => F.MseLoss(a, b, Reduction.None)),
                     Pair((a, b, c) => F.GaussianNll(b, a, c, Reduction.None)),
                     Pair((a, b, c) => F.GaussianNll(b, a, c, Reduction.Mean)),
                 })
        {
            var d = pair[0].ToDoubleArray(); var f = pair[1].ToDoubleArray();
            Assert.Equal(DType.Float32, pair[1].DType);
            for (int i = 0; i < d.Length; i++)
                Assert.True(Math.Abs(d[i] - f[i]) <= 1e-6 * Math.Abs(d[i]) + 2.4e-7 * Scale(i, d.Length), $"{d[i]:R} vs {f[i]:R} at {xs[i]}");
        }
    }

    [Fact]
    public void OnlyInputsThatNeedGradientsGetThem()
    {
        var x = Tensor.FromArray([0.3, -0.2]).RequiresGrad_();
        var t = Tensor.FromArray([1.0, 0.0]);
        F.BinaryCrossEntropyWithLogits(x, t).Backward();
        Assert.NotNull(x.Grad);
        Assert.Null(t.Grad);
        Assert.False(F.MseLoss(t, t).RequiresGrad);
    }
}

/// <summary>The fused Bernoulli log-likelihood summed per example (the VAE reconstruction term).</summary>
public class BernoulliLogLikelihoodTests
{
    [Fact]
    public void EqualsHandComputedValues()
    {
        // Row 0: x l - softplus(l) for (l, x) = (2, 0.3), (-1, 1), (0.5, 0) is minus the BCE values of
        // BceMatchesHandComputedValuesInEveryReduction: -(1.5269280110429726 + 1.3132616875182228 + 0.9740769841801067)
        // = -3.814266682741302. Row 1: (0, 1), (0, 0), (0, 0.5): three times -log 2 = -2.0794415416798357.
        var l = Tensor.FromArray([2.0, -1.0, 0.5, 0, 0, 0], [2, 3]);
        var x = Tensor.FromArray([0.3, 1.0, 0.0, 1, 0, 0.5], [2, 3]);
        var y = F.BernoulliLogLikelihood(l, x).ToDoubleArray();
        Assert.Equal(2, y.Length);
        Assert.True(Math.Abs(y[0] + 3.814266682741302) < 1e-15, $"{y[0]:R}");
        Assert.True(Math.Abs(y[1] + 2.0794415416798357) < 1e-15, $"{y[1]:R}");
    }

    [Fact]
    public void MatchesMinusTheBceSummedOverPixelsAndBroadcastsOverSamples()
    {
        var g = new Generator(11);
        var x = Tensor.Rand([4, 2, 37], g, 0, 1, DType.Float64);              // [B, C, W]: summed over C and W
        var l = Tensor.Randn([3, 4, 2, 37], g, DType.Float64).Mul(4);          // three samples per example
        var y = F.BernoulliLogLikelihood(l, x);
        Assert.Equal(new[] { 3, 4 }, y.ShapeArray());
        for (int s = 0; s < 3; s++)
        {
            var ls = l.Narrow(0, s, 1).Reshape(4, 2, 37);
            var reference = F.BinaryCrossEntropyWithLogits(ls, x, Reduction.None).Reshape(4, -1).Sum(-1).Neg().ToDoubleArray();
            for (int b = 0; b < 4; b++)
                Assert.True(Math.Abs(y.ToDoubleArray()[s * 4 + b] - reference[b]) < 1e-12, $"sample {s}, example {b}");
        }
    }

    [Fact]
    public void GradientsOfLogitsAndTargetPassFiniteDifferences()
    {
        var g = new Generator(12);
        var l = Tensor.Randn([2, 3, 13], g, DType.Float64).Mul(3).RequiresGrad_();
        var x = Tensor.Rand([3, 13], g, 0, 1, DType.Float64).RequiresGrad_();
        var result = GradCheck.Run(t => F.BernoulliLogLikelihood(t[0], t[1]), [l, x]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void Float32AgreesWithFloat64InValueAndGradient()
    {
        // 3 x 787 pixels: whole registers plus a tail in every row; logits out to +-30 reach both tails.
        var g = new Generator(13);
        var l64 = Tensor.Randn([3, 787], g, DType.Float64).Mul(10);
        var x64 = Tensor.Rand([3, 787], g, 0, 1, DType.Float64);
        var l32 = l64.To(DType.Float32).RequiresGrad_();
        var x32 = x64.To(DType.Float32);
        var l64r = l32.To(DType.Float64).Detach().RequiresGrad_();   // the same rounded inputs in both dtypes
        var y32 = F.BernoulliLogLikelihood(l32, x32);
        var y64 = F.BernoulliLogLikelihood(l64r, x32.To(DType.Float64));
        var a = y32.ToDoubleArray(); var b = y64.ToDoubleArray();
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 2e-6 * Math.Abs(b[i]), $"row {i}: {a[i]:R} vs {b[i]:R}");
        y32.Sum().Backward();
        y64.Sum().Backward();
        var ga = l32.Grad!.ToDoubleArray(); var gb = l64r.Grad!.ToDoubleArray();
        for (int i = 0; i < ga.Length; i++) Assert.True(Math.Abs(ga[i] - gb[i]) <= 1e-6, $"grad {i}: {ga[i]:R} vs {gb[i]:R}");
    }

    [Fact]
    public void LargeBatchesGiveTheSameBitsAsOneRowAtATime()
    {
        // 128 x 784 runs in parallel chunks; each row must not depend on the split.
        var g = new Generator(14);
        var l = Tensor.Randn([128, 784], g, DType.Float32).Mul(3).RequiresGrad_();
        var x = Tensor.Rand([128, 784], g);
        var whole = F.BernoulliLogLikelihood(l, x);
        whole.Sum().Backward();
        for (int r = 0; r < 128; r += 31)
        {
            var lr = l.Detach().Narrow(0, r, 1).Clone().RequiresGrad_();
            var one = F.BernoulliLogLikelihood(lr, x.Narrow(0, r, 1));
            Assert.Equal(whole.ToDoubleArray()[r], one.Item());
            one.Sum().Backward();
            Assert.Equal(l.Grad!.Narrow(0, r, 1).ToDoubleArray(), lr.Grad!.ToDoubleArray());
        }
    }

    [Fact]
    public void RejectsLogitsThatDoNotEndInTheTargetShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.BernoulliLogLikelihood(Tensor.Zeros([2, 5]), Tensor.Zeros([2, 4])));
        Assert.Contains("[2, 5]", ex.Message);
        Assert.Contains("[2, 4]", ex.Message);
    }
}
