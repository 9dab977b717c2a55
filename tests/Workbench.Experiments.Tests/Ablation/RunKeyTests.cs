using System.Security.Cryptography;
using System.Text;
using Workbench.Experiments.Ablation;
using Workbench.Vae;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Tests.Ablation;

public class RunKeyTests
{
    private static readonly RunConfig Fixed = new(VaeConfig.PytorchExamples, new TrainingOptions(Epochs: 2, Seed: 1));

    /// <summary>
    /// The canonical text and the key of one fixed run, written out. If this fails, every stored key changes meaning:
    /// stores written before the change would re-run everything. Change it only on purpose (and say so in the notes).
    /// </summary>
    [Fact]
    public void KeyOfAFixedConfigIsStable()
    {
        const string canonical =
            "{\"model\":{\"architecture\":\"mlp\",\"inputShape\":[1,28,28],\"hidden\":[400],\"latentDim\":20,\"activation\":\"relu\"," +
            "\"likelihood\":\"bernoulli\",\"outputLogVar\":0,\"beta\":1,\"dropout\":0}," +
            "\"training\":{\"dataset\":\"mnist\",\"epochs\":2,\"batchSize\":128,\"learningRate\":0.001,\"seed\":1,\"binarization\":\"none\"," +
            "\"clipGradNorm\":null,\"klWarmupSteps\":0,\"freeBits\":0,\"samples\":1,\"trainSubset\":null,\"testSubset\":null,\"evalBatchSize\":1000}," +
            "\"evaluation\":{\"nllSamples\":0,\"nllSubset\":null}}";
        Assert.Equal(canonical, RunKey.CanonicalJson(Fixed, new EvaluationSettings()));
        // The key is the first 8 bytes of SHA-256 over the UTF-8 text, in lower-case hex.
        string expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        Assert.Equal(expected, RunKey.Compute(Fixed, new EvaluationSettings()));
        Assert.Equal("75a5aec809bfd301", RunKey.Compute(Fixed, new EvaluationSettings()));
    }

    [Fact]
    public void DefaultsAndAliasesResolveToTheSameKey()
    {
        var explicitDefaults = new RunConfig(new VaeConfig(InputShape: [1, 28, 28], Hidden: [400]), new TrainingOptions(Epochs: 2, Seed: 1));
        Assert.Equal(RunKey.Compute(Fixed, new()), RunKey.Compute(explicitDefaults, new()));
        var swish = Fixed with { Model = Fixed.Model with { Activation = "swish" } };
        var silu = Fixed with { Model = Fixed.Model with { Activation = "silu" } };
        Assert.Equal(RunKey.Compute(silu, new()), RunKey.Compute(swish, new()));
        // A subset without an NLL does nothing, so it does not change the key.
        Assert.Equal(RunKey.Compute(Fixed, new()), RunKey.Compute(Fixed, new EvaluationSettings(0, 500)));
    }

    [Fact]
    public void TheDeviceIsNotPartOfTheKey()
    {
        // Where a run trains is not what it is: a sweep resumed or sharded on a GPU keeps its keys (and its pairings).
        var onGpu = Fixed with { Training = Fixed.Training with { Device = "cuda" } };
        Assert.Equal(RunKey.CanonicalJson(Fixed, new()), RunKey.CanonicalJson(onGpu, new()));
        Assert.Equal(RunKey.Compute(Fixed, new()), RunKey.Compute(onGpu, new()));
        Assert.DoesNotContain("device", RunKey.TrainingJson(onGpu.Training));
        Assert.Equal(Workbench.Experiments.Statistics.RunAxes.PairingKey(Fixed), Workbench.Experiments.Statistics.RunAxes.PairingKey(onGpu));
    }

