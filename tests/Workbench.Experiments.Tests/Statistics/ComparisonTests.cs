using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Workbench.Experiments.Tests.Results;

namespace Workbench.Experiments.Tests.Statistics;

public class ComparisonTests
{
    // d = candidate - baseline = {10-9, 12-10, 11-11, 13-11} = {1, 2, 0, 2}; mean 1.25; deviations -0.25, 0.75, -1.25, 0.75,
    // squares 0.0625 + 0.5625 + 1.5625 + 0.5625 = 2.75; s² = 2.75 / 3; SE = s / 2 = 0.47871355387816905;
    // t = 1.25 / 0.47871355387816905 = 2.6111648393354674 with 3 degrees of freedom.
    private static readonly double[] Candidate = [10, 12, 11, 13];
    private static readonly double[] Baseline = [9, 10, 11, 11];
    private const double ExpectedSe = 0.47871355387816905;
    private const double ExpectedT = 2.6111648393354674;

    /// <summary>ν = 3 in closed form (Abramowitz and Stegun 26.7.3): F(t) = 1/2 + (1/π)(u/(1 + u²) + atan u), u = t / sqrt 3.</summary>
    private static double CdfThree(double t)
    {
        double u = t / Math.Sqrt(3);
        return 0.5 + (u / (1 + u * u) + Math.Atan(u)) / Math.PI;
    }

    [Fact]
    public void Paired_t_test_by_hand()
    {
        var test = PairedTest.Of(Candidate, Baseline, new Random(1));
        Assert.Equal(4, test.Pairs);
        Assert.Equal(1.25, test.MeanDifference, 1e-15);
        Assert.Equal(ExpectedSe, test.Difference.StdError, 1e-15);
        Assert.Equal(ExpectedT, test.T, 1e-13);
        Assert.Equal(3, test.DegreesOfFreedom);
        // Two-sided p = 2 (1 - F(2.6111648)) = 0.07960...
        Assert.Equal(2 * (1 - CdfThree(ExpectedT)), test.P, 1e-13);
        // t-interval: 1.25 ± t_(0.975, 3) SE = 1.25 ± 3.182446305 · 0.47871355 = 1.25 ± 1.5234795.
        Assert.Equal(1.25 - 3.182446305 * ExpectedSe, test.Difference.Low, 1e-8);
        Assert.Equal(1.25 + 3.182446305 * ExpectedSe, test.Difference.High, 1e-8);
        // The bootstrap interval of four values in {0, 1, 2} lies in [0, 2] and contains the mean.
        Assert.InRange(test.BootstrapLow, 0, 1.25);
        Assert.InRange(test.BootstrapHigh, 1.25, 2);
    }

    [Fact]
    public void Paired_test_edge_cases()
    {
        Assert.Contains("one baseline value per candidate", Assert.Throws<ArgumentException>(() => PairedTest.Of([1, 2], [1], new Random(1))).Message);
        var single = PairedTest.Of([3.0], [1.0], new Random(1));
        Assert.Equal(2.0, single.MeanDifference);
        Assert.True(double.IsNaN(single.T) && double.IsNaN(single.P) && double.IsNaN(single.BootstrapLow));
        // Identical differences: no spread, so no t statistic (not an infinite one).
        var constant = PairedTest.Of([3.0, 4.0], [1.0, 2.0], new Random(1));
        Assert.True(double.IsNaN(constant.T));
        Assert.Equal((2.0, 2.0), (constant.BootstrapLow, constant.BootstrapHigh));
    }

    private static List<RunRecord> Study()
    {
        var runs = new List<RunRecord>();
        for (int i = 0; i < 4; i++)
        {
            runs.Add(SyntheticRuns.Run("relu", (ulong)(i + 1), 80 + Baseline[i]));
            runs.Add(SyntheticRuns.Run("silu", (ulong)(i + 1), 80 + Candidate[i]));
            runs.Add(SyntheticRuns.Run("tanh", (ulong)(i + 1), 85 + i));
        }
        // Seed 5: the baseline diverged, tanh completed: tanh's seed 5 has no partner.
        runs.Add(SyntheticRuns.Run("relu", 5, 80, outcome: "diverged"));
        runs.Add(SyntheticRuns.Run("tanh", 5, 86));
        // Another data set is a separate group: never paired with mnist runs.
        runs.Add(SyntheticRuns.Run("relu", 1, 230, dataset: "fashion-mnist"));
        runs.Add(SyntheticRuns.Run("silu", 1, 229, dataset: "fashion-mnist"));
        return runs;
    }

