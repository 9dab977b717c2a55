using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Ops;

public class ArithmeticTests
{
    private readonly Generator _g = new(1);

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 3, 4 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 3, 1 }, new[] { 1, 4 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new int[0], new[] { 2, 3 })]
    public void BinaryOpsMatchFiniteDifferences(int[] sa, int[] sb)
    {
        var a = Rand64(_g, sa);
        var b = Positive64(_g, sb);
        AssertGrad(x => x[0].Add(x[1]), a, b);
        AssertGrad(x => x[0].Sub(x[1]), a, b);
        AssertGrad(x => x[0].Mul(x[1]), a, b);
        AssertGrad(x => x[0].Div(x[1]), a, b);
        AssertGrad(x => x[0].Maximum(x[1]), a, b);
        AssertGrad(x => x[0].Minimum(x[1]), a, b);
    }

    [Fact]
    public void UnaryOpsMatchFiniteDifferences()
    {
        var x = Rand64(_g, 3, 5);
        var p = Positive64(_g, 3, 5);
        AssertGrad(t => t[0].Neg(), x);
        AssertGrad(t => t[0].Exp(), x);
        AssertGrad(t => t[0].Log(), p);
        AssertGrad(t => t[0].Log1p(), p);
        AssertGrad(t => t[0].Sqrt(), p);
        AssertGrad(t => t[0].Abs(), x);
        AssertGrad(t => t[0].Square(), x);
        AssertGrad(t => t[0].Reciprocal(), p);
        AssertGrad(t => t[0].Pow(3.5), p);
        AssertGrad(t => t[0].Clamp(-0.5, 0.7), x);
        AssertGrad(t => t[0].Sigmoid(), x);
        AssertGrad(t => t[0].Tanh(), x);
        AssertGrad(t => t[0].Softplus(), x);
        AssertGrad(t => t[0].LogSigmoid(), x);
        AssertGrad(t => t[0].Mul(3).Add(2).Sub(1).Div(4), x);
        AssertGrad(t => 2.0 / t[0], p);
        AssertGrad(t => 1.0 - t[0], x);
    }

    [Fact]
    public void WhereRoutesGradientsByCondition()
    {
        var cond = Tensor.FromArray(new double[] { 1, 0, 1, 0 }, 2, 2);
        var a = Rand64(_g, 2, 2);
        var b = Rand64(_g, 2);
        AssertGrad(t => Tensor.Where(cond, t[0], t[1]), a, b);
        var y = Tensor.Where(cond, a, b);
        Assert.Equal(a[0, 0], y[0, 0]);
        Assert.Equal(b[1], y[0, 1]);
    }

    [Fact]
    public void StableFormsHoldAtExtremes()
    {
        var x = Tensor.FromArray(new double[] { -1000, 0, 1000 });
        var sp = x.Softplus().ToDoubleArray();
        Assert.Equal(0, sp[0], 12);
        Assert.Equal(Math.Log(2), sp[1], 15);
        Assert.Equal(1000, sp[2], 12);
        var ls = x.LogSigmoid().ToDoubleArray();
        Assert.Equal(-1000, ls[0], 12);
        Assert.Equal(-Math.Log(2), ls[1], 15);
        var sg = x.Sigmoid().ToDoubleArray();
        Assert.Equal(0, sg[0]);
        Assert.Equal(0.5, sg[1]);
        Assert.Equal(1, sg[2]);
    }

    [Fact]
    public void BroadcastMismatchNamesBothShapesAndTheOp()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 4).Add(Tensor.Zeros(5)));
        Assert.Contains("add", ex.Message);
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Contains("[5]", ex.Message);
    }

    [Fact]
    public void MixedDTypesAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).Mul(Tensor.Zeros([2], DType.Float64)));
        Assert.Contains("Float64", ex.Message);
    }

    [Fact]
    public void BroadcastValuesAreRight()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.FromArray(new float[] { 10, 20, 30 }, 3);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, a.Add(b).ToArray());
        var c = Tensor.FromArray(new float[] { 100, 200 }, 2, 1);
        Assert.Equal(new float[] { 101, 102, 103, 204, 205, 206 }, a.Add(c).ToArray());
        Assert.Equal(new float[] { 99, 199, 98, 198 }, Tensor.FromArray(new float[] { 100, 200 }, 1, 2).Sub(Tensor.FromArray(new float[] { 1, 2 }, 2, 1)).ToArray());
    }

    [Fact]
    public void BroadcastingAlongLeadingDimsMatchesElementByElement()
    {
        // [S, B, L] against [B, L] (either side): the block fast path, checked against explicit loops, with gradients.
        var g = new Generator(31);
        var big = Tensor.Randn([3, 4, 5], g, DType.Float64).RequiresGrad_();
        var small = Tensor.Randn([4, 5], g, DType.Float64).RequiresGrad_();
        var bv = big.ToDoubleArray(); var sv = small.ToDoubleArray();
        var sub = big.Sub(small).ToDoubleArray();
        var div = small.Div(big).ToDoubleArray();
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal(bv[i] - sv[i % 20], sub[i]);
            Assert.Equal(sv[i % 20] / bv[i], div[i]);
        }
        var result = GradCheck.Run(t => t[0].Mul(t[1]).Add(t[1].Sub(t[0])), [big, small]);
        Assert.True(result.Passed, result.ToString());
    }
}
