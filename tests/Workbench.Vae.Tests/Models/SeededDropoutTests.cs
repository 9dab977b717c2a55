using TorchSharp;
using Workbench.Vae.Models;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests.Models;

public class SeededDropoutTests
{
    [Fact]
    public void TrainingZeroesAFractionPAndScalesTheRestByOneOverOneMinusP()
    {
        var x = torch.rand([200, 500], dtype: ScalarType.Float64, generator: new Generator(1)) + 0.5;   // no zeros of its own
        var dropout = new SeededDropout(0.3, new Generator(2));
        var y = dropout.call(x).Doubles();
        var v = x.Doubles();
        int zeros = 0;
        for (int i = 0; i < v.Length; i++)
        {
            if (y[i] == 0) { zeros++; continue; }
            Assert.Equal(v[i] / 0.7, y[i], 12);
        }
        // 100,000 Bernoulli(0.3) draws: the zeroed fraction is 0.3 within 5 standard deviations (0.0014 each).
        Assert.InRange(zeros / (double)v.Length, 0.3 - 0.0075, 0.3 + 0.0075);
    }

    [Fact]
    public void EvaluationIsTheIdentityAndTheMaskComesFromTheSeed()
    {
        var x = torch.rand([4, 50], generator: new Generator(3));
        var dropout = new SeededDropout(0.5, new Generator(4));
        dropout.eval();
        Assert.Equal(x.Floats(), dropout.call(x).Floats());
        dropout.train();
        var a = new SeededDropout(0.5, new Generator(4)).call(x).Floats();
        var b = new SeededDropout(0.5, new Generator(4)).call(x).Floats();
        var c = new SeededDropout(0.5, new Generator(5)).call(x).Floats();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(x.Floats(), new SeededDropout(0, new Generator(4)).call(x).Floats());
    }

    [Fact]
    public void GradientIsTheMaskOverOneMinusP()
    {
        // A fresh module with the same seed per call draws the same mask, as the finite differences need.
        var x = torch.rand([3, 7], dtype: ScalarType.Float64, generator: new Generator(6)).requires_grad_();
        GradCheck.Check(() => new SeededDropout(0.4, new Generator(7)).call(x), [x], "dropout");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void AProbabilityOutsideZeroToOneIsRefused(double p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededDropout(p, new Generator(1)));
}
