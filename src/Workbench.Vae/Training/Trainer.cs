using System.Diagnostics;
using Workbench.Autograd;
using Workbench.Autograd.Optim;
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
/// The epoch loop: Adam on the negative ELBO, evaluation on the test set under NoGrad and Eval() after every epoch,
/// a NaN/Inf guard that stops the run cleanly, and a checkpoint after every good epoch.
/// </summary>
public sealed class Trainer
{
    /// <summary>Raised after every optimiser step.</summary>
    public event Action<StepProgress>? StepCompleted;

    /// <summary>Raised after every epoch's evaluation (and checkpoint).</summary>
    public event Action<EpochMetrics>? EpochCompleted;

    /// <summary>Trains a new model built from <paramref name="config"/>.</summary>
    public TrainingResult Run(VaeConfig config, TrainingData data, TrainingOptions options, RunDirectory? output = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        var model = Vae.Create(config, new Generator(options.Seed));
        return Run(model, data, options, output, cancellation);
    }

    /// <summary>Trains <paramref name="model"/> in place.</summary>
    public TrainingResult Run(Vae model, TrainingData data, TrainingOptions options, RunDirectory? output = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        var config = model.Config;
        if (data.Train.Dim != config.InputDim)
            throw new ConfigException($"The model expects {config.InputDim} pixels per image but {data.Train.Describe()} has {data.Train.Dim}.");
        output?.WriteConfig(config, options);

        // One generator per purpose, all derived from the seed, so that changing e.g. evaluation does not shift training draws.
        var seeds = new Generator(options.Seed ^ 0x5EED_0F_7A11UL);
        var batchGenerator = seeds.Fork();
        var noiseGenerator = seeds.Fork();
        var batches = new Batches(data.Train, options.BatchSize, shuffle: true, batchGenerator, options.Binarization);
        var optimizer = new Adam(model.Parameters(), options.LearningRate);
        var parameters = model.Parameters().ToArray();
        var epochs = new List<EpochMetrics>();
        var test = TestEvaluator.For(data.Test, options);
        var warmup = new KlWarmup(config.Beta, options.KlWarmupSteps);
        long step = 0;

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Train();
            double lossSum = 0;
            long examples = 0;
            foreach (var batch in batches)
            {
                if (cancellation.IsCancellationRequested)
                    return Finish(model, epochs, Outcome.Cancelled, $"Cancelled during epoch {epoch}; the checkpoint of epoch {epochs.Count} is kept.", epoch, batch.Number + 1, output);
                double beta = warmup.BetaAt(step);
                optimizer.ZeroGrad();
                var terms = Elbo.Compute(batch.Images, model.Encode, model.Decode, noiseGenerator, options.Samples, beta, options.FreeBits);
                var loss = terms.Loss.Mean();
                loss.Backward();
                double value = loss.Item();
                step++;
                if (!double.IsFinite(value) || !Grads.AllFinite(parameters))
                {
                    string what = double.IsFinite(value) ? "a gradient became NaN or infinite" : $"the loss became {value}";
                    return Finish(model, epochs, Outcome.Diverged,
                        $"Training diverged in epoch {epoch}, step {batch.Number + 1}: {what} (activation '{config.Activation}', " +
                        $"learning rate {options.LearningRate}). The metrics and checkpoint of the last good epoch ({epochs.Count}) are kept. " +
                        "Try a lower learning rate, gradient clipping (--clip), or KL warm-up.", epoch, batch.Number + 1, output);
                }
                if (options.ClipGradNorm is double clip) Grads.ClipGradNorm(parameters, clip);
                optimizer.Step();
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
            output?.WriteCheckpoint(model, epochs);
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
        var images = Tensor.Zeros(test.Count, test.Dim);
        var batches = new Batches(test, options.EvalBatchSize, shuffle: false, new Generator(EvalSeed(options.Seed) + 1), mode);
        int row = 0;
        foreach (var batch in batches)
        {
            images.Slice(row, row + batch.Size).CopyFrom(batch.Images);
            row += batch.Size;
        }
        return new TestEvaluator(test, options, images);
    }

    /// <summary>The evaluation seed derived from the run's seed.</summary>
    public static ulong EvalSeed(ulong seed) => seed * 0x9E3779B97F4A7C15UL + 0xE7A1;

    /// <summary>The test images, [N, D].</summary>
    public Tensor Images => _images;

    /// <summary>Mean negative ELBO (one z sample per image), reconstruction, KL and active units over the test set.</summary>
    public (double Loss, double Reconstruction, double Kl, int ActiveUnits) Evaluate(Vae model) =>
        Inspect.InEval(model, () =>
        {
            var generator = new Generator(EvalSeed(_options.Seed));
            double loss = 0, recon = 0, kl = 0;
            var means = new List<Tensor>();
            int n = _images.Shape[0];
            for (int s = 0; s < n; s += _options.EvalBatchSize)
            {
                var x = _images.Slice(s, Math.Min(n, s + _options.EvalBatchSize));
                var q = model.Encode(x);
                var terms = Elbo.Compute(x, q, model.Decode(Vae.Reparameterize(q, generator)), beta: 1.0);
                loss += terms.Loss.Sum().Item();
                recon += terms.Reconstruction.Sum().Item();
                kl += terms.Kl.Sum().Item();
                means.Add(q.Mean);
            }
            int active = Metrics.ActiveUnits(Tensor.Cat(means, 0));
            return (loss / n, recon / n, kl / n, active);
        });

    /// <summary>Describes the evaluated data.</summary>
    public override string ToString() => _data.Describe();
}
