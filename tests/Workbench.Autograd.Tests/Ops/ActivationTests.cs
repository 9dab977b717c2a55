using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Ops;

public class ActivationTests
{
    /// <summary>The element-wise functionals with fixed hyperparameters, by name (non-default ones where they exist, so the parameter is exercised).</summary>
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Unary = new()
    {
        ["identity"] = F.Identity,
        ["exp"] = F.Exp,
        ["tanh"] = F.Tanh,
        ["sigmoid"] = F.Sigmoid,
        ["relu"] = F.Relu,
        ["leaky_relu"] = x => F.LeakyRelu(x, 0.1),
        ["leaky_relu_default"] = x => F.LeakyRelu(x),
        ["elu"] = x => F.Elu(x, 1.3),
        ["celu"] = x => F.Celu(x, 0.7),
        ["selu"] = F.Selu,
        ["gelu"] = F.Gelu,
        ["gelu_tanh"] = F.GeluTanh,
        ["silu"] = F.Silu,
        ["swish_fixed"] = x => F.Swish(x, 1.7),
        ["mish"] = F.Mish,
        ["softplus"] = x => F.Softplus(x),
        ["softplus_beta"] = x => F.Softplus(x, beta: 2, threshold: 3), // switches to x at x = 1.5
        ["relu6"] = F.Relu6,
        ["hardswish"] = F.Hardswish,
        ["hardsigmoid"] = F.Hardsigmoid,
        ["softsign"] = F.Softsign,
        ["logsigmoid"] = F.LogSigmoid,
    };

    /// <summary>Points where some activation (or its derivative) is not smooth: finite differences must stay clear of them.</summary>
    private static readonly double[] Kinks = [0, 6, -3, 3, 1.5];

    private static readonly int[][] Shapes = [[], [7], [3, 5], [2, 3, 4]];

    public static TheoryData<string, int[]> FunctionalsAndShapes()
    {
        var data = new TheoryData<string, int[]>();
        foreach (var name in Unary.Keys)
            foreach (var shape in Shapes) data.Add(name, shape);
        return data;
    }

    public static TheoryData<string> Functionals()
    {
        var data = new TheoryData<string>();
        foreach (var name in Unary.Keys) data.Add(name);
        return data;
    }

    /// <summary>
    /// Normal draws scaled to [-9, 9]-ish (so every piece of every activation is visited), each moved at least 0.02
    /// away from the nearest kink: central differences with eps = 1e-6 then never straddle one.
    /// </summary>
    internal static Tensor AwayFromKinks(Generator g, int[] shape, double scale = 3.0)
    {
        var t = Tensor.Randn(shape, g, DType.Float64);
        var s = t.AsSpan<double>();
        for (int i = 0; i < s.Length; i++)
        {
            double v = s[i] * scale;
            foreach (double k in Kinks)
                if (Math.Abs(v - k) < 0.02) v = k + (v >= k ? 0.02 : -0.02);
            s[i] = v;
        }
        return t.RequiresGrad_();
    }

    [Theory]
    [MemberData(nameof(FunctionalsAndShapes))]
    public void GradientsMatchFiniteDifferences(string name, int[] shape)
    {
        var f = Unary[name];
        var x = AwayFromKinks(new Generator(11 + shape.Length), shape);
        AssertGrad(t => f(t[0]), x);
    }

    [Fact]
    public void GradientsHoldOnBothSidesOfEveryKink()
    {
        // Points straddling each kink at +-0.05: the finite difference is taken within one smooth piece.
        var values = new List<double>();
        foreach (double k in Kinks) { values.Add(k - 0.05); values.Add(k + 0.05); }
        foreach (var (name, f) in Unary)
        {
            var x = Tensor.FromArray(values.ToArray()).RequiresGrad_();
            var result = GradCheck.Run(t => f(t[0]), [x]);
            Assert.True(result.Passed, $"{name}: {result}");
        }
    }

    private static void AssertClose(double expected, double actual, double rtol = 4e-15, string? what = null)
    {
        double err = Math.Abs(actual - expected);
        Assert.True(err <= rtol * Math.Abs(expected) || (expected == 0 && actual == 0),
            $"{what}: expected {expected:R}, got {actual:R} (relative error {err / Math.Abs(expected):G3})");
    }

    private static double Eval(Func<Tensor, Tensor> f, double x) => f(Tensor.FromArray([x])).ToDoubleArray()[0];

    private static double Slope(Func<Tensor, Tensor> f, double x)
    {
        var t = Tensor.FromArray([x]).RequiresGrad_();
        f(t).Sum().Backward();
        return t.Grad!.ToDoubleArray()[0];
    }

