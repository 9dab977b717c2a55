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
/// <param name="Position">1-based position of the run among the runs this process trains, in the order they started.</param>
/// <param name="Count">How many runs this process may train (its shard minus what the store already has).</param>
/// <param name="Worker">Which of the process's concurrent workers trains the run (0 to jobs - 1).</param>
/// <param name="ResumedAtEpoch">For RunStarted: the epochs a killed attempt had finished and this one continues from (0: a fresh start).</param>
public sealed record AblationEvent(AblationEventKind Kind, RunSpec Run, int Position, int Count,
    StepProgress? Step = null, EpochMetrics? Epoch = null, RunRecord? Record = null, int Worker = 0, int ResumedAtEpoch = 0);

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
/// <param name="Trained">The records this process wrote.</param>
/// <param name="ClaimedElsewhere">Pending runs another process was training when this one came to them (they get their record from it).</param>
public sealed record SweepSummary(SweepPlan Plan, IReadOnlyList<RunRecord> Trained, IReadOnlyList<RunSpec> ClaimedElsewhere)
{
    public int Diverged => Trained.Count(r => r.Outcome == "diverged");
}

/// <summary>
/// Runs a grid into a run store: expands it, keeps this shard's runs (position % n == i), skips keys the store already
/// has, trains each of the rest with <see cref="Trainer"/> into runs/&lt;key&gt;/, evaluates the NLL when the grid asks,
/// and appends a <see cref="RunRecord"/>. Several workers train runs side by side (<c>jobs</c>), and several processes
/// or hosts may share one store: a run is trained only under its claim (<see cref="RunStore.TryClaim"/>), and a run
/// that got its record meanwhile is skipped. Killed at any point and started again, it trains only what has no record,
/// and a run that was cut off continues from its last finished epoch (<see cref="Trainer.Resume"/>), bit for bit.
/// </summary>
public static class AblationRunner
{
    /// <summary>Runs this shard of the grid on the real data sets (fetched on first use), each loaded once per process.</summary>
    /// <param name="dataRoot">Data folder; null = $WORKBENCH_DATA or the checkout's data/.</param>
    /// <param name="log">Told about data fetching and loading.</param>
    /// <param name="device">Train on this device ("cpu", "cuda", "cuda:N") instead of the grid's; see <see cref="TrainingOptions.Device"/>.</param>
    /// <param name="jobs">Runs trained at once; null = <see cref="DefaultJobs"/>.</param>
    public static SweepSummary Run(AblationGrid grid, string storeDir, Shard shard, Action<AblationEvent>? progress = null,
        CancellationToken cancellation = default, string? dataRoot = null, Action<string>? log = null, string? device = null, int? jobs = null) =>
        Run(grid, storeDir, shard, progress, cancellation,
            dataset => TrainingData.Load(new TrainingOptions(Dataset: dataset), dataRoot, fetchIfMissing: true, log), device, jobs);

    /// <summary>
    /// One run per core: a VAE step here is a few small matrix products, which gain little from a second thread inside
    /// an op, while runs side by side keep every core busy (bench/README.md measures it).
    /// </summary>
    public static int DefaultJobs => Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// libtorch threads per run, whatever the jobs and the machine. How many threads an op splits its sums over changes
    /// the last bits of a run's numbers (measured: the quick grid's epoch-2 train loss 121.33714752 on one thread,
    /// 121.33714757 on two); with one thread per run a record is the same at any --jobs and on any node of a sweep.
    /// </summary>
    public const int ThreadsPerRun = 1;

