using TorchSharp;
using Workbench.Vae.Objectives;
using static TorchSharp.torch;

namespace Workbench.Vae.Evaluation;

// Inside the namespace so that "Vae" means the model type, not the Workbench.Vae namespace.
using Workbench.Vae.Models;

/// <summary>
/// What the notebooks look at: reconstructions, samples, latent means, manifolds, interpolations and traversals.
/// Everything runs in evaluation mode without a graph and returns pixel means in [0, 1] (sigmoid of the logits
/// for Bernoulli, the mean for Gaussian), flattened to [N, D]. Intermediate tensors are freed on return; the results
/// are in no dispose scope of the caller's (dispose them, or let the garbage collector free them).
/// </summary>
public static class Inspect
{
    /// <summary>Mean of p(x | z) as pixel values.</summary>
    public static Tensor PixelMeans(DecoderOutput px) =>
        px.Likelihood == Likelihood.Bernoulli ? px.Location.sigmoid() : px.Location;

    /// <summary>Reconstructions of x through the posterior mean (deterministic).</summary>
    public static Tensor Reconstruct(Vae model, Tensor x) =>
        InEval(model, () => PixelMeans(model.Decode(model.Encode(x).Mean)));

    /// <summary>Reconstructions through one reparameterised sample z ~ q(z | x).</summary>
    public static Tensor ReconstructSampled(Vae model, Tensor x, torch.Generator generator) =>
        InEval(model, () => PixelMeans(model.Decode(Vae.Reparameterize(model.Encode(x), generator))));

    /// <summary>Decoded draws from the prior z ~ N(0, I).</summary>
    public static Tensor SamplePrior(Vae model, int count, torch.Generator generator) =>
        InEval(model, () =>
        {
            var first = model.parameters().First();
            var z = torch.randn([count, model.Config.LatentDim], dtype: first.dtype, device: first.device, generator: generator);   // [N, latent]
            return PixelMeans(model.Decode(z));
        });

    /// <summary>Posterior means E_q[z | x] for a whole data block [N, D], in batches: [N, latent].</summary>
    public static Tensor LatentMeans(Vae model, Tensor data, int batchSize = 1000) =>
        InEval(model, () =>
        {
            var parts = new List<Tensor>();
            long n = data.shape[0];
            for (long s = 0; s < n; s += batchSize)
                parts.Add(model.Encode(data.narrow(0, s, Math.Min(batchSize, n - s))).Mean);
            return torch.cat(parts, 0);   // [N, latent]
        });

    /// <summary>
    /// The 2-D latent manifold (Kingma &amp; Welling 2014, fig. 4): a steps x steps grid over the unit square mapped
    /// through the inverse Gaussian CDF into z-space on dims (<paramref name="dimX"/>, <paramref name="dimY"/>), other
    /// dims 0; rows go top to bottom with decreasing z_y. Returns [steps * steps, D].
    /// </summary>
    public static Tensor LatentGrid(Vae model, int steps, int dimX = 0, int dimY = 1)
    {
        int latent = model.Config.LatentDim;
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), "a latent grid needs at least 2 steps per side.");
        if (dimX == dimY || dimX < 0 || dimY < 0 || dimX >= latent || dimY >= latent)
            throw new ArgumentException($"latent grid dims ({dimX}, {dimY}) must be two different dims below the latent size {latent}.");
        var z = new double[steps * steps * latent];
        for (int r = 0; r < steps; r++)
            for (int c = 0; c < steps; c++)
            {
                int row = (r * steps + c) * latent;
                z[row + dimX] = NormalQuantile((c + 0.5) / steps);
                z[row + dimY] = NormalQuantile(1 - (r + 0.5) / steps);
            }
        return DecodeLatents(model, z, steps * steps);
    }

    /// <summary>Linear interpolation between the posterior means of two images: [steps, D].</summary>
    public static Tensor Interpolate(Vae model, Tensor xa, Tensor xb, int steps)
    {
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), "an interpolation needs at least 2 steps.");
        var za = Latent(model, xa);
        var zb = Latent(model, xb);
        int latent = za.Length;
        var z = new double[steps * latent];
        for (int s = 0; s < steps; s++)
        {
            double t = s / (double)(steps - 1);
            for (int d = 0; d < latent; d++) z[s * latent + d] = (1 - t) * za[d] + t * zb[d];
        }
        return DecodeLatents(model, z, steps);
    }

    /// <summary>Moves one latent dim of x's posterior mean over [-range, range]: [steps, D] (a latent traversal).</summary>
    public static Tensor Traverse(Vae model, Tensor x, int dim, int steps, double range = 3.0)
    {
        var z0 = Latent(model, x);
        if ((uint)dim >= (uint)z0.Length) throw new ArgumentOutOfRangeException(nameof(dim), $"latent dim {dim} is outside 0..{z0.Length - 1}.");
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), "a traversal needs at least 2 steps.");
        var z = new double[steps * z0.Length];
        for (int s = 0; s < steps; s++)
        {
            z0.CopyTo(z, s * z0.Length);
            z[s * z0.Length + dim] = -range + 2 * range * s / (steps - 1);
        }
        return DecodeLatents(model, z, steps);
    }

    /// <summary>The posterior mean of one image as doubles.</summary>
    private static double[] Latent(Vae model, Tensor x)
    {
        using var means = LatentMeans(model, x.reshape(1, -1));   // [1, latent]
        return Metrics.ToDoubles(means);
    }

    private static Tensor DecodeLatents(Vae model, double[] z, int count) =>
        InEval(model, () =>
        {
            var first = model.parameters().First();
            var zt = torch.tensor(z, [count, model.Config.LatentDim], dtype: first.dtype, device: first.device);   // [N, latent]
            return PixelMeans(model.Decode(zt));
        });

    /// <summary>
    /// Runs <paramref name="body"/> in evaluation mode without a graph, restoring the previous mode. Its tensors live
    /// in a dispose scope of their own; a tensor it returns is detached from every scope (the caller owns it).
    /// </summary>
    public static T InEval<T>(nn.Module model, Func<T> body)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var result = body();
            if (result is Tensor t) t.DetachFromDisposeScope();
            return result;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Inverse of the standard normal CDF (P. J. Acklam's rational approximation, relative error below 1.15e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), "the normal quantile needs 0 < p < 1.");
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        double u = p - 0.5, r = u * u;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
