using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>Evaluation statistics of a trained VAE: bits per dimension, posterior activity, KL per latent dimension.</summary>
public static class Metrics
{
    /// <summary>A negative log-likelihood in nats per example as bits per data dimension: nll / (dims ln 2).</summary>
    public static double BitsPerDimension(double nllNats, int dims)
    {
        Checks.Positive(dims, nameof(dims), "Metrics.BitsPerDimension");
        return nllNats / (dims * Math.Log(2.0));
    }

    /// <summary>Element-wise <see cref="BitsPerDimension(double, int)"/> for a tensor of per-example NLLs in nats.</summary>
    public static Tensor BitsPerDimension(Tensor nllNats, int dims)
    {
        ArgumentNullException.ThrowIfNull(nllNats);
        Checks.Positive(dims, nameof(dims), "Metrics.BitsPerDimension");
        return nllNats / (dims * Math.Log(2.0));
    }

    /// <summary>The posterior means E_q[z | x] for every row of <paramref name="data"/>, [N, L], computed under no_grad (a dispose scope per batch; the result is the caller's).</summary>
    public static Tensor PosteriorMeans(Tensor data, Func<Tensor, Posterior> encode, int batchSize = 500)
    {
        const string where = "Metrics.PosteriorMeans";
        var means = new List<Tensor>();
        ForEachBatch(data, encode, batchSize, where, q => means.Add(q.Mean.detach().MoveToOuterDisposeScope()));
        if (means.Count == 1) return means[0];
        var all = torch.cat(means, 0);   // [N, L]
        foreach (var m in means) m.Dispose();
        return all;
    }

    /// <summary>
    /// Cov_x(E_q[z_d | x]) for each latent dim d: the variance over the data set of the posterior mean, [N, L] -> L values
    /// (Burda et al. 2016, sec. 5.2). Divides by N (the data set is the whole population being described) and is
    /// computed in float64 with two passes, so a constant dimension gives exactly 0.
    /// </summary>
    public static double[] PosteriorMeanVariance(Tensor posteriorMeans)
    {
        ArgumentNullException.ThrowIfNull(posteriorMeans);
        if (posteriorMeans.dim() != 2 || posteriorMeans.shape[0] == 0)
            throw new ArgumentException(
                $"Metrics.PosteriorMeanVariance: posterior means must have shape [N, latent] with N >= 1 but have {Checks.Format(posteriorMeans.shape)}; " +
                "stack the encoder's means over the data set (see Metrics.PosteriorMeans).");
        int n = (int)posteriorMeans.shape[0], latent = (int)posteriorMeans.shape[1];
        var values = ToDoubles(posteriorMeans);
        var mean = new double[latent];
        var variance = new double[latent];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < latent; d++) mean[d] += values[i * latent + d];
        for (int d = 0; d < latent; d++) mean[d] /= n;
        for (int i = 0; i < n; i++)
            for (int d = 0; d < latent; d++)
            {
                double r = values[i * latent + d] - mean[d];
                variance[d] += r * r;
            }
        for (int d = 0; d < latent; d++) variance[d] /= n;
        return variance;
    }

    /// <summary>
    /// The number of active latent units: dim d is active when Cov_x(E_q[z_d | x]) exceeds <paramref name="threshold"/>
    /// (Burda et al. 2016, sec. 5.2, threshold 0.01). An inactive dim's posterior ignores x: it has collapsed to the prior.
    /// </summary>
    public static int ActiveUnits(Tensor posteriorMeans, double threshold = 0.01)
    {
        Checks.NonNegativeFinite(threshold, nameof(threshold), "Metrics.ActiveUnits");
        int active = 0;
        foreach (double v in PosteriorMeanVariance(posteriorMeans)) if (v > threshold) active++;
        return active;
    }

    /// <summary>KL(q(z_d | x) || N(0, 1)) per latent dim d averaged over a batch of posteriors [N, L]: L values in nats.</summary>
    public static double[] KlPerDimension(Posterior q)
    {
        Checks.Posterior(q, "Metrics.KlPerDimension");
        if (q.Mean.dim() != 2 || q.Mean.shape[0] == 0)
            throw new ArgumentException(
                $"Metrics.KlPerDimension: the posterior must have shape [N, latent] with N >= 1 but has {Checks.Format(q.Mean.shape)}.");
        using var scope = torch.NewDisposeScope();
        using (torch.no_grad())
            return ToDoubles(Gaussian.KlPerDimension(q).mean([0]));
    }

    /// <summary>
    /// KL(q(z_d | x) || N(0, 1)) per latent dim d averaged over every row of <paramref name="data"/> (encoded
    /// <paramref name="batchSize"/> rows at a time under no_grad): L values in nats that sum to the data set's mean KL.
    /// </summary>
    public static double[] KlPerDimension(Tensor data, Func<Tensor, Posterior> encode, int batchSize = 500)
    {
        const string where = "Metrics.KlPerDimension";
        double[]? sum = null;
        ForEachBatch(data, encode, batchSize, where, q =>
        {
            var batchSum = ToDoubles(Gaussian.KlPerDimension(q).sum(0L));   // [L]; 0L: a plain 0 would bind to sum(ScalarType?)
            sum ??= new double[batchSum.Length];
            if (batchSum.Length != sum.Length)
                throw new InvalidOperationException(
                    $"{where}: the encoder returned {batchSum.Length} latent dims for one batch and {sum.Length} for another; it must return the same latent size every time.");
            for (int d = 0; d < sum.Length; d++) sum[d] += batchSum[d];
        });
        long n = data.shape[0];
        for (int d = 0; d < sum!.Length; d++) sum[d] /= n;
        return sum;
    }

    /// <summary>Encodes <paramref name="data"/> batch by batch under no_grad, one dispose scope per batch, and hands each posterior to <paramref name="body"/>.</summary>
    private static void ForEachBatch(Tensor data, Func<Tensor, Posterior> encode, int batchSize, string where, Action<Posterior> body)
    {
        Checks.Data(data, where);
        ArgumentNullException.ThrowIfNull(encode);
        Checks.Positive(batchSize, nameof(batchSize), where);
        long n = data.shape[0];
        using (torch.no_grad())
        {
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                long rows = Math.Min(batchSize, n - start);
                var q = encode(data.narrow(0, start, rows));
                Checks.BatchPosterior(q, rows, where);
                body(q);
            }
        }
    }

    /// <summary>A tensor's values as float64 on the CPU, row-major.</summary>
    internal static double[] ToDoubles(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();
    }
}