    [Fact]
    public void ValuesMatchHandComputedGoldens()
    {
        // softplus(0) = ln(1 + e^0) = ln 2.
        AssertClose(0.6931471805599453, Eval(x => F.Softplus(x), 0), what: "softplus(0)");
        // softplus(1) = ln(1 + e) = ln 3.718281828459045 = 1.3132616875182228.
        AssertClose(1.3132616875182228, Eval(x => F.Softplus(x), 1), what: "softplus(1)");
        // beta = 0.5: ln(1 + e^(0.5 * 2)) / 0.5 = 2 * 1.3132616875182228 = 2.6265233750364456.
        AssertClose(2.6265233750364456, Eval(x => F.Softplus(x, beta: 0.5), 2), what: "softplus(2, beta 0.5)");
        // Above the threshold softplus is x itself: beta x = 25 > 20.
        Assert.Equal(25.0, Eval(x => F.Softplus(x), 25));
        // gelu(1) = 1 * Phi(1) = (1 + erf(1 / sqrt 2)) / 2 = (1 + 0.6826894921370859) / 2 = 0.8413447460685429.
        AssertClose(0.8413447460685429, Eval(F.Gelu, 1), what: "gelu(1)");
        // gelu(-1) = -Phi(-1) = -(1 - 0.8413447460685429) = -0.15865525393145705.
        AssertClose(-0.15865525393145705, Eval(F.Gelu, -1), what: "gelu(-1)");
        // gelu(-10) = -10 erfc(10 / sqrt 2) / 2 = -10 * 1.5239706048321052e-23 / 2 = -7.619853024160526e-23: the left tail keeps its digits.
        AssertClose(-7.619853024160526e-23, Eval(F.Gelu, -10), 1e-14, "gelu(-10)");
        // gelu_tanh(1): z = sqrt(2/pi) (1 + 0.044715) = 0.7978845608028654 * 1.044715 = 0.8335619689391655,
        // tanh z = 0.6823839812165534, 0.5 * (1 + 0.6823839812165534) = 0.8411919906082767.
        AssertClose(0.8411919906082767, Eval(F.GeluTanh, 1), what: "gelu_tanh(1)");
        // gelu_tanh(-10): z = 0.7978845608028654 * (-10 - 44.715) = -43.656..., -10 sigmoid(2z) = -1.204092348209806e-37.
        AssertClose(-1.204092348209806e-37, Eval(F.GeluTanh, -10), 1e-13, "gelu_tanh(-10)");
        // silu(1) = 1 / (1 + e^-1) = 1 / 1.3678794411714423 = 0.7310585786300049.
        AssertClose(0.7310585786300049, Eval(F.Silu, 1), what: "silu(1)");
        // swish(2, beta 0.5) = 2 sigmoid(1) = 2 * 0.7310585786300049 = 1.4621171572600098.
        AssertClose(1.4621171572600098, Eval(x => F.Swish(x, 0.5), 2), what: "swish(2, 0.5)");
        // mish(1) = tanh(softplus 1) = tanh(1.3132616875182228) = 0.8650983882673103.
        AssertClose(0.8650983882673103, Eval(F.Mish, 1), what: "mish(1)");
        // selu(-1) = lambda alpha (e^-1 - 1) = 1.0507009873554805 * 1.6732632423543772 * (-0.6321205588285577) = -1.1113307378125628.
        AssertClose(-1.1113307378125628, Eval(F.Selu, -1), what: "selu(-1)");
        // selu(1) = lambda.
        AssertClose(1.0507009873554805, Eval(F.Selu, 1), what: "selu(1)");
        // elu(-1) = e^-1 - 1 = 0.36787944117144233 - 1 = -0.6321205588285577.
        AssertClose(-0.6321205588285577, Eval(x => F.Elu(x), -1), what: "elu(-1)");
        // elu(-1e-10) = e^-1e-10 - 1 = -9.9999999995e-11 (expm1 keeps it; exp(x) - 1 would give -1.00000008274037e-10).
        AssertClose(-9.9999999995e-11, Eval(x => F.Elu(x), -1e-10), 1e-15, "elu(-1e-10)");
        // celu(-1, alpha 2) = 2 (e^-0.5 - 1) = 2 * (0.6065306597126334 - 1) = -0.7869386805747332.
        AssertClose(-0.7869386805747332, Eval(x => F.Celu(x, 2), -1), what: "celu(-1, 2)");
        // hardswish(1) = 1 * relu6(4) / 6 = 4/6 = 2/3.
        AssertClose(2.0 / 3.0, Eval(F.Hardswish, 1), what: "hardswish(1)");
        // hardswish(-1) = -1 * 2 / 6 = -1/3; hardswish(4) = 4 * 6 / 6 = 4; hardswish(-4) = -4 * 0 / 6 = 0.
        AssertClose(-1.0 / 3.0, Eval(F.Hardswish, -1), what: "hardswish(-1)");
        Assert.Equal(4.0, Eval(F.Hardswish, 4));
        Assert.Equal(0.0, Eval(F.Hardswish, -4));
        // hardsigmoid(1) = 4/6, hardsigmoid(-4) = 0, hardsigmoid(4) = 1.
        AssertClose(4.0 / 6.0, Eval(F.Hardsigmoid, 1), what: "hardsigmoid(1)");
        Assert.Equal(0.0, Eval(F.Hardsigmoid, -4));
        Assert.Equal(1.0, Eval(F.Hardsigmoid, 4));
        // relu6(7) = 6, relu6(2.5) = 2.5, relu6(-1) = 0.
        Assert.Equal(6.0, Eval(F.Relu6, 7));
        Assert.Equal(2.5, Eval(F.Relu6, 2.5));
        Assert.Equal(0.0, Eval(F.Relu6, -1));
        // softsign(1) = 1 / 2; softsign(-3) = -3 / 4.
        Assert.Equal(0.5, Eval(F.Softsign, 1));
        Assert.Equal(-0.75, Eval(F.Softsign, -3));
        // leaky_relu(-2) = 0.01 * -2 = -0.02; relu(-2) = 0; relu(2) = 2.
        AssertClose(-0.02, Eval(x => F.LeakyRelu(x), -2), what: "leaky_relu(-2)");
        Assert.Equal(0.0, Eval(F.Relu, -2));
        Assert.Equal(2.0, Eval(F.Relu, 2));
        // logsigmoid(-1) = -softplus(1) = -1.3132616875182228; logsigmoid(0) = -ln 2.
        AssertClose(-1.3132616875182228, Eval(F.LogSigmoid, -1), what: "logsigmoid(-1)");
        AssertClose(-0.6931471805599453, Eval(F.LogSigmoid, 0), what: "logsigmoid(0)");
        // softplus(-40) = ln(1 + e^-40) = 4.248354255291589e-18 (log1p keeps it; log(1 + e^-40) would be 0).
        AssertClose(4.248354255291589e-18, Eval(x => F.Softplus(x), -40), 1e-15, "softplus(-40)");
        // sigmoid(-1) = 1 / (1 + e) = 0.2689414213699951; tanh(0.5) = 0.46211715726000974; exp(1) = e.
        AssertClose(0.2689414213699951, Eval(F.Sigmoid, -1), what: "sigmoid(-1)");
        AssertClose(0.46211715726000974, Eval(F.Tanh, 0.5), what: "tanh(0.5)");
        AssertClose(Math.E, Eval(F.Exp, 1), what: "exp(1)");
    }

