using Workbench.Cli;
using Workbench.Tests.Shared;

namespace Workbench.Cli.Tests;

public class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wb-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Runs the CLI in-process against a plain, wide console and returns the exit code and everything printed.</summary>
    public static (int Code, string Output) Run(params string[] args) => InProcessCli.Run(args, width: 200);

    private static void AssertUserError((int Code, string Output) result, params string[] expected)
    {
        Assert.Equal(Workbench.Cli.Cli.UserError, result.Code);
        Assert.StartsWith("error:", result.Output.TrimStart());
        foreach (var e in expected) Assert.Contains(e, result.Output);
        Assert.DoesNotContain("   at ", result.Output); // no stack trace
    }

    [Fact]
    public void UnknownActivationListsTheKnownOnes() =>
        AssertUserError(Run("train", "--activation", "swishh", "--out", "/tmp/never"), "swishh", "relu", "mish");

    [Fact]
    public void MissingConfigFileIsNamed() =>
        AssertUserError(Run("train", "--config", "/no/such/file.json"), "/no/such/file.json");

    [Fact]
    public void MalformedConfigFileGivesTheLine()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "{\n  \"model\": { \"latentDim\": \"x\" }\n}");
        AssertUserError(Run("train", "--config", path), "bad.json", "line 2");
    }

    [Fact]
    public void PresetAndConfigTogetherIsAnError() =>
        AssertUserError(Run("train", "--preset", "iwae-paper", "--config", "x.json"), "--preset and --config");

    [Theory]
    [InlineData("--binarize", "sometimes", "none, static, threshold or dynamic")]
    [InlineData("--latent", "0", "latentDim must be positive")]
    [InlineData("--epochs", "0", "epochs must be positive")]
    [InlineData("--data", "cifar", "dataset 'cifar'")]
    [InlineData("--hidden", "400,x", "'x' is not a whole number")]
    [InlineData("--preset", "huge", "Known presets")]
    public void BadTrainFlagsSayWhatIsWrong(string flag, string value, string expected) =>
        AssertUserError(Run("train", flag, value, "--out", "/tmp/never"), expected);

    [Fact]
    public void UnavailableDeviceIsAUserError()
    {
        // This build references libtorch for the CPU, so CUDA is never available to it.
        AssertUserError(Run("train", "--device", "cuda", "--out", Path.Combine(_dir, "never")), "CUDA is not available", "--device cpu");
        AssertUserError(Run("train", "--device", "tpu", "--out", Path.Combine(_dir, "never")), "device 'tpu'", "cpu, cuda or cuda:N");
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
    }

    [Fact]
    public void EvalOfAMissingRunDirectoryIsAUserError() =>
        AssertUserError(Run("eval", "/no/such/run"), "/no/such/run");

    [Fact]
    public void EvalOfADirectoryWithoutACheckpointSaysSo()
    {
        Directory.CreateDirectory(_dir);
        AssertUserError(Run("eval", _dir), "config.json", "does not exist");
    }

    [Fact]
    public void UnknownDataSetIsAUserError() =>
        AssertUserError(Run("data", "fetch", "cifar10"), "cifar10");

    [Fact]
    public void UsageErrorsAreNotSilent()
    {
        var (code, _) = Run("train", "--epochs", "many");
        Assert.NotEqual(0, code);
        Assert.NotEqual(0, Run("no-such-command").Code);
    }

    [Fact]
    public void ActivationsListsTheRegistry()
    {
        var (code, output) = Run("activations");
        Assert.Equal(0, code);
        Assert.Contains("swish_beta", output);
        Assert.Contains("adaptive", output);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainThenEvalReproducesTheReportedTestLoss()
    {
        string run = Path.Combine(_dir, "run");
        var (code, output) = Run("train", "--hidden", "64", "--latent", "8", "--epochs", "1", "--train-subset", "2000",
            "--test-subset", "500", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("Run written to", output);
        var metrics = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal("epoch,train_loss,test_loss,test_recon,test_kl,active_units,train_seconds,eval_seconds", metrics[0]);
        Assert.Equal(2, metrics.Length);

        var (evalCode, evalOutput) = Run("eval", run, "--iwae-k", "20", "--nll-subset", "100");
        Assert.True(evalCode == 0, evalOutput);
        Assert.Contains("matches", evalOutput);
        Assert.Contains("importance-sampled NLL", evalOutput);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ResumeContinuesARunToMoreEpochs()
    {
        string run = Path.Combine(_dir, "run");
        var (code, output) = Run("train", "--hidden", "32", "--latent", "4", "--epochs", "1", "--train-subset", "1000",
            "--test-subset", "200", "--out", run);
        Assert.True(code == 0, output);
        var (resumed, resumeOutput) = Run("train", "--resume", run, "--epochs", "2");
        Assert.True(resumed == 0, resumeOutput);
        Assert.Contains("epoch 2 to 2", resumeOutput);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
        Assert.Contains("\"epochs\": 2", File.ReadAllText(Path.Combine(run, "config.json")));
    }

    [Fact]
    public void ResumeRefusesFlagsThatWouldChangeTheRun()
    {
        AssertUserError(Run("train", "--resume", Path.Combine(_dir, "run"), "--lr", "0.1"), "--lr", "--resume");
        AssertUserError(Run("train", "--resume", Path.Combine(_dir, "absent")), "config.json does not exist");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheIwaePaperPresetIsTheWholeProtocol()
    {
        string run = Path.Combine(_dir, "iwae");
        var (code, output) = Run("train", "--preset", "iwae-paper", "--epochs", "1", "--train-subset", "400", "--test-subset", "100", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("784-200-200-50 tanh", output);
        Assert.Contains("batch 20, lr 0.001 (iwae schedule)", output);
        var config = Workbench.Vae.ConfigJson.Parse<Workbench.Vae.Training.RunConfig>(File.ReadAllText(Path.Combine(run, "config.json")), "config.json");
        Assert.Equal(Workbench.Vae.Training.TrainingOptions.IwaePaper with { Epochs = 1, TrainSubset = 400, TestSubset = 100 }, config.Training);
    }
}
