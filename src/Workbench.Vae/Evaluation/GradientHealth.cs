using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Objectives;

namespace Workbench.Vae.Evaluation;

// Inside the namespace so that "Vae" means the model type, not the Workbench.Vae namespace.
using Workbench.Vae.Models;

/// <summary>Health of one layer during a training step.</summary>
/// <param name="Layer">Dotted module path, e.g. "encoder.1".</param>
/// <param name="Kind">The module's type name (an activation, or "Linear weight").</param>
/// <param name="GradNorm">L2 norm of the weight gradient (NaN for activations).</param>
/// <param name="DeadFraction">Units whose output is exactly 0 for every example in the batch (relu-like death).</param>
/// <param name="SaturatedFraction">Units at a flat end of a saturating activation for most examples (tanh |y| > 0.99, sigmoid-like y &lt; 0.01 or &gt; 0.99).</param>
public sealed record LayerHealth(string Layer, string Kind, double GradNorm, double DeadFraction, double SaturatedFraction);

/// <summary>Gradient norms per layer and dead or saturated units per activation, from one training step's batch.</summary>
public static class GradientHealth
{
    /// <summary>Runs one forward and backward pass of the negative ELBO on <paramref name="batch"/> (gradients are
    /// cleared before and after; the weights are not changed) and reports every layer. Every tensor of the pass lives in
    /// one dispose scope of its own.</summary>
    public static IReadOnlyList<LayerHealth> Measure(Vae model, Tensor batch, torch.Generator generator, double beta = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        var outputs = new List<(string Name, nn.Module Module, Tensor Output)>();
        var hooks = new List<nn.Module<Tensor, Tensor>.HookRemover>();
        foreach (var (name, module) in model.named_modules())
            if (model.IsActivation(module) && module is nn.Module<Tensor, Tensor> activation)
                hooks.Add(activation.register_forward_hook((m, _, y) => { outputs.Add((name, m, y.detach())); return null!; }));
        bool wasTraining = model.training;
        try
        {
            model.train();
            model.zero_grad();
            var terms = Elbo.Compute(batch, model.Encode, model.Decode, generator, beta: beta);
            terms.Loss.mean().backward();
        }
        finally
        {
            foreach (var h in hooks) h.remove();
            model.train(wasTraining);
        }

        var report = new List<LayerHealth>();
        foreach (var (name, p) in model.named_parameters())
        {
            var grad = p.grad;
            if (!name.EndsWith("weight", StringComparison.Ordinal) || grad is null) continue;
            double norm = grad.detach().to(ScalarType.Float64).norm().item<double>();   // L2 over every element
            report.Add(new LayerHealth(name[..^".weight".Length], "Linear weight", norm, double.NaN, double.NaN));
        }
        foreach (var (name, module, y) in outputs)
        {
            var (dead, saturated) = UnitStatistics(module, y);
            report.Add(new LayerHealth(name, module.GetType().Name, double.NaN, dead, saturated));
        }
        model.zero_grad();
        return report;
    }

    /// <summary>Per unit (dim 1, pooled over any spatial dims) across the batch.</summary>
    private static (double Dead, double Saturated) UnitStatistics(nn.Module module, Tensor y)
    {
        var v = Metrics.ToDoubles(y);
        int batch = (int)y.shape[0], units = (int)y.shape[1], spatial = (int)(y.numel() / Math.Max(1, (long)batch * units));
        Func<double, bool> flat = module.GetType().Name switch
        {
            "Tanh" or "Softsign" => x => Math.Abs(x) > 0.99,
            "Sigmoid" or "Hardsigmoid" => x => x < 0.01 || x > 0.99,
            _ => _ => false,
        };
        int dead = 0, saturated = 0;
        for (int u = 0; u < units; u++)
        {
            bool alive = false;
            int flatCount = 0, total = 0;
            for (int b = 0; b < batch; b++)
                for (int s = 0; s < spatial; s++)
                {
                    double x = v[(b * units + u) * spatial + s];
                    alive |= x != 0;
                    if (flat(x)) flatCount++;
                    total++;
                }
            if (!alive) dead++;
            if (flatCount * 2 > total) saturated++;
        }
        return (dead / (double)units, saturated / (double)units);
    }
}