    [Fact]
    public void DerivativesMatchHandComputedGoldens()
    {
        // gelu'(1) = Phi(1) + phi(1) = 0.8413447460685429 + e^-0.5 / sqrt(2 pi) = 0.8413447460685429 + 0.24197072451914337 = 1.0833154705876863.
        AssertClose(1.0833154705876863, Slope(F.Gelu, 1), what: "gelu'(1)");
        // mish'(1) = t + (1 - t^2) sigmoid(1), t = 0.8650983882673103: 0.8650983882673103 + 0.25161000233... * 0.7310585786300049 = 1.0490362200997922.
        AssertClose(1.0490362200997922, Slope(F.Mish, 1), 1e-14, "mish'(1)");
        // silu'(0) = sigmoid(0) (1 + 0) = 0.5; tanh'(0) = 1; sigmoid'(0) = 1/4; softsign'(0) = 1; softplus'(0) = 1/2.
        Assert.Equal(0.5, Slope(F.Silu, 0));
        Assert.Equal(1.0, Slope(F.Tanh, 0));
        Assert.Equal(0.25, Slope(F.Sigmoid, 0));
        Assert.Equal(1.0, Slope(F.Softsign, 0));
        Assert.Equal(0.5, Slope(x => F.Softplus(x), 0));
        // gelu_tanh'(0) = sigmoid(0) = 1/2; gelu'(0) = Phi(0) = 1/2.
        Assert.Equal(0.5, Slope(F.GeluTanh, 0));
        Assert.Equal(0.5, Slope(F.Gelu, 0));
        // hardswish'(1) = 1/3 + 1/2 = 5/6.
        AssertClose(5.0 / 6.0, Slope(F.Hardswish, 1), what: "hardswish'(1)");
        // selu'(-1) = lambda alpha e^-1 = 1.0507009873554805 * 1.6732632423543772 * 0.36787944117144233 = 1.7580993408473766 * 0.36787944117144233 = 0.6467686030348141.
        AssertClose(0.6467686030348141, Slope(F.Selu, -1), 1e-15, "selu'(-1)");
        // celu'(-1, alpha 2) = e^(-1/2) = 0.6065306597126334.
        AssertClose(0.6065306597126334, Slope(x => F.Celu(x, 2), -1), what: "celu'(-1, 2)");
    }

