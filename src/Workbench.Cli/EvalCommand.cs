using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TorchSharp;
using Workbench.Vae.Objectives;
using Workbench.Vae.Torch;
using Workbench.Vae.Training;

namespace Workbench.Cli;

/// <summary>`workbench eval RUN_DIR`: reloads a checkpoint, reproduces its test ELBO, and estimates NLL by importance sampling.</summary>
public static class EvalCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var dir = new Argument<string>("RUN_DIR") { Description = "A run directory written by `workbench train`." };
        var k = new Option<int>("--iwae-k") { Description = "Importance samples for the NLL estimate (0 = skip).", DefaultValueFactory = _ => 0 };
        var subset = new Option<int?>("--nll-subset") { Description = "Estimate the NLL on the first N test images only." };
        var device = new Option<string?>("--device") { Description = "Where to evaluate: cpu or cuda (default: where the run trained)." };
        var command = new Command("eval", "Reload a trained run, recompute its test negative ELBO, and optionally the importance-sampled NLL (IWAE bound).")
        {
            dir, k, subset, device,
        };
        command.SetAction(parse => Evaluate(console, new RunDirectory(parse.GetValue(dir)!), parse.GetValue(k), parse.GetValue(subset), parse.GetValue(device)));
        return command;
    }

    private static int Evaluate(IAnsiConsole console, RunDirectory run, int k, int? subset, string? device)
    {
        if (!Directory.Exists(run.Path)) throw new DirectoryNotFoundException($"Run directory '{run.Path}' does not exist.");
        if (k < 0) throw new ArgumentException($"--iwae-k must be >= 0, got {k}.");
        TorchRuntime.EnsureLoaded();
        var (model, config) = run.LoadModel();
        // The model, reloaded on the cpu, goes where the test images go: the run's device unless --device says otherwise.
        var training = config.Training with { Device = device ?? config.Training.Device };
        model.to(TorchRuntime.Device(training.Validate().Device));
        var data = TrainingData.Load(training, fetchIfMissing: true);
        var evaluator = TestEvaluator.For(data.Test, training);
        var (loss, recon, kl, active) = evaluator.Evaluate(model);
        console.MarkupLine($"{Markup.Escape(TrainCommand.Describe(config.Model))}, {Markup.Escape(data.Test.Describe())}");
        console.MarkupLine($"test negative ELBO {loss.ToString("F4", CultureInfo.InvariantCulture)} (recon {recon.ToString("F4", CultureInfo.InvariantCulture)}, KL {kl.ToString("F4", CultureInfo.InvariantCulture)}), active units {active}");
        var metrics = run.ReadMetrics();
        if (metrics.Count > 0)
        {
            double reported = metrics[^1].TestLoss;
            bool same = reported == loss;
            console.MarkupLine(same
                ? $"[green]matches[/] the test loss reported for epoch {metrics[^1].Epoch} exactly."
                : $"[yellow]differs[/] from the reported {reported.ToString("R", CultureInfo.InvariantCulture)} (epoch {metrics[^1].Epoch}) by {(loss - reported).ToString("G3", CultureInfo.InvariantCulture)}.");
        }
        if (k > 0)
        {
            // The same images and generator seed as the sweep's NLL (AblationRunner), so the two agree.
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var images = evaluator.Images;                                                       // [N, D]
            if (subset is int n && n < images.shape[0]) images = images.narrow(0, 0, n);
            model.eval();
            using var generator = new torch.Generator(TestEvaluator.EvalSeed(config.Training.Seed) + 2, images.device);
            var nll = Iwae.NegativeLogLikelihood(images, model.Encode, model.Decode, generator, k);   // [N] float64
            double mean = nll.mean().item<double>();
            console.MarkupLine($"importance-sampled NLL (k = {k}, {images.shape[0]} images): [bold]{mean.ToString("F3", CultureInfo.InvariantCulture)}[/] nats, {Metrics.BitsPerDimension(mean, config.Model.InputDim).ToString("F4", CultureInfo.InvariantCulture)} bits/dim");
        }
        return Cli.Ok;
    }
}
