using Workbench.Experiments.Ablation;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Store;

/// <summary>
/// One finished run of an ablation, as stored (one JSON object per line in the run store). Written once, never edited.
/// </summary>
/// <param name="Format">Record format version (1); a reader rejects versions it does not know.</param>
/// <param name="Key">Stable hash of the fully resolved <see cref="Config"/>: the run's identity across shards and resumes.</param>
/// <param name="Grid">Name of the grid the run belongs to.</param>
/// <param name="Config">The resolved model and training configuration.</param>
/// <param name="Outcome">"completed", "diverged" or "cancelled".</param>
/// <param name="Message">For a run that did not complete: what happened.</param>
/// <param name="Epochs">Per-epoch metrics (negative ELBO per example, nats).</param>
/// <param name="Final">Metrics of the last good epoch plus the final evaluation.</param>
/// <param name="ActivationParameters">Learned activation parameters after training, by module path (PReLU slopes, Swish beta,
/// the adaptive mixture's softmax weights); empty for fixed activations.</param>
/// <param name="WallSeconds">Wall time of the whole run, evaluation included.</param>
/// <param name="FinishedAt">When the record was written (UTC).</param>
/// <param name="Evaluation">The evaluation the grid asked for (part of the key); null in records that predate it, read as none.</param>
public sealed record RunRecord(
    int Format,
    string Key,
    string Grid,
    RunConfig Config,
    string Outcome,
    string? Message,
    IReadOnlyList<EpochMetrics> Epochs,
    FinalMetrics? Final,
    IReadOnlyDictionary<string, double[]> ActivationParameters,
    double WallSeconds,
    DateTimeOffset FinishedAt,
    EvaluationSettings? Evaluation = null)
{
    public const int CurrentFormat = 1;
}

/// <summary>Final metrics of a run.</summary>
/// <param name="TestLoss">Test negative ELBO per example (one z sample), nats.</param>
/// <param name="TestRecon">Test reconstruction term, nats.</param>
/// <param name="TestKl">Test KL term, nats.</param>
/// <param name="ActiveUnits">Active latent units (Burda et al. 2016).</param>
/// <param name="TestNll">Importance-sampled test NLL (IWAE bound with k samples), when evaluated.</param>
/// <param name="NllSamples">k used for <see cref="TestNll"/>.</param>
/// <param name="BitsPerDim">TestNll (or TestLoss when no NLL) in bits per dimension.</param>
/// <param name="SecondsPerEpoch">Mean training seconds per epoch (evaluation excluded).</param>
public sealed record FinalMetrics(
    double TestLoss,
    double TestRecon,
    double TestKl,
    int ActiveUnits,
    double? TestNll,
    int? NllSamples,
    double BitsPerDim,
    double SecondsPerEpoch);
