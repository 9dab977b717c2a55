using Workbench.Autograd;
using Workbench.Autograd.Nn;
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
    /// cleared before and after; the weights are not changed) and reports every layer.</summary>
    public static IReadOnlyList<LayerHealth> Measure(Vae model, Tensor batch, Generator generator, double beta = 1.0)
    {
        var outputs = new List<(string Name, Module Module, Tensor Output)>();
        var hooks = new List<IDisposable>();
        foreach (var (name, module) in model.NamedModules())
            if (model.IsActivation(module))
                hooks.Add(module.RegisterForwardHook((m, _, y) => outputs.Add((name, m, y))));
        bool wasTraining = model.IsTraining;
        try
        {
            model.Train();
            model.ZeroGrad();
            var terms = Elbo.Compute(batch, model.Encode, model.Decode, generator, beta: beta);
            terms.Loss.Mean().Backward();
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
            model.Train(wasTraining);
        }

        var report = new List<LayerHealth>();
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!name.EndsWith("weight", StringComparison.Ordinal) || p.Grad is null) continue;
            double sq = p.Grad.ToDoubleArray().Sum(v => v * v);
            report.Add(new LayerHealth(name[..^".weight".Length], "Linear weight", Math.Sqrt(sq), double.NaN, double.NaN));
        }
        foreach (var (name, module, y) in outputs)
        {
            var (dead, saturated) = UnitStatistics(module, y);
            report.Add(new LayerHealth(name, module.GetType().Name, double.NaN, dead, saturated));
        }
        model.ZeroGrad();
        return report;
    }

    /// <summary>Per unit (dim 1, pooled over any spatial dims) across the batch.</summary>
    private static (double Dead, double Saturated) UnitStatistics(Module module, Tensor y)
    {
        var v = y.ToDoubleArray();
        int batch = y.Shape[0], units = y.Shape[1], spatial = y.Numel / Math.Max(1, batch * units);
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