    [Fact]
    public void Comparison_pairs_matching_seeds_within_each_group()
    {
        var comparisons = PairedComparison.Compare(Study(), "relu");
        Assert.Equal(["mnist/silu", "mnist/tanh", "fashion-mnist/silu"], comparisons.Select(c => $"{c.Group.Label}/{c.Activation}"));

        var silu = comparisons[0];
        Assert.Equal(Metric.TestLoss, silu.Metric);
        Assert.Equal([1UL, 2, 3, 4], silu.Seeds);
        Assert.Equal(0, silu.Unmatched);
        Assert.Equal(1.25, silu.Test!.MeanDifference, 1e-12);
        Assert.Equal(ExpectedT, silu.Test.T, 1e-11);
        Assert.Equal(2 * (1 - CdfThree(ExpectedT)), silu.Test.P, 1e-11);

        var tanh = comparisons[1];
        Assert.Equal(1, tanh.Unmatched);
        // d = (85 + i) - (80 + {9, 10, 11, 11}) = {-4, -4, -4, -3}: mean -3.75.
        Assert.Equal(-3.75, tanh.Test!.MeanDifference, 1e-12);

        var fashion = comparisons[2];
        Assert.Equal(1, fashion.Test!.Pairs);
        Assert.Equal(-1.0, fashion.Test.MeanDifference, 1e-12);
        Assert.True(double.IsNaN(fashion.Test.P));
    }

    [Fact]
    public void Comparison_bootstrap_is_reproducible_and_independent_of_other_activations()
    {
        var all = PairedComparison.Compare(Study(), "relu", seed: 99);
        var again = PairedComparison.Compare(Study(), "relu", seed: 99);
        var withoutTanh = PairedComparison.Compare(Study().Where(r => r.Config.Model.Activation != "tanh").ToList(), "relu", seed: 99);
        var a = all[0].Test!;
        Assert.Equal((a.BootstrapLow, a.BootstrapHigh), (again[0].Test!.BootstrapLow, again[0].Test!.BootstrapHigh));
        Assert.Equal((a.BootstrapLow, a.BootstrapHigh), (withoutTanh[0].Test!.BootstrapLow, withoutTanh[0].Test!.BootstrapHigh));

        // With 30 continuous differences the percentiles move with the seed (a few values from {0, 1, 2} give a
        // lattice of resample means whose percentiles do not depend on the seed).
        var continuous = Enumerable.Range(1, 30).SelectMany(i => new[]
        {
            SyntheticRuns.Run("relu", (ulong)i, 90 + Math.Sqrt(i)), SyntheticRuns.Run("silu", (ulong)i, 90 + Math.Sin(i)),
        }).ToList();
        var x = PairedComparison.Compare(continuous, "relu", seed: 99)[0].Test!;
        var y = PairedComparison.Compare(continuous, "relu", seed: 100)[0].Test!;
        Assert.NotEqual((x.BootstrapLow, x.BootstrapHigh), (y.BootstrapLow, y.BootstrapHigh));
        Assert.Equal(x.T, y.T);
    }

    [Fact]
    public void Aliases_match_the_baseline()
    {
        var runs = new List<RunRecord>
        {
            SyntheticRuns.Run("swish", 1, 90), SyntheticRuns.Run("swish", 2, 91),
            SyntheticRuns.Run("tanh", 1, 92), SyntheticRuns.Run("tanh", 2, 94),
        };
        // "swish" is registered as an alias of "silu".
        var comparisons = PairedComparison.Compare(runs, "silu");
        Assert.Equal("tanh", Assert.Single(comparisons).Activation);
        Assert.Equal(2.5, comparisons[0].Test!.MeanDifference, 1e-12);
    }

    [Fact]
    public void Competition_ranks_share_ties_and_leave_gaps()
    {
        Assert.Equal([1, 2, 2, 4], Ranking.CompetitionRanks([80, 81, 81, 82]));
        // Equal to within a relative 1e-12 (the same numbers summed in another order) is a tie.
        Assert.Equal([1, 1, 3], Ranking.CompetitionRanks([81, 81 * (1 + 1e-14), 82]));
        Assert.Equal([1, 2, null], Ranking.CompetitionRanks([1, 2, double.NaN]));
        Assert.Equal([1, 1, 1], Ranking.CompetitionRanks([5, 5, 5]));
        Assert.Contains("sorted ascending", Assert.Throws<ArgumentException>(() => Ranking.CompetitionRanks([2, 1])).Message);
        Assert.Throws<ArgumentException>(() => Ranking.CompetitionRanks([double.NaN, 1]));
    }

    [Fact]
    public void Ranking_orders_by_mean_with_ties_and_puts_all_diverged_last()
    {
        var runs = new List<RunRecord>();
        foreach (var (act, losses) in new[] { ("relu", new[] { 80.0, 82 }), ("tanh", [81, 81]), ("elu", [79, 81]), ("selu", [82, 82]) })
            for (int s = 0; s < losses.Length; s++) runs.Add(SyntheticRuns.Run(act, (ulong)s + 1, losses[s]));
        runs.Add(SyntheticRuns.Run("exp", 1, 0, outcome: "diverged"));
        runs.Add(SyntheticRuns.Run("exp", 2, 0, outcome: "diverged"));
        var ranking = Ranking.Rank(Summary.PerActivation(runs));
        // Means: elu 80, relu 81, tanh 81, selu 82, exp none.
        Assert.Equal(["elu", "relu", "tanh", "selu", "exp"], ranking.Select(r => r.Activation));
        Assert.Equal([1, 2, 2, 4, null], ranking.Select(r => r.Rank));
        Assert.Equal([false, true, true, false, false], ranking.Select(r => r.Tied));
        Assert.Equal(2, ranking[4].Diverged);
    }