    [Fact]
    public void KinksFollowPyTorchConventions()
    {
        Assert.Equal(0.0, Slope(F.Relu, 0));                              // relu'(0) = 0
        Assert.Equal(0.1, Slope(x => F.LeakyRelu(x, 0.1), 0));            // leaky_relu'(0) = slope
        Assert.Equal(0.0, Slope(F.Relu6, 0));                             // hardtanh's gradient passes only strictly inside (0, 6)
        Assert.Equal(0.0, Slope(F.Relu6, 6));
        Assert.Equal(0.0, Slope(F.Hardsigmoid, -3));                      // strictly inside (-3, 3) only
        Assert.Equal(0.0, Slope(F.Hardsigmoid, 3));
        Assert.Equal(1.0 / 6.0, Slope(F.Hardsigmoid, 0));
        Assert.Equal(-0.5, Slope(F.Hardswish, -3));                       // -3/3 + 1/2
        Assert.Equal(1.5, Slope(F.Hardswish, 3));                         // 3/3 + 1/2
        Assert.Equal(0.0, Slope(F.Hardswish, -3.5));
        Assert.Equal(1.0, Slope(F.Hardswish, 3.5));
        Assert.Equal(0.5, Slope(x => F.Elu(x, 0.5), 0));                  // x <= 0 takes the negative branch: alpha e^0
        Assert.Equal(1.0, Slope(x => F.Softplus(x, 1, 2), 2.5));          // above the threshold softplus is x
        var w = Tensor.FromArray([0.3]);
        Assert.Equal(0.3, Slope(x => F.Prelu(x, w), 0));                  // prelu'(0) = a, like leaky_relu
    }

    [Theory]
    [MemberData(nameof(Functionals))]
    public void Float32AgreesWithFloat64(string name)
    {
        var f = Unary[name];
        // k/8 on [-8, 8] plus the kinks: exactly representable in float32, so both dtypes see the same inputs.
        var grid = Enumerable.Range(-64, 129).Select(k => k / 8.0).Concat(Kinks).ToArray();
        var x64 = Tensor.FromArray(grid).RequiresGrad_();
        var x32 = Tensor.FromArray(grid.Select(v => (float)v).ToArray()).RequiresGrad_();
        var y64 = f(x64);
        var y32 = f(x32);
        Assert.Equal(DType.Float32, y32.DType);
        var a = y64.ToDoubleArray();
        var b = y32.ToDoubleArray();
        for (int i = 0; i < grid.Length; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Abs(a[i]) + 1e-30,
                $"{name}({grid[i]}): float64 {a[i]:R} vs float32 {b[i]:R}");

        // Gradients: those computed from the output (tanh: 1 - y^2) inherit float32's absolute error in y, so compare absolutely.
        y64.Sum().Backward();
        y32.Sum().Backward();
        var ga = x64.Grad!.ToDoubleArray();
        var gb = x32.Grad!.ToDoubleArray();
        for (int i = 0; i < grid.Length; i++)
            Assert.True(Math.Abs(ga[i] - gb[i]) <= 1e-5 * Math.Abs(ga[i]) + 2e-6,
                $"{name}'({grid[i]}): float64 {ga[i]:R} vs float32 {gb[i]:R}");
    }

