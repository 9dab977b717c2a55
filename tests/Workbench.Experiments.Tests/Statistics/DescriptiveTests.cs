using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Tests.Statistics;

public class DescriptiveTests
{
    [Fact]
    public void One_to_five_by_hand()
    {
        double[] x = [1, 2, 3, 4, 5];
        // mean = 15 / 5 = 3; squared deviations 4 + 1 + 0 + 1 + 4 = 10; s² = 10 / 4 = 2.5; s = sqrt(2.5) = 1.5811388300841898.
        Assert.Equal(3.0, Descriptive.Mean(x));
        Assert.Equal(2.5, Descriptive.Variance(x), 1e-15);
        Assert.Equal(Math.Sqrt(2.5), Descriptive.StandardDeviation(x), 1e-15);
        // SE = s / sqrt(5) = sqrt(0.5) = 0.70710678118654757.
        Assert.Equal(Math.Sqrt(0.5), Descriptive.StandardError(x), 1e-15);
        // 95% CI = 3 ± t_(0.975, 4) · sqrt(2.5) / sqrt(5) = 3 ± 2.776445105 · 0.7071067812 = 3 ± 1.9632431613.
        var ci = Descriptive.TInterval(x);
        Assert.Equal(5, ci.N);
        Assert.Equal(3.0, ci.Mean);
        Assert.Equal(2.776445105 * Math.Sqrt(0.5), ci.HalfWidth, 1e-9);
        Assert.Equal(1.0367568387, ci.Low, 1e-9);
        Assert.Equal(4.9632431613, ci.High, 1e-9);
        Assert.Equal(0.95, ci.Level);
    }

    [Fact]
    public void Ninety_percent_interval_uses_the_right_quantile()
    {
        // {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, deviations² 9 1 1 1 0 0 4 16 = 32, s² = 32/7, SE = sqrt(32/7/8) = sqrt(4/7) = 0.7559289460;
        // t_(0.95, 7) = 1.894578605; half-width = 1.894578605 · 0.7559289460 = 1.4321669800.
        var ci = Descriptive.TInterval([2, 4, 4, 4, 5, 5, 7, 9], 0.90);
        Assert.Equal(5.0, ci.Mean, 1e-15);
        Assert.Equal(1.894578605 * Math.Sqrt(4.0 / 7), ci.HalfWidth, 1e-8);
    }

    [Fact]
    public void The_two_pass_variance_survives_a_large_offset()
    {
        // 1e9 + {1, 2, 3, 4, 5}: the naive Σx² - n mean² formula loses every digit here; the answer is still 2.5.
        double[] x = [1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5];
        Assert.Equal(2.5, Descriptive.Variance(x), 1e-6);
    }

    [Fact]
    public void Small_samples_leave_unknowns_as_NaN()
    {
        var one = Descriptive.TInterval([4.5]);
        Assert.Equal(1, one.N);
        Assert.Equal(4.5, one.Mean);
        Assert.True(double.IsNaN(one.StdDev) && double.IsNaN(one.Low) && double.IsNaN(one.High) && double.IsNaN(one.HalfWidth));
        var none = Descriptive.TInterval([]);
        Assert.Equal(0, none.N);
        Assert.True(double.IsNaN(none.Mean));
        Assert.Throws<ArgumentException>(() => Descriptive.Mean([]));
        Assert.Contains("confidence level must be in (0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => Descriptive.TInterval([1, 2], 95)).Message);
    }

    [Fact]
    public void Estimate_of_skips_missing_values()
    {
        var e = Estimate.Of([1, double.NaN, 2, 3, 4, 5]);
        Assert.Equal(5, e.N);
        Assert.Equal(3.0, e.Mean);
    }

    [Fact]
    public void Percentile_interpolates_between_order_statistics()
    {
        double[] sorted = [10, 20, 30, 40];
        // Type 7: h = (n - 1) p; p = 0.5 -> h = 1.5 -> 20 + 0.5 (30 - 20) = 25; p = 0.9 -> h = 2.7 -> 30 + 0.7 · 10 = 37.
        Assert.Equal(25.0, Descriptive.Percentile(sorted, 0.5), 1e-12);
        Assert.Equal(37.0, Descriptive.Percentile(sorted, 0.9), 1e-12);
        Assert.Equal(10.0, Descriptive.Percentile(sorted, 0));
        Assert.Equal(40.0, Descriptive.Percentile(sorted, 1));
    }

    [Fact]
    public void Bootstrap_is_deterministic_for_a_seed()
    {
        double[] d = [0.4, -0.1, 0.9, 0.3, 0.5, 0.2, -0.3, 0.8];
        var a = Bootstrap.MeanInterval(d, new Random(42));
        var b = Bootstrap.MeanInterval(d, new Random(42));
        var c = Bootstrap.MeanInterval(d, new Random(43));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // The interval lies within the data's range and around the sample mean 0.3375.
        Assert.True(a.Low < 0.3375 && 0.3375 < a.High, $"{a}");
        Assert.True(a.Low >= d.Min() && a.High <= d.Max(), $"{a}");
        // Constant data: every resample has the same mean, so the interval collapses onto it.
        var constant = Bootstrap.MeanInterval([2.0, 2.0, 2.0], new Random(1));
        Assert.Equal((2.0, 2.0), constant);
    }

    [Fact]
    public void Bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time()
    {
        // 400 samples of 25 standard normal draws; a 95% percentile interval of the mean should contain 0 in
        // roughly 95% of them (the percentile method runs slightly narrow at n = 25: ~93%). With 400 trials the
        // binomial standard error is about 1.1%, so [0.89, 0.98] fails only on a real defect.
        var data = new Random(7);
        var resampling = new Random(8);
        int covered = 0;
        const int trials = 400;
        var x = new double[25];
        for (int trial = 0; trial < trials; trial++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = Normal(data);
            var (low, high) = Bootstrap.MeanInterval(x, resampling, resamples: 2000);
            if (low <= 0 && 0 <= high) covered++;
        }
        double rate = covered / (double)trials;
        Assert.InRange(rate, 0.89, 0.98);
    }

    /// <summary>A standard normal draw by Box–Muller (1 - u keeps the log's argument in (0, 1]).</summary>
    private static double Normal(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    [Fact]
    public void Bootstrap_rejects_what_it_cannot_resample()
    {
        Assert.Contains("no values", Assert.Throws<ArgumentException>(() => Bootstrap.MeanInterval([], new Random(1))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Bootstrap.MeanInterval([1, double.NaN], new Random(1))).Message);
        Assert.Contains("at least 100", Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.MeanInterval([1, 2], new Random(1), 10)).Message);
    }
}
