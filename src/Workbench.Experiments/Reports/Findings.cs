using System.Globalization;
using Workbench.Experiments.Results;
using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Reports;

/// <summary>
/// The plain-language findings of a comparison against the baseline: which activations differ, by how much, with
/// the 95% t-interval of the paired difference and the Holm-corrected p-value, and where the seeds are too few to tell.
/// </summary>
public static class Findings
{
    /// <summary>Fewer matched seed pairs than this and a difference is not called either way.</summary>
    public const int MinimumPairs = 3;

    /// <summary>One sentence per comparison, in the order given.</summary>
    public static IReadOnlyList<string> Describe(IReadOnlyList<Comparison> comparisons, double alpha = 0.05)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Findings.Describe: alpha must be in (0, 1), e.g. 0.05.");
        return comparisons.Select(c => Sentence(c, alpha, comparisons.Count(o => o.Group.Equals(c.Group) && !double.IsNaN(o.HolmP)))).ToList();
    }

    private static string F(double v) => NumberFormat.Format(v);

    private static string Signed(double v) => (v > 0 ? "+" : "") + F(v);

    private static string P(double p) => p < 1e-4 ? "< 0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string Sentence(Comparison c, double alpha, int family)
    {
        string where = c.Group.Axes.Count > 1 || c.Group.Label.Contains(',') ? $" ({c.Group.Label})" : "";
        string unit = c.Metric.Label.Contains("nats", StringComparison.Ordinal) ? " nats" : "";
        string subject = $"{c.Activation} vs {c.Baseline}{where}";
        if (c.Test is not { } t)
            return $"{subject}: no completed {c.Activation} run has a completed {c.Baseline} run with the same seed, so nothing can be said.";
        if (t.Pairs < MinimumPairs)
            return $"{subject}: Δ = {Signed(t.MeanDifference)}{unit} over {t.Pairs} seed pair(s) — too few seeds to tell (at least {MinimumPairs} pairs are needed); run more seeds.";
        if (double.IsNaN(t.T))
            return $"{subject}: every one of the {t.Pairs} seed pairs differs by exactly {Signed(t.MeanDifference)}{unit}; with no spread there is no interval or test.";
        string interval = $"95% CI [{F(t.Difference.Low)}, {F(t.Difference.High)}]";
        string stats = $"{interval}, Holm-corrected p = {P(c.HolmP)} over {family} comparison(s), n = {t.Pairs} pairs";
        if (t.Difference.Low <= 0 && t.Difference.High >= 0)
            return $"{subject}: no clear difference — Δ = {Signed(t.MeanDifference)}{unit}, but the {interval} spans 0 (Holm-corrected p = {P(c.HolmP)}, n = {t.Pairs} pairs).";
        string direction = t.MeanDifference < 0 ? "lower (better)" : "higher (worse)";
        string verdict = c.HolmP < alpha
            ? ""
            : $" The interval excludes 0, but after Holm's correction p ≥ {alpha.ToString(CultureInfo.InvariantCulture)}: treat it as suggestive, not shown.";
        return $"{subject}: {direction} {c.Metric.Label} by {F(Math.Abs(t.MeanDifference))}{unit} (Δ = {Signed(t.MeanDifference)}; {stats}).{verdict}";
    }
}
