using Microsoft.Data.Analysis;
using Workbench.Experiments.Results;
using Workbench.Experiments.Store;

namespace Workbench.Experiments.Statistics;

/// <summary>
/// One activation within one group of runs: how many ran and how they ended, and every final metric as a mean
/// with its 95% Student-t interval over the completed seeds. Diverged and cancelled runs are counted but not
/// averaged (their last metrics are those of an unfinished model).
/// </summary>
/// <param name="Group">The data set and the other axes that vary across the records.</param>
/// <param name="Activation">Activation name as configured.</param>
/// <param name="Runs">All runs of this activation in the group.</param>
/// <param name="Completed">Runs that completed: n of every estimate.</param>
/// <param name="Diverged">Runs stopped by the NaN/Inf guard.</param>
/// <param name="Cancelled">Runs cancelled before the end.</param>
/// <param name="Primary">The metric rankings and comparisons use (NLL when every completed run has one, else test loss).</param>
/// <param name="TestNll">Null when the group's completed runs do not all have an NLL.</param>
public sealed record ActivationSummary(
    RunGroup Group,
    string Activation,
    int Runs,
    int Completed,
    int Diverged,
    int Cancelled,
    Metric Primary,
    Estimate TestLoss,
    Estimate? TestNll,
    Estimate TestRecon,
    Estimate TestKl,
    Estimate ActiveUnits,
    Estimate BitsPerDim,
    Estimate SecondsPerEpoch)
{
    /// <summary>The estimate of <see cref="Primary"/>.</summary>
    public Estimate PrimaryEstimate => Primary == Metric.TestNll && TestNll is { } nll ? nll : TestLoss;

    /// <summary>The estimate of a metric by name (test_loss, test_nll, test_recon, test_kl, active_units, bits_per_dim, seconds_per_epoch).</summary>
    public Estimate this[string metric] => metric switch
    {
        "test_loss" => TestLoss,
        "test_nll" => TestNll ?? Estimate.Empty(TestLoss.Level),
        "test_recon" => TestRecon,
        "test_kl" => TestKl,
        "active_units" => ActiveUnits,
        "bits_per_dim" => BitsPerDim,
        "seconds_per_epoch" => SecondsPerEpoch,
        _ => throw new ArgumentException(
            $"ActivationSummary: no metric '{metric}'; use test_loss, test_nll, test_recon, test_kl, active_units, bits_per_dim or seconds_per_epoch.", nameof(metric)),
    };
}

/// <summary>Per-activation summaries of a set of runs.</summary>
public static class Summary
{
    /// <summary>
    /// One <see cref="ActivationSummary"/> per (group, activation), groups in order of first appearance
    /// (dataset first, then the other varying axes), activations in ordinal name order within a group.
    /// </summary>
    public static IReadOnlyList<ActivationSummary> PerActivation(IReadOnlyList<RunRecord> runs, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(runs);
        Descriptive.CheckLevel(level, "Summary.PerActivation");
        var axes = RunAxes.Varying(runs);
        var result = new List<ActivationSummary>();
        foreach (var group in runs.GroupBy(r => RunAxes.GroupOf(r, axes)))
        {
            var primary = Metric.Primary(group);
            bool hasNll = primary == Metric.TestNll;
            foreach (var byActivation in group.GroupBy(r => r.Config.Model.Activation).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var list = byActivation.ToList();
                Estimate E(Metric m) => Estimate.Of(list.Select(m.Of), level);
                result.Add(new ActivationSummary(
                    group.Key, byActivation.Key, list.Count,
                    list.Count(Metric.IsCompleted),
                    list.Count(r => r.Outcome == "diverged"),
                    list.Count(r => r.Outcome == "cancelled"),
                    primary,
                    E(Metric.TestLoss), hasNll ? E(Metric.TestNll) : null, E(Metric.TestRecon), E(Metric.TestKl),
                    E(Metric.ActiveUnits), E(Metric.BitsPerDim), E(Metric.SecondsPerEpoch)));
            }
        }
        return result;
    }

    /// <summary>
    /// The summaries as a DataFrame: the group's axes (as text), activation, runs, n (completed), diverged,
    /// cancelled, primary_metric, then for each metric its mean, standard deviation and interval bounds
    /// (test_nll columns only when some group has NLL); a statistic that is not known (one seed) is null.
    /// </summary>
    public static DataFrame ToDataFrame(IReadOnlyList<ActivationSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var axisNames = summaries.SelectMany(s => s.Group.Axes.Select(a => a.Key)).Distinct().ToList();
        if (axisNames.Count == 0) axisNames.Add("dataset");
        var df = new DataFrame();
        foreach (var axis in axisNames)
            df.Columns.Add(RunTables.Text(axis, summaries.Select(s => s.Group.Axes.FirstOrDefault(a => a.Key == axis).Value)));
        df.Columns.Add(RunTables.Text("activation", summaries.Select(s => s.Activation)));
        df.Columns.Add(RunTables.Long("runs", summaries.Select(s => (long?)s.Runs)));
        df.Columns.Add(RunTables.Long("n", summaries.Select(s => (long?)s.Completed)));
        df.Columns.Add(RunTables.Long("diverged", summaries.Select(s => (long?)s.Diverged)));
        df.Columns.Add(RunTables.Long("cancelled", summaries.Select(s => (long?)s.Cancelled)));
        df.Columns.Add(RunTables.Text("primary_metric", summaries.Select(s => s.Primary.Name)));
        bool anyNll = summaries.Any(s => s.TestNll is not null);
        foreach (var metric in MetricNames.Where(m => anyNll || m != "test_nll"))
        {
            df.Columns.Add(RunTables.Number(metric + "_mean", summaries.Select(s => s[metric].Mean)));
            df.Columns.Add(RunTables.Number(metric + "_std", summaries.Select(s => s[metric].StdDev)));
            df.Columns.Add(RunTables.Number(metric + "_ci_low", summaries.Select(s => s[metric].Low)));
            df.Columns.Add(RunTables.Number(metric + "_ci_high", summaries.Select(s => s[metric].High)));
        }
        return df;
    }

    /// <summary>The metrics a summary carries, in table order.</summary>
    public static IReadOnlyList<string> MetricNames { get; } =
        ["test_loss", "test_nll", "test_recon", "test_kl", "active_units", "bits_per_dim", "seconds_per_epoch"];
}
