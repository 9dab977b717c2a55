using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Tests.Ablation;

/// <summary>Tiny synthetic data and grids, so sweeps train in well under a second per run.</summary>
public static class Sweeps
{
    /// <summary>
    /// Images of 8x8 = 64 pixels in [0, 1] drawn from a few random prototypes plus noise, so that a VAE has structure to
    /// learn (the pattern of the Vae tests' TestData). Drawn from seeded <see cref="Random"/>s, so a seed gives the same set.
    /// </summary>
    public static ImageDataset Synthetic(int count, ulong seed, Split split = Split.Train, int side = 8, int prototypes = 4, ulong protoSeed = 12345)
    {
        var g = new Random(unchecked((int)seed));
        int dim = side * side;
        var protos = new float[prototypes * dim];
        var pg = new Random(unchecked((int)protoSeed));
        for (int i = 0; i < protos.Length; i++) protos[i] = pg.NextSingle() < 0.3f ? 0.9f : 0.05f;
        var pixels = new float[count * dim];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int p = g.Next(prototypes);
            labels[n] = (byte)p;
            for (int d = 0; d < dim; d++)
                pixels[n * dim + d] = Math.Clamp(protos[p * dim + d] + 0.05f * (g.NextSingle() - 0.5f), 0f, 1f);
        }
        return new ImageDataset("synthetic", split, pixels, labels, side, side);
    }

    /// <summary>A data provider with different synthetic sets for "mnist" and "fashion-mnist"; counts its calls per name.</summary>
    public sealed class Provider
    {
        public Dictionary<string, int> Calls { get; } = [];

        public TrainingData Load(string dataset)
        {
            Calls[dataset] = Calls.GetValueOrDefault(dataset) + 1;
            ulong protoSeed = dataset == "mnist" ? 12345UL : 777UL;
            return new TrainingData(Synthetic(192, 1, protoSeed: protoSeed), Synthetic(48, 2, Split.Test, protoSeed: protoSeed));
        }
    }

    /// <summary>A grid of 8x8 VAEs (64-16-2): <paramref name="axes"/> is the JSON of the "axes" object.</summary>
    public static AblationGrid Grid(string axes = """{ "activation": ["relu", "tanh"], "seed": [1, 2] }""", int epochs = 2,
        string evaluation = """{ "nllSamples": 0 }""", string name = "tiny", string extraTraining = "") =>
        AblationGrid.FromJson($$"""
        {
          "name": "{{name}}",
          "description": "test grid",
          "model": { "inputShape": [1, 8, 8], "hidden": [16], "latentDim": 2 },
          "training": { "epochs": {{epochs}}, "batchSize": 32{{extraTraining}} },
          "axes": {{axes}},
          "evaluation": {{evaluation}}
        }
        """, "tiny.json");

    /// <summary>Runs a sweep with synthetic data, one run at a time unless <paramref name="jobs"/> says otherwise.</summary>
    public static SweepSummary Run(AblationGrid grid, string store, Shard? shard = null, Action<AblationEvent>? progress = null,
        CancellationToken cancellation = default, Provider? provider = null, int jobs = 1) =>
        AblationRunner.Run(grid, store, shard ?? Shard.All, progress, cancellation, (provider ?? new Provider()).Load, jobs: jobs);

    /// <summary>A fresh folder under the temp directory, deleted by <see cref="TempDir.Dispose"/>.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wb-exp-" + Guid.NewGuid().ToString("N"));

        public TempDir() => Directory.CreateDirectory(Path);

        public string Sub(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }

    /// <summary>A record's result without timings: what must agree bit for bit between two runs of the same key.</summary>
    public static string ResultOf(RunRecord r) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            r.Key,
            r.Outcome,
            r.Message,
            Epochs = r.Epochs.Select(e => new[] { e.Epoch, e.TrainLoss, e.TestLoss, e.TestRecon, e.TestKl, e.ActiveUnits }.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
            Final = r.Final is null ? null : new object?[] { r.Final.TestLoss.ToString("R"), r.Final.TestRecon.ToString("R"), r.Final.TestKl.ToString("R"), r.Final.ActiveUnits, r.Final.TestNll?.ToString("R"), r.Final.NllSamples, r.Final.BitsPerDim.ToString("R") },
            Params = r.ActivationParameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={string.Join(",", p.Value.Select(v => v.ToString("R")))}"),
        });
}
