using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Torch;
using Workbench.Vae.Training;

namespace Workbench.Cli;

/// <summary>`workbench train`: one VAE from a preset or config file, with flags overriding single fields.</summary>
public static class TrainCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var preset = new Option<string?>("--preset") { Description = $"Preset: {string.Join(", ", VaeConfig.PresetNames)} (default pytorch-examples). iwae-paper is the IWAE paper's whole protocol (model, batch 20, dynamic binarisation, the 3280-epoch learning-rate schedule, Adam epsilon 1e-4); shorten it with --epochs." };
        var config = new Option<string?>("--config") { Description = "JSON file with \"model\" and/or \"training\" sections (a run's config.json works)." };
        var activation = new Option<string?>("--activation") { Description = "Activation name (see `workbench activations`)." };
        var latent = new Option<int?>("--latent") { Description = "Latent dimension." };
        var hidden = new Option<string?>("--hidden") { Description = "Hidden widths, comma-separated, e.g. 400 or 200,200." };
        var beta = new Option<double?>("--beta") { Description = "KL weight (1 = the ELBO)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default 10)." };
        var batch = new Option<int?>("--batch") { Description = "Batch size (default 128)." };
        var lr = new Option<double?>("--lr") { Description = "Adam learning rate (default 1e-3); with --schedule iwae, the rate of the first stage." };
        var schedule = new Option<string?>("--schedule") { Description = "Learning rate over epochs: constant (default) or iwae (3^i epochs at lr * 10^(-i/7), i = 0, 1, ...)." };
        var adamEps = new Option<double?>("--adam-eps") { Description = "Adam's epsilon (default 1e-8; the IWAE paper used 1e-4)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed for weights, shuffling, binarisation and noise (default 1)." };
        var data = new Option<string?>("--data") { Description = "mnist or fashion-mnist (default mnist)." };
        var binarize = new Option<string?>("--binarize") { Description = "none (grey levels), static (one seeded sample), threshold (> 0.5) or dynamic (fresh sample each epoch)." };
        var clip = new Option<double?>("--clip") { Description = "Clip the global gradient norm to this value." };
        var warmup = new Option<int?>("--kl-warmup") { Description = "Steps over which the KL weight rises from 0 to beta." };
        var trainSubset = new Option<int?>("--train-subset") { Description = "Use only the first N training images (quick runs)." };
        var testSubset = new Option<int?>("--test-subset") { Description = "Use only the first N test images." };
        var output = new Option<string?>("--out") { Description = "Run directory (default runs/<name>/)." };
        var device = new Option<string?>("--device") { Description = "Where to train: cpu (default) or cuda (needs a GPU and the libtorch-cuda package)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory from its last finished epoch, up to --epochs in all (default: its config's); bit for bit what an uninterrupted run gives." };

        var command = new Command("train", "Train one VAE on MNIST or Fashion-MNIST; writes config.json, metrics.csv, model.safetensors and result.json.")
        {
            preset, config, activation, latent, hidden, beta, epochs, batch, lr, schedule, adamEps, seed, data, binarize, clip, warmup, trainSubset, testSubset,
            output, device, resume,
        };
        Option[] fixedByTheRun = [preset, config, activation, latent, hidden, beta, batch, lr, schedule, adamEps, seed, data, binarize, clip, warmup,
            trainSubset, testSubset, output];
        command.SetAction(parse =>
        {
            // A machine that cannot load libtorch fails here with one line naming the library and the reason.
            TorchRuntime.EnsureLoaded();
            if (parse.GetValue(resume) is string resumed)
            {
                var clash = fixedByTheRun.FirstOrDefault(o => parse.GetResult(o) is not null);
                if (clash is not null)
                    throw new ConfigException($"--resume continues a run as its config.json describes it; {clash.Name} cannot change it. Only --epochs and --device may be given with --resume.");
                return Resume(console, new RunDirectory(resumed), parse.GetValue(epochs), parse.GetValue(device));
            }
            var (model, training, name) = Resolve(parse.GetValue(preset), parse.GetValue(config));
            model = model with
            {
                Activation = parse.GetValue(activation) ?? model.Activation,
                LatentDim = parse.GetValue(latent) ?? model.LatentDim,
                Hidden = parse.GetValue(hidden) is string h ? ParseWidths(h) : model.Hidden,
                Beta = parse.GetValue(beta) ?? model.Beta,
            };
            training = training with
            {
                Epochs = parse.GetValue(epochs) ?? training.Epochs,
                BatchSize = parse.GetValue(batch) ?? training.BatchSize,
                LearningRate = parse.GetValue(lr) ?? training.LearningRate,
                Schedule = parse.GetValue(schedule) ?? training.Schedule,
                AdamEpsilon = parse.GetValue(adamEps) ?? training.AdamEpsilon,
                Seed = parse.GetValue(seed) ?? training.Seed,
                Dataset = parse.GetValue(data) ?? training.Dataset,
                Binarization = parse.GetValue(binarize) is string b ? ParseBinarization(b) : training.Binarization,
                ClipGradNorm = parse.GetValue(clip) ?? training.ClipGradNorm,
                KlWarmupSteps = parse.GetValue(warmup) ?? training.KlWarmupSteps,
                TrainSubset = parse.GetValue(trainSubset) ?? training.TrainSubset,
                TestSubset = parse.GetValue(testSubset) ?? training.TestSubset,
                Device = parse.GetValue(device) ?? training.Device,
            };
            model.Validate();
            training.Validate();
            // An unknown device, or CUDA on a machine without it, is a ConfigException saying what to use instead.
            TorchRuntime.Device(training.Device);
            if (parse.GetValue(activation) is string a && a != VaeConfig.PytorchExamples.Activation) name = $"{name}-{a}";
            string dir = parse.GetValue(output) ?? Path.Combine("runs", name);
            return Train(console, model, training, new RunDirectory(dir));
        });
        return command;
    }

    /// <summary>Starting config: a preset, a config file, or the pytorch-examples default; both at once is an error.</summary>
    private static (VaeConfig Model, TrainingOptions Training, string Name) Resolve(string? preset, string? configFile)
    {
        if (preset is not null && configFile is not null)
            throw new ConfigException("--preset and --config both given; use one (flags such as --activation override single fields of either).");
        if (configFile is not null)
        {
            var file = ConfigJson.Parse<ConfigFile>(ConfigJson.ReadFile(configFile), configFile);
            return ((file.Model ?? new VaeConfig()).Validate(), (file.Training ?? new TrainingOptions()).Validate(),
                Path.GetFileNameWithoutExtension(configFile));
        }
        string name = preset ?? "pytorch-examples";
        return (VaeConfig.Preset(name), name == "iwae-paper" ? TrainingOptions.IwaePaper : new TrainingOptions(), name);
    }

    private sealed record ConfigFile(VaeConfig? Model = null, TrainingOptions? Training = null);

    public static int[] ParseWidths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out widths[i]))
                throw new ConfigException($"--hidden '{text}': '{parts[i]}' is not a whole number; give widths like 400 or 200,200.");
        return widths;
    }

    public static Binarization ParseBinarization(string text) => text switch
    {
        "none" => Binarization.None,
        "static" => Binarization.StaticSample,
        "threshold" => Binarization.StaticThreshold,
        "dynamic" => Binarization.Dynamic,
        _ => throw new ConfigException($"--binarize '{text}' is not known; use none, static, threshold or dynamic."),
    };

    private static int Train(IAnsiConsole console, VaeConfig model, TrainingOptions training, RunDirectory run)
    {
        string rate = training.Schedule == LearningRateSchedule.Constant
            ? training.LearningRate.ToString(CultureInfo.InvariantCulture)
            : $"{training.LearningRate.ToString(CultureInfo.InvariantCulture)} ({training.Schedule} schedule)";
        console.MarkupLine($"[bold]Training[/] {Markup.Escape(Describe(model))} on {training.Dataset}, {training.Epochs} epochs, batch {training.BatchSize}, lr {rate}, seed {training.Seed}");
        var data = LoadData(console, training);
        return Report(console, run, training.Epochs, trainer => trainer.Run(model, data, training, run));
    }

    private static int Resume(IAnsiConsole console, RunDirectory run, int? epochs, string? device)
    {
        var recorded = run.ReadConfig();
        var training = recorded.Training with { Epochs = epochs ?? recorded.Training.Epochs };
        int done = run.ReadMetrics().Count;
        console.MarkupLine($"[bold]Resuming[/] {Markup.Escape(run.Path)}: {Markup.Escape(Describe(recorded.Model))}, epoch {done + 1} to {training.Epochs}");
        var data = LoadData(console, training);
        return Report(console, run, training.Epochs, trainer => trainer.Resume(run, data, epochs, device));
    }

    private static TrainingData LoadData(IAnsiConsole console, TrainingOptions training)
    {
        var data = TrainingData.Load(training, fetchIfMissing: true, log: line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
        console.MarkupLine($"[grey]{Markup.Escape(data.Train.Describe())}; {Markup.Escape(data.Test.Describe())}[/]");
        return data;
    }

    /// <summary>Runs <paramref name="train"/> with a progress bar and a line per epoch, then the table and where the run is.</summary>
    private static int Report(IAnsiConsole console, RunDirectory run, int totalEpochs, Func<Trainer, TrainingResult> train)
    {
        var trainer = new Trainer();
        var table = new Table().AddColumns("epoch", "train loss", "test loss", "recon", "KL", "active", "train s", "eval s");
        TrainingResult? result = null;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("epoch", maxValue: 1);
                trainer.StepCompleted += p =>
                {
                    task.MaxValue = p.StepsPerEpoch;
                    task.Value = p.Step;
                    task.Description = $"epoch {p.Epoch}/{totalEpochs}  loss {p.Loss:F2}";
                };
                trainer.EpochCompleted += m =>
                {
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {m.Epoch} train {m.TrainLoss:F3} test {m.TestLoss:F3} recon {m.TestRecon:F3} KL {m.TestKl:F3} active {m.ActiveUnits} {m.TrainSeconds:F1}s+{m.EvalSeconds:F1}s"));
                    table.AddRow(m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.TrainLoss), F(m.TestLoss), F(m.TestRecon), F(m.TestKl),
                        m.ActiveUnits.ToString(CultureInfo.InvariantCulture), m.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture), m.EvalSeconds.ToString("F1", CultureInfo.InvariantCulture));
                };
                result = train(trainer);
            });
        using var model = result!.Model;

        if (result.Outcome != Outcome.Completed)
        {
            console.MarkupLine($"[red]{result.Outcome.ToString().ToLowerInvariant()}:[/] {Markup.Escape(result.Message ?? "")}");
            console.MarkupLine($"Run directory: {Markup.Escape(run.Path)}");
            return Cli.Diverged;
        }
        console.Write(table);
        console.MarkupLine($"Test negative ELBO after epoch {result.Last!.Epoch}: [bold]{result.Last.TestLoss:F3}[/] nats per image.");
        console.MarkupLine($"Run written to {Markup.Escape(run.Path)} ({RunDirectory.ConfigFile}, {RunDirectory.MetricsFile}, {RunDirectory.ModelFile}, {RunDirectory.TrainerStateFile}, {RunDirectory.ResultFile}).");
        return Cli.Ok;
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    public static string Describe(VaeConfig c) =>
        $"{c.Architecture} VAE {c.InputDim}-{string.Join("-", c.ResolvedHidden)}-{c.LatentDim} {c.Activation} ({c.Likelihood.ToString().ToLowerInvariant()}, beta {c.Beta.ToString(CultureInfo.InvariantCulture)})";
}
