using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using Workbench.Vae.IO;
using static TorchSharp.torch;

namespace Workbench.Vae.Training;

using Workbench.Vae.Models;

/// <summary>
/// Everything a run needs to continue exactly where an epoch ended, in one safetensors file (trainer.safetensors):
/// the model's weights ("model.&lt;name&gt;"), Adam's moments and step count per parameter ("adam.&lt;name&gt;.exp_avg",
/// ".exp_avg_sq", ".step"), the states of the batch and noise generators, the optimiser step count and the metrics of
/// every finished epoch ("metrics", float64 [epochs, 8] in metrics.csv's column order). One file, written atomically,
/// so a run killed at any moment resumes from a consistent state; metrics.csv and model.safetensors are rewritten from it.
/// </summary>
internal static class TrainerState
{
    private const string Metrics = "metrics", Step = "step", BatchGenerator = "generator.batches", NoiseGenerator = "generator.noise";

    /// <summary>What a checkpoint restores besides the weights and optimiser (which are loaded in place).</summary>
    public sealed record Position(IReadOnlyList<EpochMetrics> Epochs, long Step);

    public static void Save(string path, Vae model, optim.Optimizer optimizer, torch.Generator batches, torch.Generator noise,
        IReadOnlyList<EpochMetrics> epochs, long step)
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters()) tensors[$"model.{name}"] = parameter.detach().cpu();
        foreach (var (name, state) in AdamStates(model, optimizer))
        {
            tensors[$"adam.{name}.exp_avg"] = state.exp_avg.cpu();
            tensors[$"adam.{name}.exp_avg_sq"] = state.exp_avg_sq.cpu();
            tensors[$"adam.{name}.step"] = torch.tensor(new[] { state.step });
        }
        tensors[BatchGenerator] = batches.get_state();
        tensors[NoiseGenerator] = noise.get_state().cpu();
        tensors[Step] = torch.tensor(new[] { step });
        var rows = new double[Math.Max(epochs.Count, 0) * 8];
        for (int i = 0; i < epochs.Count; i++)
        {
            var m = epochs[i];
            double[] row = [m.Epoch, m.TrainLoss, m.TestLoss, m.TestRecon, m.TestKl, m.ActiveUnits, m.TrainSeconds, m.EvalSeconds];
            row.CopyTo(rows, i * 8);
        }
        tensors[Metrics] = torch.tensor(rows, [epochs.Count, 8], ScalarType.Float64);
        AtomicFile.Write(path, stream => Safetensors.SaveStateDict(stream, tensors, leaveOpen: true));
    }

    /// <summary>
    /// Loads <paramref name="path"/> into the model, the optimiser (built over the model's parameters, in their order)
    /// and the two generators; returns the epochs and step it was taken at. A file that does not fit the model fails
    /// with an <see cref="InvalidDataException"/> naming the file and the first missing or misshapen tensor.
    /// </summary>
    public static Position Load(string path, Vae model, optim.Optimizer optimizer, torch.Generator batches, torch.Generator noise)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} does not exist: the run has no resumable checkpoint (it finished no epoch, or was trained without one). Train it anew.", path);
        using var scope = torch.NewDisposeScope();
        Dictionary<string, Tensor> tensors;
        try
        {
            tensors = Safetensors.LoadStateDict(path);
        }
        catch (Exception e) when (e is not (FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException))
        {
            throw new InvalidDataException($"{path} is not a readable safetensors file ({e.Message}); the run cannot be resumed from it. Train it anew.", e);
        }
        Tensor Get(string name, long[]? shape = null)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new InvalidDataException($"{path} has no tensor '{name}': it does not belong to this run's model. Train the run anew.");
            if (shape is not null && !t.shape.SequenceEqual(shape))
                throw new InvalidDataException($"{path}: '{name}' has shape [{string.Join(", ", t.shape)}] but the model needs [{string.Join(", ", shape)}]. Was config.json edited? Train the run anew.");
            return t;
        }

        using (torch.no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
                parameter.copy_(Get($"model.{name}", parameter.shape));
            foreach (var (name, state) in AdamStates(model, optimizer))
            {
                state.exp_avg.copy_(Get($"adam.{name}.exp_avg", state.exp_avg.shape));
                state.exp_avg_sq.copy_(Get($"adam.{name}.exp_avg_sq", state.exp_avg_sq.shape));
                state.step = Get($"adam.{name}.step", [1]).item<long>();
            }
        }
        batches.set_state(Get(BatchGenerator));
        noise.set_state(Get(NoiseGenerator));
        var metrics = Get(Metrics);
        if (metrics.dim() != 2 || metrics.shape[1] != 8)
            throw new InvalidDataException($"{path}: 'metrics' must have shape [epochs, 8] but has [{string.Join(", ", metrics.shape)}].");
        var values = metrics.to(ScalarType.Float64).data<double>().ToArray();
        var epochs = new List<EpochMetrics>();
        for (int i = 0; i < metrics.shape[0]; i++)
        {
            var r = values.AsSpan(i * 8, 8);
            epochs.Add(new EpochMetrics((int)r[0], r[1], r[2], r[3], r[4], (int)r[5], r[6], r[7]));
        }
        return new Position(epochs, Get(Step, [1]).item<long>());
    }

    /// <summary>Adam's per-parameter state, paired with the parameter names (the optimiser was built over model.parameters(), in order).</summary>
    private static IEnumerable<(string Name, Adam.State State)> AdamStates(Vae model, optim.Optimizer optimizer)
    {
        if (optimizer is not Adam adam)
            throw new ArgumentException($"Only Adam's state can be checkpointed, not {optimizer.GetType().Name}'s.", nameof(optimizer));
        var names = model.named_parameters().Select(p => p.name).ToArray();
        var states = adam.state_dict().State;
        if (states.Count != names.Length)
            throw new InvalidOperationException($"The optimiser holds state for {states.Count} parameters but the model has {names.Length}.");
        for (int i = 0; i < names.Length; i++) yield return (names[i], (Adam.State)states[i]);
    }
}
