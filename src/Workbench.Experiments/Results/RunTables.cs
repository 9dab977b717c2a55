using System.Text.Json;
using Microsoft.Data.Analysis;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;

namespace Workbench.Experiments.Results;

/// <summary>
/// The run store as DataFrames: one row per run, or one per run and epoch. The store's JSONL stays the source of
/// truth; these tables are views of it, rebuilt whenever they are asked for. Missing values are nulls (a run
/// without final metrics, an NLL that was not evaluated, a message of a run that completed).
/// </summary>
public static class RunTables
{
    /// <summary>
    /// One row per run: key, grid, dataset, architecture, activation, seed, latent_dim, hidden ("200-200"), beta,
    /// learning_rate, binarization, epochs (configured), epochs_done, outcome, test_loss, test_recon, test_kl,
    /// active_units, test_nll, bits_per_dim, seconds_per_epoch, wall_seconds, message.
    /// </summary>
    public static DataFrame Runs(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        double? F(RunRecord r, Func<FinalMetrics, double?> get) => r.Final is { } f ? Present(get(f)) : null;
        var df = new DataFrame(IdentityColumns(records, r => r));
        df.Columns.Add(Text("binarization", records.Select(r => JsonNamingPolicy.CamelCase.ConvertName(r.Config.Training.Binarization.ToString()))));
        df.Columns.Add(Long("epochs", records.Select(r => (long?)r.Config.Training.Epochs)));
        df.Columns.Add(Long("epochs_done", records.Select(r => (long?)r.Epochs.Count)));
        df.Columns.Add(Text("outcome", records.Select(r => r.Outcome)));
        df.Columns.Add(Number("test_loss", records.Select(r => F(r, f => f.TestLoss))));
        df.Columns.Add(Number("test_recon", records.Select(r => F(r, f => f.TestRecon))));
        df.Columns.Add(Number("test_kl", records.Select(r => F(r, f => f.TestKl))));
        df.Columns.Add(Number("active_units", records.Select(r => F(r, f => f.ActiveUnits))));
        df.Columns.Add(Number("test_nll", records.Select(r => F(r, f => f.TestNll))));
        df.Columns.Add(Number("bits_per_dim", records.Select(r => F(r, f => f.BitsPerDim))));
        df.Columns.Add(Number("seconds_per_epoch", records.Select(r => F(r, f => f.SecondsPerEpoch))));
        df.Columns.Add(Number("wall_seconds", records.Select(r => Present(r.WallSeconds))));
        df.Columns.Add(Text("message", records.Select(r => r.Message)));
        return df;
    }

    /// <summary>
    /// One row per run and epoch: the run's identifying columns (key, grid, dataset, architecture, activation,
    /// seed, latent_dim, hidden, beta, learning_rate), its outcome, then epoch, train_loss, test_loss, test_recon,
    /// test_kl, active_units, train_seconds, eval_seconds.
    /// </summary>
    public static DataFrame Epochs(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var rows = records.SelectMany(r => r.Epochs.Select(e => (Run: r, Epoch: e))).ToList();
        var df = new DataFrame(IdentityColumns(rows, x => x.Run));
        df.Columns.Add(Text("outcome", rows.Select(x => x.Run.Outcome)));
        df.Columns.Add(Long("epoch", rows.Select(x => (long?)x.Epoch.Epoch)));
        df.Columns.Add(Number("train_loss", rows.Select(x => Present(x.Epoch.TrainLoss))));
        df.Columns.Add(Number("test_loss", rows.Select(x => Present(x.Epoch.TestLoss))));
        df.Columns.Add(Number("test_recon", rows.Select(x => Present(x.Epoch.TestRecon))));
        df.Columns.Add(Number("test_kl", rows.Select(x => Present(x.Epoch.TestKl))));
        df.Columns.Add(Long("active_units", rows.Select(x => (long?)x.Epoch.ActiveUnits)));
        df.Columns.Add(Number("train_seconds", rows.Select(x => Present(x.Epoch.TrainSeconds))));
        df.Columns.Add(Number("eval_seconds", rows.Select(x => Present(x.Epoch.EvalSeconds))));
        return df;
    }

    /// <summary>A text column; null is missing.</summary>
    public static StringDataFrameColumn Text(string name, IEnumerable<string?> values) => new(name, values.ToList()!);

    /// <summary>A 64-bit integer column; null is missing.</summary>
    public static Int64DataFrameColumn Long(string name, IEnumerable<long?> values) => new(name, values);

    /// <summary>A double column; null is missing.</summary>
    public static DoubleDataFrameColumn Number(string name, IEnumerable<double?> values) => new(name, values);

    /// <summary>A double column from doubles where NaN means missing (as in <see cref="Estimate"/>): NaN becomes null.</summary>
    public static DoubleDataFrameColumn Number(string name, IEnumerable<double> values) => new(name, values.Select(v => Present(v)));

    /// <summary>NaN (our statistics' "not known") as null, the DataFrame's missing value.</summary>
    internal static double? Present(double? v) => v is double d && double.IsNaN(d) ? null : v;

    private static IEnumerable<DataFrameColumn> IdentityColumns<T>(IReadOnlyList<T> rows, Func<T, RunRecord> run)
    {
        yield return Text("key", rows.Select(x => run(x).Key));
        yield return Text("grid", rows.Select(x => run(x).Grid));
        yield return Text("dataset", rows.Select(x => run(x).Config.Training.Dataset));
        yield return Text("architecture", rows.Select(x => run(x).Config.Model.Architecture));
        yield return Text("activation", rows.Select(x => run(x).Config.Model.Activation));
        yield return Long("seed", rows.Select(x => (long?)Seed(run(x))));
        yield return Long("latent_dim", rows.Select(x => (long?)run(x).Config.Model.LatentDim));
        yield return Text("hidden", rows.Select(x => RunAxes.Hidden(run(x).Config.Model)));
        yield return Number("beta", rows.Select(x => (double?)run(x).Config.Model.Beta));
        yield return Number("learning_rate", rows.Select(x => (double?)run(x).Config.Training.LearningRate));
    }

    private static long Seed(RunRecord r) => r.Config.Training.Seed <= long.MaxValue
        ? (long)r.Config.Training.Seed
        : throw new InvalidDataException(
            $"Run {r.Key}: seed {r.Config.Training.Seed} does not fit the table's 64-bit signed seed column; use seeds below 2^63.");
}
