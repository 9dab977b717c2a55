using TorchSharp;
using TorchSharp.PyBridge;
using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Activations;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Tests.Ablation;

public class AblationRunnerTests
{
    /// <summary>Thrown from the progress callback to stand for a process killed mid-sweep.</summary>
    private sealed class SimulatedCrash : Exception;

    [Fact]
    public void SweepTrainsEveryRunAndRecordsIt()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid();
        var events = new List<AblationEvent>();
        var summary = Sweeps.Run(grid, dir.Path, progress: events.Add);

        var runs = grid.Expand();
        Assert.Equal(4, summary.Trained.Count);
        Assert.Equal(runs.Select(r => r.Key), summary.Trained.Select(r => r.Key));
        var store = new RunStore(dir.Path);
        var records = store.ReadAll();
        Assert.Equal(runs.Select(r => r.Key), records.Select(r => r.Key));
        Assert.True(File.Exists(store.ShardFile(Shard.All)));
        foreach (var (run, record) in runs.Zip(records))
        {
            Assert.Equal(RunRecord.CurrentFormat, record.Format);
            Assert.Equal("tiny", record.Grid);
            Assert.Equal("completed", record.Outcome);
            Assert.Null(record.Message);
            Assert.Equal(2, record.Epochs.Count);
            Assert.Equal(RunKey.CanonicalJson(run.Config, run.Evaluation), RunKey.CanonicalJson(record.Config, record.Evaluation!));
            Assert.Equal(record.Epochs[^1].TestLoss, record.Final!.TestLoss);
            Assert.Equal(record.Epochs[^1].TestKl, record.Final.TestKl);
            Assert.Null(record.Final.TestNll);
            // bits/dim of the negative ELBO: loss / (64 ln 2).
            Assert.Equal(record.Final.TestLoss / (64 * Math.Log(2)), record.Final.BitsPerDim, 12);
            Assert.Empty(record.ActivationParameters);
            Assert.True(record.WallSeconds > 0);
            // The run's folder is the trainer's: its metrics.csv holds the same numbers.
            var folder = store.RunFolder(run.Key);
            var metrics = folder.ReadMetrics();
            Assert.Equal(record.Epochs.Select(e => e.TestLoss), metrics.Select(e => e.TestLoss));
            Assert.True(File.Exists(folder.File(RunDirectory.ModelFile)));
        }
        Assert.Equal(4, events.Count(e => e.Kind == AblationEventKind.RunStarted));
        Assert.Equal(8, events.Count(e => e.Kind == AblationEventKind.EpochFinished));
        Assert.Equal(4, events.Count(e => e.Kind == AblationEventKind.RunFinished));
        Assert.Contains(events, e => e.Kind == AblationEventKind.Step);
        Assert.All(events, e => Assert.Equal(4, e.Count));

