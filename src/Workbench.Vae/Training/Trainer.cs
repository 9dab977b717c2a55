using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using Workbench.Vae.Torch;
using static TorchSharp.torch;
using Workbench.Vae.Data;
using Workbench.Vae.Evaluation;
using Workbench.Vae.Objectives;

namespace Workbench.Vae.Training;

// Inside the namespace so that "Vae" means the model type, not the Workbench.Vae namespace.
using Workbench.Vae.Models;

/// <summary>Metrics of one epoch; losses are negative ELBO per example in nats.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TestLoss, double TestRecon, double TestKl,
    int ActiveUnits, double TrainSeconds, double EvalSeconds);

/// <summary>How a run ended.</summary>
public enum Outcome { Completed, Diverged, Cancelled }

/// <summary>The trained model, its per-epoch metrics and how the run ended.</summary>
/// <param name="Message">For a diverged or cancelled run: what happened, where, and what to try.</param>
public sealed record TrainingResult(Vae Model, IReadOnlyList<EpochMetrics> Epochs, Outcome Outcome, string? Message = null,
    int? FailedEpoch = null, int? FailedStep = null)
{
    public EpochMetrics? Last => Epochs.Count > 0 ? Epochs[^1] : null;
}

/// <summary>Progress of a step, for progress bars and live plots.</summary>
public readonly record struct StepProgress(int Epoch, int Step, int StepsPerEpoch, double Loss);

/// <summary>The training and test images a run uses.</summary>
public sealed record TrainingData(ImageDataset Train, ImageDataset Test)
{
    /// <summary>Loads the data set the options name (fetching it on first use when allowed), cut to the subsets asked for.</summary>
    public static TrainingData Load(TrainingOptions options, string? dataRoot = null, bool fetchIfMissing = true, Action<string>? log = null)
    {
        var train = ImageDataset.Load(options.DatasetName, Split.Train, dataRoot, fetchIfMissing, log);
        var test = ImageDataset.Load(options.DatasetName, Split.Test, dataRoot, fetchIfMissing, log);
        if (options.TrainSubset is int n && n < train.Count) train = train.Subset(n);
        if (options.TestSubset is int m && m < test.Count) test = test.Subset(m);
        return new TrainingData(train, test);
    }
}

/// <summary>
/// The epoch loop: Adam on the negative ELBO, evaluation on the test set under no_grad and eval() after every epoch,
/// a NaN/Inf guard that stops the run cleanly, and a checkpoint after every good epoch. Every step runs in its own
/// dispose scope, so native memory does not grow across steps.
/// </summary>
public sealed class Trainer
{
    /// <summary>Raised after every optimiser step.</summary>
    public event Action<StepProgress>? StepCompleted;

    /// <summary>Raised after every epoch's evaluation (and checkpoint).</summary>
    public event Action<EpochMetrics>? EpochCompleted;

    /// <summary>Trains a new model built from <paramref name="config"/> (initial weights from the run's seed).</summary>
    public TrainingResult Run(VaeConfig config, TrainingData data, TrainingOptions options, RunDirectory? output = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        var model = Vae.Create(config, new torch.Generator(options.Seed));
        return Run(model, data, options, output, cancellation);
    }

    /// <summary>Trains <paramref name="model"/> in place (it is moved to <see cref="TrainingOptions.Device"/> first).</summary>
    public TrainingResult Run(Vae model, TrainingData data, TrainingOptions options, RunDirectory? output = null,
        CancellationToken cancellation = default) =>
        Train(model, data, options.Validate(), output, resume: false, cancellation);

    /// <summary>
    /// Continues the run in <paramref name="run"/> from the end of its last finished epoch up to <paramref name="epochs"/>
    /// epochs in all (default: the epochs its config.json asks for): weights, Adam's moments, the batch order and noise
    /// streams are restored from trainer.safetensors, so the result is bit for bit the one an uninterrupted run gives.
    /// </summary>
    /// <param name="device">Train on this device instead of the recorded one ("cpu", "cuda", "cuda:N").</param>
    public TrainingResult Resume(RunDirectory run, TrainingData data, int? epochs = null, string? device = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var recorded = run.ReadConfig();
        var options = (recorded.Training with { Epochs = epochs ?? recorded.Training.Epochs, Device = device ?? recorded.Training.Device }).Validate();
        var model = Vae.Create(recorded.Model, new torch.Generator(options.Seed));
        return Train(model, data, options, run, resume: true, cancellation);
    }