    [Fact]
    public void Summary_groups_by_dataset_and_counts_divergences()
    {
        var runs = new List<RunRecord>
        {
            SyntheticRuns.Run("relu", 1, 90, kl: 20), SyntheticRuns.Run("relu", 2, 92, kl: 22), SyntheticRuns.Run("relu", 3, 94, kl: 24),
            SyntheticRuns.Run("relu", 4, 0, outcome: "diverged"),
            SyntheticRuns.Run("tanh", 1, 95), SyntheticRuns.Run("tanh", 2, 95), SyntheticRuns.Run("tanh", 3, 98),
            SyntheticRuns.Run("relu", 1, 230, dataset: "fashion-mnist"), SyntheticRuns.Run("relu", 2, 232, dataset: "fashion-mnist"),
            SyntheticRuns.Run("tanh", 1, 240, dataset: "fashion-mnist", outcome: "cancelled"),
        };
        var summary = Summary.PerActivation(runs);
        Assert.Equal(["mnist/relu", "mnist/tanh", "fashion-mnist/relu", "fashion-mnist/tanh"], summary.Select(s => $"{s.Group.Label}/{s.Activation}"));

        var relu = summary[0];
        Assert.Equal((4, 3, 1, 0), (relu.Runs, relu.Completed, relu.Diverged, relu.Cancelled));
        // Losses {90, 92, 94}: mean 92, s = 2, half-width = t_(0.975, 2) · 2 / sqrt 3 = 4.302652730 · 1.1547005384 = 4.9682773...
        Assert.Equal(92.0, relu.TestLoss.Mean, 1e-12);
        Assert.Equal(2.0, relu.TestLoss.StdDev, 1e-12);
        Assert.Equal(4.302652730 * 2 / Math.Sqrt(3), relu.TestLoss.HalfWidth, 1e-8);
        // KL {20, 22, 24} -> 22; reconstruction = loss - KL = {70, 70, 70} -> 70 with no spread.
        Assert.Equal(22.0, relu.TestKl.Mean, 1e-12);
        Assert.Equal(70.0, relu.TestRecon.Mean, 1e-12);
        Assert.Equal(0.0, relu.TestRecon.HalfWidth, 1e-12);
        Assert.Equal(10.0, relu.ActiveUnits.Mean);
        Assert.Equal(2.5, relu.SecondsPerEpoch.Mean);
        Assert.Null(relu.TestNll);
        Assert.Equal(Metric.TestLoss, relu.Primary);

        var fashionTanh = summary[3];
        Assert.Equal((1, 0, 0, 1), (fashionTanh.Runs, fashionTanh.Completed, fashionTanh.Diverged, fashionTanh.Cancelled));
        Assert.True(double.IsNaN(fashionTanh.TestLoss.Mean));
    }

    [Fact]
    public void Other_varying_axes_split_the_groups_and_nll_becomes_the_primary_metric()
    {
        var runs = new List<RunRecord>
        {
            SyntheticRuns.Run("relu", 1, 90, latent: 20, nll: 86), SyntheticRuns.Run("relu", 2, 91, latent: 20, nll: 87),
            SyntheticRuns.Run("relu", 1, 120, latent: 2, beta: 4), SyntheticRuns.Run("relu", 2, 121, latent: 2, beta: 4),
        };
        var summary = Summary.PerActivation(runs);
        Assert.Equal(["mnist, latent_dim=20, beta=1", "mnist, latent_dim=2, beta=4"], summary.Select(s => s.Group.Label));
        Assert.Equal(Metric.TestNll, summary[0].Primary);
        Assert.Equal(86.5, summary[0].PrimaryEstimate.Mean, 1e-12);
        Assert.Equal(Metric.TestLoss, summary[1].Primary);

        var table = Summary.ToDataFrame(summary);
        Assert.Equal(["dataset", "latent_dim", "beta", "activation", "runs", "n", "diverged", "cancelled", "primary_metric"], table.Columns.Select(c => c.Name).Take(9));
        Assert.Equal(86.5, (double)table["test_nll_mean"][0]!, 1e-12);
        // Missing in the DataFrame's sense: no NLL was evaluated for the second group.
        Assert.Null(table["test_nll_mean"][1]);
        Assert.Equal(120.5, (double)table["test_loss_mean"][1]!, 1e-12);
    }
}
