using System.Diagnostics;
using TorchSharp;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Activations;
using Workbench.Vae.Objectives;
using Workbench.Vae.Torch;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Ablation;

// Inside the namespace so that "Vae" means the model type, not the Workbench.Vae namespace.
using Workbench.Vae.Models;

/// <summary>What an <see cref="AblationEvent"/> reports.</summary>
public enum AblationEventKind
{
    /// <summary>A run is about to train.</summary>
    RunStarted,

    /// <summary>An optimiser step of the current run finished.</summary>
    Step,

    /// <summary>An epoch of the current run finished (evaluated and checkpointed).</summary>
    EpochFinished,

    /// <summary>The current run's record is in the store.</summary>
    RunFinished,
}

/// <summary>Progress of a sweep, for progress bars and logs.</summary>
/// <param name="Position">1-based position of the run among the runs this process trains.</param>
/// <param name="Count">How many runs this process trains (its shard minus what the store already has).</param>
public sealed record AblationEvent(AblationEventKind Kind, RunSpec Run, int Position, int Count,
    StepProgress? Step = null, EpochMetrics? Epoch = null, RunRecord? Record = null);

/// <summary>Which runs of a grid a shard holds and which of those a store already has.</summary>
/// <param name="All">Every run of the grid, in expansion order.</param>
/// <param name="Shard">The runs of this shard.</param>
/// <param name="Pending">The shard's runs without a record: what a sweep would train.</param>
public sealed record SweepPlan(IReadOnlyList<RunSpec> All, IReadOnlyList<RunSpec> Shard, IReadOnlyList<RunSpec> Pending)
{
    public int AlreadyDone => Shard.Count - Pending.Count;
}

/// <summary>How a grid stands in a store.</summary>
/// <param name="Done">Runs of the grid with a record (completed or diverged), in expansion order.</param>
/// <param name="Missing">Runs of the grid without a record.</param>
public sealed record SweepStatus(IReadOnlyList<(RunSpec Run, RunRecord Record)> Done, IReadOnlyList<RunSpec> Missing)
{
    public int Diverged => Done.Count(d => d.Record.Outcome == "diverged");
}

/// <summary>What one sweep did.</summary>
public sealed record SweepSummary(SweepPlan Plan, IReadOnlyList<RunRecord> Trained)
{
    public int Diverged => Trained.Count(r => r.Outcome == "diverged");
}

/// <summary>
/// Runs a grid into a run store: expands it, keeps this shard's runs (position % n == i), skips keys the store already
/// has, trains each of the rest with <see cref="Trainer"/> into runs/&lt;key&gt;/, evaluates the NLL when the grid asks,
/// and appends a <see cref="RunRecord"/>. Killed at any point and started again, it trains only what has no record:
/// a record is appended only after its run has finished, and atomically.
/// </summary>
public static class AblationRunner
{
    /// <summary>Runs this shard of the grid on the real data sets (fetched on first use), each loaded once per process.</summary>
    /// <param name="dataRoot">Data folder; null = $WORKBENCH_DATA or the checkout's data/.</param>
    /// <param name="log">Told about data fetching and loading.</param>
    /// <param name="device">Train on this device ("cpu", "cuda", "cuda:N") instead of the grid's; see <see cref="TrainingOptions.Device"/>.</param>
    public static SweepSummary Run(AblationGrid grid, string storeDir, Shard shard, Action<AblationEvent>? progress = null,
        CancellationToken cancellation = default, string? dataRoot = null, Action<string>? log = null, string? device = null) =>
        Run(grid, storeDir, shard, progress, cancellation,
            dataset => TrainingData.Load(new TrainingOptions(Dataset: dataset), dataRoot, fetchIfMissing: true, log), device);

