using Workbench.Experiments.Results;
using Workbench.Experiments.Store;

namespace Workbench.Experiments.Tests.Results;

public class RecordTablesTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-records-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static List<RunRecord> Records() =>
    [
        SyntheticRuns.Run("relu", 1, 90, nll: 86.5),
        SyntheticRuns.Run("tanh", 2, 95, beta: 4, latent: 2),
        SyntheticRuns.Run("exp", 3, 0, outcome: "diverged", epochs: 3, epochsDone: 0, final: false, message: "Training diverged in epoch 1, step 3: the loss became NaN, \"exp\"."),
    ];

    [Fact]
    public void Runs_has_one_row_per_run_with_final_metrics()
    {
        var t = ResultsTable.Runs(Records());
        Assert.Equal(3, t.RowCount);
        foreach (var name in new[] { "key", "grid", "dataset", "activation", "seed", "latent_dim", "hidden", "beta", "binarization", "epochs", "outcome",
                     "test_loss", "test_recon", "test_kl", "active_units", "test_nll", "bits_per_dim", "seconds_per_epoch", "wall_seconds" })
            Assert.True(t.Contains(name), name);
        var relu = t.Row(0);
        Assert.Equal("relu", relu.GetString("activation"));
        Assert.Equal(1L, relu.GetLong("seed"));
        Assert.Equal("400", relu.GetString("hidden"));
        Assert.Equal("none", relu.GetString("binarization"));
        Assert.Equal(90.0, relu.GetDouble("test_loss"));
        Assert.Equal(65.0, relu.GetDouble("test_recon"));
        Assert.Equal(86.5, relu.GetDouble("test_nll"));
        Assert.Equal(86.5 / (784 * Math.Log(2)), relu.GetDouble("bits_per_dim"), 1e-15);
        Assert.True(double.IsNaN(t.Row(1).GetDouble("test_nll")));
        Assert.Equal(4.0, t.Row(1).GetDouble("beta"));
        var exp = t.Row(2);
        Assert.Equal("diverged", exp.GetString("outcome"));
        Assert.Equal(0L, exp.GetLong("epochs_done"));
        Assert.True(double.IsNaN(exp.GetDouble("test_loss")));
        Assert.Contains("became NaN", exp.GetString("message"));
        // The table survives a CSV round trip, message quotes and all.
        Assert.Equal(t.ToCsv(), ResultsTable.FromCsv(t.ToCsv()).ToCsv());
    }

    [Fact]
    public void Epochs_has_one_row_per_run_and_epoch()
    {
        var t = ResultsTable.Epochs(Records());
        Assert.Equal(3 + 3 + 0, t.RowCount);
        Assert.Equal([1L, 2, 3, 1, 2, 3], ((LongColumn)t["epoch"]).Values);
        // Epoch e of 3 has loss = final + 2 (3 - e): 94, 92, 90 for relu.
        Assert.Equal([94.0, 92, 90], ((DoubleColumn)t["test_loss"]).Values.Take(3));
        Assert.Equal(["relu", "relu", "relu", "tanh", "tanh", "tanh"], ((StringColumn)t["activation"]).Values);
        Assert.True(t.Contains("train_loss") && t.Contains("eval_seconds") && t.Contains("seed"));
    }

    [Fact]
    public void Records_round_trip_through_a_store()
    {
        var records = Records();
        SyntheticRuns.WriteStore(dir, "shard-1.jsonl", records.Take(2));
        SyntheticRuns.WriteStore(dir, "shard-2.jsonl", records.Skip(2));
        var back = new RunStore(dir).ReadAll();
        Assert.Equal(records.Select(r => r.Key), back.Select(r => r.Key));
        Assert.Equal(RunStore.Serialize(records[0]), RunStore.Serialize(back[0]));
        Assert.Equal(records[0].Config.Model, back[0].Config.Model);
        Assert.Equal(records[0].Epochs, back[0].Epochs);
        Assert.Null(back[2].Final);
    }

    [Fact]
    public void A_completed_run_without_final_metrics_is_a_bad_line()
    {
        string path = SyntheticRuns.WriteStore(dir, "shard.jsonl", [Records()[0] with { Final = null }]);
        var e = Assert.Throws<RunStoreException>(() => new RunStore(dir).ReadAll());
        Assert.Contains($"{path}, line 1", e.Message);
        Assert.Contains("completed but has no final metrics", e.Message);
    }
}
