using Workbench.Vae.Data;
using Workbench.Vae.Torch;

namespace Workbench.Vae.Training;

/// <summary>How a VAE is trained and evaluated. Defaults follow the pytorch/examples VAE.</summary>
/// <param name="Dataset">"mnist" or "fashion-mnist".</param>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Examples per optimiser step.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Seed">Seeds initial weights, shuffling, binarisation and every reparameterisation draw.</param>
/// <param name="Binarization">none (grey levels as Bernoulli targets), static or dynamic (IWAE protocol).</param>
/// <param name="ClipGradNorm">Clip the global gradient norm to this value (null = no clipping).</param>
/// <param name="KlWarmupSteps">Raise the KL weight linearly from 0 to beta over this many steps (0 = off).</param>
/// <param name="FreeBits">Free-bits floor per latent dimension, in nats (0 = off).</param>
/// <param name="Samples">Monte Carlo samples of z per example in the training ELBO.</param>
/// <param name="TrainSubset">Use only the first N training images (null = all), for quick runs.</param>
/// <param name="TestSubset">Use only the first N test images (null = all).</param>
/// <param name="EvalBatchSize">Batch size for evaluation (memory only; results do not depend on it).</param>
/// <param name="Device">Where the model and batches live: "cpu" (default), "cuda" or "cuda:N".</param>
/// <param name="Schedule">The learning rate over epochs: "constant", or "iwae" (Burda et al. 2016, sec. 5: stage i = 0, 1, ...
/// lasts 3^i epochs at LearningRate * 10^(-i/7); their 3280 epochs are stages 0 to 7).</param>
/// <param name="AdamEpsilon">Adam's epsilon (Kingma and Ba 2015): 1e-8 as in PyTorch; the IWAE paper used 1e-4.</param>
public sealed record TrainingOptions(
    string Dataset = "mnist",
    int Epochs = 10,
    int BatchSize = 128,
    double LearningRate = 1e-3,
    ulong Seed = 1,
    Binarization Binarization = Binarization.None,
    double? ClipGradNorm = null,
    int KlWarmupSteps = 0,
    double FreeBits = 0,
    int Samples = 1,
    int? TrainSubset = null,
    int? TestSubset = null,
    int EvalBatchSize = 1000,
    string Device = "cpu",
    string Schedule = "constant",
    double AdamEpsilon = 1e-8)
{
    /// <summary>The IWAE paper's protocol (Burda et al. 2016, sec. 5): batch 20, dynamic binarisation, Adam with epsilon 1e-4
    /// and the 3^i-epoch stages of learning rate 1e-3 * 10^(-i/7), i = 0..7: 3280 epochs.</summary>
    public static TrainingOptions IwaePaper => new(Epochs: LearningRateSchedule.IwaeEpochs(8), BatchSize: 20, Binarization: Binarization.Dynamic,
        Schedule: LearningRateSchedule.Iwae, AdamEpsilon: 1e-4);

    public static IReadOnlyList<string> Datasets { get; } = ["mnist", "fashion-mnist"];

    /// <summary>Checks every field; throws a <see cref="ConfigException"/> naming the first bad one.</summary>
    public TrainingOptions Validate()
    {
        if (!Datasets.Contains(Dataset)) throw new ConfigException($"dataset '{Dataset}' is not known; use {string.Join(" or ", Datasets)}.");
        if (Epochs <= 0) throw new ConfigException($"epochs must be positive, got {Epochs}.");
        if (BatchSize <= 0) throw new ConfigException($"batch size must be positive, got {BatchSize}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ConfigException($"learning rate must be a positive number, got {LearningRate}.");
        if (ClipGradNorm is double c && !(c > 0)) throw new ConfigException($"clipGradNorm must be positive when given, got {c}.");
        if (KlWarmupSteps < 0) throw new ConfigException($"klWarmupSteps must be >= 0, got {KlWarmupSteps}.");
        if (!(FreeBits >= 0)) throw new ConfigException($"freeBits must be >= 0, got {FreeBits}.");
        if (Samples <= 0) throw new ConfigException($"samples must be positive, got {Samples}.");
        if (TrainSubset is <= 0) throw new ConfigException($"trainSubset must be positive when given, got {TrainSubset}.");
        if (TestSubset is <= 0) throw new ConfigException($"testSubset must be positive when given, got {TestSubset}.");
        if (EvalBatchSize <= 0) throw new ConfigException($"evalBatchSize must be positive, got {EvalBatchSize}.");
        if (!LearningRateSchedule.Names.Contains(Schedule))
            throw new ConfigException($"schedule '{Schedule}' is not known; use {string.Join(" or ", LearningRateSchedule.Names)}.");
        if (!(AdamEpsilon > 0) || !double.IsFinite(AdamEpsilon)) throw new ConfigException($"adamEpsilon must be a positive number, got {AdamEpsilon}.");
        if (string.IsNullOrWhiteSpace(Device)) throw new ConfigException("device is empty; use cpu, cuda or cuda:N.");
        TorchRuntime.CheckDeviceName(Device);   // availability is checked where the device is used
        return this;
    }

    [System.Text.Json.Serialization.JsonIgnore]
    public DatasetName DatasetName => Dataset == "mnist" ? DatasetName.Mnist : DatasetName.FashionMnist;
}
