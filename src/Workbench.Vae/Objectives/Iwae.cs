using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>
/// The importance-weighted bound (Burda et al. 2016) and the importance-sampled estimate of -log p(x) built on it.
/// </summary>
public static class Iwae
{
    /// <summary>
    /// L_k = log (1/k) sum_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x) (Burda et al. 2016, eq. 8), per example [B].
    /// L_1 is the single-sample ELBO (in expectation), L_k rises with k and tends to log p(x). The weights are combined
    /// with a log-sum-exp so no exp(log w) can overflow. Differentiable, so it can also be trained on.
    /// </summary>
    public static Tensor Bound(Tensor x, Func<Tensor, Posterior> encode, Func<Tensor, DecoderOutput> decode, torch.Generator generator, int k)
    {
        const string where = "Iwae.Bound";
        Checks.Data(x, where);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(generator);
        Checks.Positive(k, nameof(k), where);
        var q = encode(x);
        Checks.BatchPosterior(q, x.shape[0], where);
        Checks.SameDType(x, q.Mean, "the data", "the posterior", where);
        var logW = LogWeights(x, q, decode, generator, k, where);   // [k, B]
        return logW.logsumexp(0) - Math.Log(k);
    }

    /// <summary>
    /// log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x) for k fresh samples: [k, B].
    /// The decoder sees all k x B codes in one call, sample-major.
    /// </summary>
    private static Tensor LogWeights(Tensor x, Posterior q, Func<Tensor, DecoderOutput> decode, torch.Generator generator, int k, string where)
    {
        var eps = torch.randn([k, x.shape[0], q.Mean.shape[1]], dtype: q.Mean.dtype, device: q.Mean.device, generator: generator);   // [k, B, L]
        return LogWeights(x, q, decode, eps, where);
    }

    /// <summary>log w for the samples z = mu + sigma eps, eps [k, B, L]: [k, B].</summary>
    private static Tensor LogWeights(Tensor x, Posterior q, Func<Tensor, DecoderOutput> decode, Tensor eps, string where)
    {
        long k = eps.shape[0], batch = eps.shape[1], latent = eps.shape[2];
        // (z - mu)^2 / sigma^2 is eps^2, so log p(z) - log q(z | x) = 0.5 sum_l (eps^2 - z^2 + logVar) exactly (the
        // log 2 pi terms cancel): one short chain instead of two log-densities.
        var z = Gaussian.Reparameterize(q, eps);                                  // [k, B, L]
        var px = Elbo.Decode(decode, z.reshape(k * batch, latent), k, batch, where);
        var logPxGivenZ = LogLikelihood.Of(x, px);                                 // [k, B] (or [B] when k = 1)
        if (k == 1) logPxGivenZ = logPxGivenZ.unsqueeze(0);
        var logPzOverQz = (eps.square() - z.square() + q.LogVar).sum(-1) * 0.5;   // [k, B]
        return logPxGivenZ + logPzOverQz;
    }

    /// <summary>
    /// The importance-sampled estimate of -log p(x) per example (Burda et al. 2016, sec. 5: k = 5000), [N] in the
    /// float64. Runs under no_grad, with one dispose scope per batch, so memory stays bounded. The data are taken <paramref name="batchSize"/> rows at a
    /// time and the k samples <paramref name="chunk"/> at a time, so at most chunk x batchSize decoded examples exist at
    /// once; the chunks' log-sum-exps are merged with a running log-add-exp in float64. A batch's k x batchSize x latent
    /// eps are drawn in one call before its chunks (libtorch fills a normal tensor in blocks, so draws split differently
    /// would give other numbers): the chunk size changes memory, never the result, and the same seed gives the same numbers.
    /// </summary>
    /// <param name="data">[N, D] (or [N, ...]).</param>
    /// <param name="encode">x [B, D] -> q(z | x), [B, L].</param>
    /// <param name="decode">z [M, L] -> p(x | z)'s parameters, [M, D].</param>
    /// <param name="generator">The source of every eps.</param>
    /// <param name="k">Importance samples per example.</param>
    /// <param name="batchSize">Data rows encoded at once.</param>
    /// <param name="chunk">Importance samples decoded at once per row.</param>
    /// <param name="progress">Told the number of rows finished after each batch.</param>
    public static Tensor NegativeLogLikelihood(Tensor data, Func<Tensor, Posterior> encode, Func<Tensor, DecoderOutput> decode,
        torch.Generator generator, int k = 5000, int batchSize = 50, int chunk = 20, IProgress<int>? progress = null)
    {
        const string where = "Iwae.NegativeLogLikelihood";
        Checks.Data(data, where);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(generator);
        Checks.Positive(k, nameof(k), where);
        Checks.Positive(batchSize, nameof(batchSize), where);
        Checks.Positive(chunk, nameof(chunk), where);

        long n = data.shape[0];
        var nll = new double[n];
        var running = new double[Math.Min(batchSize, n)];
        double logK = Math.Log(k);
        using (torch.no_grad())
        {
            for (int start = 0; start < n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                int rows = (int)Math.Min(batchSize, n - start);
                var x = data.narrow(0, start, rows);
                var q = encode(x);
                Checks.BatchPosterior(q, rows, where);
                Checks.SameDType(x, q.Mean, "the data", "the posterior", where);
                var acc = running.AsSpan(0, rows);
                acc.Fill(double.NegativeInfinity);
                var eps = torch.randn([k, rows, q.Mean.shape[1]], dtype: q.Mean.dtype, device: q.Mean.device, generator: generator);   // [k, rows, L]
                for (int done = 0; done < k; done += chunk)
                {
                    int c = Math.Min(chunk, k - done);
                    using var chunkScope = torch.NewDisposeScope();   // the decoded chunk is freed before the next one
                    var chunkLse = LogWeights(x, q, decode, eps.narrow(0, done, c), where).logsumexp(0).cpu().to(ScalarType.Float64).data<double>().ToArray();   // [rows]
                    LogAddExpInto(acc, chunkLse);
                }
                for (int i = 0; i < rows; i++) nll[start + i] = logK - acc[i];   // -(log sum w - log k)
                progress?.Report(start + rows);
            }
        }
        return torch.tensor(nll, ScalarType.Float64);   // [N]
    }

    /// <summary>acc_i = log(exp(acc_i) + exp(v_i)), exact when either side is -inf.</summary>
    private static void LogAddExpInto(Span<double> acc, ReadOnlySpan<double> v)
    {
        for (int i = 0; i < acc.Length; i++)
        {
            double a = acc[i], b = v[i];
            double m = Math.Max(a, b);
            if (double.IsNegativeInfinity(m)) continue;   // both -inf: the sum is still 0
            if (double.IsPositiveInfinity(m) || double.IsNaN(m)) { acc[i] = m; continue; }
            acc[i] = m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m));
        }
    }
}
