using System.Text.Json;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;

namespace Workbench.Experiments.Results;

public sealed partial class ResultsTable
{
    /// <summary>
    /// One row per run: key, grid, dataset, architecture, activation, seed, latent_dim, hidden ("200-200"), beta,
    /// learning_rate, binarization, epochs (configured), epochs_done, outcome, test_loss, test_recon, test_kl,
    /// active_units, test_nll, bits_per_dim, seconds_per_epoch, wall_seconds, message. Final metrics are NaN when
    /// the run has none (it stopped before its first epoch ended); test_nll is NaN when it was not evaluated.
    /// </summary>
    public static ResultsTable Runs(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        double F(RunRecord r, Func<FinalMetrics, double> get) => r.Final is { } f ? get(f) : double.NaN;
        return new ResultsTable(
        [
            .. IdentityColumns(records, r => r),
            Column.Of("binarization", records.Select(r => (string?)JsonNamingPolicy.CamelCase.ConvertName(r.Config.Training.Binarization.ToString())).ToArray()),
            Column.Of("epochs", records.Select(r => (long)r.Config.Training.Epochs).ToArray()),
            Column.Of("epochs_done", records.Select(r => (long)r.Epochs.Count).ToArray()),
            Column.Of("outcome", records.Select(r => (string?)r.Outcome).ToArray()),
            Column.Of("test_loss", records.Select(r => F(r, f => f.TestLoss)).ToArray()),
            Column.Of("test_recon", records.Select(r => F(r, f => f.TestRecon)).ToArray()),
            Column.Of("test_kl", records.Select(r => F(r, f => f.TestKl)).ToArray()),
            Column.Of("active_units", records.Select(r => F(r, f => f.ActiveUnits)).ToArray()),
            Column.Of("test_nll", records.Select(r => F(r, f => f.TestNll ?? double.NaN)).ToArray()),
            Column.Of("bits_per_dim", records.Select(r => F(r, f => f.BitsPerDim)).ToArray()),
            Column.Of("seconds_per_epoch", records.Select(r => F(r, f => f.SecondsPerEpoch)).ToArray()),
            Column.Of("wall_seconds", records.Select(r => r.WallSeconds).ToArray()),
            Column.Of("message", records.Select(r => r.Message).ToArray()),
        ]);
    }

    /// <summary>
    /// One row per run and epoch: the run's identifying columns (key, grid, dataset, architecture, activation,
    /// seed, latent_dim, hidden, beta, learning_rate), its outcome, then epoch, train_loss, test_loss, test_recon,
    /// test_kl, active_units, train_seconds, eval_seconds.
    /// </summary>
    public static ResultsTable Epochs(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var rows = records.SelectMany(r => r.Epochs.Select(e => (Run: r, Epoch: e))).ToList();
        return new ResultsTable(
        [
            .. IdentityColumns(rows, x => x.Run),
            Column.Of("outcome", rows.Select(x => (string?)x.Run.Outcome).ToArray()),
            Column.Of("epoch", rows.Select(x => (long)x.Epoch.Epoch).ToArray()),
            Column.Of("train_loss", rows.Select(x => x.Epoch.TrainLoss).ToArray()),
            Column.Of("test_loss", rows.Select(x => x.Epoch.TestLoss).ToArray()),
            Column.Of("test_recon", rows.Select(x => x.Epoch.TestRecon).ToArray()),
            Column.Of("test_kl", rows.Select(x => x.Epoch.TestKl).ToArray()),
            Column.Of("active_units", rows.Select(x => (long)x.Epoch.ActiveUnits).ToArray()),
            Column.Of("train_seconds", rows.Select(x => x.Epoch.TrainSeconds).ToArray()),
            Column.Of("eval_seconds", rows.Select(x => x.Epoch.EvalSeconds).ToArray()),
        ]);
    }

    private static IEnumerable<Column> IdentityColumns<T>(IReadOnlyList<T> rows, Func<T, RunRecord> run)
    {
        yield return Column.Of("key", rows.Select(x => (string?)run(x).Key).ToArray());
        yield return Column.Of("grid", rows.Select(x => (string?)run(x).Grid).ToArray());
        yield return Column.Of("dataset", rows.Select(x => (string?)run(x).Config.Training.Dataset).ToArray());
        yield return Column.Of("architecture", rows.Select(x => (string?)run(x).Config.Model.Architecture).ToArray());
        yield return Column.Of("activation", rows.Select(x => (string?)run(x).Config.Model.Activation).ToArray());
        yield return Column.Of("seed", rows.Select(x => Seed(run(x))).ToArray());
        yield return Column.Of("latent_dim", rows.Select(x => (long)run(x).Config.Model.LatentDim).ToArray());
        yield return Column.Of("hidden", rows.Select(x => (string?)RunAxes.Hidden(run(x).Config.Model)).ToArray());
        yield return Column.Of("beta", rows.Select(x => run(x).Config.Model.Beta).ToArray());
        yield return Column.Of("learning_rate", rows.Select(x => run(x).Config.Training.LearningRate).ToArray());
    }

    private static long Seed(RunRecord r) => r.Config.Training.Seed <= long.MaxValue
        ? (long)r.Config.Training.Seed
        : throw new InvalidDataException(
            $"Run {r.Key}: seed {r.Config.Training.Seed} does not fit the table's 64-bit signed seed column; use seeds below 2^63.");
}
