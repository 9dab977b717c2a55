using System.Diagnostics;
using Workbench.Vae.Training;

namespace Workbench.Vae.Tests.Training;

/// <summary>Runs alone (no other test allocates meanwhile), so the process's resident memory means something.</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public sealed class MemoryCollection;

[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    [Fact]
    public void ResidentMemoryStaysFlatAcrossManySteps()
    {
        // Hidden width 256: one leaked step would keep ~20 activation and gradient tensors of [32, 256] floats (~0.6 MB),
        // so 8 epochs of 20 steps would leak ~100 MB. After two warm-up epochs (allocator pools, JIT, Adam's state) the
        // resident set may still move a little with the native allocator; 40 MB is far below a leak and far above noise.
        var config = TrainerTests.Small with { Hidden = [256, 256] };
        var rss = new List<long>();
        var trainer = new Trainer();
        trainer.EpochCompleted += _ =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var self = Process.GetCurrentProcess();
            rss.Add(self.WorkingSet64);
        };
        var result = trainer.Run(config, TrainerTests.Data, TrainerTests.Quick with { Epochs = 10 });
        Assert.Equal(Outcome.Completed, result.Outcome);
        long growth = rss[^1] - rss[1];
        Assert.True(growth < 40L << 20, $"resident memory after each epoch (MB): {string.Join(", ", rss.Select(b => b >> 20))}");
    }
}
