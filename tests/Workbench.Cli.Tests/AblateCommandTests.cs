using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Cli.Tests;

public class AblateCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wb-ablate-" + Guid.NewGuid().ToString("N"));

    public AblateCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static void AssertUserError((int Code, string Output) result, params string[] expected)
    {
        Assert.True(Workbench.Cli.Cli.UserError == result.Code, result.Output);
        Assert.StartsWith("error:", result.Output.TrimStart());
        foreach (var e in expected) Assert.Contains(e, result.Output);
        Assert.DoesNotContain("   at ", result.Output); // no stack trace
    }

    [Theory]
    [InlineData("3/2", "below the shard count")]
    [InlineData("2/2", "below the shard count")]
    [InlineData("1/0", "at least 1")]
    [InlineData("one/8", "not of the form i/n")]
    public void BadShardIsAUserError(string shard, string expected) =>
        AssertUserError(CliTests.Run("ablate", "quick", "--shard", shard, "--out", Path.Combine(_dir, "never")), $"--shard '{shard}'", expected);

    [Fact]
    public void UnknownPresetListsThePresets() =>
        AssertUserError(CliTests.Run("ablate", "quik", "--out", Path.Combine(_dir, "never")), "'quik' is not a preset grid", "quick", "seeds-paper", "iwae-protocol");

    [Fact]
    public void UnavailableDeviceIsAUserErrorBeforeAnythingIsWritten()
    {
        AssertUserError(CliTests.Run("ablate", "quick", "--device", "cuda", "--out", Path.Combine(_dir, "never")), "CUDA is not available");
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
    }

    [Fact]
    public void MissingGridFileIsNamed() =>
        AssertUserError(CliTests.Run("ablate", "/no/such/grid.json"), "/no/such/grid.json", "does not exist");

    [Fact]
    public void MalformedGridFileGivesTheFileAndLine()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "{\n  \"name\": \"bad\",\n  \"axes\": {\n    \"activation\": [\"relu\", \"swishh\"]\n  }\n}");
        AssertUserError(CliTests.Run("ablate", path, "--out", Path.Combine(_dir, "never")), "bad.json, line 4", "axes.activation[1]", "swishh", "Known activations");
        File.WriteAllText(path, "{\n  \"name\": \"bad\",\n  \"axes\": { \"seed\": [1, }\n}");
        AssertUserError(CliTests.Run("ablate", path), "bad.json", "line 3", "invalid JSON");
        File.WriteAllText(path, "{\n  \"name\": \"bad\",\n  \"axes\": { \"colour\": [1] }\n}");
        AssertUserError(CliTests.Run("ablate", path), "bad.json, line 3", "'colour' is not an axis", "Known axes");
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
    }

    [Fact]
    public void ACorruptStoreIsAUserErrorNamingTheLine()
    {
        var store = new RunStore(Path.Combine(_dir, "store")).Create();
        File.WriteAllText(store.ShardFile(Shard.All), "not json\n");
        AssertUserError(CliTests.Run("ablate", "quick", "--out", store.Root), "shard-0-of-1.jsonl, line 1", "not valid JSON");
    }

    [Fact]
    public void UsageErrorsAreNotSilent()
    {
        Assert.NotEqual(0, CliTests.Run("ablate").Code);
        Assert.NotEqual(0, CliTests.Run("merge", Path.Combine(_dir, "out")).Code);
    }

    /// <summary>Two shards of a tiny grid, trained on synthetic data through the library (the CLI loads real data).</summary>
    private (AblationGrid Grid, string A, string B) TwoShards()
    {
        var grid = AblationGrid.FromJson("""
            {
              "name": "cli-tiny",
              "model": { "inputShape": [1, 8, 8], "hidden": [8], "latentDim": 2 },
              "training": { "epochs": 1, "batchSize": 16 },
              "axes": { "activation": ["relu", "tanh"], "seed": [1, 2] }
            }
            """, "cli-tiny.json");
        TrainingData Data(string _) => new(Synthetic(64, 1), Synthetic(16, 2));
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        AblationRunner.Run(grid, a, new Shard(0, 2), null, default, Data);
        AblationRunner.Run(grid, b, new Shard(1, 2), null, default, Data);
        return (grid, a, b);
    }

    private static ImageDataset Synthetic(int count, ulong seed)
    {
        var g = new Random(unchecked((int)seed));   // seeded: the same images every run
        var pixels = new float[count * 64];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = g.NextSingle();
        return new ImageDataset("synthetic", Split.Train, pixels, new byte[count], 8, 8);
    }

    [Fact]
    public void MergeJoinsShardsAndReportsDuplicates()
    {
        var (grid, a, b) = TwoShards();
        string output = Path.Combine(_dir, "merged");
        var (code, text) = CliTests.Run("merge", output, a, b);
        Assert.True(code == 0, text);
        Assert.Contains("Merged 4 records (0 duplicates dropped, 4 run folders copied)", text);
        var status = AblationRunner.Status(grid, output);
        Assert.Equal(4, status.Done.Count);

        // b twice (as b and as a copy of b): kept once, reported.
        string copy = Path.Combine(_dir, "b-copy");
        CliTests.Run("merge", copy, b);
        (code, text) = CliTests.Run("merge", Path.Combine(_dir, "merged2"), a, b, copy);
        Assert.True(code == 0, text);
        Assert.Contains("duplicate:", text);
        Assert.Contains("Merged 4 records (2 duplicates dropped", text);
    }

    [Fact]
    public void MergeConflictIsAUserError()
    {
        var (_, a, b) = TwoShards();
        // Rewrite one of b's results: same key (same config), different numbers.
        var store = new RunStore(b);
        var records = store.ReadAll();
        string conflicting = Path.Combine(_dir, "conflicting");
        new RunStore(conflicting).WriteRecords(RunStore.ShardFileName(Shard.All),
            [records[0] with { Epochs = [records[0].Epochs[0] with { TestLoss = records[0].Epochs[0].TestLoss + 1 }] }]);
        AssertUserError(CliTests.Run("merge", Path.Combine(_dir, "out"), a, b, conflicting), $"key {records[0].Key}", "disagree");
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void MergeIntoAStoreWithRecordsIsAUserError()
    {
        var (_, a, b) = TwoShards();
        AssertUserError(CliTests.Run("merge", a, b), "already holds run records");
        AssertUserError(CliTests.Run("merge", Path.Combine(_dir, "out"), a, Path.Combine(_dir, "nope")), "does not exist");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void AblateTrainsATinyGridOnRealDataAndResumes()
    {
        string grid = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(grid, """
            {
              "name": "tiny-real",
              "model": { "hidden": [32], "latentDim": 4 },
              "training": { "epochs": 1, "trainSubset": 500, "testSubset": 200 },
              "axes": { "activation": ["relu", "swish_beta"], "seed": [1] },
              "evaluation": { "nllSamples": 10, "nllSubset": 20 }
            }
            """);
        string store = Path.Combine(_dir, "store");
        var (code, output) = CliTests.Run("ablate", grid, "--out", store, "--shard", "1/2");
        Assert.True(code == 0, output);
        Assert.Contains("2 runs in the grid, shard 1/2 holds 1; 0 already in the store, 1 to train.", output);
        Assert.Contains("tiny-real: 1 of 2 runs done (0 diverged), 1 missing.", output);
        Assert.Contains("missing: activation=relu seed=1", output);
        Assert.Contains($"Store: {store}", output);

        (code, output) = CliTests.Run("ablate", grid, "--out", store);
        Assert.True(code == 0, output);
        Assert.Contains("1 already in the store, 1 to train.", output);
        Assert.Contains("tiny-real: 2 of 2 runs done (0 diverged), 0 missing.", output);
        Assert.Contains("swish_beta", output);
        var records = new RunStore(store).ReadAll();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.NotNull(r.Final!.TestNll));
        Assert.Contains(records, r => r.ActivationParameters.ContainsKey("encoder.1.beta"));
    }
}