    private TrainingResult Train(Vae model, TrainingData data, TrainingOptions options, RunDirectory? output, bool resume,
        CancellationToken cancellation)
    {
        var config = model.Config;
        if (data.Train.Dim != config.InputDim)
            throw new ConfigException($"The model expects {config.InputDim} pixels per image but {data.Train.Describe()} has {data.Train.Dim}.");
        var device = TorchRuntime.Device(options.Device);
        model.to(device);

        // One generator per purpose, each seeded from the run's seed and its purpose, so that changing e.g. evaluation
        // does not shift training draws.
        var batchGenerator = new torch.Generator(Seeds.Derive(options.Seed, Seeds.Batches));
        var noiseGenerator = new torch.Generator(Seeds.Derive(options.Seed, Seeds.Noise), device);
        // Built before a checkpoint's generator state is restored: a static sample is drawn here, from the seed alone.
        var batches = new Batches(data.Train, options.BatchSize, shuffle: true, batchGenerator, options.Binarization);
        using var training = new TrainingStep(model, options, noiseGenerator);
        var optimizer = training.Optimizer;
        var epochs = new List<EpochMetrics>();
        long step = 0;
        if (resume)
        {
            var at = TrainerState.Load(output!.File(RunDirectory.TrainerStateFile), model, optimizer, batchGenerator, noiseGenerator);
            epochs.AddRange(at.Epochs);
            step = at.Step;
            // A run killed between writing its checkpoint files is repaired here: everything is rewritten from the state.
            output.WriteCheckpoint(model, optimizer, batchGenerator, noiseGenerator, epochs, step);
        }
        output?.WriteConfig(config, options);
        var test = TestEvaluator.For(data.Test, options);
        var warmup = new KlWarmup(config.Beta, options.KlWarmupSteps);

        for (int epoch = epochs.Count + 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRateSchedule.At(options, epoch);
            model.train();
            double lossSum = 0;
            long examples = 0;
            foreach (var batch in batches)
            {
                if (cancellation.IsCancellationRequested)
                    return Finish(model, epochs, Outcome.Cancelled, $"Cancelled during epoch {epoch}; the checkpoint of epoch {epochs.Count} is kept.", epoch, batch.Number + 1, output);
                double value = training.Run(batch.Images, warmup.BetaAt(step));
                step++;
                if (!double.IsFinite(value))
                    return Finish(model, epochs, Outcome.Diverged,
                        $"Training diverged in epoch {epoch}, step {batch.Number + 1}: the loss became {value} (activation '{config.Activation}', " +
                        $"learning rate {LearningRateSchedule.At(options, epoch)}). The metrics and checkpoint of the last good epoch ({epochs.Count}) are kept. " +
                        "Try a lower learning rate, gradient clipping (--clip), or KL warm-up.", epoch, batch.Number + 1, output);
                lossSum += value * batch.Size;
                examples += batch.Size;
                StepCompleted?.Invoke(new StepProgress(epoch, batch.Number + 1, batches.Count, value));
            }
            double trainSeconds = clock.Elapsed.TotalSeconds;

            clock.Restart();
            var eval = test.Evaluate(model);
            double evalSeconds = clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(eval.Loss))
                return Finish(model, epochs, Outcome.Diverged,
                    $"Training diverged after epoch {epoch}: the test loss is {eval.Loss} (activation '{config.Activation}'). " +
                    $"The metrics and checkpoint of the last good epoch ({epochs.Count}) are kept. Try a lower learning rate or gradient clipping.",
                    epoch, null, output);
            var metrics = new EpochMetrics(epoch, lossSum / examples, eval.Loss, eval.Reconstruction, eval.Kl, eval.ActiveUnits, trainSeconds, evalSeconds);
            epochs.Add(metrics);
            output?.WriteCheckpoint(model, optimizer, batchGenerator, noiseGenerator, epochs, step);
            EpochCompleted?.Invoke(metrics);
        }
        return Finish(model, epochs, Outcome.Completed, null, null, null, output);
    }

    private static TrainingResult Finish(Vae model, List<EpochMetrics> epochs, Outcome outcome, string? message, int? epoch, int? step, RunDirectory? output)
    {
        var result = new TrainingResult(model, epochs, outcome, message, epoch, step);
        output?.WriteResult(result);
        return result;
    }
}