        // A second sweep finds everything done and trains nothing.
        var again = Sweeps.Run(grid, dir.Path, progress: events.Add);
        Assert.Empty(again.Trained);
        Assert.Equal(4, again.Plan.AlreadyDone);
        Assert.Equal(4, events.Count(e => e.Kind == AblationEventKind.RunStarted));
    }

    [Fact]
    public void ResumeAfterACrashTrainsOnlyWhatIsMissing()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "activation": ["relu", "tanh", "elu"], "seed": [1, 2] }""");
        var started = new List<string>();
        var finished = new List<string>();
        void Count(AblationEvent e)
        {
            if (e.Kind == AblationEventKind.RunStarted) started.Add(e.Run.Key);
            if (e.Kind == AblationEventKind.RunFinished) finished.Add(e.Run.Key);
        }

        // Crash in the middle of the fourth run's second epoch.
        Assert.Throws<SimulatedCrash>(() => Sweeps.Run(grid, dir.Path, progress: e =>
        {
            Count(e);
            if (finished.Count == 3 && e.Kind == AblationEventKind.Step && e.Step!.Value.Epoch == 2 && e.Step.Value.Step == 3) throw new SimulatedCrash();
        }));
        var store = new RunStore(dir.Path);
        var afterCrash = store.ReadAll();
        Assert.Equal(3, afterCrash.Count);
        Assert.Equal(finished, afterCrash.Select(r => r.Key));
        string interrupted = started[^1];
        Assert.DoesNotContain(interrupted, afterCrash.Select(r => r.Key));
        Assert.True(Directory.Exists(store.RunFolder(interrupted).Path));   // the killed run's partial folder
        Assert.Equal(0, store.RecordFiles().Count(f => Path.GetFileName(f).StartsWith('.')));

        var resumedEpochs = new List<int>();
        var resumedAt = new List<int>();
        var summary = Sweeps.Run(grid, dir.Path, progress: e =>
        {
            Count(e);
            if (e.Run.Key != interrupted) return;
            if (e.Kind == AblationEventKind.RunStarted) resumedAt.Add(e.ResumedAtEpoch);
            if (e.Kind == AblationEventKind.EpochFinished) resumedEpochs.Add(e.Epoch!.Epoch);
        });
        // The interrupted run continued from its checkpoint: epoch 1 was not trained again.
        Assert.Equal([1], resumedAt);
        Assert.Equal([2], resumedEpochs);
        Assert.Equal(3, summary.Plan.AlreadyDone);
        Assert.Equal(3, summary.Trained.Count);
        var records = store.ReadAll();
        var keys = grid.Expand().Select(r => r.Key).ToArray();
        Assert.Equal(keys.Order(), records.Select(r => r.Key).Order());
        // Every run finished exactly once; only the interrupted one was ever started twice.
        Assert.Equal(keys.Order(), finished.Order());
        Assert.Equal([interrupted], started.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Equal(7, started.Count);
        // The resumed run is the same run as an uninterrupted one: its numbers match a clean sweep's, bit for bit.
        using var clean = new Sweeps.TempDir();
        Sweeps.Run(grid, clean.Path);
        var cleanRecords = new RunStore(clean.Path).ReadAll().ToDictionary(r => r.Key);
        Assert.All(records, r => Assert.Equal(Sweeps.ResultOf(cleanRecords[r.Key]), Sweeps.ResultOf(r)));
    }

    [Fact]
    public void CancellationStopsTheSweepWithoutRecordingTheRunningRun()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid();
        using var cancel = new CancellationTokenSource();
        var e = Assert.ThrowsAny<OperationCanceledException>(() => Sweeps.Run(grid, dir.Path, cancellation: cancel.Token, progress: e =>
        {
            if (e.Kind == AblationEventKind.EpochFinished && e.Position == 2 && e.Epoch!.Epoch == 1) cancel.Cancel();
        }));
        Assert.Contains("continues from its last finished epoch on resume", e.Message);
        var store = new RunStore(dir.Path);
        Assert.Single(store.ReadAll());
        var summary = Sweeps.Run(grid, dir.Path);
        Assert.Equal(3, summary.Trained.Count);
        Assert.Equal(4, store.ReadAll().Count);
    }

    [Fact]
    public void ConcurrentJobsGiveTheResultsOfOneJob()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "activation": ["relu", "tanh", "swish_beta"], "seed": [1, 2] }""");
        var one = Sweeps.Run(grid, dir.Sub("one"), jobs: 1);
        var workers = new HashSet<int>();
        int inFlight = 0, mostInFlight = 0;
        var two = Sweeps.Run(grid, dir.Sub("two"), jobs: 2, progress: e =>
        {
            workers.Add(e.Worker);
            if (e.Kind == AblationEventKind.RunStarted) mostInFlight = Math.Max(mostInFlight, ++inFlight);
            if (e.Kind == AblationEventKind.RunFinished) inFlight--;
        });
        Assert.Equal([0, 1], workers.Order());
        Assert.Equal(2, mostInFlight);   // two runs were in training at once
        Assert.Equal(6, two.Trained.Count);
        var expected = one.Trained.ToDictionary(r => r.Key, Sweeps.ResultOf);
        Assert.All(new RunStore(dir.Sub("two")).ReadAll(), r => Assert.Equal(expected[r.Key], Sweeps.ResultOf(r)));
        Assert.Equal(expected.Keys.Order(), new RunStore(dir.Sub("two")).ReadAll().Select(r => r.Key).Order());
    }

    [Fact]
    public void ARunClaimedByAnotherProcessIsLeftToIt()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid();
        var store = new RunStore(dir.Path).Create();
        string taken = grid.Expand()[1].Key;
        using (var claim = store.TryClaim(taken))
        {
            Assert.NotNull(claim);
            var summary = Sweeps.Run(grid, dir.Path, jobs: 2);
            Assert.Equal([taken], summary.ClaimedElsewhere.Select(r => r.Key));
            Assert.Equal(3, summary.Trained.Count);
            Assert.DoesNotContain(taken, store.ReadAll().Select(r => r.Key));
        }
        // Released (its holder finished or died): the next sweep trains it.
        var next = Sweeps.Run(grid, dir.Path);
        Assert.Equal([taken], next.Trained.Select(r => r.Key));
        Assert.Empty(next.ClaimedElsewhere);
    }

    [Fact]
    public void AStaleFolderOfAnUnrecordedRunIsReplaced()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "seed": [1] }""");
        var store = new RunStore(dir.Path).Create();
        string key = grid.Expand()[0].Key;
        Directory.CreateDirectory(store.RunFolder(key).Path);
        File.WriteAllText(store.RunFolder(key).File("stale.txt"), "left by a killed attempt");
        Sweeps.Run(grid, dir.Path);
        Assert.False(File.Exists(store.RunFolder(key).File("stale.txt")));
        Assert.True(File.Exists(store.RunFolder(key).File(RunDirectory.MetricsFile)));
    }

    [Fact]
    public void TwoShardsMergedEqualOneUnshardedSweep()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "activation": ["relu", "tanh", "swish_beta"], "seed": [1, 2] }""");
        var s0 = Sweeps.Run(grid, dir.Sub("shard0"), new Shard(0, 2));
        var s1 = Sweeps.Run(grid, dir.Sub("shard1"), new Shard(1, 2));
        var keys = grid.Expand().Select(r => r.Key).ToArray();
        Assert.Equal(keys.Where((_, i) => i % 2 == 0), s0.Trained.Select(r => r.Key));
        Assert.Equal(keys.Where((_, i) => i % 2 == 1), s1.Trained.Select(r => r.Key));
        Assert.True(File.Exists(Path.Combine(dir.Sub("shard1"), "records", "shard-1-of-2.jsonl")));

        var merged = StoreMerge.Merge(dir.Sub("merged"), [dir.Sub("shard0"), dir.Sub("shard1")]);
        Assert.Equal(6, merged.Records);
        Assert.Empty(merged.Duplicates);
        Assert.Equal(6, merged.RunFoldersCopied);
        Sweeps.Run(grid, dir.Sub("whole"));

        var fromMerge = new RunStore(dir.Sub("merged")).ReadAll().ToDictionary(r => r.Key);
        var whole = new RunStore(dir.Sub("whole")).ReadAll().ToDictionary(r => r.Key);
        Assert.Equal(whole.Keys.Order(), fromMerge.Keys.Order());
        foreach (var key in keys)
        {
            Assert.Equal(Sweeps.ResultOf(whole[key]), Sweeps.ResultOf(fromMerge[key]));
            Assert.Null(RecordComparison.Difference(whole[key], fromMerge[key]));
            // The checkpoints agree bit for bit too.
            using var scope = torch.NewDisposeScope();
            var a = Safetensors.LoadStateDict(new RunStore(dir.Sub("merged")).RunFolder(key).File(RunDirectory.ModelFile));
            var b = Safetensors.LoadStateDict(new RunStore(dir.Sub("whole")).RunFolder(key).File(RunDirectory.ModelFile));
            Assert.Equal(b.Keys.Order(), a.Keys.Order());
            foreach (var name in a.Keys)
            {
                Assert.Equal(b[name].dtype, a[name].dtype);
                Assert.Equal(b[name].shape, a[name].shape);
                Assert.Equal(TensorValues.Doubles(b[name]), TensorValues.Doubles(a[name]));
            }
        }
        // A sweep on the merged store has nothing left to do.
        Assert.Empty(Sweeps.Run(grid, dir.Sub("merged")).Trained);
        var status = AblationRunner.Status(grid, dir.Sub("merged"));
        Assert.Equal(6, status.Done.Count);
        Assert.Empty(status.Missing);
    }

    [Fact]
    public void ADivergedRunIsRecordedAndTheSweepGoesOn()
    {
        using var dir = new Sweeps.TempDir();
        // A learning rate of 1e30 blows the weights up within the first steps; the second run is ordinary.
        var grid = Sweeps.Grid("""{ "learningRate": [1e30, 0.001], "activation": ["exp"] }""");
        var summary = Sweeps.Run(grid, dir.Path);
        Assert.Equal(2, summary.Trained.Count);
        Assert.Equal(1, summary.Diverged);
        var records = new RunStore(dir.Path).ReadAll().ToDictionary(r => r.Config.Training.LearningRate);
        var diverged = records[1e30];
        Assert.Equal("diverged", diverged.Outcome);
        Assert.Contains("Training diverged", diverged.Message);
        Assert.Contains("'exp'", diverged.Message);
        Assert.Empty(diverged.ActivationParameters);
        Assert.Equal(diverged.Epochs.Count == 0, diverged.Final is null);
        Assert.True(diverged.Epochs.Count < 2);
        Assert.Equal("completed", records[0.001].Outcome);
        Assert.Equal(2, records[0.001].Epochs.Count);
        // Diverged counts as done: a second sweep does not retry it.
        Assert.Empty(Sweeps.Run(grid, dir.Path).Trained);
        var status = AblationRunner.Status(grid, dir.Path);
        Assert.Equal(1, status.Diverged);
        Assert.Empty(status.Missing);
    }

    [Fact]
    public void NllIsEvaluatedWhenAskedAndReproducibleFromTheCheckpoint()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "seed": [5] }""", epochs: 3, evaluation: """{ "nllSamples": 64, "nllSubset": 20 }""");
        var provider = new Sweeps.Provider();
        Sweeps.Run(grid, dir.Path, provider: provider);
        var record = Assert.Single(new RunStore(dir.Path).ReadAll());
        Assert.Equal(64, record.Final!.NllSamples);
        double nll = record.Final.TestNll!.Value;
        Assert.True(double.IsFinite(nll));
        // bits/dim now reports the NLL: nll / (64 ln 2).
        Assert.Equal(nll / (64 * Math.Log(2)), record.Final.BitsPerDim, 12);
        Assert.Equal(new EvaluationSettings(64, 20), record.Evaluation);

        // Reload the checkpoint and recompute: the same number, bit for bit.
        var (model, config) = new RunStore(dir.Path).RunFolder(record.Key).LoadModel();
        var data = provider.Load("mnist");
        Assert.Equal(nll, AblationRunner.NegativeLogLikelihood(model, data, config.Training, new EvaluationSettings(64, 20)));
        // The IWAE bound with k = 64 is tighter than the one-sample ELBO: its NLL estimate is lower on the same images.
        using var scope = torch.NewDisposeScope();
        var images = TestEvaluator.For(data.Test, config.Training).Images.narrow(0, 0, 20);   // [20, 64]
        double elbo = Workbench.Vae.Evaluation.Inspect.InEval(model, () =>
        {
            using var _ = torch.no_grad();
            using var generator = new torch.Generator(99);
            var k1 = Workbench.Vae.Objectives.Iwae.NegativeLogLikelihood(images, model.Encode, model.Decode, generator, k: 1, chunk: 1);
            return k1.mean().item<double>();
        });
        Assert.True(nll < elbo, $"NLL estimate {nll} should be below the one-sample bound {elbo}");
    }

    [Fact]
    public void LearnedActivationParametersAreRecordedByModulePath()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "activation": ["swish_beta", "prelu", "adaptive", "tanh"] }""");
        Sweeps.Run(grid, dir.Path);
        var records = new RunStore(dir.Path).ReadAll().ToDictionary(r => r.Config.Model.Activation);

        var swish = records["swish_beta"].ActivationParameters;
        Assert.Equal(["decoder.1.beta", "encoder.1.beta"], swish.Keys.Order());
        Assert.All(swish.Values, v => Assert.Single(v));
        Assert.All(swish.Values, v => Assert.NotEqual(1.0, v[0]));   // trained away from its initial value

        var prelu = records["prelu"].ActivationParameters;
        Assert.Equal(["decoder.1.weight", "encoder.1.weight"], prelu.Keys.Order());
        Assert.All(prelu.Values, v => Assert.NotEqual(0.25, Assert.Single(v)));

        var adaptive = records["adaptive"].ActivationParameters;
        Assert.Equal(["decoder.1.weights", "encoder.1.weights"], adaptive.Keys.Order());
        foreach (var w in adaptive.Values)
        {
            Assert.Equal(AdaptiveActivation.DefaultBase.Count, w.Length);
            Assert.Equal(1.0, w.Sum(), 6);   // softmax weights
            Assert.Contains(w, x => Math.Abs(x - 0.2) > 1e-6);   // moved away from uniform
        }
        Assert.Empty(records["tanh"].ActivationParameters);

        // The recorded values are the checkpoint's.
        var (model, _) = new RunStore(dir.Path).RunFolder(records["swish_beta"].Key).LoadModel();
        Assert.Equal(swish["encoder.1.beta"], AblationRunner.ActivationParameters(model)["encoder.1.beta"]);
    }

    [Fact]
    public void ADeviceOverrideIsRecordedButKeepsTheKeys()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "seed": [1] }""", epochs: 1);
        var summary = AblationRunner.Run(grid, dir.Path, Shard.All, null, default, new Sweeps.Provider().Load, device: "cpu");
        var record = Assert.Single(summary.Trained);
        Assert.Equal(grid.Expand()[0].Key, record.Key);
        Assert.Equal("cpu", record.Config.Training.Device);
        // A device that is not there stops the sweep before anything is trained.
        Assert.Throws<ConfigException>(() => AblationRunner.Run(grid, dir.Sub("gpu"), Shard.All, null, default, new Sweeps.Provider().Load, device: "cuda"));
        Assert.False(Directory.Exists(dir.Sub("gpu")));
    }

    [Fact]
    public void EachDataSetIsLoadedOncePerSweep()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "dataset": ["mnist", "fashion-mnist"], "seed": [1, 2] }""", epochs: 1);
        var provider = new Sweeps.Provider();
        Sweeps.Run(grid, dir.Path, provider: provider);
        Assert.Equal(1, provider.Calls["mnist"]);
        Assert.Equal(1, provider.Calls["fashion-mnist"]);
        var records = new RunStore(dir.Path).ReadAll();
        // Different data, different results.
        Assert.NotEqual(records.First(r => r.Config.Training.Dataset == "mnist").Final!.TestLoss,
            records.First(r => r.Config.Training.Dataset == "fashion-mnist").Final!.TestLoss);
    }

    [Fact]
    public void SubsetsOfTheGridAreApplied()
    {
        using var dir = new Sweeps.TempDir();
        var grid = Sweeps.Grid("""{ "seed": [1] }""", epochs: 1, extraTraining: ", \"trainSubset\": 64, \"testSubset\": 16");
        var steps = new List<StepProgress>();
        Sweeps.Run(grid, dir.Path, progress: e => { if (e.Step is { } s) steps.Add(s); });
        Assert.Equal(2, steps.Count);   // 64 images in batches of 32
        Assert.All(steps, s => Assert.Equal(2, s.StepsPerEpoch));
    }

    [Fact]
    public void AModelThatDoesNotFitTheDataStopsTheSweepBeforeAnyTraining()
    {
        using var dir = new Sweeps.TempDir();
        var grid = AblationGrid.FromJson("""{ "name": "wrong", "model": { "hidden": [16], "latentDim": 2 }, "training": { "epochs": 1 } }""", "wrong.json");
        var events = new List<AblationEvent>();
        var e = Assert.Throws<ConfigException>(() => Sweeps.Run(grid, dir.Path, progress: events.Add));
        Assert.Contains("784 pixels", e.Message);
        Assert.Contains("64", e.Message);
        Assert.Contains("inputShape", e.Message);
        Assert.Empty(events);
    }

    [Fact]
    public void ACorruptStoreStopsTheSweepBeforeAnyTraining()
    {
        using var dir = new Sweeps.TempDir();
        var store = new RunStore(dir.Path).Create();
        File.WriteAllText(store.ShardFile(Shard.All), "{\"format\": 1, \"key\": \"torn\n");
        var events = new List<AblationEvent>();
        var e = Assert.Throws<RunStoreException>(() => Sweeps.Run(Sweeps.Grid(), dir.Path, progress: events.Add));
        Assert.Contains("shard-0-of-1.jsonl, line 1", e.Message);
        Assert.Empty(events);
    }
}