    /// <summary>
    /// Runs this shard of the grid with data from <paramref name="loadDataset"/>: given a data set name, the full
    /// training and test sets (the runner applies each run's subsets). Called once per data set per call.
    /// <paramref name="device"/>, when given, replaces every run's <see cref="TrainingOptions.Device"/>; the device is
    /// where a run trains, not what it is, so it is not part of the run key (<see cref="RunKey"/>) and a sweep may be
    /// resumed, or its shards trained, on other devices. <paramref name="jobs"/> workers train at once, each run on
    /// <see cref="ThreadsPerRun"/> libtorch thread, so results do not depend on it. Progress events come one at a time.
    /// </summary>
    public static SweepSummary Run(AblationGrid grid, string storeDir, Shard shard, Action<AblationEvent>? progress,
        CancellationToken cancellation, Func<string, TrainingData> loadDataset, string? device = null, int? jobs = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(loadDataset);
        int workers = jobs ?? DefaultJobs;
        if (workers < 1) throw new ConfigException($"--jobs must be at least 1, got {workers}.");
        // Fails with one line (no libtorch, no CUDA) before the store is created or any data is loaded.
        TorchRuntime.EnsureLoaded();
        // The device every run will use, checked the way training checks it (a grid written on a GPU machine loads anywhere).
        foreach (string name in device is not null ? [device] : grid.Expand().Select(r => r.Config.Training.Device).Distinct())
            TorchRuntime.Device(name);
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

        var sweep = new Sweep(grid, store, shard, plan.Pending, data, progress, device);
        workers = Math.Min(workers, Math.Max(1, plan.Pending.Count));
        int threadsBefore = torch.get_num_threads();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() =>
        {
            // Per thread: libtorch keeps its OpenMP and MKL thread counts per calling thread.
            torch.set_num_threads(ThreadsPerRun);
            try { sweep.Work(w, stop.Token); }
            catch { stop.Cancel(); throw; }   // one worker's failure stops the others after their current step
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            Task.WaitAll(tasks);
        }
        catch (AggregateException e)
        {
            // The first real failure (a user error, an I/O problem) wins over the cancellations it caused in other workers.
            var first = e.InnerExceptions.FirstOrDefault(x => x is not OperationCanceledException) ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        finally
        {
            // libtorch's count is process-wide as well: what the caller trains next gets its threads back.
            torch.set_num_threads(threadsBefore);
        }
        return new SweepSummary(plan, sweep.Trained, sweep.ClaimedElsewhere);
    }

    /// <summary>The shared state of one sweep's workers: the queue of pending runs, the records written, the event lock.</summary>
    private sealed class Sweep(AblationGrid grid, RunStore store, Shard shard, IReadOnlyList<RunSpec> pending, DataCache data,
        Action<AblationEvent>? progress, string? device)
    {
        private readonly Lock _lock = new();
        private int _next = -1, _started;
        public List<RunRecord> Trained { get; } = [];
        public List<RunSpec> ClaimedElsewhere { get; } = [];

        public void Work(int worker, CancellationToken cancellation)
        {
            int i;
            while ((i = Interlocked.Increment(ref _next)) < pending.Count)
            {
                cancellation.ThrowIfCancellationRequested();
                var run = pending[i];
                using var claim = store.TryClaim(run.Key);
                if (claim is null)
                {
                    lock (_lock) ClaimedElsewhere.Add(run);
                    continue;
                }
                // Another process may have finished it between our plan and our claim.
                if (store.Completed().Contains(run.Key)) continue;
                if (device is not null) run = run with { Config = run.Config with { Training = run.Config.Training with { Device = device } } };
                int position = Interlocked.Increment(ref _started);
                var record = TrainOne(grid, store, run, position, pending.Count, worker, data, Report, cancellation);
                store.Append(record, shard);
                lock (_lock) Trained.Add(record);
                Report(new AblationEvent(AblationEventKind.RunFinished, pending[i], position, pending.Count, Record: record, Worker: worker));
            }
        }

        private void Report(AblationEvent e)
        {
            if (progress is null) return;
            lock (_lock) progress(e);
        }
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

    private static RunRecord TrainOne(AblationGrid grid, RunStore store, RunSpec run, int position, int count, int worker, DataCache data,
        Action<AblationEvent> progress, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var options = run.Config.Training;
        var folder = store.RunFolder(run.Key);
        int resumeAt = ResumableEpochs(folder, run.Config);
        // A folder without a record and without a usable checkpoint is what a killed attempt left: start clean.
        if (resumeAt == 0 && Directory.Exists(folder.Path)) Directory.Delete(folder.Path, recursive: true);

        progress(new AblationEvent(AblationEventKind.RunStarted, run, position, count, Worker: worker, ResumedAtEpoch: resumeAt));
        var trainer = new Trainer();
        trainer.StepCompleted += s => progress(new AblationEvent(AblationEventKind.Step, run, position, count, Step: s, Worker: worker));
        trainer.EpochCompleted += m => progress(new AblationEvent(AblationEventKind.EpochFinished, run, position, count, Epoch: m, Worker: worker));
        var runData = data.For(options);
        var result = resumeAt > 0
            ? trainer.Resume(folder, runData, device: options.Device, cancellation: cancellation)
            : trainer.Run(run.Config.Model, runData, options, folder, cancellation);
        // The weights are in the checkpoint; free the native tensors now rather than when the GC gets to them (a sweep trains many).
        using var trained = result.Model;
        if (result.Outcome == Outcome.Cancelled)
            throw new OperationCanceledException($"The sweep was cancelled during run {run.Key} ({run.Label}); it has no record and continues from its last finished epoch on resume.",
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
    /// The epochs a killed attempt at <paramref name="config"/> finished in <paramref name="folder"/> and left a resumable
    /// checkpoint for; 0 when there is none, or when the folder holds another configuration (then it is retrained).
    /// </summary>
    private static int ResumableEpochs(RunDirectory folder, RunConfig config)
    {
        if (!File.Exists(folder.File(RunDirectory.TrainerStateFile))) return 0;
        try
        {
            var recorded = folder.ReadConfig();
            bool same = RunKey.CanonicalJson(recorded, new EvaluationSettings()) == RunKey.CanonicalJson(config, new EvaluationSettings());
            return same ? folder.ReadMetrics().Count : 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ConfigException or UnauthorizedAccessException)
        {
            return 0;   // unreadable leftovers: train anew
        }
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
        // On the images' device: libtorch draws on a device only from a generator of that device.
        using var generator = new torch.Generator(TestEvaluator.EvalSeed(options.Seed) + 2, images.device);
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

    /// <summary>Each data set loaded once; subsets cut once per (data set, train subset, test subset). Safe for concurrent workers.</summary>
    private sealed class DataCache(Func<string, TrainingData> load)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, TrainingData> _full = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, int?, int?), TrainingData> _cut = [];

        public TrainingData Full(string dataset)
        {
            lock (_lock)
            {
                if (!_full.TryGetValue(dataset, out var data))
                    _full[dataset] = data = load(dataset) ?? throw new InvalidOperationException($"The data provider returned nothing for '{dataset}'.");
                return data;
            }
        }

        public TrainingData For(TrainingOptions options)
        {
            var key = (options.Dataset, options.TrainSubset, options.TestSubset);
            var full = Full(options.Dataset);
            lock (_lock)
            {
                if (_cut.TryGetValue(key, out var data)) return data;
                var train = options.TrainSubset is int n && n < full.Train.Count ? full.Train.Subset(n) : full.Train;
                var test = options.TestSubset is int m && m < full.Test.Count ? full.Test.Subset(m) : full.Test;
                return _cut[key] = new TrainingData(train, test);
            }
        }
    }
}
