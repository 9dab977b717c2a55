using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Training;

namespace Workbench.Cli.Tests;

public class ReportCommandTests : IDisposable
{
    private readonly string store = Path.Combine(Path.GetTempPath(), "wb-report-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(store)) Directory.Delete(store, recursive: true);
    }

    private static RunRecord Run(string activation, ulong seed, double loss)
    {
        var config = new RunConfig(new VaeConfig(Activation: activation), new TrainingOptions(Epochs: 2, Seed: seed, TrainSubset: 100));
        var epochs = new[] { new EpochMetrics(1, loss + 3, loss + 2, loss - 23, 25, 10, 1.5, 0.2), new EpochMetrics(2, loss + 1, loss, loss - 25, 25, 10, 1.5, 0.2) };
        return new RunRecord(RunRecord.CurrentFormat, RunKey.Compute(config, new EvaluationSettings()), "cli", config, "completed", null, epochs,
            new FinalMetrics(loss, loss - 25, 25, 10, null, null, loss / (784 * Math.Log(2)), 1.5), new Dictionary<string, double[]>(), 10,
            DateTimeOffset.UnixEpoch);
    }

    private string WriteRecords(params string[] lines)
    {
        Directory.CreateDirectory(Path.Combine(store, "records"));
        string path = Path.Combine(store, "records", "shard-0.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static void AssertUserError((int Code, string Output) result, params string[] expected)
    {
        Assert.Equal(Workbench.Cli.Cli.UserError, result.Code);
        Assert.StartsWith("error:", result.Output.TrimStart());
        foreach (var e in expected) Assert.Contains(e, result.Output);
        Assert.DoesNotContain("   at ", result.Output);
    }

    [Fact]
    public void A_missing_store_is_named() =>
        AssertUserError(CliTests.Run("report", "/no/such/store"), "/no/such/store", "does not exist");

    [Fact]
    public void A_store_without_records_is_a_user_error()
    {
        Directory.CreateDirectory(store);
        AssertUserError(CliTests.Run("report", store), "holds no run records", "workbench ablate");
    }

    [Fact]
    public void A_corrupt_record_names_the_file_and_line()
    {
        WriteRecords(RunStore.Serialize(Run("relu", 1, 90)), "{\"format\": 1, \"key\": ");
        AssertUserError(CliTests.Run("report", store), "shard-0.jsonl, line 2", "not valid JSON");
    }

    [Fact]
    public void A_named_baseline_must_have_runs()
    {
        WriteRecords(RunStore.Serialize(Run("relu", 1, 90)), RunStore.Serialize(Run("tanh", 1, 92)));
        AssertUserError(CliTests.Run("report", store, "--baseline", "selu", "--no-png"), "'selu' has no runs", "relu, tanh");
    }

    [Fact]
    public void Writes_the_report_and_prints_where_each_file_went()
    {
        WriteRecords(
            RunStore.Serialize(Run("relu", 1, 90)), RunStore.Serialize(Run("relu", 2, 91)),
            RunStore.Serialize(Run("tanh", 1, 92)), RunStore.Serialize(Run("tanh", 2, 94)));
        string outDir = Path.Combine(store, "out");
        var (code, output) = CliTests.Run("report", store, "--out", outDir, "--no-png", "--title", "CLI check");
        Assert.True(code == Workbench.Cli.Cli.Ok, output);
        Assert.Contains("Reporting 4 runs", output);
        foreach (var file in new[] { "summary.csv", "runs.csv", "epochs.csv", "report.md", "report.html" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
            Assert.Contains(Path.Combine(outDir, file), output);
        }
        Assert.Contains("PNG figures were not requested", output);
        Assert.StartsWith("# CLI check", File.ReadAllText(Path.Combine(outDir, "report.md")));
    }
}
