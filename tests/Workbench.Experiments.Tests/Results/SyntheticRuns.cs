using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Tests.Results;

/// <summary>Run records built by hand for tests: known final numbers, simple per-epoch curves.</summary>
internal static class SyntheticRuns
{
    /// <summary>
    /// One run. Epoch e of E has test loss <paramref name="testLoss"/> + 2 (E - e), so the last epoch ends at the
    /// final value; reconstruction = loss - KL. A diverged run keeps <paramref name="epochsDone"/> good epochs.
    /// </summary>
    public static RunRecord Run(string activation, ulong seed, double testLoss, double kl = 25, string outcome = "completed",
        string dataset = "mnist", double beta = 1, int latent = 20, int epochs = 3, int? epochsDone = null, double? nll = null,
        string? message = null, IReadOnlyDictionary<string, double[]>? parameters = null, bool final = true, string grid = "act",
        double secondsPerEpoch = 2.5, double learningRate = 1e-3)
    {
        var model = new VaeConfig(Activation: activation, LatentDim: latent, Beta: beta);
        var training = new TrainingOptions(Dataset: dataset, Epochs: epochs, Seed: seed, LearningRate: learningRate, TrainSubset: 1000, TestSubset: 500);
        int done = epochsDone ?? (outcome == "completed" ? epochs : Math.Max(0, epochs - 1));
        var list = Enumerable.Range(1, done).Select(e =>
        {
            double loss = testLoss + 2.0 * (epochs - e);
            return new EpochMetrics(e, loss + 1, loss, loss - kl, kl, latent / 2, secondsPerEpoch, 0.5);
        }).ToList();
        var metrics = final && done > 0
            ? new FinalMetrics(testLoss + 2.0 * (epochs - done), testLoss + 2.0 * (epochs - done) - kl, kl, latent / 2, nll, nll is null ? null : 100,
                (nll ?? testLoss) / (784 * Math.Log(2)), secondsPerEpoch)
            : null;
        var config = new RunConfig(model, training);
        string key = RunKey.Compute(config, new EvaluationSettings());
        return new RunRecord(RunRecord.CurrentFormat, key, grid, config, outcome,
            message ?? (outcome == "completed" ? null : $"Training diverged in epoch {done + 1}, step 7: the loss became NaN (activation '{activation}')."),
            list, metrics, parameters ?? new Dictionary<string, double[]>(), 60 + seed, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    }

    /// <summary>Writes records into STORE/records/NAME.jsonl, one JSON line each.</summary>
    public static string WriteStore(string store, string name, IEnumerable<RunRecord> records)
    {
        string dir = Path.Combine(store, "records");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, records.Select(RunStore.Serialize));
        return path;
    }
}
