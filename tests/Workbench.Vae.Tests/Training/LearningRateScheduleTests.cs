using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Vae.Tests.Training;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(13, 2)]
    [InlineData(14, 3)]
    [InlineData(40, 3)]
    [InlineData(41, 4)]
    [InlineData(3280, 7)]
    [InlineData(3281, 8)]
    public void IwaeStagesLast3ToTheIEpochs(int epoch, int stage) => Assert.Equal(stage, LearningRateSchedule.IwaeStage(epoch));

    [Fact]
    public void TheIwaeProtocolIs3280EpochsEndingAtATenthOfTheRate()
    {
        Assert.Equal([1, 4, 13, 40, 121, 364, 1093, 3280], Enumerable.Range(1, 8).Select(LearningRateSchedule.IwaeEpochs));
        var paper = TrainingOptions.IwaePaper;
        Assert.Equal(3280, paper.Epochs);
        Assert.Equal(20, paper.BatchSize);
        Assert.Equal(1e-4, paper.AdamEpsilon);
        Assert.Equal(Binarization.Dynamic, paper.Binarization);
        Assert.Equal(1e-3, LearningRateSchedule.At(paper, 1));
        Assert.Equal(1e-3 * Math.Pow(10, -1 / 7.0), LearningRateSchedule.At(paper, 2), 15);   // 7.197e-4
        Assert.Equal(1e-3 * Math.Pow(10, -6 / 7.0), LearningRateSchedule.At(paper, 1093), 15);
        Assert.Equal(1e-4, LearningRateSchedule.At(paper, 3280), 15);
        Assert.Equal(3e-3, LearningRateSchedule.At(new TrainingOptions(LearningRate: 3e-3), 500));
    }

    [Fact]
    public void TheTrainerFollowsTheScheduleAndEpsilon()
    {
        // Epoch 1 runs at the same rate under both schedules, epoch 2 at 10^(-1/7) of it under iwae: same first epoch,
        // different second. A larger epsilon damps Adam's very first update, so it changes epoch 1 already.
        var options = TrainerTests.Quick with { Epochs = 2 };
        var constant = new Trainer().Run(TrainerTests.Small, TrainerTests.Data, options);
        var iwae = new Trainer().Run(TrainerTests.Small, TrainerTests.Data, options with { Schedule = LearningRateSchedule.Iwae });
        Assert.Equal(constant.Epochs[0].TestLoss, iwae.Epochs[0].TestLoss);
        Assert.NotEqual(constant.Epochs[1].TestLoss, iwae.Epochs[1].TestLoss);
        var epsilon = new Trainer().Run(TrainerTests.Small, TrainerTests.Data, options with { AdamEpsilon = 1e-1 });
        Assert.NotEqual(constant.Epochs[0].TestLoss, epsilon.Epochs[0].TestLoss);
    }

    [Fact]
    public void BadScheduleOrEpsilonSaysWhatIsAllowed()
    {
        Assert.Contains("constant or iwae", Assert.Throws<ConfigException>(() => new TrainingOptions(Schedule: "cosine").Validate()).Message);
        Assert.Contains("adamEpsilon", Assert.Throws<ConfigException>(() => new TrainingOptions(AdamEpsilon: 0).Validate()).Message);
    }
}