    /// <summary>
    /// Runs this shard of the grid with data from <paramref name="loadDataset"/>: given a data set name, the full
    /// training and test sets (the runner applies each run's subsets). Called once per data set per call.
    /// <paramref name="device"/>, when given, replaces every run's <see cref="TrainingOptions.Device"/>; the device is
    /// where a run trains, not what it is, so it is not part of the run key (<see cref="RunKey"/>) and a sweep may be
    /// resumed, or its shards trained, on other devices.
    /// </summary>
    public static SweepSummary Run(AblationGrid grid, string storeDir, Shard shard, Action<AblationEvent>? progress,
        CancellationToken cancellation, Func<string, TrainingData> loadDataset, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(loadDataset);
        // Fails with one line (no libtorch, no CUDA) before the store is created or any data is loaded.
        TorchRuntime.EnsureLoaded();
        if (device is not null) TorchRuntime.Device(device);
        var store = new RunStore(storeDir).Create();
        var plan = Plan(grid, store, shard);

        var data = new DataCache(loadDataset);
        // Check every pending run against its data before training any, so a misfit stops the sweep at once.
        foreach (var run in plan.Pending)
        {
            var full = data.Full(run.Config.Training.Dataset);
            if (full.Train.Dim != run.Config.Model.InputDim)
                throw new ConfigException($"{grid.Source}: the run {run.Label} has a model for {run.Config.Model.InputDim} pixels per image, " +
                    $"but {full.Train.Describe()} has {full.Train.Dim}; set the model's inputShape to the data's.");
        }

        var trained = new List<RunRecord>();
        for (int i = 0; i < plan.Pending.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var run = plan.Pending[i];
            if (device is not null) run = run with { Config = run.Config with { Training = run.Config.Training with { Device = device } } };
            var record = TrainOne(grid, store, run, i + 1, plan.Pending.Count, data, progress, cancellation);
            store.Append(record, shard);
            trained.Add(record);
            progress?.Invoke(new AblationEvent(AblationEventKind.RunFinished, plan.Pending[i], i + 1, plan.Pending.Count, Record: record));
        }
        return new SweepSummary(plan, trained);
    }

    /// <summary>The grid's runs, this shard's share and what the store still lacks of it.</summary>
    public static SweepPlan Plan(AblationGrid grid, string storeDir, Shard shard) => Plan(grid, new RunStore(storeDir), shard);

    private static SweepPlan Plan(AblationGrid grid, RunStore store, Shard shard)
    {
        shard.Validate();
        var all = grid.Expand();
        var mine = all.Where((_, index) => shard.Contains(index)).ToArray();
        var done = store.Exists ? store.Completed() : new HashSet<string>();
        return new SweepPlan(all, mine, [.. mine.Where(r => !done.Contains(r.Key))]);
    }

    /// <summary>Which runs of the grid the store has (whatever shard wrote them) and which are missing.</summary>
    public static SweepStatus Status(AblationGrid grid, string storeDir)
    {
        var store = new RunStore(storeDir);
        var records = store.Exists ? store.ReadValid().Records.ToDictionary(r => r.Record.Key, r => r.Record, StringComparer.Ordinal) : [];
        var done = new List<(RunSpec, RunRecord)>();
        var missing = new List<RunSpec>();
        foreach (var run in grid.Expand())
        {
            if (records.TryGetValue(run.Key, out var record)) done.Add((run, record));
            else missing.Add(run);
        }
        return new SweepStatus(done, missing);
    }

    private static RunRecord TrainOne(AblationGrid grid, RunStore store, RunSpec run, int position, int count, DataCache data,
        Action<AblationEvent>? progress, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var options = run.Config.Training;
        var folder = store.RunFolder(run.Key);
        // A folder without a record is what a killed attempt left: start clean so no stale epoch survives.
        if (Directory.Exists(folder.Path)) Directory.Delete(folder.Path, recursive: true);

        progress?.Invoke(new AblationEvent(AblationEventKind.RunStarted, run, position, count));
        var trainer = new Trainer();
        if (progress is not null)
        {
            trainer.StepCompleted += s => progress(new AblationEvent(AblationEventKind.Step, run, position, count, Step: s));
            trainer.EpochCompleted += m => progress(new AblationEvent(AblationEventKind.EpochFinished, run, position, count, Epoch: m));
        }
        var runData = data.For(options);
        var result = trainer.Run(run.Config.Model, runData, options, folder, cancellation);
        // The weights are in the checkpoint; free the native tensors now rather than when the GC gets to them (a sweep trains many).
        using var trained = result.Model;
        if (result.Outcome == Outcome.Cancelled)
            throw new OperationCanceledException($"The sweep was cancelled during run {run.Key} ({run.Label}); it has no record and trains again on resume.",
                cancellation);

        bool completed = result.Outcome == Outcome.Completed;
        FinalMetrics? final = null;
        if (result.Last is { } last)
        {
            double? nll = null;
            if (completed && run.Evaluation.NllSamples > 0)
                nll = NegativeLogLikelihood(result.Model, runData, options, run.Evaluation);
            int dims = run.Config.Model.InputDim;
            final = new FinalMetrics(last.TestLoss, last.TestRecon, last.TestKl, last.ActiveUnits, nll, nll is null ? null : run.Evaluation.NllSamples,
                Metrics.BitsPerDimension(nll ?? last.TestLoss, dims), result.Epochs.Average(e => e.TrainSeconds));
        }
        return new RunRecord(
            Format: RunRecord.CurrentFormat,
            Key: run.Key,
            Grid: grid.Name,
            Config: run.Config,
            Outcome: completed ? "completed" : "diverged",
            Message: result.Message,
            Epochs: result.Epochs,
            Final: final,
            // A diverged model's weights are NaN or infinite: only a completed run's learned parameters mean anything.
            ActivationParameters: completed ? ActivationParameters(result.Model) : new Dictionary<string, double[]>(),
            WallSeconds: clock.Elapsed.TotalSeconds,
            FinishedAt: DateTimeOffset.UtcNow,
            Evaluation: run.Evaluation);
    }

