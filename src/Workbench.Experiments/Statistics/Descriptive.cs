using MathNet.Numerics.Distributions;

namespace Workbench.Experiments.Statistics;

/// <summary>Sample statistics over seeds: mean, sample standard deviation, standard error, Student-t intervals.</summary>
public static class Descriptive
{
    /// <summary>Arithmetic mean; the values must be non-empty.</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) throw new ArgumentException("Descriptive.Mean: no values; a mean needs at least one.", nameof(values));
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>Sample variance s² = Σ (x - mean)² / (n - 1) (two passes, for accuracy); NaN for fewer than 2 values.</summary>
    public static double Variance(ReadOnlySpan<double> values)
    {
        if (values.Length < 2) return double.NaN;
        double mean = Mean(values), sum = 0, correction = 0;
        foreach (var v in values)
        {
            double d = v - mean;
            sum += d * d;
            correction += d;
        }
        // The corrected two-pass algorithm (Chan, Golub and LeVeque 1983): the second term removes the rounding error of the mean.
        return (sum - correction * correction / values.Length) / (values.Length - 1);
    }

    /// <summary>Sample standard deviation s (n - 1 in the denominator); NaN for fewer than 2 values.</summary>
    public static double StandardDeviation(ReadOnlySpan<double> values) => Math.Sqrt(Variance(values));

    /// <summary>Standard error of the mean s / sqrt(n); NaN for fewer than 2 values.</summary>
    public static double StandardError(ReadOnlySpan<double> values) => StandardDeviation(values) / Math.Sqrt(values.Length);

    /// <summary>
    /// The Student-t interval mean ± t_(1 - α/2, n - 1) s / sqrt(n) at confidence <paramref name="level"/>
    /// (default 0.95); for one value the bounds are NaN (no spread is known).
    /// </summary>
    public static Estimate TInterval(ReadOnlySpan<double> values, double level = 0.95)
    {
        CheckLevel(level, "Descriptive.TInterval");
        if (values.IsEmpty) return Estimate.Empty(level);
        double mean = Mean(values);
        if (values.Length < 2) return new Estimate(1, mean, double.NaN, double.NaN, double.NaN, double.NaN, level);
        double s = StandardDeviation(values);
        double se = s / Math.Sqrt(values.Length);
        double half = TQuantile(1 - (1 - level) / 2, values.Length - 1) * se;
        return new Estimate(values.Length, mean, s, se, mean - half, mean + half, level);
    }

    /// <summary>
    /// The quantile t_(p, ν) of Student's t with ν degrees of freedom (MathNet.Numerics). For ν = 1 (two seeds) it is the
    /// Cauchy quantile in closed form: MathNet's numerical search stops at 800 and fails from p = 0.99995 on.
    /// </summary>
    public static double TQuantile(double p, int degreesOfFreedom) =>
        degreesOfFreedom == 1 ? Math.Tan(Math.PI * (p - 0.5)) : StudentT.InvCDF(0, 1, degreesOfFreedom, p);

    /// <summary>The two-sided p-value P(|T| &gt;= |t|) of a t statistic with ν degrees of freedom (MathNet.Numerics).</summary>
    public static double TwoSidedP(double t, int degreesOfFreedom) =>
        // 2 F(-|t|) rather than 2 (1 - F(|t|)): the lower tail keeps its digits when p is tiny.
        double.IsNaN(t) ? double.NaN : Math.Min(1, 2 * StudentT.CDF(0, 1, degreesOfFreedom, -Math.Abs(t)));

    /// <summary>
    /// Percentile of sorted values by linear interpolation between order statistics (Hyndman and Fan 1996,
    /// type 7, the default of R and NumPy): position h = (n - 1) p.
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty) throw new ArgumentException("Descriptive.Percentile: no values.", nameof(sorted));
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Descriptive.Percentile: p must be in [0, 1].");
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    internal static void CheckLevel(double level, string where)
    {
        if (!(level > 0 && level < 1))
            throw new ArgumentOutOfRangeException(nameof(level), level, $"{where}: the confidence level must be in (0, 1), e.g. 0.95; got {level}.");
    }
}

/// <summary>
/// A mean over n samples with its spread and confidence interval (Student t, n - 1 degrees of freedom).
/// With n = 0 everything is NaN; with n = 1 only <see cref="Mean"/> is known.
/// </summary>
/// <param name="N">Samples used (missing values, NaN, are not counted).</param>
/// <param name="Mean">Sample mean.</param>
/// <param name="StdDev">Sample standard deviation (n - 1).</param>
/// <param name="StdError">StdDev / sqrt(n).</param>
/// <param name="Low">Lower bound of the interval.</param>
/// <param name="High">Upper bound of the interval.</param>
/// <param name="Level">Confidence level of [Low, High], e.g. 0.95.</param>
public readonly record struct Estimate(int N, double Mean, double StdDev, double StdError, double Low, double High, double Level)
{
    /// <summary>Half the interval's width: the ± of "mean ± h".</summary>
    public double HalfWidth => (High - Low) / 2;

    /// <summary>The estimate of no samples.</summary>
    public static Estimate Empty(double level = 0.95) => new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, level);

    /// <summary>The t-interval estimate of the values, skipping NaN (a missing value).</summary>
    public static Estimate Of(IEnumerable<double> values, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        var present = values.Where(v => !double.IsNaN(v)).ToArray();
        return Descriptive.TInterval(present, level);
    }
}

/// <summary>
/// Percentile bootstrap (Efron and Tibshirani 1993, ch. 13) of a mean, with an explicit, seeded
/// <see cref="Random"/> (<c>new Random(seed)</c>: the same seed gives the same draws in every process).
/// </summary>
public static class Bootstrap
{
    /// <summary>Resamples used unless told otherwise.</summary>
    public const int DefaultResamples = 10_000;

    /// <summary>
    /// The percentile bootstrap interval of the mean: <paramref name="resamples"/> times, draw n values with
    /// replacement and take their mean; the interval runs between the (1 - level)/2 and (1 + level)/2
    /// percentiles of those means. The same generator state gives the same interval, bit for bit, so pass a
    /// seeded <c>new Random(seed)</c>, never <see cref="Random.Shared"/>.
    /// </summary>
    public static (double Low, double High) MeanInterval(ReadOnlySpan<double> values, Random generator,
        int resamples = DefaultResamples, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Descriptive.CheckLevel(level, "Bootstrap.MeanInterval");
        if (values.IsEmpty) throw new ArgumentException("Bootstrap.MeanInterval: no values to resample.", nameof(values));
        if (resamples < 100)
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "Bootstrap.MeanInterval: use at least 100 resamples (10,000 is usual).");
        foreach (var v in values)
            if (!double.IsFinite(v))
                throw new ArgumentException($"Bootstrap.MeanInterval: the values contain {v}; drop missing or diverged runs first.", nameof(values));
        int n = values.Length;
        var means = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += values[generator.Next(n)];
            means[b] = sum / n;
        }
        Array.Sort(means);
        double alpha = (1 - level) / 2;
        return (Descriptive.Percentile(means, alpha), Descriptive.Percentile(means, 1 - alpha));
    }
}
