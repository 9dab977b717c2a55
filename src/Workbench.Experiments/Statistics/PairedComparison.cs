using Workbench.Experiments.Store;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Statistics;

/// <summary>
/// The paired test of differences d_i = candidate_i - baseline_i over matched seeds: mean difference, its
/// Student-t interval, t = mean / (s / sqrt(n)) with n - 1 degrees of freedom, the two-sided p-value, and a
/// percentile bootstrap interval of the mean difference.
/// </summary>
/// <param name="Pairs">n, the number of matched pairs.</param>
/// <param name="MeanDifference">mean(d); for losses, positive means the candidate is worse than the baseline.</param>
/// <param name="Difference">The t-interval estimate of the mean difference (NaN bounds for fewer than 2 pairs).</param>
/// <param name="T">The paired t statistic (NaN for fewer than 2 pairs or when every difference is equal).</param>
/// <param name="DegreesOfFreedom">n - 1.</param>
/// <param name="P">Two-sided p-value of T (NaN when T is).</param>
/// <param name="BootstrapLow">Lower bound of the bootstrap interval (NaN for fewer than 2 pairs).</param>
/// <param name="BootstrapHigh">Upper bound of the bootstrap interval.</param>
public sealed record PairedTest(int Pairs, double MeanDifference, Estimate Difference, double T, int DegreesOfFreedom, double P,
    double BootstrapLow, double BootstrapHigh)
{
    /// <summary>
    /// The paired test of <paramref name="candidate"/> against <paramref name="baseline"/> (same length, pair i
    /// in position i). The bootstrap draws from <paramref name="generator"/> (a seeded <c>new Random(seed)</c>).
    /// </summary>
    public static PairedTest Of(ReadOnlySpan<double> candidate, ReadOnlySpan<double> baseline, Random generator,
        int resamples = Bootstrap.DefaultResamples, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (candidate.Length != baseline.Length)
            throw new ArgumentException(
                $"PairedTest.Of: {candidate.Length} candidate values but {baseline.Length} baseline values; pass one baseline value per candidate (matched by seed).");
        if (candidate.IsEmpty) throw new ArgumentException("PairedTest.Of: no pairs to compare.", nameof(candidate));
        var d = new double[candidate.Length];
        for (int i = 0; i < d.Length; i++) d[i] = candidate[i] - baseline[i];
        var estimate = Descriptive.TInterval(d, level);
        int n = d.Length;
        double t = double.NaN, p = double.NaN, bootLow = double.NaN, bootHigh = double.NaN;
        if (n >= 2)
        {
            // A zero standard error makes t infinite (or 0/0); no test is possible then, so leave NaN.
            if (estimate.StdError > 0)
            {
                t = estimate.Mean / estimate.StdError;
                p = Descriptive.TwoSidedP(t, n - 1);
            }
            (bootLow, bootHigh) = Bootstrap.MeanInterval(d, generator, resamples, level);
        }
        return new PairedTest(n, estimate.Mean, estimate, t, n - 1, p, bootLow, bootHigh);
    }
}

/// <summary>One activation compared with the baseline within one group of runs.</summary>
/// <param name="Group">The data set and other varying axes.</param>
/// <param name="Activation">The candidate activation.</param>
/// <param name="Baseline">The baseline activation.</param>
/// <param name="Metric">What was compared (the group's primary metric).</param>
/// <param name="Test">The paired test over matched seeds (null when no pair matched).</param>
/// <param name="Unmatched">Completed candidate runs without a completed baseline partner (diverged or missing baseline).</param>
/// <param name="Seeds">The seeds of the matched pairs, in the order of the test's pairs.</param>
/// <param name="HolmP">The test's p-value after <see cref="Holm"/> correction across the group's comparisons (NaN without a test).</param>
public sealed record Comparison(RunGroup Group, string Activation, string Baseline, Metric Metric, PairedTest? Test, int Unmatched,
    IReadOnlyList<ulong> Seeds, double HolmP);

/// <summary>Each activation against a baseline across matching seeds.</summary>
public static class PairedComparison
{
    /// <summary>Seed of the bootstrap unless told otherwise.</summary>
    public const ulong DefaultSeed = 20_160_501;

