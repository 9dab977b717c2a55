namespace Workbench.Vae.Training;

/// <summary>The learning rate of each epoch, from <see cref="TrainingOptions.Schedule"/>.</summary>
public static class LearningRateSchedule
{
    public const string Constant = "constant", Iwae = "iwae";

    public static IReadOnlyList<string> Names { get; } = [Constant, Iwae];

    /// <summary>The learning rate of <paramref name="epoch"/> (1-based).</summary>
    public static double At(TrainingOptions options, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        return options.Schedule switch
        {
            Constant => options.LearningRate,
            // Burda et al. 2016, sec. 5: "for i = 0..7, 3^i passes at learning rate 0.001 * 10^(-i/7)".
            Iwae => options.LearningRate * Math.Pow(10, -IwaeStage(epoch) / 7.0),
            _ => throw new ConfigException($"schedule '{options.Schedule}' is not known; use {string.Join(" or ", Names)}."),
        };
    }

    /// <summary>The stage i of <paramref name="epoch"/> (1-based): epoch 1 is stage 0, epochs 2-4 stage 1, 5-13 stage 2, ...</summary>
    public static int IwaeStage(int epoch)
    {
        int stage = 0;
        long end = 1;   // last epoch of the stage
        while (epoch > end) end += Pow3(++stage);
        return stage;
    }

    /// <summary>Epochs in the first <paramref name="stages"/> stages: (3^stages - 1) / 2 (1, 4, 13, 40, 121, 364, 1093, 3280).</summary>
    public static int IwaeEpochs(int stages) => (int)((Pow3(stages) - 1) / 2);

    private static long Pow3(int n)
    {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 3;
        return p;
    }
}
