using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Workbench.Vae;
using Workbench.Vae.Activations;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Ablation;

/// <summary>What a run measures after training, beyond the per-epoch test ELBO.</summary>
/// <param name="NllSamples">Importance samples k for the test NLL estimate (Burda et al. 2016 use 5000); 0 = no NLL.</param>
/// <param name="NllSubset">Estimate the NLL on the first N test images only (null = all of them).</param>
public sealed record EvaluationSettings(int NllSamples = 0, int? NllSubset = null)
{
    /// <summary>Checks every field; throws a <see cref="ConfigException"/> naming the bad one.</summary>
    public EvaluationSettings Validate()
    {
        if (NllSamples < 0) throw new ConfigException($"nllSamples must be >= 0 (0 = no NLL estimate), got {NllSamples}.");
        if (NllSubset is <= 0) throw new ConfigException($"nllSubset must be positive when given (or null for the whole test set), got {NllSubset}.");
        return this;
    }

    /// <summary>The same settings with fields that cannot matter dropped (no subset when there is no NLL), so equal
    /// evaluations give equal run keys.</summary>
    public EvaluationSettings Resolved() => NllSamples == 0 ? this with { NllSubset = null } : this;
}

/// <summary>One run of a grid: its key, its fully resolved configuration, what to evaluate, and which axis values made it.</summary>
/// <param name="Key">See <see cref="RunKey"/>.</param>
/// <param name="Config">Model and training options with every default filled in.</param>
/// <param name="Evaluation">Evaluation after training.</param>
/// <param name="Label">The grid's axis values for this run, e.g. "activation=relu seed=1" (for progress and tables).</param>
public sealed record RunSpec(string Key, RunConfig Config, EvaluationSettings Evaluation, string Label);

/// <summary>
/// A run's identity: the first 16 hex digits of SHA-256 over the canonical JSON of its resolved configuration.
/// The same run gets the same key on every machine, in every grid order and every shard, so a store knows what is done.
/// </summary>
public static class RunKey
{
    private static readonly JsonSerializerOptions Canonical = new(VaeConfig.JsonOptions) { WriteIndented = false };

    /// <summary>
    /// The configuration as the key sees it: defaults filled in (<see cref="VaeConfig.Resolved"/>) and the activation's
    /// alias replaced by its registered name ("swish" and "silu" are one model, so one run).
    /// </summary>
    public static RunConfig Resolve(RunConfig config)
    {
        var model = config.Model.Resolved();
        if (ActivationRegistry.Contains(model.Activation))
            model = model with { Activation = ActivationRegistry.Get(model.Activation).Name };
        return new RunConfig(model, config.Training);
    }

    /// <summary>
    /// {"model":...,"training":...,"evaluation":...} on one line: the model's <see cref="VaeConfig.CanonicalJson"/>,
    /// the training options (<see cref="TrainingJson"/>) and the evaluation settings serialised with the config
    /// options (camelCase, enums as strings, doubles in their shortest round-trip form), nothing indented.
    /// </summary>
    public static string CanonicalJson(RunConfig config, EvaluationSettings evaluation)
    {
        var resolved = Resolve(config);
        return "{\"model\":" + resolved.Model.CanonicalJson()
            + ",\"training\":" + TrainingJson(resolved.Training)
            + ",\"evaluation\":" + JsonSerializer.Serialize(evaluation.Resolved(), Canonical) + "}";
    }

    /// <summary>
    /// The training options on one line without <see cref="TrainingOptions.Device"/>: the device says where a run
    /// trains, not what it is, so a sweep resumed or sharded on another device (and every key written before the
    /// option existed) keeps its keys. Options added later are left out at their defaults for the same reason.
    /// </summary>
    public static string TrainingJson(TrainingOptions training)
    {
        ArgumentNullException.ThrowIfNull(training);
        var node = JsonSerializer.SerializeToNode(training, Canonical)!.AsObject();
        node.Remove("device");
        var defaults = new TrainingOptions();
        if (training.Schedule == defaults.Schedule) node.Remove("schedule");
        if (training.AdamEpsilon.Equals(defaults.AdamEpsilon)) node.Remove("adamEpsilon");
        return node.ToJsonString(Canonical);
    }

    /// <summary>The key: 16 lower-case hex digits (64 bits of SHA-256; a collision within a grid is not a practical concern).</summary>
    public static string Compute(RunConfig config, EvaluationSettings evaluation)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson(config, evaluation)));
        return Convert.ToHexStringLower(hash, 0, 8);
    }
}

/// <summary>Shard <see cref="Index"/> of <see cref="Count"/>: the runs whose position in the grid's expansion is Index modulo Count.</summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole grid in one process.</summary>
    public static Shard All => new(0, 1);

    /// <summary>Throws an <see cref="ArgumentException"/> unless 0 &lt;= Index &lt; Count.</summary>
    public Shard Validate()
    {
        if (Count < 1) throw new ArgumentException($"shard count must be at least 1, got {Count}.");
        if (Index < 0 || Index >= Count)
            throw new ArgumentException($"shard index {Index} is out of range for {Count} shards: use 0 to {Count - 1} (e.g. --shard 0/{Count}).");
        return this;
    }

    /// <summary>True when the run at this position of the expansion belongs to this shard.</summary>
    public bool Contains(int position) => position % Count == Index;

    /// <summary>Parses "i/n" (e.g. "3/8"); a malformed or out-of-range value says what is expected.</summary>
    public static Shard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw new ArgumentException($"--shard '{text}' is not of the form i/n with whole numbers, e.g. 0/8 (shard 0 of 8).");
        if (count < 1) throw new ArgumentException($"--shard '{text}': the shard count n must be at least 1.");
        if (index >= count)
            throw new ArgumentException($"--shard '{text}': the shard index must be below the shard count (0 <= i < {count}), e.g. {count - 1}/{count}.");
        return new Shard(index, count).Validate();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
