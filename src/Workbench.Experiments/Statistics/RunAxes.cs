using System.Globalization;
using System.Text.Json;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Statistics;

/// <summary>One field of a run's configuration that an ablation can vary, as display text ("0.5", "200-200").</summary>
/// <param name="Name">Column-style name, e.g. "latent_dim".</param>
/// <param name="Value">The field's value in a configuration, formatted invariantly.</param>
public sealed record RunAxis(string Name, Func<RunConfig, string> Value);

/// <summary>
/// A set of runs that differ only in activation and seed: the data set plus every other configuration field
/// that varies across the records, with its value here. Two groups are equal when their labels are.
/// </summary>
public sealed class RunGroup : IEquatable<RunGroup>
{
    public RunGroup(IReadOnlyList<KeyValuePair<string, string>> axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        Axes = axes;
        Label = string.Join(", ", axes.Select(a => a.Key == "dataset" ? a.Value : $"{a.Key}={a.Value}"));
    }

    /// <summary>(axis name, value) pairs, dataset first.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Axes { get; }

    /// <summary>"mnist" or "mnist, latent_dim=2, beta=4".</summary>
    public string Label { get; }

    public bool Equals(RunGroup? other) => other is not null && Label == other.Label;

    public override bool Equals(object? obj) => Equals(obj as RunGroup);

    public override int GetHashCode() => Label.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Label;
}

/// <summary>The configuration fields runs can differ in, and how records fall into <see cref="RunGroup"/>s.</summary>
public static class RunAxes
{
    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string F(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Camel(Enum e) => JsonNamingPolicy.CamelCase.ConvertName(e.ToString());

    /// <summary>Hidden widths as "400" or "200-200".</summary>
    public static string Hidden(VaeConfig model) => string.Join("-", model.ResolvedHidden.Select(F));

    /// <summary>Every axis except activation and seed, in display order (dataset first).</summary>
    public static IReadOnlyList<RunAxis> All { get; } =
    [
        new("dataset", c => c.Training.Dataset),
        new("architecture", c => c.Model.Architecture),
        new("input_shape", c => string.Join("x", c.Model.ResolvedInputShape.Select(F))),
        new("hidden", c => Hidden(c.Model)),
        new("latent_dim", c => F(c.Model.LatentDim)),
        new("likelihood", c => Camel(c.Model.Likelihood)),
        new("output_logvar", c => F(c.Model.OutputLogVar)),
        new("beta", c => F(c.Model.Beta)),
        new("dropout", c => F(c.Model.Dropout)),
        new("epochs", c => F(c.Training.Epochs)),
        new("batch_size", c => F(c.Training.BatchSize)),
        new("learning_rate", c => F(c.Training.LearningRate)),
        new("binarization", c => Camel(c.Training.Binarization)),
        new("clip", c => c.Training.ClipGradNorm is double clip ? F(clip) : "none"),
        new("kl_warmup", c => F(c.Training.KlWarmupSteps)),
        new("free_bits", c => F(c.Training.FreeBits)),
        new("samples", c => F(c.Training.Samples)),
        new("train_subset", c => c.Training.TrainSubset is int n ? F(n) : "all"),
        new("test_subset", c => c.Training.TestSubset is int m ? F(m) : "all"),
    ];

    /// <summary>The dataset axis plus every other axis that takes more than one value across <paramref name="records"/>.</summary>
    public static IReadOnlyList<RunAxis> Varying(IEnumerable<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records as IReadOnlyList<RunRecord> ?? records.ToList();
        return All.Where(a => a.Name == "dataset" || list.Select(r => a.Value(r.Config)).Distinct(StringComparer.Ordinal).Skip(1).Any()).ToList();
    }

    /// <summary>The group of one record along <paramref name="axes"/>.</summary>
    public static RunGroup GroupOf(RunRecord record, IReadOnlyList<RunAxis> axes) =>
        new(axes.Select(a => new KeyValuePair<string, string>(a.Name, a.Value(record.Config))).ToList());

    /// <summary>
    /// What pairs a run with its baseline partner: the whole resolved configuration except the activation
    /// ("same everything but activation"), seed included.
    /// </summary>
    public static string PairingKey(RunConfig config) =>
        (config.Model with { Activation = "" }).CanonicalJson() + "|" + Ablation.RunKey.TrainingJson(config.Training);

    /// <summary>True when two activation names denote the same registered activation (an alias and its target, e.g. swish and silu).</summary>
    public static bool SameActivation(string a, string b) =>
        a == b || (Workbench.Vae.Activations.ActivationRegistry.Contains(a) && Workbench.Vae.Activations.ActivationRegistry.Contains(b)
                   && Workbench.Vae.Activations.ActivationRegistry.Get(a).Name == Workbench.Vae.Activations.ActivationRegistry.Get(b).Name);
}

/// <summary>A per-run number a summary, comparison or ranking is computed from; NaN when the run lacks it.</summary>
/// <param name="Name">Column-style name ("test_loss").</param>
/// <param name="Label">Human label with units.</param>
/// <param name="Value">The number of a run with final metrics; NaN when missing.</param>
public sealed record Metric(string Name, string Label, Func<FinalMetrics, double> Value)
{
    public static Metric TestLoss { get; } = new("test_loss", "test negative ELBO (nats)", f => f.TestLoss);
    public static Metric TestNll { get; } = new("test_nll", "test NLL, importance sampled (nats)", f => f.TestNll ?? double.NaN);
    public static Metric TestRecon { get; } = new("test_recon", "test reconstruction (nats)", f => f.TestRecon);
    public static Metric TestKl { get; } = new("test_kl", "test KL (nats)", f => f.TestKl);
    public static Metric ActiveUnits { get; } = new("active_units", "active units", f => f.ActiveUnits);
    public static Metric BitsPerDim { get; } = new("bits_per_dim", "bits per dimension", f => f.BitsPerDim);
    public static Metric SecondsPerEpoch { get; } = new("seconds_per_epoch", "seconds per epoch", f => f.SecondsPerEpoch);

    /// <summary>The metric of a record: NaN unless the run completed and has final metrics.</summary>
    public double Of(RunRecord record) => IsCompleted(record) ? Value(record.Final!) : double.NaN;

    /// <summary>
    /// The headline loss: the importance-sampled NLL when every completed run has one (a tighter bound on
    /// -log p(x) than the ELBO), else the test negative ELBO.
    /// </summary>
    public static Metric Primary(IEnumerable<RunRecord> records)
    {
        var completed = records.Where(IsCompleted).ToList();
        return completed.Count > 0 && completed.All(r => r.Final!.TestNll is double v && !double.IsNaN(v)) ? TestNll : TestLoss;
    }

    /// <summary>A run counts in statistics when it completed and carries final metrics.</summary>
    public static bool IsCompleted(RunRecord record) => record.Outcome == "completed" && record.Final is not null;
}
