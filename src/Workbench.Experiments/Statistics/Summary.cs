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
    /// The summaries as a table: the group's axes, activation, runs, n (completed), diverged, cancelled, then for
    /// each metric its mean, standard deviation and interval bounds (test_nll columns only when some group has NLL).
    /// </summary>
    public static ResultsTable ToTable(IReadOnlyList<ActivationSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var axisNames = summaries.SelectMany(s => s.Group.Axes.Select(a => a.Key)).Distinct().ToList();
        if (axisNames.Count == 0) axisNames.Add("dataset");
        var columns = new List<Column>();
        foreach (var axis in axisNames)
            columns.Add(Column.Of(axis, summaries.Select(s => s.Group.Axes.FirstOrDefault(a => a.Key == axis).Value).ToArray()));
        columns.Add(Column.Of("activation", summaries.Select(s => (string?)s.Activation).ToArray()));
        columns.Add(Column.Of("runs", summaries.Select(s => (long)s.Runs).ToArray()));
        columns.Add(Column.Of("n", summaries.Select(s => (long)s.Completed).ToArray()));
        columns.Add(Column.Of("diverged", summaries.Select(s => (long)s.Diverged).ToArray()));
        columns.Add(Column.Of("cancelled", summaries.Select(s => (long)s.Cancelled).ToArray()));
        columns.Add(Column.Of("primary_metric", summaries.Select(s => (string?)s.Primary.Name).ToArray()));
        bool anyNll = summaries.Any(s => s.TestNll is not null);
        foreach (var metric in MetricNames.Where(m => anyNll || m != "test_nll"))
        {
            columns.Add(Column.Of(metric + "_mean", summaries.Select(s => s[metric].Mean).ToArray()));
            columns.Add(Column.Of(metric + "_std", summaries.Select(s => s[metric].StdDev).ToArray()));
            columns.Add(Column.Of(metric + "_ci_low", summaries.Select(s => s[metric].Low).ToArray()));
            columns.Add(Column.Of(metric + "_ci_high", summaries.Select(s => s[metric].High).ToArray()));
        }
        return new ResultsTable(columns);
    }

    /// <summary>The metrics a summary carries, in table order.</summary>
    public static IReadOnlyList<string> MetricNames { get; } =
        ["test_loss", "test_nll", "test_recon", "test_kl", "active_units", "bits_per_dim", "seconds_per_epoch"];
}