    /// <summary>The limit of each activation as x goes to +infinity and -infinity (NaN marks "check only finiteness").</summary>
    private static readonly Dictionary<string, (double Plus, double Minus)> Limits = new()
    {
        ["identity"] = (double.NaN, double.NaN),
        ["tanh"] = (1, -1),
        ["sigmoid"] = (1, 0),
        ["relu"] = (double.NaN, 0),
        ["leaky_relu"] = (double.NaN, double.NaN),
        ["leaky_relu_default"] = (double.NaN, double.NaN),
        ["elu"] = (double.NaN, -1.3),
        ["celu"] = (double.NaN, -0.7),
        ["selu"] = (double.NaN, -F.SeluScale * F.SeluAlpha),
        ["gelu"] = (double.NaN, 0),
        ["gelu_tanh"] = (double.NaN, 0),
        ["silu"] = (double.NaN, 0),
        ["swish_fixed"] = (double.NaN, 0),
        ["mish"] = (double.NaN, 0),
        ["softplus"] = (double.NaN, 0),
        ["softplus_beta"] = (double.NaN, 0),
        ["relu6"] = (6, 0),
        ["hardswish"] = (double.NaN, 0),
        ["hardsigmoid"] = (1, 0),
        ["softsign"] = (double.NaN, double.NaN),
        ["logsigmoid"] = (0, double.NaN),
    };

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ExtremeInputsGiveFiniteValuesAndGradientsWithTheRightLimits(DType dtype)
    {
        double[] xs = [-1000, -88, 88, 1000];
        foreach (var (name, (plus, minus)) in Limits)
        {
            var f = Unary[name];
            var x = Tensor.FromArray(xs).To(dtype).RequiresGrad_();
            var y = f(x);
            var v = y.ToDoubleArray();
            for (int i = 0; i < xs.Length; i++)
                Assert.True(double.IsFinite(v[i]), $"{name}({xs[i]}) in {dtype} is {v[i]}");
            // Identity-like ones grow without bound: they must give x itself (or a multiple) at the ends.
            if (!double.IsNaN(plus))
            {
                Assert.True(Math.Abs(v[3] - plus) <= 1e-6 * (1 + Math.Abs(plus)), $"{name}(1000) in {dtype} is {v[3]:R}, limit {plus}");
                Assert.True(Math.Abs(v[2] - plus) <= 1e-6 * (1 + Math.Abs(plus)), $"{name}(88) in {dtype} is {v[2]:R}, limit {plus}");
            }
            if (!double.IsNaN(minus))
                Assert.True(Math.Abs(v[0] - minus) <= 1e-6 * (1 + Math.Abs(minus)), $"{name}(-1000) in {dtype} is {v[0]:R}, limit {minus}");
            y.Sum().Backward();
            foreach (double g in x.Grad!.ToDoubleArray())
                Assert.True(double.IsFinite(g), $"{name}' at an extreme input in {dtype} is {g}");
        }
        // Linear tails: the value is x itself far out on the right (and on the left for identity).
        foreach (var name in new[] { "relu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "hardswish", "swish_fixed" })
            Assert.Equal(1000.0, Unary[name](Tensor.FromArray(xs).To(dtype)).ToDoubleArray()[3], 9);
        Assert.Equal(-1000.0, F.LogSigmoid(Tensor.FromArray(xs).To(dtype)).ToDoubleArray()[0], 9);
        Assert.Equal(-10.0, F.LeakyRelu(Tensor.FromArray(xs).To(dtype)).ToDoubleArray()[0], 5);
    }

    [Fact]
    public void ExpHasTheRightLimitsAndIsFiniteAtTheEdgeOfFloat32()
    {
        var y32 = F.Exp(Tensor.FromArray(new float[] { -88, 88 })).ToDoubleArray();
        Assert.True(double.IsFinite(y32[1]) && y32[1] > 1e38, $"exp(88) in float32 is {y32[1]}");   // e^88 = 1.65e38 < float.MaxValue
        Assert.True(y32[0] > 0 && y32[0] < 1e-37);
        var y = F.Exp(Tensor.FromArray([-1000.0, 1000.0])).ToDoubleArray();
        Assert.Equal(0.0, y[0]);                        // underflows to its limit
        Assert.True(double.IsPositiveInfinity(y[1]));   // e^1000 exceeds every double: +inf is the correct limit, not NaN
    }

    [Fact]
    public void NaNPropagatesThroughTheVectorAndScalarPaths()
    {
        // 19 elements: full SIMD registers plus a scalar tail, with NaN in both parts.
        var values = Enumerable.Range(0, 19).Select(i => i - 9.0).ToArray();
        values[1] = double.NaN;
        values[18] = double.NaN;
        foreach (var (name, f) in Unary)
        {
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                var y = f(Tensor.FromArray(values).To(dtype)).ToDoubleArray();
                Assert.True(double.IsNaN(y[1]) && double.IsNaN(y[18]), $"{name} in {dtype} hides a NaN: {y[1]}, {y[18]}");
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LargeTensorsGiveTheSameResultsAsSmallPieces(DType dtype)
    {
        // 70001 elements: above the parallel threshold, and odd so that every split has a scalar tail.
        const int n = 70001;
        var g = new Generator(5);
        var data = Tensor.Randn([n], g, DType.Float64).Mul(3).To(dtype);
        var upstream = Tensor.Randn([n], g, DType.Float64).To(dtype);
        foreach (var (name, f) in Unary)
        {
            if (name == "identity") continue;
            var x = data.Clone().RequiresGrad_();
            var y = f(x);
            y.Backward(upstream);
            var whole = y.ToDoubleArray();
            var wholeGrad = x.Grad!.ToDoubleArray();
            for (int start = 0; start < n; start += 997)
            {
                int len = Math.Min(997, n - start);
                var piece = data.Narrow(0, start, len).Clone().RequiresGrad_();
                var py = f(piece);
                py.Backward(upstream.Narrow(0, start, len).Clone());
                var pv = py.ToDoubleArray();
                var pg = piece.Grad!.ToDoubleArray();
                for (int i = 0; i < len; i++)
                {
                    Assert.True(whole[start + i].Equals(pv[i]), $"{name} value at {start + i}: {whole[start + i]:R} vs {pv[i]:R}");
                    Assert.True(wholeGrad[start + i].Equals(pg[i]), $"{name} gradient at {start + i}: {wholeGrad[start + i]:R} vs {pg[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void NoGraphIsRecordedWithoutGradients()
    {
        var x = Tensor.FromArray([1.0, -2.0]);
        Assert.False(F.Gelu(x).RequiresGrad);
        var p = Tensor.FromArray([1.0, -2.0]).RequiresGrad_();
        using (Tensor.NoGrad()) Assert.False(F.Mish(p).RequiresGrad);
        Assert.True(F.Mish(p).RequiresGrad);
    }

    [Fact]
    public void IdentityReturnsItsInput()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        Assert.Same(x, F.Identity(x));
    }

    [Fact]
    public void HyperparametersAreValidated()
    {
        Assert.Contains("negativeSlope", Assert.Throws<ArgumentOutOfRangeException>(() => F.LeakyRelu(Tensor.Zeros(2), double.NaN)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => F.Elu(Tensor.Zeros(2), double.PositiveInfinity)).Message);
        Assert.Contains("non-zero", Assert.Throws<ArgumentOutOfRangeException>(() => F.Celu(Tensor.Zeros(2), 0)).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentOutOfRangeException>(() => F.Softplus(Tensor.Zeros(2), beta: -1)).Message);
        Assert.Contains("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => F.Softplus(Tensor.Zeros(2), threshold: double.NaN)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => F.Swish(Tensor.Zeros(2), double.NaN)).Message);
    }

    // ---- PReLU -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, 3)]   // per channel on [N, C, H, W]
    [InlineData(new[] { 4, 3 }, 3)]         // per channel on [N, C]
    [InlineData(new[] { 2, 3, 4 }, 1)]      // shared
    [InlineData(new[] { 6 }, 1)]            // shared on a vector
    [InlineData(new int[0], 1)]             // shared on a scalar
    public void PreluGradientsMatchFiniteDifferencesForInputAndWeight(int[] shape, int channels)
    {
        var g = new Generator(21);
        var x = AwayFromKinks(g, shape);
        var w = Tensor.Rand([channels], g, -0.5, 0.8, DType.Float64).RequiresGrad_();
        AssertGrad(t => F.Prelu(t[0], t[1]), x, w);
    }

    [Fact]
    public void PreluAppliesEachChannelsSlope()
    {
        // x [1, 2, 2]: channel 0 holds (-1, 2), channel 1 holds (-3, 4); slopes (0.1, 0.5).
        var x = Tensor.FromArray([-1.0, 2, -3, 4], 1, 2, 2);
        var w = Tensor.FromArray([0.1, 0.5]);
        // -1 * 0.1 = -0.1, 2, -3 * 0.5 = -1.5, 4.
        Assert.Equal(new[] { -0.1, 2, -1.5, 4 }, F.Prelu(x, w).ToDoubleArray());
        // Shared slope 0.25 is leaky_relu(0.25).
        var shared = Tensor.FromArray([0.25]);
        Assert.Equal(F.LeakyRelu(x, 0.25).ToDoubleArray(), F.Prelu(x, shared).ToDoubleArray());
    }

    [Fact]
    public void PreluWeightGradientSumsEachChannelsNegativePart()
    {
        var x = Tensor.FromArray([-1.0, 2, -3, 4, -5, -6, 7, 8], 2, 2, 2).RequiresGrad_();
        var w = Tensor.FromArray([0.1, 0.5]).RequiresGrad_();
        F.Prelu(x, w).Sum().Backward();
        // Channel 0 holds x[n, 0, :] = (-1, 2) and (-5, -6): negative sum -1 - 5 - 6 = -12.
        // Channel 1 holds (-3, 4) and (7, 8): negative sum -3.
        Assert.Equal(new[] { -12.0, -3.0 }, w.Grad!.ToDoubleArray());
        // dx = 1 where x > 0, else the channel's slope.
        Assert.Equal(new[] { 0.1, 1, 0.5, 1, 0.1, 0.1, 1, 1 }, x.Grad!.ToDoubleArray());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void PreluOnALargeTensorMatchesADirectSum(DType dtype)
    {
        // [3, 4, 80, 80] = 76800 elements: the parallel path with per-block partial sums.
        var g = new Generator(8);
        var x = Tensor.Randn([3, 4, 80, 80], g, DType.Float64).To(dtype).RequiresGrad_();
        var w = Tensor.FromArray([0.1, 0.2, 0.3, 0.4]).To(dtype).RequiresGrad_();
        var upstream = Tensor.Randn([3, 4, 80, 80], g, DType.Float64).To(dtype);
        F.Prelu(x, w).Backward(upstream);
        var xs = x.ToDoubleArray(); var us = upstream.ToDoubleArray();
        var expected = new double[4];
        for (int i = 0; i < xs.Length; i++)
            if (xs[i] <= 0) expected[(i / 6400) % 4] += us[i] * xs[i];
        var got = w.Grad!.ToDoubleArray();
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        for (int c = 0; c < 4; c++)
            Assert.True(Math.Abs(got[c] - expected[c]) <= tol * (1 + Math.Abs(expected[c])), $"channel {c}: {got[c]} vs {expected[c]}");
        // Same inputs, same bits: the block sums do not depend on thread timing.
        var x2 = x.Detach().Clone().RequiresGrad_();
        var w2 = w.Detach().Clone().RequiresGrad_();
        F.Prelu(x2, w2).Backward(upstream);
        Assert.Equal(got, w2.Grad!.ToDoubleArray());
    }

    [Fact]
    public void PreluRejectsMismatchedWeights()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Prelu(Tensor.Zeros(2, 4, 5), Tensor.Zeros(3)));
        Assert.Contains("[2, 4, 5]", ex.Message);
        Assert.Contains("4 channels", ex.Message);
        Assert.Contains("3 slopes", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Prelu(Tensor.Zeros(5), Tensor.Zeros(5)));
        Assert.Contains("no channel dim", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Prelu(Tensor.Zeros(2, 3), Tensor.Zeros(1, 3)));
        Assert.Contains("[1, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Prelu(Tensor.Zeros(2, 3), Tensor.Zeros([3], DType.Float64)));
        Assert.Contains("Float64", ex.Message);
    }

    // ---- Swish with a learnable beta ---------------------------------------------------------------------------

    [Theory]
    [InlineData(new int[0], 0.7)]
    [InlineData(new[] { 9 }, 1.0)]
    [InlineData(new[] { 3, 5 }, 1.6)]
    [InlineData(new[] { 2, 3, 4 }, -0.4)]
    public void SwishGradientsMatchFiniteDifferencesForInputAndBeta(int[] shape, double beta)
    {
        var x = AwayFromKinks(new Generator(31), shape, scale: 2.0);
        var b = Tensor.FromArray([beta]).RequiresGrad_();
        AssertGrad(t => F.Swish(t[0], t[1]), x, b);
        var scalarBeta = Tensor.Scalar(beta, DType.Float64).RequiresGrad_();
        AssertGrad(t => F.Swish(t[0], t[1]), x, scalarBeta);
    }

    [Fact]
    public void SwishWithBetaOneIsSilu()
    {
        var x = AwayFromKinks(new Generator(3), [17]);
        Assert.Equal(F.Silu(x).ToDoubleArray(), F.Swish(x, Tensor.FromArray([1.0])).ToDoubleArray());
        Assert.Equal(F.Silu(x).ToDoubleArray(), F.Swish(x, 1.0).ToDoubleArray());
    }

    [Fact]
    public void SwishBetaGradientIsTheSumOfXSquaredTimesSigmoidSlope()
    {
        // d/dbeta sum x sigmoid(beta x) at x = 2, beta = 0.5: x^2 s (1 - s) = 4 * 0.7310585786300049 * 0.2689414213699951 = 0.7864477329659274.
        var x = Tensor.FromArray([2.0]);
        var b = Tensor.FromArray([0.5]).RequiresGrad_();
        F.Swish(x, b).Sum().Backward();
        AssertClose(0.7864477329659274, b.Grad!.Item(), 1e-15, "dswish/dbeta");
        Assert.Null(x.Grad);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SwishBetaGradientOnALargeTensorMatchesADirectSum(DType dtype)
    {
        const int n = 100003;
        var g = new Generator(4);
        var x = Tensor.Randn([n], g, DType.Float64).Mul(2).To(dtype).RequiresGrad_();
        var b = Tensor.FromArray([1.3]).To(dtype).RequiresGrad_();
        F.Swish(x, b).Sum().Backward();
        double beta = b.Item(), expected = 0;
        foreach (double v in x.ToDoubleArray())
        {
            double s = 1 / (1 + Math.Exp(-beta * v));
            expected += v * v * s * (1 - s);
        }
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        Assert.True(Math.Abs(b.Grad!.Item() - expected) <= tol * expected, $"{b.Grad!.Item()} vs {expected}");
    }

    [Fact]
    public void SwishRejectsABetaThatIsNotOneValue()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Swish(Tensor.Zeros(4), Tensor.Zeros(2)));
        Assert.Contains("[2]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Swish(Tensor.Zeros(4), Tensor.Zeros([1], DType.Float64)));
        Assert.Contains("Float64", ex.Message);
    }
}

public class SpecialFunctionsTests
{
    [Theory]
    // Reference values of erf and erfc to 16+ significant digits (high-precision evaluations).
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(3.0, 0.9999779095030014)]
    public void ErfMatchesReferenceValues(double x, double expected)
    {
        Assert.True(Math.Abs(SpecialFunctions.Erf(x) - expected) <= 4e-16 * expected, $"erf({x}) = {SpecialFunctions.Erf(x):R}, expected {expected:R}");
        Assert.True(Math.Abs(SpecialFunctions.Erf(-x) + expected) <= 4e-16 * expected);
    }

    [Theory]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.0884875837625448e-45)]
    [InlineData(26.0, 5.663192408856143e-296)]
    [InlineData(0.3, 0.6713732405408726)]
    [InlineData(-1.0, 1.8427007929497148)]
    public void ErfcMatchesReferenceValuesIncludingTheFarTail(double x, double expected)
    {
        double got = SpecialFunctions.Erfc(x);
        Assert.True(Math.Abs(got - expected) <= 1e-15 * expected, $"erfc({x}) = {got:R}, expected {expected:R}");
    }

    [Fact]
    public void ErfIsOddAndErfcComplementsIt()
    {
        for (double x = -6; x <= 6; x += 0.0137)
        {
            Assert.Equal(-SpecialFunctions.Erf(x), SpecialFunctions.Erf(-x));
            Assert.True(Math.Abs(SpecialFunctions.Erf(x) + SpecialFunctions.Erfc(x) - 1) <= 2.3e-16, $"erf + erfc at {x}");
            Assert.True(Math.Abs(SpecialFunctions.Erfc(x) + SpecialFunctions.Erfc(-x) - 2) <= 4.5e-16, $"erfc(x) + erfc(-x) at {x}");
        }
        Assert.Equal(0.0, SpecialFunctions.Erf(0));
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, SpecialFunctions.Erfc(30));
        Assert.Equal(2.0, SpecialFunctions.Erfc(-30));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.True(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
        // erf(x) = 2x / sqrt(pi) for tiny x: 1e-20 * 1.1283791670955126.
        Assert.Equal(1.1283791670955126e-20, SpecialFunctions.Erf(1e-20), 1e-35);
    }

    [Fact]
    public void ErfIsMonotoneAcrossTheIntervalBoundaries()
    {
        // Cody's three rational pieces meet at 0.46875 and 4: no step backwards there.
        foreach (double edge in new[] { 0.46875, 4.0 })
        {
            double prev = SpecialFunctions.Erfc(edge - 1e-12);
            for (int k = -5; k <= 5; k++)
            {
                double v = SpecialFunctions.Erfc(edge + k * 1e-13);
                Assert.True(v <= prev * (1 + 4e-16), $"erfc not monotone near {edge}");
                prev = v;
            }
        }
    }

    [Fact]
    public void TanhIsAccurateAndExactAtZeroAndInTheTails()
    {
        var g = new Generator(2);
        for (int i = 0; i < 20000; i++)
        {
            double x = (g.NextDouble() - 0.5) * Math.Pow(10, g.NextInt(12) - 10);
            double want = Math.Tanh(x);
            Assert.True(Math.Abs(SpecialFunctions.Tanh(x) - want) <= 5e-16 * Math.Abs(want), $"tanh({x:R})");
            float xf = (float)x;
            double wantF = Math.Tanh((double)xf);
            Assert.True(Math.Abs(SpecialFunctions.Tanh(xf) - wantF) <= 2.4e-7 * Math.Abs(wantF), $"tanhf({xf:R})");
        }
        Assert.Equal(0f, SpecialFunctions.Tanh(0f));
        Assert.Equal(0.0, SpecialFunctions.Tanh(0.0));
        Assert.Equal(1e-30, SpecialFunctions.Tanh(1e-30));
        Assert.Equal(1.0, SpecialFunctions.Tanh(1000.0));
        Assert.Equal(-1f, SpecialFunctions.Tanh(-1000f));
        Assert.Equal(1.0, SpecialFunctions.Tanh(double.PositiveInfinity));
    }

    [Fact]
    public void Log1pAndExpm1KeepTinyArguments()
    {
        Assert.Equal(1e-20, SpecialFunctions.Log1p(1e-20));
        Assert.Equal(1e-20, SpecialFunctions.Expm1(1e-20));
        Assert.Equal(1e-20f, SpecialFunctions.Expm1(1e-20f));
        // log1p(1e-10) = 1e-10 - 5e-21 + ... = 9.9999999995e-11.
        Assert.Equal(9.9999999995e-11, SpecialFunctions.Log1p(1e-10), 1e-25);
        // expm1(1e-5) = 1e-5 + 5e-11 + 1.6666666666666667e-16 + ... = 1.0000050000166667e-05.
        Assert.Equal(1.0000050000166667e-05, SpecialFunctions.Expm1(1e-5), 1e-20);
        // expm1(-0.3) = e^-0.3 - 1 = 0.7408182206817179 - 1 = -0.2591817793182821 (inside the series' range).
        Assert.Equal(-0.2591817793182821, SpecialFunctions.Expm1(-0.3), 1e-16);
        // expm1(1) = e - 1 (outside it).
        Assert.Equal(1.718281828459045, SpecialFunctions.Expm1(1.0), 4e-16);
        Assert.Equal(-1.0, SpecialFunctions.Expm1(-1000.0));
        Assert.True(double.IsPositiveInfinity(SpecialFunctions.Expm1(1000.0)));
        Assert.True(double.IsPositiveInfinity(SpecialFunctions.Log1p(double.PositiveInfinity)));
        Assert.True(double.IsNegativeInfinity(SpecialFunctions.Log1p(-1.0)));
        // log1p(1) = ln 2.
        Assert.Equal(0.6931471805599453, SpecialFunctions.Log1p(1.0), 1e-16);
    }

    [Fact]
    public void SigmoidAndSoftplusAreStableInBothTails()
    {
        Assert.Equal(0.0, SpecialFunctions.Sigmoid(-1000.0));
        Assert.Equal(1.0, SpecialFunctions.Sigmoid(1000.0));
        Assert.Equal(0.5, SpecialFunctions.Sigmoid(0.0));
        // sigmoid(-40) = e^-40 / (1 + e^-40) = 4.248354255291589e-18.
        Assert.Equal(4.248354255291589e-18, SpecialFunctions.Sigmoid(-40.0), 1e-32);
        Assert.Equal(1000.0, SpecialFunctions.Softplus(1000.0));
        Assert.Equal(0.0, SpecialFunctions.Softplus(-1000.0));
        Assert.Equal(4.248354255291589e-18, SpecialFunctions.Softplus(-40.0), 1e-32);
    }
}
