using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Ops;

public class MatMulTests
{
    private readonly Generator _g = new(3);

    [Fact]
    public void MatMulValuesAreRight()
    {
        // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.FromArray(new float[] { 5, 6, 7, 8 }, 2, 2);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, a.MatMul(b).ToArray());
    }

    [Fact]
    public void MatMulGradientsMatchFiniteDifferences()
    {
        AssertGrad(t => t[0].MatMul(t[1]), Rand64(_g, 3, 5), Rand64(_g, 5, 4));
        AssertGrad(t => t[0].MatMul(t[1]), Rand64(_g, 2, 3, 5), Rand64(_g, 2, 5, 4));
        AssertGrad(t => t[0].MatMul(t[1]), Rand64(_g, 2, 3, 5), Rand64(_g, 5, 4));
    }

    [Fact]
    public void LinearMatchesMatMulPlusBiasAndItsGradients()
    {
        var x = Rand64(_g, 4, 5);
        var w = Rand64(_g, 3, 5);
        var b = Rand64(_g, 3);
        var expected = x.MatMul(w.T()).Add(b).ToDoubleArray();
        var actual = F.Linear(x, w, b).ToDoubleArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
        AssertGrad(t => F.Linear(t[0], t[1], t[2]), x, w, b);
        AssertGrad(t => F.Linear(t[0], t[1]), x, w);
        AssertGrad(t => F.Linear(t[0], t[1], t[2]), Rand64(_g, 2, 3, 5), w, b);
    }

    [Fact]
    public void ShapeMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(4, 5)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        var lin = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Contains("in-features", lin.Message);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LinearAddsTheWeightGradientIntoTheExistingBuffer(DType dtype)
    {
        var g = new Generator(21);
        var x = Tensor.Randn([9, 7], g, dtype);
        var upstream = Tensor.Randn([9, 5], g, dtype);
        var fresh = Tensor.Randn([5, 7], g, dtype).RequiresGrad_();
        F.Linear(x, fresh).Backward(upstream);                       // no buffer yet: the gradient is g^T x
        var expected = fresh.Grad!.ToDoubleArray();

        var w = fresh.Detach().Clone().RequiresGrad_();
        var buffer = Tensor.Full([5, 7], 0.25, dtype);
        w.Grad = buffer;
        F.Linear(x, w).Backward(upstream);
        Assert.Same(buffer, w.Grad);                                  // accumulated in place, no new tensor
        var got = w.Grad!.ToDoubleArray();
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-13;
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - (0.25 + expected[i])) <= tol * (1 + Math.Abs(expected[i])), $"{i}: {got[i]:R} vs 0.25 + {expected[i]:R}");
    }
}
