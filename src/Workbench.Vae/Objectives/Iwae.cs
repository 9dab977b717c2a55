using Workbench.Autograd;
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
    public static Tensor Bound(Tensor x, Func<Tensor, Posterior> encode, Func<Tensor, DecoderOutput> decode, Generator generator, int k)
    {
        const string where = "Iwae.Bound";
        Checks.Data(x, where);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(generator);
        Checks.Positive(k, nameof(k), where);
        var q = encode(x);
        Checks.BatchPosterior(q, x.Shape[0], where);
        Checks.SameDType(x, q.Mean, "the data", "the posterior", where);
        var logW = LogWeights(x, q, decode, generator, k, where);   // [k, B]
        return logW.LogSumExp(0).Sub(Math.Log(k));
    }

    /// <summary>
    /// log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x) for k fresh samples: [k, B].
    /// The decoder sees all k x B codes in one call, sample-major.
    /// </summary>
    private static Tensor LogWeights(Tensor x, Posterior q, Func<Tensor, DecoderOutput> decode, Generator generator, int k, string where)
    {
        int batch = x.Shape[0], latent = q.Mean.Shape[1];
        // The same draws as Gaussian.Sample(q, generator, k), with eps kept: (z - mu)^2 / sigma^2 is eps^2, so
        // log p(z) - log q(z | x) = 0.5 sum_l (eps^2 - z^2 + logVar) exactly (the log 2 pi terms cancel), one short
        // chain instead of two log-densities.
        var eps = Tensor.Randn([k, batch, latent], generator, q.Mean.DType);      // [k, B, L]
        var z = Gaussian.Reparameterise(q, eps);
        var px = Elbo.Decode(decode, z.Reshape(k * batch, latent), k, batch, where);
        var logPxGivenZ = LogLikelihood.Of(x, px);                                 // [k, B] (or [B] when k = 1)
        if (k == 1) logPxGivenZ = logPxGivenZ.Unsqueeze(0);
        var logPzOverQz = eps.Square().Sub(z.Square()).Add(q.LogVar).Sum(-1).Mul(0.5);   // [k, B]
        return logPxGivenZ.Add(logPzOverQz);
    }

    /// <summary>
    /// The importance-sampled estimate of -log p(x) per example (Burda et al. 2016, sec. 5: k = 5000), [N] in the
    /// data's dtype. Runs under <see cref="Tensor.NoGrad"/>. The data are taken <paramref name="batchSize"/> rows at a
    /// time and the k samples <paramref name="chunk"/> at a time, so at most chunk x batchSize decoded examples exist at
    /// once; the chunks' log-sum-exps are merged with a running log-add-exp in float64. eps is drawn batch by batch,
    /// chunk by chunk, sample-major: when chunk x batchSize x latent is even, every chunk size gives the same draws as
    /// chunk = k (up to the summation order of the log-sum-exp).
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
        Generator generator, int k = 5000, int batchSize = 50, int chunk = 20, IProgress<int>? progress = null)
    {
        const string where = "Iwae.NegativeLogLikelihood";
        Checks.Data(data, where);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(generator);
        Checks.Positive(k, nameof(k), where);
        Checks.Positive(batchSize, nameof(batchSize), where);
        Checks.Positive(chunk, nameof(chunk), where);

        int n = data.Shape[0];
        var nll = new double[n];
        var running = new double[Math.Min(batchSize, n)];
        double logK = Math.Log(k);
        using (Tensor.NoGrad())
        {
            for (int start = 0; start < n; start += batchSize)
            {
                int rows = Math.Min(batchSize, n - start);
                var x = data.Slice(start, start + rows);
                var q = encode(x);
                Checks.BatchPosterior(q, rows, where);
                Checks.SameDType(x, q.Mean, "the data", "the posterior", where);
                var acc = running.AsSpan(0, rows);
                acc.Fill(double.NegativeInfinity);
                for (int done = 0; done < k; done += chunk)
                {
                    int c = Math.Min(chunk, k - done);
                    var chunkLse = LogWeights(x, q, decode, generator, c, where).LogSumExp(0).ToDoubleArray();   // [rows]
                    LogAddExpInto(acc, chunkLse);
                }
                for (int i = 0; i < rows; i++) nll[start + i] = logK - acc[i];   // -(log sum w - log k)
                progress?.Report(start + rows);
            }
        }
        var result = Tensor.FromArray(nll, n);
        return data.DType == DType.Float64 ? result : result.To(data.DType);
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