    /// <summary>
    /// Compares every activation with <paramref name="baseline"/> within each group (see <see cref="RunAxes"/>):
    /// a candidate run pairs with the baseline run whose configuration is the same in everything but the
    /// activation (seed included); both must have completed. The bootstrap of each comparison uses its own
    /// generator, seeded from <paramref name="seed"/> and the group and activation names, so adding an activation
    /// does not change the others' intervals. The p-values of a group are Holm-corrected together (one family of
    /// tests per group: every activation against the same baseline).
    /// </summary>
    public static IReadOnlyList<Comparison> Compare(IReadOnlyList<RunRecord> records, string baseline = "relu",
        ulong seed = DefaultSeed, int resamples = Bootstrap.DefaultResamples, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrWhiteSpace(baseline);
        var axes = RunAxes.Varying(records);
        var result = new List<Comparison>();
        foreach (var group in records.GroupBy(r => RunAxes.GroupOf(r, axes)))
        {
            var metric = Metric.Primary(group);
            var family = new List<Comparison>();
            var partners = new Dictionary<string, RunRecord>(StringComparer.Ordinal);
            foreach (var r in group.Where(r => RunAxes.SameActivation(r.Config.Model.Activation, baseline) && Metric.IsCompleted(r)))
                partners[RunAxes.PairingKey(r.Config)] = r;
            foreach (var candidates in group.Where(r => !RunAxes.SameActivation(r.Config.Model.Activation, baseline))
                         .GroupBy(r => r.Config.Model.Activation).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var a = new List<double>();
                var b = new List<double>();
                var seeds = new List<ulong>();
                int unmatched = 0;
                foreach (var run in candidates.Where(Metric.IsCompleted).OrderBy(r => r.Config.Training.Seed))
                {
                    if (partners.TryGetValue(RunAxes.PairingKey(run.Config), out var partner))
                    {
                        a.Add(metric.Of(run));
                        b.Add(metric.Of(partner));
                        seeds.Add(run.Config.Training.Seed);
                    }
                    else unmatched++;
                }
                var generator = new Random(Mix(seed, group.Key.Label + "\u0000" + candidates.Key));
                var test = a.Count == 0 ? null : PairedTest.Of(a.ToArray(), b.ToArray(), generator, resamples, level);
                family.Add(new Comparison(group.Key, candidates.Key, baseline, metric, test, unmatched, seeds, double.NaN));
            }
            var holm = Holm.Adjust(family.Select(c => c.Test?.P ?? double.NaN).ToList());
            result.AddRange(family.Select((c, i) => c with { HolmP = holm[i] }));
        }
        return result;
    }

    /// <summary>
    /// The seed mixed with a 64-bit FNV-1a hash of the text, turned into the int seed <see cref="Random(int)"/> takes
    /// by <see cref="Seeds.ToInt32"/> (every bit of both counts): stable across processes and platforms, because a
    /// seeded Random keeps its documented legacy algorithm.
    /// </summary>
    internal static int Mix(ulong seed, string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in text)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        return Seeds.ToInt32(seed ^ h);
    }
}

/// <summary>One place in a ranking.</summary>
/// <param name="Group">The group ranked within.</param>
/// <param name="Rank">Competition rank (1, 2, 2, 4: tied activations share the better rank); null when the activation has no completed run.</param>
/// <param name="Activation">The activation.</param>
/// <param name="Metric">What was ranked by (lower is better).</param>
/// <param name="Estimate">The metric's estimate over completed seeds.</param>
/// <param name="Tied">True when another activation has the same mean.</param>
/// <param name="Diverged">Diverged runs of this activation.</param>
public sealed record RankEntry(RunGroup Group, int? Rank, string Activation, Metric Metric, Estimate Estimate, bool Tied, int Diverged);

/// <summary>Activations ranked by mean test loss (or NLL when present) within each group.</summary>
public static class Ranking
{
    /// <summary>
    /// Ranks the summaries of each group by the mean of its primary metric, lowest first. Means equal to within
    /// a relative 1e-12 (the same numbers summed in another order) are ties and share a rank; activations with
    /// no completed run come last, unranked.
    /// </summary>
    public static IReadOnlyList<RankEntry> Rank(IReadOnlyList<ActivationSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var result = new List<RankEntry>();
        foreach (var group in summaries.GroupBy(s => s.Group))
        {
            var ordered = group.OrderBy(s => double.IsNaN(s.PrimaryEstimate.Mean) ? 1 : 0)
                .ThenBy(s => s.PrimaryEstimate.Mean)
                .ThenBy(s => s.Activation, StringComparer.Ordinal)
                .ToList();
            var ranks = CompetitionRanks(ordered.Select(s => s.PrimaryEstimate.Mean).ToArray());
            for (int i = 0; i < ordered.Count; i++)
            {
                var s = ordered[i];
                bool tied = ranks[i] is int r && ranks.Count(x => x == r) > 1;
                result.Add(new RankEntry(s.Group, ranks[i], s.Activation, s.Primary, s.PrimaryEstimate, tied, s.Diverged));
            }
        }
        return result;
    }

    /// <summary>
    /// Competition ranks ("1224") of values already sorted ascending with NaN last: equal values (relative
    /// difference at most 1e-12) share the rank of the first of them; NaN gets null.
    /// </summary>
    public static int?[] CompetitionRanks(IReadOnlyList<double> sortedAscending)
    {
        ArgumentNullException.ThrowIfNull(sortedAscending);
        var ranks = new int?[sortedAscending.Count];
        for (int i = 0; i < ranks.Length; i++)
        {
            double v = sortedAscending[i];
            if (i > 0 && (double.IsNaN(sortedAscending[i - 1]) ? !double.IsNaN(v) : v < sortedAscending[i - 1]))
                throw new ArgumentException("Ranking.CompetitionRanks: the values must be sorted ascending (NaN last).", nameof(sortedAscending));
            if (double.IsNaN(v)) continue;
            // Compare with the first value of the run of ties, so that ties do not chain along a slow drift.
            ranks[i] = i > 0 && ranks[i - 1] is int previous && Tie(sortedAscending[previous - 1], v) ? previous : i + 1;
        }
        return ranks;
    }

    private static bool Tie(double a, double b) =>
        a == b || Math.Abs(a - b) <= 1e-12 * Math.Max(Math.Abs(a), Math.Abs(b));
}
