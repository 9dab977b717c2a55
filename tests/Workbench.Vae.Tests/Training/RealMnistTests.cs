using Workbench.Vae.Training;

namespace Workbench.Vae.Tests.Training;

public class RealMnistTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void LossDropsOnARealMnistSubsetWithinAFewHundredSteps()
    {
        var options = new TrainingOptions(Epochs: 2, BatchSize: 50, TrainSubset: 5000, TestSubset: 1000, Seed: 3);
        var data = TrainingData.Load(options, fetchIfMissing: true);
        var config = VaeConfig.PytorchExamples with { Hidden = [128] };
        var trainer = new Trainer();
        var first = new List<double>();
        var last = new List<double>();
        trainer.StepCompleted += p =>
        {
            if (p.Epoch == 1 && p.Step <= 10) first.Add(p.Loss);
            if (p.Epoch == 2 && p.Step > p.StepsPerEpoch - 10) last.Add(p.Loss);
        };
        var result = trainer.Run(config, data, options); // 200 steps
        Assert.Equal(Outcome.Completed, result.Outcome);
        // Untrained: ~543 nats (784 ln 2). After 200 steps the grey-level MNIST loss is far lower.
        Assert.True(first.Average() > 300, $"first steps {first.Average()}");
        Assert.True(last.Average() < 200, $"last steps {last.Average()}");
        Assert.True(result.Last!.TestLoss < 200, $"test {result.Last.TestLoss}");
    }
}
