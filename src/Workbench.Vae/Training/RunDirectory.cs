using System.Globalization;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using Workbench.Vae.IO;

namespace Workbench.Vae.Training;

using Workbench.Vae.Models;

/// <summary>What a run's config.json holds: the model and how it was trained.</summary>
public sealed record RunConfig(VaeConfig Model, TrainingOptions Training);

/// <summary>
/// A run's folder: config.json, metrics.csv, model.safetensors (the last good epoch), trainer.safetensors (what a resume
/// needs: optimiser state, generator states, metrics) and result.json.
/// Every file is written atomically (temp file, then rename), so a killed run never leaves a half-written file.
/// </summary>
public sealed class RunDirectory
{
    public const string ConfigFile = "config.json", MetricsFile = "metrics.csv", ModelFile = "model.safetensors", ResultFile = "result.json",
        TrainerStateFile = "trainer.safetensors";

    /// <summary>The metrics.csv header; losses are negative ELBO per example in nats.</summary>
    public const string MetricsHeader = "epoch,train_loss,test_loss,test_recon,test_kl,active_units,train_seconds,eval_seconds";

    public RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void WriteConfig(VaeConfig model, TrainingOptions training)
    {
        Directory.CreateDirectory(Path);
        AtomicFile.WriteAllText(File(ConfigFile), JsonSerializer.Serialize(new RunConfig(model, training), VaeConfig.JsonOptions));
    }

    /// <summary>
    /// Checkpoints the epoch just finished: trainer.safetensors first (everything a resume needs, <see cref="TrainerState"/>),
    /// then model.safetensors (the state dict, keys such as encoder.0.weight, through TorchSharp.PyBridge, so PyTorch's
    /// safetensors.torch.load_file reads it; the model's config is in config.json) and metrics.csv. Each write is atomic
    /// and the trainer state alone is enough to rewrite the other two, so a kill between them loses nothing.
    /// </summary>
    internal void WriteCheckpoint(Vae model, torch.optim.Optimizer optimizer, torch.Generator batches, torch.Generator noise,
        IReadOnlyList<EpochMetrics> epochs, long step)
    {
        Directory.CreateDirectory(Path);
        TrainerState.Save(File(TrainerStateFile), model, optimizer, batches, noise, epochs, step);
        WriteWeights(model, File(ModelFile));
        AtomicFile.WriteAllText(File(MetricsFile), FormatMetrics(epochs));
    }

    /// <summary>Writes <paramref name="model"/>'s weights as safetensors to <paramref name="path"/> atomically.</summary>
    public static void WriteWeights(Vae model, string path) =>
        AtomicFile.Write(path, stream => model.save_safetensors(stream, leaveOpen: true));

    public void WriteResult(TrainingResult result)
    {
        Directory.CreateDirectory(Path);
        var json = JsonSerializer.Serialize(new
        {
            outcome = result.Outcome.ToString().ToLowerInvariant(),
            message = result.Message,
            failedEpoch = result.FailedEpoch,
            failedStep = result.FailedStep,
            epochs = result.Epochs.Count,
            final = result.Last,
        }, VaeConfig.JsonOptions);
        AtomicFile.WriteAllText(File(ResultFile), json);
        if (result.Epochs.Count == 0) AtomicFile.WriteAllText(File(MetricsFile), FormatMetrics(result.Epochs));
    }

    public static string FormatMetrics(IEnumerable<EpochMetrics> epochs)
    {
        var sb = new StringBuilder(MetricsHeader).Append('\n');
        foreach (var m in epochs)
            sb.Append(string.Join(",", new object[] { m.Epoch, R(m.TrainLoss), R(m.TestLoss), R(m.TestRecon), R(m.TestKl), m.ActiveUnits, R(m.TrainSeconds), R(m.EvalSeconds) }
                .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)))).Append('\n');
        return sb.ToString();
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads metrics.csv back; a malformed line is reported with its number.</summary>
    public IReadOnlyList<EpochMetrics> ReadMetrics()
    {
        string path = File(MetricsFile);
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path} does not exist: is '{Path}' a run directory written by `workbench train`?", path);
        var lines = System.IO.File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != MetricsHeader)
            throw new InvalidDataException($"{path}: the first line must be the header '{MetricsHeader}'.");
        var result = new List<EpochMetrics>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            try
            {
                if (f.Length != 8) throw new FormatException($"expected 8 fields, found {f.Length}");
                double D(int k) => double.Parse(f[k], NumberStyles.Float, CultureInfo.InvariantCulture);
                result.Add(new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4),
                    int.Parse(f[5], CultureInfo.InvariantCulture), D(6), D(7)));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}, line {i + 1}: {e.Message}.");
            }
        }
        return result;
    }

    /// <summary>Reads config.json.</summary>
    public RunConfig ReadConfig()
    {
        string path = File(ConfigFile);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"{path} does not exist: is '{Path}' a run directory written by `workbench train`?", path);
        var config = ConfigJson.Parse<RunConfig>(System.IO.File.ReadAllText(path), path);
        config.Model.Validate();
        config.Training.Validate();
        return config;
    }

    /// <summary>Rebuilds the model from config.json and loads model.safetensors into it.</summary>
    public (Vae Model, RunConfig Config) LoadModel()
    {
        var config = ReadConfig();
        string weights = File(ModelFile);
        if (!System.IO.File.Exists(weights))
            throw new FileNotFoundException($"{weights} does not exist: the run finished no epoch, so there is no checkpoint to load.", weights);
        var model = Vae.Create(config.Model, new torch.Generator(config.Training.Seed));
        try
        {
            model.load_safetensors(weights, strict: true);
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            model.Dispose();
            throw new InvalidDataException(
                $"{weights} does not hold the weights of the model config.json describes ({e.Message}). " +
                "Was the file replaced or the config edited? Retrain the run to get a matching checkpoint.", e);
        }
        return (model, config);
    }
}