    [Fact]
    public void EveryFieldChangesTheKey()
    {
        string baseKey = RunKey.Compute(Fixed, new());
        var variants = new (string What, RunConfig Config, EvaluationSettings Evaluation)[]
        {
            ("activation", Fixed with { Model = Fixed.Model with { Activation = "tanh" } }, new()),
            ("latent", Fixed with { Model = Fixed.Model with { LatentDim = 2 } }, new()),
            ("hidden", Fixed with { Model = Fixed.Model with { Hidden = [200, 200] } }, new()),
            ("beta", Fixed with { Model = Fixed.Model with { Beta = 1.0000000000000002 } }, new()),
            ("seed", Fixed with { Training = Fixed.Training with { Seed = 2 } }, new()),
            ("epochs", Fixed with { Training = Fixed.Training with { Epochs = 3 } }, new()),
            ("lr", Fixed with { Training = Fixed.Training with { LearningRate = 3e-4 } }, new()),
            ("dataset", Fixed with { Training = Fixed.Training with { Dataset = "fashion-mnist" } }, new()),
            // Added after the first stores were written: part of the key only when not at their defaults (the golden key above holds).
            ("schedule", Fixed with { Training = Fixed.Training with { Schedule = "iwae" } }, new()),
            ("adam epsilon", Fixed with { Training = Fixed.Training with { AdamEpsilon = 1e-4 } }, new()),
            ("nll", Fixed, new EvaluationSettings(100)),
            ("nll subset", Fixed, new EvaluationSettings(100, 500)),
        };
        var keys = variants.Select(v => RunKey.Compute(v.Config, v.Evaluation)).Prepend(baseKey).ToArray();
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.All(keys, k => Assert.Matches("^[0-9a-f]{16}$", k));
    }

    [Fact]
    public void KeysDoNotDependOnTheOrderOfTheFile()
    {
        var a = AblationGrid.FromJson("""
            {
              "name": "a",
              "model": { "latentDim": 8, "hidden": [64] },
              "training": { "epochs": 1, "batchSize": 32 },
              "axes": { "seed": [3, 4], "activation": ["elu", "gelu"], "beta": [0.5, 2] }
            }
            """, "a.json");
        var b = AblationGrid.FromJson("""
            {
              "axes": { "beta": [0.5, 2], "activation": ["elu", "gelu"], "seed": [3, 4] },
              "training": { "batchSize": 32, "epochs": 1 },
              "model": { "hidden": [64], "latentDim": 8 },
              "name": "b"
            }
            """, "b.json");
        Assert.Equal(a.Expand().Select(r => r.Key), b.Expand().Select(r => r.Key));
        Assert.Equal(a.Expand().Select(r => r.Label), b.Expand().Select(r => r.Label));
        // The same run written by hand outside any grid has the same key.
        var one = a.Expand()[0];
        var byHand = new RunConfig(new VaeConfig(Hidden: [64], LatentDim: 8, Activation: "elu", Beta: 0.5), new TrainingOptions(Epochs: 1, BatchSize: 32, Seed: 3));
        Assert.Equal(one.Key, RunKey.Compute(byHand, new()));
        // Listing an axis's values in another order changes the order of runs, not their keys.
        var reordered = AblationGrid.FromJson("""
            { "name": "c", "model": { "latentDim": 8, "hidden": [64] }, "training": { "epochs": 1, "batchSize": 32 },
              "axes": { "seed": [4, 3], "activation": ["gelu", "elu"], "beta": [2, 0.5] } }
            """, "c.json");
        Assert.Equal(a.Expand().Select(r => r.Key).Order(), reordered.Expand().Select(r => r.Key).Order());
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/8", 3, 8)]
    [InlineData(" 7 / 8 ", 7, 8)]
    public void ShardParses(string text, int index, int count) => Assert.Equal(new Shard(index, count), Shard.Parse(text));

    [Theory]
    [InlineData("3/2", "below the shard count (0 <= i < 2)")]
    [InlineData("2/2", "below the shard count")]
    [InlineData("0/0", "at least 1")]
    [InlineData("-1/4", "not of the form i/n")]
    [InlineData("1", "not of the form i/n")]
    [InlineData("a/b", "not of the form i/n")]
    [InlineData("1/2/3", "not of the form i/n")]
    public void BadShardSaysWhatIsExpected(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.Contains(text.Trim(), e.Message);
    }

    [Fact]
    public void ShardsPartitionTheRuns()
    {
        var shards = Enumerable.Range(0, 3).Select(i => new Shard(i, 3)).ToArray();
        for (int position = 0; position < 20; position++)
            Assert.Single(shards, s => s.Contains(position));
        Assert.Throws<ArgumentException>(() => new Shard(3, 3).Validate());
    }
}
