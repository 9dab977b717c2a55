using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Tests.Statistics;

/// <summary>The Student-t quantiles and p-values the intervals and tests use (MathNet.Numerics), against published tables.</summary>
public class DistributionTests
{
    [Theory]
    // Published two-sided 95% critical values t_(0.975, ν) (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
    [InlineData(1, 12.706205)]
    [InlineData(2, 4.302653)]
    [InlineData(3, 3.182446)]
    [InlineData(4, 2.776445)]
    [InlineData(9, 2.262157)]
    [InlineData(29, 2.045230)]
    public void T_quantiles_match_published_tables(int df, double expected)
    {
        Assert.Equal(expected, Descriptive.TQuantile(0.975, df), 1e-6);
        Assert.Equal(-expected, Descriptive.TQuantile(0.025, df), 1e-6);
    }

    [Fact]
    public void The_t_interval_uses_the_t_quantile_of_n_minus_1_degrees_of_freedom()
    {
        // Ten values 1..10: mean 5.5, s² = 82.5 / 9, SE = s / sqrt 10; half-width t_(0.975, 9) · SE = 2.262157 · 0.957427 = 2.165852.
        var ten = Descriptive.TInterval(Enumerable.Range(1, 10).Select(i => (double)i).ToArray());
        Assert.Equal(5.5, ten.Mean, 1e-12);
        Assert.Equal(2.262157 * Math.Sqrt(82.5 / 9 / 10), ten.HalfWidth, 1e-5);
        // Two values {0, 1}: s = sqrt(1/2), SE = 1/2; half-width t_(0.975, 1) / 2 = 6.3531024.
        Assert.Equal(12.706205 / 2, Descriptive.TInterval([0.0, 1.0]).HalfWidth, 1e-5);
    }

    [Fact]
    public void Two_sided_p_values()
    {
        // ν = 1 is the Cauchy distribution: P(|T| >= 1) = 1 - 2 atan(1) / π = 1/2 exactly.
        Assert.Equal(0.5, Descriptive.TwoSidedP(1, 1), 1e-12);
        Assert.Equal(0.5, Descriptive.TwoSidedP(-1, 1), 1e-12);
        // The 0.975 quantile leaves 5% in the two tails together.
        Assert.Equal(0.05, Descriptive.TwoSidedP(2.262157163, 9), 1e-8);
        Assert.Equal(1.0, Descriptive.TwoSidedP(0, 5), 1e-12);
        Assert.True(double.IsNaN(Descriptive.TwoSidedP(double.NaN, 5)));
        // Far in the tail the lower-tail form keeps its digits: ν = 1, t = 1e6 gives 2 / (π · 1e6) to first order.
        Assert.Equal(2 / (Math.PI * 1e6), Descriptive.TwoSidedP(1e6, 1), 1e-15);
    }
}
