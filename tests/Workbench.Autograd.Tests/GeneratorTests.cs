using Workbench.Autograd;

namespace Workbench.Autograd.Tests;

public class GeneratorTests
{
    [Fact]
    public void SameSeedSameNumbers()
    {
        var a = Tensor.Randn([1000], new Generator(42)).ToArray();
        var b = Tensor.Randn([1000], new Generator(42)).ToArray();
        var c = Tensor.Randn([1000], new Generator(43)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void NormalDrawsHaveUnitMomentsAndUniformsStayInRange()
    {
        var x = Tensor.Randn([200_000], new Generator(1), DType.Float64).ToDoubleArray();
        double mean = x.Average();
        double var = x.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);      // 4.5 standard errors (1/sqrt(2e5) = 0.0022)
        Assert.InRange(var, 0.985, 1.015);
        var u = Tensor.Rand([100_000], new Generator(2), -2, 3).ToArray();
        Assert.All(u, v => Assert.InRange(v, -2f, 3f));
        Assert.InRange(u.Average(), 0.48, 0.52);
    }

    [Fact]
    public void NextIntIsUnbiasedAndPermutationsArePermutations()
    {
        var g = new Generator(5);
        var counts = new int[3];
        for (int i = 0; i < 30_000; i++) counts[g.NextInt(3)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_700, 10_300));
        var p = new int[100];
        g.Permutation(p);
        Assert.Equal(Enumerable.Range(0, 100), p.Order());
    }

    [Fact]
    public void BernoulliMatchesItsProbabilities()
    {
        var p = Tensor.Full([100_000], 0.3);
        var draws = Tensor.Bernoulli(p, new Generator(9)).ToArray();
        Assert.All(draws, v => Assert.True(v == 0 || v == 1));
        Assert.InRange(draws.Average(), 0.29, 0.31);
    }
}
