using TorchSharp;
using Workbench.Vae.Data;
using Workbench.Vae.Torch;
using Workbench.Vae.Training;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests.Training;

using Workbench.Vae.Models;

public class TrainerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wb-trainer-" + Guid.NewGuid().ToString("N"));
    internal static readonly VaeConfig Small = new(InputShape: [1, 8, 8], Hidden: [32], LatentDim: 4);
    internal static readonly TrainingOptions Quick = new(Epochs: 3, BatchSize: 32, LearningRate: 3e-3, Seed: 5, EvalBatchSize: 100);
    internal static readonly TrainingData Data = new(TestData.Synthetic(640, 1), TestData.Synthetic(200, 2, Split.Test));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Every weight of the model, copied out by name.</summary>
    internal static Dictionary<string, float[]> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.Floats());

    [Fact]
    public void LossDropsAndEveryEpochIsRecorded()
    {
        var result = new Trainer().Run(Small, Data, Quick with { Epochs = 6 });
        Assert.Equal(Outcome.Completed, result.Outcome);
        Assert.Null(result.Message);
        Assert.Equal(6, result.Epochs.Count);
        Assert.Equal(Enumerable.Range(1, 6), result.Epochs.Select(m => m.Epoch));
        Assert.True(result.Epochs[^1].TestLoss < result.Epochs[0].TestLoss - 1, $"{result.Epochs[0].TestLoss} -> {result.Epochs[^1].TestLoss}");
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss);
        foreach (var m in result.Epochs)
        {
            Assert.Equal(m.TestLoss, m.TestRecon + m.TestKl, 1e-4 * m.TestLoss);
            Assert.True(m.TestKl >= 0);
            Assert.InRange(m.ActiveUnits, 0, 4);
            Assert.True(m.TrainSeconds >= 0 && m.EvalSeconds >= 0);
        }
    }

    [Fact]
    public void WeightsChangeWithEveryStepButNotWithEvaluation()
    {
        var model = Vae.Create(Small, new Generator(Quick.Seed));
        var initial = Weights(model);
        Dictionary<string, float[]>? afterFirstStep = null, afterLastStep = null, atEpochEnd = null;
        var trainer = new Trainer();
        trainer.StepCompleted += p =>
        {
            if (p.Step == 1) afterFirstStep = Weights(model);
            if (p.Step == p.StepsPerEpoch) afterLastStep = Weights(model);
        };
        trainer.EpochCompleted += _ => atEpochEnd = Weights(model);
        var result = trainer.Run(model, Data, Quick with { Epochs = 1 });
        Assert.Same(model, result.Model);
        // One Adam step moves every parameter (each gets a non-zero gradient from the ELBO).
        foreach (var (name, w) in initial) Assert.NotEqual(w, afterFirstStep![name]);
        foreach (var (name, w) in afterFirstStep!) Assert.NotEqual(w, afterLastStep![name]);
        // The epoch's evaluation (and its checkpointing) ran between the last step and EpochCompleted: no change.
        foreach (var (name, w) in afterLastStep!) Assert.Equal(w, atEpochEnd![name]);

        // Evaluating directly changes nothing either, gives the same numbers every time and leaves the mode alone.
        model.train();
        var evaluator = TestEvaluator.For(Data.Test, Quick);
        var first = evaluator.Evaluate(model);
        var second = evaluator.Evaluate(model);
        Assert.Equal(first, second);
        Assert.True(model.training);
        foreach (var (name, w) in atEpochEnd!) Assert.Equal(w, Weights(model)[name]);
        Assert.Equal(result.Epochs[^1].TestLoss, first.Loss);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalRuns()
    {
        List<double> StepLosses(Trainer t)
        {
            var losses = new List<double>();
            t.StepCompleted += p => losses.Add(p.Loss);
            return losses;
        }
        var ta = new Trainer(); var la = StepLosses(ta);
        var tb = new Trainer(); var lb = StepLosses(tb);
        var options = Quick with { Binarization = Binarization.Dynamic, Samples = 2 };   // every random stream in play
        var a = ta.Run(Small, Data, options);
        var b = tb.Run(Small, Data, options);
        Assert.Equal(la, lb);
        Assert.Equal(a.Epochs.Count, b.Epochs.Count);
        for (int i = 0; i < a.Epochs.Count; i++)
        {
            // Bit for bit: every metric but the timings.
            Assert.Equal(a.Epochs[i] with { TrainSeconds = 0, EvalSeconds = 0 }, b.Epochs[i] with { TrainSeconds = 0, EvalSeconds = 0 });
        }
        var wb = Weights(b.Model);
        foreach (var (name, w) in Weights(a.Model)) Assert.Equal(w, wb[name]);
        var c = new Trainer().Run(Small, Data, options with { Seed = 6 });
        Assert.NotEqual(a.Epochs[^1].TestLoss, c.Epochs[^1].TestLoss);
        Assert.NotEqual(Weights(a.Model)["mean.weight"], Weights(c.Model)["mean.weight"]);
    }

    [Fact]
    public void TrainingDoesNotLeakTensorsAcrossStepsOrEpochs()
    {
        // Every tensor of a step lives in a dispose scope, so the number of live tensors on this thread is the same
        // after every epoch (a leak of even one tensor per step would add 20 per epoch). Created on this thread and
        // never disposed, a leaked tensor stays counted here even if the GC's finalizer frees it later.
        AssertTheCountSeesLeaks();
        var live = new List<long>();
        var atStep = new List<long>();
        var trainer = new Trainer();
        trainer.StepCompleted += p => { if (p.Epoch == 3) atStep.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount); };
        trainer.EpochCompleted += _ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        var result = trainer.Run(Small, Data, Quick with { Epochs = 5, Binarization = Binarization.Dynamic });
        Assert.Equal(Outcome.Completed, result.Outcome);
        Assert.Equal(5, live.Count);
        // Epoch 1 creates the optimiser's state; from epoch 2 on nothing new may stay alive.
        Assert.True(live[4] - live[1] <= 2, $"live tensors after each epoch: {string.Join(", ", live)}");
        Assert.True(atStep[^1] - atStep[1] <= 2, $"live tensors after each step of epoch 3: {string.Join(", ", atStep)}");
    }

    /// <summary>The instrument itself: a tensor made outside any scope and not disposed shows in the count.</summary>
    internal static void AssertTheCountSeesLeaks()
    {
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var leaked = new[] { torch.zeros(3), torch.ones(2, 2) };
        Assert.Equal(before + 2, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        using (torch.NewDisposeScope()) _ = torch.zeros(5) + 1;
        Assert.Equal(before + 2, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        foreach (var t in leaked) t.Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void EvaluationDoesNotLeakTensors()
    {
        var model = Vae.Create(Small, new Generator(1));
        AssertTheCountSeesLeaks();
        var evaluator = TestEvaluator.For(Data.Test, Quick with { EvalBatchSize = 16 });
        evaluator.Evaluate(model);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++) evaluator.Evaluate(model);
        Assert.True(DisposeScopeManager.Statistics.ThreadTotalLiveCount - before <= 1,
            $"5 evaluations of 13 batches left {DisposeScopeManager.Statistics.ThreadTotalLiveCount - before} tensors alive");
    }

    [Fact]
    public void CheckpointReloadsAndReproducesTheTestLossAndOutputsExactly()
    {
        var run = new RunDirectory(_dir);
        var result = new Trainer().Run(Small, Data, Quick, run);
        string[] files = [RunDirectory.ConfigFile, RunDirectory.MetricsFile, RunDirectory.ModelFile, RunDirectory.TrainerStateFile, RunDirectory.ResultFile];
        foreach (var f in files) Assert.True(File.Exists(run.File(f)), f);
        Assert.Equal(RunDirectory.MetricsHeader, File.ReadLines(run.File(RunDirectory.MetricsFile)).First());
        Assert.Equal("epoch,train_loss,test_loss,test_recon,test_kl,active_units,train_seconds,eval_seconds", RunDirectory.MetricsHeader);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.Equal(files.Order(), Directory.GetFiles(_dir).Select(Path.GetFileName).Order());   // no temp file left beside them

        var (model, config) = run.LoadModel();
        Assert.Equal(Small, config.Model);
        Assert.Equal(Quick, config.Training);
        var reloaded = TestEvaluator.For(Data.Test, config.Training).Evaluate(model);
        Assert.Equal(result.Epochs[^1].TestLoss, reloaded.Loss);
        Assert.Equal(result.Epochs[^1].TestLoss, run.ReadMetrics()[^1].TestLoss);
        Assert.Equal(result.Epochs.Select(m => m.TestLoss), run.ReadMetrics().Select(m => m.TestLoss));

        // The same weights, name by name, and the same outputs.
        var trained = Weights(result.Model);
        var loaded = Weights(model);
        Assert.Equal(trained.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, w) in trained) Assert.Equal(w, loaded[name]);
        var x = Data.Test.Images.narrow(0, 0, 10);
        result.Model.eval(); model.eval();
        Assert.Equal(result.Model.call(x).Floats(), model.call(x).Floats());
        var g1 = new Generator(9); var g2 = new Generator(9);
        Assert.Equal(result.Model.Decode(Vae.Reparameterize(result.Model.Encode(x), g1)).Location.Floats(),
            model.Decode(Vae.Reparameterize(model.Encode(x), g2)).Location.Floats());
    }

    [Theory]
    [InlineData("conv", "maxout")]
    [InlineData("mlp", "swish_beta")]
    [InlineData("mlp", "adaptive")]
    public void CheckpointsRoundTripEveryArchitectureAndLearnableActivation(string architecture, string activation)
    {
        var config = new VaeConfig(Architecture: architecture, InputShape: [1, 8, 8], Hidden: [16], LatentDim: 3, Activation: activation,
            Likelihood: Likelihood.GaussianLearnedVariance);
        var run = new RunDirectory(_dir);
        var result = new Trainer().Run(config, Data, Quick with { Epochs = 1 }, run);
        Assert.Equal(Outcome.Completed, result.Outcome);
        var (model, _) = run.LoadModel();
        var loaded = Weights(model);
        foreach (var (name, w) in Weights(result.Model)) Assert.Equal(w, loaded[name]);
        var x = Data.Test.Images.narrow(0, 0, 5);
        result.Model.eval(); model.eval();
        var a = result.Model.Decode(result.Model.Encode(x).Mean);
        var b = model.Decode(model.Encode(x).Mean);
        Assert.Equal(a.Location.Floats(), b.Location.Floats());
        Assert.Equal(a.LogVar!.Floats(), b.LogVar!.Floats());
    }

    [Fact]
    public void AResumedRunIsBitIdenticalToAnUninterruptedOne()
    {
        // Every random stream in play (shuffle, dynamic binarisation, two noise samples) and warm-up across the cut.
        var options = Quick with { Epochs = 4, Binarization = Binarization.Dynamic, Samples = 2, KlWarmupSteps = 50 };
        var whole = new Trainer().Run(Small, Data, options, new RunDirectory(_dir + "-whole"));
        try
        {
            var run = new RunDirectory(_dir);
            new Trainer().Run(Small, Data, options with { Epochs = 2 }, run);
            var resumedSteps = new List<double>();
            var trainer = new Trainer();
            trainer.StepCompleted += p => resumedSteps.Add(p.Loss);
            var resumed = trainer.Resume(run, Data, epochs: 4);

            Assert.Equal(Outcome.Completed, resumed.Outcome);
            Assert.Equal(2 * 20, resumedSteps.Count);   // only epochs 3 and 4 were trained
            static EpochMetrics NoTimes(EpochMetrics m) => m with { TrainSeconds = 0, EvalSeconds = 0 };
            Assert.Equal(whole.Epochs.Select(NoTimes), resumed.Epochs.Select(NoTimes));
            Assert.Equal(whole.Epochs.Select(NoTimes), run.ReadMetrics().Select(NoTimes));
            var expected = Weights(whole.Model);
            foreach (var (name, w) in Weights(resumed.Model)) Assert.Equal(expected[name], w);
            Assert.Equal(4, run.ReadConfig().Training.Epochs);

            // Nothing left to do: resuming a finished run trains no step and reports the same epochs.
            var again = new Trainer();
            int steps = 0;
            again.StepCompleted += _ => steps++;
            Assert.Equal(4, again.Resume(run, Data).Epochs.Count);
            Assert.Equal(0, steps);
        }
        finally
        {
            if (Directory.Exists(_dir + "-whole")) Directory.Delete(_dir + "-whole", recursive: true);
        }
    }

    [Fact]
    public void ResumeRepairsARunKilledBetweenItsCheckpointWrites()
    {
        // trainer.safetensors is written first; a kill before metrics.csv and model.safetensors followed leaves them an
        // epoch behind (or missing). Resume rewrites both from the trainer state before it goes on.
        var run = new RunDirectory(_dir);
        var first = new Trainer().Run(Small, Data, Quick with { Epochs = 2 }, run);
        File.WriteAllLines(run.File(RunDirectory.MetricsFile), File.ReadLines(run.File(RunDirectory.MetricsFile)).Take(2));
        File.Delete(run.File(RunDirectory.ModelFile));
        var resumed = new Trainer().Resume(run, Data, epochs: 2);
        Assert.Equal(2, resumed.Epochs.Count);
        Assert.Equal(first.Epochs.Select(m => m.TestLoss), run.ReadMetrics().Select(m => m.TestLoss));
        var (model, _) = run.LoadModel();
        var expected = Weights(first.Model);
        foreach (var (name, w) in Weights(model)) Assert.Equal(expected[name], w);
    }

    [Fact]
    public void ARunRecordedOnAGpuResumesOnTheCpuWhenAskedTo()
    {
        // config.json says cuda (as a run started on a GPU machine would); reading it must not need CUDA.
        var run = new RunDirectory(_dir);
        new Trainer().Run(Small, Data, Quick with { Epochs = 1 }, run);
        var config = run.ReadConfig();
        run.WriteConfig(config.Model, config.Training with { Device = "cuda" });
        Assert.Equal("cuda", run.ReadConfig().Training.Device);
        Assert.Equal(2, new Trainer().Resume(run, Data, epochs: 2, device: "cpu").Epochs.Count);
    }

    [Fact]
    public void ResumeSaysWhatIsWrongWithAnUnusableCheckpoint()
    {
        var run = new RunDirectory(_dir);
        new Trainer().Run(Small, Data, Quick with { Epochs = 1 }, run);
        string state = run.File(RunDirectory.TrainerStateFile);
        var bytes = File.ReadAllBytes(state);

        // A config edited after training: the state's tensors no longer fit the model.
        File.WriteAllText(run.File(RunDirectory.ConfigFile), File.ReadAllText(run.File(RunDirectory.ConfigFile)).Replace("\"latentDim\": 4", "\"latentDim\": 5"));
        var misfit = Assert.Throws<InvalidDataException>(() => new Trainer().Resume(run, Data, epochs: 2));
        Assert.Contains(RunDirectory.TrainerStateFile, misfit.Message);
        Assert.Contains("shape", misfit.Message);

        new Trainer().Run(Small, Data, Quick with { Epochs = 1 }, run);
        File.WriteAllBytes(state, bytes[..(bytes.Length / 2)]);   // torn (as no atomic write would leave it, but a disk might)
        var torn = Assert.Throws<InvalidDataException>(() => new Trainer().Resume(run, Data, epochs: 2));
        Assert.Contains(RunDirectory.TrainerStateFile, torn.Message);

        File.Delete(state);
        var missing = Assert.Throws<FileNotFoundException>(() => new Trainer().Resume(run, Data, epochs: 2));
        Assert.Contains("no resumable checkpoint", missing.Message);
    }

    [Fact]
    public void ADivergingRunStopsCleanlyAndKeepsTheLastGoodCheckpoint()
    {
        // A NaN planted in a weight after epoch 2 makes epoch 3's first loss NaN: the guard must stop there, report it
        // and leave epoch 2's checkpoint on disk, untouched.
        var model = Vae.Create(Small, new Generator(Quick.Seed));
        Dictionary<string, float[]>? good = null;
        var trainer = new Trainer();
        trainer.EpochCompleted += m =>
        {
            if (m.Epoch != 2) return;
            good = Weights(model);
            using var _ = torch.no_grad();
            model.named_parameters().First(p => p.name == "mean.weight").parameter[0, 0] = torch.tensor(float.NaN);
        };
        var run = new RunDirectory(_dir);
        var result = trainer.Run(model, Data, Quick with { Epochs = 5 }, run);
        Assert.Equal(Outcome.Diverged, result.Outcome);
        Assert.Equal(3, result.FailedEpoch);
        Assert.Equal(1, result.FailedStep);
        Assert.Equal(2, result.Epochs.Count);
        Assert.Contains("diverged", result.Message);
        Assert.Contains("epoch 3", result.Message);
        Assert.Contains("learning rate", result.Message);
        Assert.Contains("\"outcome\": \"diverged\"", File.ReadAllText(run.File(RunDirectory.ResultFile)));
        Assert.Equal(2, run.ReadMetrics().Count);
        var (saved, _) = run.LoadModel();
        var onDisk = Weights(saved);
        foreach (var (name, w) in good!) Assert.Equal(w, onDisk[name]);
        Assert.All(onDisk.Values.SelectMany(w => w), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("relu", 1e10)]
    [InlineData("exp", 10)]
    public void AHugeLearningRateOrAnExpActivationDiverges(string activation, double learningRate)
    {
        var run = new RunDirectory(_dir);
        var result = new Trainer().Run(Small with { Activation = activation }, Data, Quick with { LearningRate = learningRate, Epochs = 5 }, run);
        Assert.Equal(Outcome.Diverged, result.Outcome);
        Assert.NotNull(result.FailedEpoch);
        Assert.Contains("diverged", result.Message);
        Assert.Contains("learning rate", result.Message);
        Assert.Contains($"'{activation}'", result.Message);
        Assert.Equal(result.FailedEpoch - 1, result.Epochs.Count);
        Assert.Contains("\"outcome\": \"diverged\"", File.ReadAllText(run.File(RunDirectory.ResultFile)));
        Assert.Equal(result.Epochs.Count, run.ReadMetrics().Count);
        Assert.Equal(result.Epochs.Count > 0, File.Exists(run.File(RunDirectory.ModelFile)));
        // Whatever the model holds now, the numbers the run reported are finite.
        Assert.All(result.Epochs, m => Assert.True(double.IsFinite(m.TestLoss)));
    }

    [Fact]
    public void ProgressEventsCoverEveryStep()
    {
        var trainer = new Trainer();
        int steps = 0, epochs = 0;
        var perEpoch = new HashSet<int>();
        trainer.StepCompleted += p => { steps++; perEpoch.Add(p.StepsPerEpoch); Assert.True(double.IsFinite(p.Loss)); };
        trainer.EpochCompleted += _ => epochs++;
        trainer.Run(Small, Data, Quick with { Epochs = 2 });
        Assert.Equal(2 * 20, steps); // 640 / 32 batches per epoch
        Assert.Equal(2, epochs);
        Assert.Equal(new[] { 20 }, perEpoch);
    }

    [Fact]
    public void CancellationEndsTheRunWithItsOwnOutcome()
    {
        using var cts = new CancellationTokenSource();
        var trainer = new Trainer();
        trainer.EpochCompleted += _ => cts.Cancel();
        var result = trainer.Run(Small, Data, Quick, cancellation: cts.Token);
        Assert.Equal(Outcome.Cancelled, result.Outcome);
        Assert.Single(result.Epochs);
        Assert.Contains("Cancelled", result.Message);
    }

    [Fact]
    public void AMismatchedModelAndDataSetIsAConfigError()
    {
        var ex = Assert.Throws<ConfigException>(() => new Trainer().Run(VaeConfig.PytorchExamples, Data, Quick));
        Assert.Contains("784", ex.Message);
        Assert.Contains("64", ex.Message);
    }

    [Theory]
    [InlineData(0, 128, 1e-3, "epochs must be positive")]
    [InlineData(1, 0, 1e-3, "batch size must be positive")]
    [InlineData(1, 128, -1, "learning rate must be a positive number")]
    [InlineData(1, 128, double.NaN, "learning rate must be a positive number")]
    [InlineData(1, 128, double.PositiveInfinity, "learning rate must be a positive number")]
    public void BadTrainingOptionsSayWhatIsWrong(int epochs, int batch, double lr, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => new TrainingOptions(Epochs: epochs, BatchSize: batch, LearningRate: lr).Validate());
        Assert.Contains(expected, ex.Message);
    }

    public static TheoryData<TrainingOptions, string> BadOptions() => new()
    {
        { new TrainingOptions(Dataset: "cifar10"), "dataset 'cifar10' is not known" },
        { new TrainingOptions(ClipGradNorm: 0), "clipGradNorm must be positive" },
        { new TrainingOptions(KlWarmupSteps: -1), "klWarmupSteps must be >= 0" },
        { new TrainingOptions(FreeBits: -0.5), "freeBits must be >= 0" },
        { new TrainingOptions(Samples: 0), "samples must be positive" },
        { new TrainingOptions(TrainSubset: 0), "trainSubset must be positive" },
        { new TrainingOptions(TestSubset: -3), "testSubset must be positive" },
        { new TrainingOptions(EvalBatchSize: 0), "evalBatchSize must be positive" },
        { new TrainingOptions(Device: "tpu"), "use cpu, cuda or cuda:N" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void EveryBadOptionIsNamed(TrainingOptions options, string expected)
    {
        Assert.Contains(expected, Assert.Throws<ConfigException>(() => options.Validate()).Message);
        // The trainer validates before it builds or trains anything.
        Assert.Contains(expected, Assert.Throws<ConfigException>(() => new Trainer().Run(Small, Data, options)).Message);
    }

    [Fact]
    public void CudaOnACpuOnlyMachineIsAClearConfigError()
    {
        Assert.Equal("cpu", new TrainingOptions().Device);
        new TrainingOptions(Device: "cpu").Validate();
        // A config written on a GPU machine stays valid everywhere (it can be read, reported and resumed with --device cpu).
        new TrainingOptions(Device: "cuda:1").Validate();
        Assert.Contains("use cpu, cuda or cuda:N", Assert.Throws<ConfigException>(() => new TrainingOptions(Device: "cuda:x").Validate()).Message);
        if (torch.cuda.is_available()) return;   // this machine has a GPU: nothing to explain
        var ex = Assert.Throws<ConfigException>(() => TorchRuntime.Device("cuda"));
        Assert.Contains("CUDA is not available", ex.Message);
        var run = Assert.Throws<ConfigException>(() => new Trainer().Run(Small, Data, Quick with { Device = "cuda:0" }));
        Assert.Contains("CUDA is not available", run.Message);
    }

    [Fact]
    public void CorruptRunFilesAreReportedWithTheirPath()
    {
        var run = new RunDirectory(_dir);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(run.File(RunDirectory.MetricsFile), RunDirectory.MetricsHeader + "\n1,2,3\n");
        var ex = Assert.Throws<InvalidDataException>(() => run.ReadMetrics());
        Assert.Contains("line 2", ex.Message);
        File.WriteAllText(run.File(RunDirectory.MetricsFile), "epoch,loss\n");
        Assert.Contains("header", Assert.Throws<InvalidDataException>(() => run.ReadMetrics()).Message);
        File.WriteAllText(run.File(RunDirectory.ConfigFile), "{ not json");
        Assert.Contains(RunDirectory.ConfigFile, Assert.Throws<ConfigException>(() => run.ReadConfig()).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => new RunDirectory(_dir + "-none").LoadModel()).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => new RunDirectory(_dir + "-none").ReadMetrics()).Message);
    }

    [Fact]
    public void ACheckpointWithoutWeightsOrWithCorruptWeightsIsReported()
    {
        var run = new RunDirectory(_dir);
        run.WriteConfig(Small, Quick);
        var missing = Assert.Throws<FileNotFoundException>(() => run.LoadModel());
        Assert.Contains(RunDirectory.ModelFile, missing.Message);
        Assert.Contains("no checkpoint", missing.Message);
        File.WriteAllBytes(run.File(RunDirectory.ModelFile), [1, 2, 3, 4, 5]);
        var corrupt = Assert.Throws<InvalidDataException>(() => run.LoadModel());
        Assert.Contains(run.File(RunDirectory.ModelFile), corrupt.Message);
        Assert.Contains("does not hold the weights", corrupt.Message);
    }
}