    /// <summary>
    /// Mean importance-sampled -log p(x) over the test images (Burda et al. 2016, sec. 5), on the images and with the
    /// generator `workbench eval --iwae-k` uses, so the two agree.
    /// </summary>
    internal static double NegativeLogLikelihood(Vae model, TrainingData data, TrainingOptions options, EvaluationSettings evaluation)
    {
        // The test images, the generator's draws and every intermediate are freed when this returns.
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        // The evaluator's images live outside every dispose scope (they are kept for a run's lifetime): free them here.
        using var all = TestEvaluator.For(data.Test, options).Images;                    // [N, D]
        var images = all;
        if (evaluation.NllSubset is int n && n < images.shape[0]) images = images.narrow(0, 0, n);
        // Where the model's weights are (the training device; cpu after a reload).
        images = images.to(model.parameters().First().device);
        model.eval();
        using var generator = new torch.Generator(TestEvaluator.EvalSeed(options.Seed) + 2);
        var nll = Iwae.NegativeLogLikelihood(images, model.Encode, model.Decode, generator, evaluation.NllSamples);   // [N] float64
        return nll.mean().item<double>();
    }

    /// <summary>
    /// The learned parameters of the model's activation modules, by module path: "&lt;path&gt;.weight" for PReLU
    /// slopes, "&lt;path&gt;.beta" for Swish's beta, "&lt;path&gt;.weights" for an adaptive mixture's softmax weights (in the
    /// order of <see cref="AdaptiveActivation.BaseNames"/>). Fixed activations contribute nothing.
    /// </summary>
    public static Dictionary<string, double[]> ActivationParameters(Vae model)
    {
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        using var _ = torch.no_grad();
        foreach (var (path, module) in model.named_modules())
        {
            if (!model.IsActivation(module)) continue;
            if (module is AdaptiveActivation adaptive)
            {
                result[$"{path}.weights"] = adaptive.Weights;
                continue;
            }
            foreach (var (name, parameter) in module.named_parameters())
                result[$"{path}.{name}"] = TensorValues.Doubles(parameter);
        }
        return result;
    }

    /// <summary>Each data set loaded once; subsets cut once per (data set, train subset, test subset).</summary>
    private sealed class DataCache(Func<string, TrainingData> load)
    {
        private readonly Dictionary<string, TrainingData> _full = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, int?, int?), TrainingData> _cut = [];

        public TrainingData Full(string dataset)
        {
            if (!_full.TryGetValue(dataset, out var data))
                _full[dataset] = data = load(dataset) ?? throw new InvalidOperationException($"The data provider returned nothing for '{dataset}'.");
            return data;
        }

        public TrainingData For(TrainingOptions options)
        {
            var key = (options.Dataset, options.TrainSubset, options.TestSubset);
            if (_cut.TryGetValue(key, out var data)) return data;
            var full = Full(options.Dataset);
            var train = options.TrainSubset is int n && n < full.Train.Count ? full.Train.Subset(n) : full.Train;
            var test = options.TestSubset is int m && m < full.Test.Count ? full.Test.Subset(m) : full.Test;
            return _cut[key] = new TrainingData(train, test);
        }
    }
}