/// <summary>Test-set evaluation with a fixed noise stream, so that the same weights always give the same numbers.</summary>
public sealed class TestEvaluator
{
    private readonly ImageDataset _data;
    private readonly TrainingOptions _options;
    private readonly Tensor _images;

    private TestEvaluator(ImageDataset data, TrainingOptions options, Tensor images)
    {
        _data = data;
        _options = options;
        _images = images;
    }

    /// <summary>The test images as the run sees them: grey levels, thresholded, or one fixed seeded binarisation
    /// (for static-sample and dynamic training, as in the IWAE protocol).</summary>
    public static TestEvaluator For(ImageDataset test, TrainingOptions options)
    {
        var mode = options.Binarization switch
        {
            Binarization.Dynamic => Binarization.StaticSample,
            var m => m,
        };
        var device = TorchRuntime.Device(options.Device);
        // Kept for the run's lifetime, outside any dispose scope of the caller's; on the run's device.
        var images = torch.zeros(test.Count, test.Dim, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();   // [N, D]
        var batches = new Batches(test, options.EvalBatchSize, shuffle: false, new torch.Generator(EvalSeed(options.Seed) + 1), mode);
        long row = 0;
        using (torch.no_grad())
        {
            foreach (var batch in batches)
            {
                using var rows = images.narrow(0, row, batch.Size);
                rows.copy_(batch.Images);
                row += batch.Size;
            }
        }
        return new TestEvaluator(test, options, images);
    }

    /// <summary>The evaluation seed derived from the run's seed.</summary>
    public static ulong EvalSeed(ulong seed) => seed * 0x9E3779B97F4A7C15UL + 0xE7A1;

    /// <summary>The test images, [N, D].</summary>
    public Tensor Images => _images;

    /// <summary>Mean negative ELBO (one z sample per image), reconstruction, KL and active units over the test set.
    /// The model must be on the run's device (the trainer moves it). One dispose scope per batch.</summary>
    public (double Loss, double Reconstruction, double Kl, int ActiveUnits) Evaluate(Vae model) =>
        Inspect.InEval(model, () =>   // eval mode, no_grad and a dispose scope around the whole pass
        {
            var generator = new torch.Generator(EvalSeed(_options.Seed), _images.device);
            double loss = 0, recon = 0, kl = 0;
            var means = new List<Tensor>();
            long n = _images.shape[0];
            for (long s = 0; s < n; s += _options.EvalBatchSize)
            {
                using var batchScope = torch.NewDisposeScope();
                var x = _images.narrow(0, s, Math.Min(_options.EvalBatchSize, n - s));   // [B, D]
                var q = model.Encode(x);
                var terms = Elbo.Compute(x, q, model.Decode(Vae.Reparameterize(q, generator)), beta: 1.0);
                // Sums of the three terms in one float64 tensor [3], read back with one copy.
                var sums = torch.stack([terms.Loss.sum(), terms.Reconstruction.sum(), terms.Kl.sum()]).to(ScalarType.Float64).cpu().data<double>().ToArray();
                loss += sums[0];
                recon += sums[1];
                kl += sums[2];
                means.Add(q.Mean.MoveToOuterDisposeScope());
            }
            int active = Metrics.ActiveUnits(torch.cat(means, 0));
            return (loss / n, recon / n, kl / n, active);
        });

    /// <summary>Describes the evaluated data.</summary>
    public override string ToString() => _data.Describe();
}
