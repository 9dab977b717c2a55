using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Tests.Statistics;

public class DistributionTests
{
    [Theory]
    // ln Γ(1/2) = ln sqrt(π) = 0.5 ln π.
    [InlineData(0.5, 0.57236494292470008)]
    // Γ(1) = Γ(2) = 1.
    [InlineData(1.0, 0.0)]
    [InlineData(2.0, 0.0)]
    // Γ(10) = 9! = 362880, ln 362880 = 12.801827480081469.
    [InlineData(10.0, 12.801827480081469)]
    // Γ(0.1) = 9.5135076986687318 (reflection branch), ln = 2.2527126517342059.
    [InlineData(0.1, 2.2527126517342059)]
    // ln 99! = 359.13420536957540.
    [InlineData(100.0, 359.13420536957540)]
    public void Log_gamma_matches_known_values(double x, double expected) =>
        Assert.Equal(expected, GammaFunction.Log(x), 1e-13 * Math.Max(1, Math.Abs(expected)));

    [Fact]
    public void Log_gamma_rejects_non_positive_arguments()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GammaFunction.Log(0));
        Assert.Contains("x must be > 0", e.Message);
    }

    [Theory]
    [InlineData(0.3, 1.0, 1.0)]
    [InlineData(0.7, 2.5, 1.0)]
    [InlineData(0.2, 1.0, 3.5)]
    [InlineData(0.3, 2.0, 3.0)]
    [InlineData(0.5, 7.0, 7.0)]
    [InlineData(0.95, 30.0, 0.5)]
    public void Incomplete_beta_matches_closed_forms(double x, double a, double b)
    {
        double expected = (a, b) switch
        {
            (1, 1) => x,                                 // uniform: I_x(1, 1) = x
            (_, 1) => Math.Pow(x, a),                    // I_x(a, 1) = x^a
            (1, _) => 1 - Math.Pow(1 - x, b),            // I_x(1, b) = 1 - (1 - x)^b
            // I_x(2, 3) = Σ_{j=2..4} C(4, j) x^j (1-x)^(4-j); at x = 0.3: 6(.09)(.49) + 4(.027)(.7) + .0081 = .2646 + .0756 + .0081 = .3483.
            (2, 3) => 0.3483,
            (7, 7) => 0.5,                               // symmetric: I_(1/2)(a, a) = 1/2
            // I_x(a, b) = 1 - I_(1-x)(b, a): checks the two branches agree.
            _ => 1 - IncompleteBeta.Regularized(1 - x, b, a),
        };
        Assert.Equal(expected, IncompleteBeta.Regularized(x, a, b), 1e-14);
    }

    [Fact]
    public void Incomplete_beta_says_what_is_wrong()
    {
        Assert.Contains("must lie in [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => IncompleteBeta.Regularized(1.5, 1, 1)).Message);
        Assert.Contains("must both be finite and > 0", Assert.Throws<ArgumentOutOfRangeException>(() => IncompleteBeta.Regularized(0.5, 0, 1)).Message);
        Assert.Equal(0.0, IncompleteBeta.Regularized(0, 2, 3));
        Assert.Equal(1.0, IncompleteBeta.Regularized(1, 2, 3));
    }

    [Theory]
    // Published two-sided 95% critical values t_(0.975, ν).
    [InlineData(1, 12.706204736)]
    [InlineData(4, 2.776445105)]
    [InlineData(9, 2.262157163)]
    [InlineData(29, 2.045229642)]
    [InlineData(3, 3.182446305)]
    [InlineData(2, 4.302652730)]
    public void T_quantiles_match_tables(double df, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(0.975, df), 5e-9);
        Assert.Equal(-expected, StudentT.Quantile(0.025, df), 5e-9);
    }

    [Theory]
    // ν = 1 (Cauchy): F(t) = 1/2 + atan(t)/π; F(2) = 1/2 + 1.1071487177940904/π = 0.85241638234956674.
    [InlineData(2.0, 1.0, 0.85241638234956674)]
    // ν = 2: F(t) = 1/2 + t / (2 sqrt(2 + t²)); F(1) = 1/2 + 1/(2 sqrt 3) = 0.78867513459481287.
    [InlineData(1.0, 2.0, 0.78867513459481287)]
    // ν = 4: F(t) = 1/2 + (3/8) u (1 - t² / (12 (1 + t²/4))), u = t / sqrt(1 + t²/4);
    // t = 1: u = 1/sqrt(1.25) = 0.89442719099991588, 1 - 1/15 = 0.93333..., F = 0.5 + 0.375 (0.83479871159992149) = 0.81304951684997056.
    [InlineData(1.0, 4.0, 0.81304951684997056)]
    // Symmetry: F(-t) = 1 - F(t).
    [InlineData(-1.0, 4.0, 0.18695048315002944)]
    [InlineData(0.0, 7.0, 0.5)]
    public void T_cdf_matches_closed_forms(double t, double df, double expected) =>
        Assert.Equal(expected, StudentT.Cdf(t, df), 1e-14);

    [Fact]
    public void Upper_tail_keeps_its_digits_far_out()
    {
        // Cauchy: P(T > t) = atan(1/t)/π; at t = 1e10 that is 1/(π 1e10) (1 - 1e-20/3...) = 3.1830988618379067e-11,
        // which 1 - CDF would lose to cancellation.
        Assert.Equal(3.1830988618379067e-11, StudentT.Survival(1e10, 1), 1e-24);
        // The quantile of that tail probability inverts it.
        Assert.Equal(1e10, StudentT.Quantile(1 - 3.1830988618379067e-11, 1), 1e10 * 1e-5);
        Assert.Equal(1e10, -StudentT.Quantile(3.1830988618379067e-11, 1), 1e10 * 1e-12);
    }

    [Theory]
    // References computed with 40-digit arithmetic as (1/2) I_x(ν/2, 1/2), x = ν / (ν + t²).
    [InlineData(2.5, 10, 0.015723422118304402, 1e-14)]
    [InlineData(3, 2.5, 0.036288047774515922, 1e-14)]
    [InlineData(1.0, 100, 0.15986207789206168, 1e-14)]
    [InlineData(10.0, 30, 2.2876257041148066e-11, 1e-13)]
    [InlineData(40.0, 5, 9.2059810858864772e-8, 1e-13)]
    [InlineData(4.0, 1e4, 3.1899334411569816e-5, 1e-12)]
    // With many degrees of freedom the continued fraction cancels (terms near -1); the error grows like ν · 4e-17.
    [InlineData(1.96, 1e6, 0.024998033792634895, 1e-10)]
    public void Upper_tail_matches_high_precision_values(double t, double df, double expected, double relative) =>
        Assert.Equal(expected, StudentT.Survival(t, df), expected * relative);

    [Theory]
    [InlineData(0.995, 5, 4.0321429835552281, 1e-14)]
    [InlineData(0.975, 2.5, 3.5746548420036832, 1e-14)]
    [InlineData(1e-6, 1e4, -4.756229685056779, 1e-12)]
    [InlineData(0.975, 1e6, 1.959966356814107, 1e-10)]
    public void Quantiles_match_high_precision_values(double p, double df, double expected, double relative) =>
        Assert.Equal(expected, StudentT.Quantile(p, df), Math.Abs(expected) * relative);

    [Theory]
    [InlineData(2.5)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(30)]
    [InlineData(1000)]
    public void Quantile_inverts_the_cdf(double df)
    {
        foreach (var p in new[] { 1e-12, 1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.999 })
        {
            double t = StudentT.Quantile(p, df);
            double back = p < 0.5 ? StudentT.Cdf(t, df) : StudentT.Survival(t, df);
            double target = p < 0.5 ? p : 1 - p;
            Assert.True(Math.Abs(back - target) <= 1e-12 * target + 1e-16, $"df {df}, p {p}: t = {t}, tail {back} vs {target}");
        }
    }

    [Fact]
    public void Large_df_approaches_the_normal()
    {
        // z_(0.975) = 1.959963984540054.
        Assert.Equal(1.959963984540054, StudentT.Quantile(0.975, 1e12), 1e-9);
        Assert.Equal(0.975, StudentT.Cdf(1.959963984540054, 1e12), 1e-12);
        Assert.Equal(1.959963984540054, StudentT.Quantile(0.975, 1e8), 1e-7);
    }

    [Fact]
    public void Density_integrates_to_the_cdf()
    {
        // Simpson's rule of the density over [-1, 2] for ν = 5 against F(2) - F(-1).
        const int n = 2000;
        double a = -1, b = 2, h = (b - a) / n, sum = StudentT.Pdf(a, 5) + StudentT.Pdf(b, 5);
        for (int i = 1; i < n; i++) sum += (i % 2 == 1 ? 4 : 2) * StudentT.Pdf(a + i * h, 5);
        Assert.Equal(StudentT.Cdf(2, 5) - StudentT.Cdf(-1, 5), sum * h / 3, 1e-12);
        // f(0) for ν = 1 is 1/π.
        Assert.Equal(1 / Math.PI, StudentT.Pdf(0, 1), 1e-15);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        Assert.Contains("degrees of freedom must be > 0", Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Quantile(0.9, 0)).Message);
        Assert.Contains("must be a probability", Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Quantile(1.5, 3)).Message);
        Assert.Equal(double.PositiveInfinity, StudentT.Quantile(1, 3));
        Assert.Equal(double.NegativeInfinity, StudentT.Quantile(0, 3));
        Assert.Equal(1.0, StudentT.Cdf(double.PositiveInfinity, 3));
        Assert.True(double.IsNaN(StudentT.Cdf(double.NaN, 3)));
    }
}
