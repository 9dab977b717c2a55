using Workbench.Autograd;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Vae.Tests.Training;

using Workbench.Vae.Models;

public class TrainerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wb-trainer-" + Guid.NewGuid().ToString("N"));
    private static readonly VaeConfig Small = new(InputShape: [1, 8, 8], Hidden: [32], LatentDim: 4);
    private static readonly TrainingOptions Quick = new(Epochs: 3, BatchSize: 32, LearningRate: 3e-3, Seed: 5, EvalBatchSize: 100);
    private static readonly TrainingData Data = new(TestData.Synthetic(640, 1), TestData.Synthetic(200, 2, Split.Test));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void LossDropsAndEveryEpochIsRecorded()
    {
        var result = new Trainer().Run(Small, Data, Quick with { Epochs = 6 });
        Assert.Equal(Outcome.Completed, result.Outcome);
        Assert.Equal(6, result.Epochs.Count);
        Assert.True(result.Epochs[^1].TestLoss < result.Epochs[0].TestLoss - 1, $"{result.Epochs[0].TestLoss} -> {result.Epochs[^1].TestLoss}");
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss);
        foreach (var m in result.Epochs)
        {
            Assert.Equal(m.TestLoss, m.TestRecon + m.TestKl, 1e-4 * m.TestLoss);
            Assert.True(m.TestKl >= 0);
            Assert.InRange(m.ActiveUnits, 0, 4);
        }
    }

    [Fact]
    public void SameSeedGivesBitIdenticalRuns()
    {
        var a = new Trainer().Run(Small, Data, Quick);
        var b = new Trainer().Run(Small, Data, Quick);
        Assert.Equal(a.Epochs.Select(m => m.TestLoss), b.Epochs.Select(m => m.TestLoss));
        foreach (var (name, p) in a.Model.StateDict()) Assert.Equal(p.ToArray(), b.Model.StateDict()[name].ToArray());
        var c = new Trainer().Run(Small, Data, Quick with { Seed = 6 });
        Assert.NotEqual(a.Epochs[^1].TestLoss, c.Epochs[^1].TestLoss);
    }

    [Fact]
    public void CheckpointReloadsAndReproducesTheTestLossExactly()
    {
        var run = new RunDirectory(_dir);
        var result = new Trainer().Run(Small, Data, Quick, run);
        foreach (var f in new[] { RunDirectory.ConfigFile, RunDirectory.MetricsFile, RunDirectory.ModelFile, RunDirectory.ResultFile })
            Assert.True(File.Exists(run.File(f)), f);
        Assert.Equal(RunDirectory.MetricsHeader, File.ReadLines(run.File(RunDirectory.MetricsFile)).First());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));

        var (model, config) = run.LoadModel();
        Assert.Equal(Small, config.Model);
        var reloaded = TestEvaluator.For(Data.Test, config.Training).Evaluate(model);
        Assert.Equal(result.Epochs[^1].TestLoss, reloaded.Loss);
        Assert.Equal(result.Epochs[^1].TestLoss, run.ReadMetrics()[^1].TestLoss);
    }

    [Fact]
    public void ADivergingRunStopsCleanlyAndKeepsTheLastGoodEpoch()
    {
        // exp activations with a huge learning rate overflow within a few steps.
        var run = new RunDirectory(_dir);
        var result = new Trainer().Run(Small with { Activation = "exp" }, Data, Quick with { LearningRate = 10, Epochs = 5 }, run);
        Assert.Equal(Outcome.Diverged, result.Outcome);
        Assert.NotNull(result.FailedEpoch);
        Assert.Contains("diverged", result.Message);
        Assert.Contains("learning rate", result.Message);
        Assert.Equal(result.FailedEpoch - 1, result.Epochs.Count);
        Assert.Contains("\"outcome\": \"diverged\"", File.ReadAllText(run.File(RunDirectory.ResultFile)));
        Assert.Equal(result.Epochs.Count, run.ReadMetrics().Count);
    }

    [Fact]
    public void ProgressEventsCoverEveryStep()
    {
        var trainer = new Trainer();
        int steps = 0, epochs = 0;
        trainer.StepCompleted += _ => steps++;
        trainer.EpochCompleted += _ => epochs++;
        trainer.Run(Small, Data, Quick with { Epochs = 2 });
        Assert.Equal(2 * 20, steps); // 640 / 32 batches per epoch
        Assert.Equal(2, epochs);
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
    public void BadTrainingOptionsSayWhatIsWrong(int epochs, int batch, double lr, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => new TrainingOptions(Epochs: epochs, BatchSize: batch, LearningRate: lr).Validate());
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void CorruptRunFilesAreReportedWithTheirPath()
    {
        var run = new RunDirectory(_dir);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(run.File(RunDirectory.MetricsFile), RunDirectory.MetricsHeader + "\n1,2,3\n");
        var ex = Assert.Throws<InvalidDataException>(() => run.ReadMetrics());
        Assert.Contains("line 2", ex.Message);
        File.WriteAllText(run.File(RunDirectory.ConfigFile), "{ not json");
        Assert.Contains(RunDirectory.ConfigFile, Assert.Throws<ConfigException>(() => run.ReadConfig()).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => new RunDirectory(_dir + "-none").LoadModel()).Message);
    }
}
