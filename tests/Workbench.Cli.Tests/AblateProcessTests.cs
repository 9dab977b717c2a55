using System.Diagnostics;
using Workbench.Experiments.Store;

namespace Workbench.Cli.Tests;

/// <summary>
/// `workbench ablate` as real processes on one store: killed with SIGKILL mid-run and started again, and two at once.
/// Each run of the grid trains a few seconds on real MNIST subsets, so a kill lands inside a run.
/// </summary>
[Trait("Category", "Slow")]
public sealed class AblateProcessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wb-ablate-process-" + Guid.NewGuid().ToString("N"));
    private readonly string _grid;

    public AblateProcessTests()
    {
        Directory.CreateDirectory(_dir);
        _grid = Path.Combine(_dir, "grid.json");
        File.WriteAllText(_grid, """
        {
          "name": "process-test",
          "description": "four small runs on MNIST subsets",
          "model": { "hidden": [32], "latentDim": 4 },
          "training": { "epochs": 8, "batchSize": 64, "trainSubset": 3000, "testSubset": 300 },
          "axes": { "activation": ["relu", "tanh"], "seed": [1, 2] },
          "evaluation": { "nllSamples": 0 }
        }
        """);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private Process Start(string store, int jobs) =>
        WorkbenchProcess.Start(["ablate", _grid, "--out", store, "--jobs", jobs.ToString()]);

    private static string Finish(Process process)
    {
        var (code, text) = WorkbenchProcess.Finish(process, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"ablate exited with {code}:\n{text}");
        return text;
    }

    /// <summary>Each key's record, from a store that must hold every run exactly once.</summary>
    private static Dictionary<string, RunRecord> Records(string store)
    {
        var contents = new RunStore(store).ReadValid();
        Assert.Empty(contents.Duplicates);
        Assert.Equal(4, contents.Records.Count);
        return contents.Records.ToDictionary(r => r.Record.Key, r => r.Record);
    }

    /// <summary>The same results bit for bit, timings aside (<see cref="RecordComparison"/>).</summary>
    private static void AssertSameResults(string expectedStore, string actualStore)
    {
        var expected = Records(expectedStore);
        foreach (var (key, record) in Records(actualStore)) Assert.Null(RecordComparison.Difference(expected[key], record));
    }

    [Fact]
    public void KilledMidRunAndStartedAgainItLosesNothingAndTrainsNothingTwice()
    {
        string store = Path.Combine(_dir, "killed");
        using (var first = Start(store, jobs: 1))
        {
            // Kill once the first run has checkpointed two epochs and before it has its record.
            var runs = Path.Combine(store, RunStore.RunsFolder);
            var clock = Stopwatch.StartNew();
            while (!first.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                var metrics = Directory.Exists(runs) ? Directory.GetFiles(runs, "metrics.csv", SearchOption.AllDirectories) : [];
                if (metrics.Any(m => File.ReadAllLines(m).Length >= 3)) break;
                Thread.Sleep(10);
            }
            Assert.False(first.HasExited, "the first ablate finished before it could be killed");
            first.Kill();   // SIGKILL: no handler, no cleanup
            first.WaitForExit();
        }
        int recordedBefore = new RunStore(store).Exists ? new RunStore(store).ReadValid().Records.Count : 0;
        Assert.True(recordedBefore < 4);

        using var second = Start(store, jobs: 1);
        string log = Finish(second);
        Assert.Contains("resumed after epoch", log);
        Assert.Contains($"Trained {4 - recordedBefore} runs", log);

        string clean = Path.Combine(_dir, "clean");
        using (var reference = Start(clean, jobs: 1)) Finish(reference);
        AssertSameResults(clean, store);
    }

    [Fact]
    public void TwoProcessesOnOneStoreTrainEachRunOnce()
    {
        string store = Path.Combine(_dir, "shared");
        using var a = Start(store, jobs: 1);
        using var b = Start(store, jobs: 1);
        string logA = Finish(a), logB = Finish(b);

        static int Trained(string log) =>
            int.Parse(System.Text.RegularExpressions.Regex.Match(log, @"Trained (\d+) runs").Groups[1].Value);
        // Both worked, and between them every run was trained once (a run whose claim the other held was left to it).
        Assert.Equal(4, (logA.Contains("Trained") ? Trained(logA) : 0) + (logB.Contains("Trained") ? Trained(logB) : 0));

        string alone = Path.Combine(_dir, "alone");
        using (var reference = Start(alone, jobs: 2)) Finish(reference);
        AssertSameResults(alone, store);
    }
}
