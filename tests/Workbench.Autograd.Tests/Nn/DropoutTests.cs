using Workbench.Autograd.Nn;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Nn;

public class DropoutTests
{
    [Theory]
    [InlineData(DType.Float32, 0.3)]
    [InlineData(DType.Float64, 0.3)]
    [InlineData(DType.Float32, 0.8)]
    public void ZeroesAboutPAndPreservesTheMean(DType dtype, double p)
    {
        const int n = 200_000;
        var x = Tensor.Ones([n], dtype);
        var y = F.Dropout(x, p, training: true, new Generator(5)).ToDoubleArray();
        double scale = dtype == DType.Float32 ? (float)(1 / (1 - p)) : 1 / (1 - p);
        int zeros = 0;
        foreach (double v in y)
        {
            if (v == 0) zeros++;
            else Assert.Equal(scale, v);
        }
        // The zero count is Binomial(n, p): standard deviation sqrt(p (1 - p) / n) <= 0.0012 as a fraction,
        // and the mean's is sqrt(p / ((1 - p) n)) <= 0.0045; the bounds below are about 6 standard deviations.
        Assert.InRange(zeros / (double)n, p - 0.007, p + 0.007);
        Assert.InRange(y.Average(), 1 - 0.027, 1 + 0.027);
    }

    [Fact]
    public void IsTheIdentityWhenNotTrainingOrWhenPIsZero()
    {
        var g = new Generator(1);
        var x = Tensor.Randn([4, 5], g);
        Assert.Same(x, F.Dropout(x, 0.5, training: false, g));
        Assert.Same(x, F.Dropout(x, 0.0, training: true, g));
        var layer = new Dropout(0.5, g);
        Assert.NotEqual(x.ToArray(), layer.Forward(x).ToArray());
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
        layer.Train();
        Assert.NotEqual(x.ToArray(), layer.Forward(x).ToArray());
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        // A fresh generator with the same seed inside f: every evaluation draws the same mask.
        var x = Rand64(new Generator(2), 4, 5);
        AssertGrad(t => F.Dropout(t[0], 0.4, training: true, new Generator(123)), x);
    }

    [Fact]
    public void GradientIsTheScaledMask()
    {
        var x = Tensor.Randn([1000], new Generator(3), DType.Float64).RequiresGrad_();
        var y = F.Dropout(x, 0.5, training: true, new Generator(4));
        y.Sum().Backward();
        var grad = x.Grad!.ToDoubleArray();
        var yv = y.ToDoubleArray();
        for (int i = 0; i < grad.Length; i++)
            Assert.Equal(yv[i] == 0 ? 0.0 : 2.0, grad[i]);
        Assert.Contains(0.0, grad);
        Assert.Contains(2.0, grad);
    }

    [Fact]
    public void MasksFollowTheGenerator()
    {
        var x = Tensor.Ones(64);
        var a = F.Dropout(x, 0.5, true, new Generator(9)).ToArray();
        var b = F.Dropout(x, 0.5, true, new Generator(9)).ToArray();
        Assert.Equal(a, b);
        var g = new Generator(9);
        var first = F.Dropout(x, 0.5, true, g).ToArray();
        var second = F.Dropout(x, 0.5, true, g).ToArray();
        Assert.Equal(a, first);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ProbabilityOutsideTheUnitIntervalIsRejected(double p)
    {
        var g = new Generator(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Ones(3), p, true, g));
        Assert.Contains($"Dropout probability must be in [0, 1) but was {p}", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(p, g));
        // Rejected even when the call would be the identity, so a bad config fails at once, not at the first training step.
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Ones(3), p, false, g));
    }
}
