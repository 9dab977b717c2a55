using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;
using Workbench.Vae.Objectives;
using static Workbench.Vae.Tests.Objectives.ObjectiveTestUtil;

namespace Workbench.Vae.Tests.Objectives;

public class IwaeTests
{
    private readonly Generator _g = new(51);
    private readonly Tensor _x;
    private readonly Func<Tensor, Posterior> _encode;
    private readonly Func<Tensor, DecoderOutput> _decode;

    public IwaeTests()
    {
        _x = SoftData(_g, 7, 5);
        _encode = LinearEncoder(Randn64(_g, 4, 5).mul(0.5), Randn64(_g, 4));
        _decode = BernoulliDecoder(Randn64(_g, 5, 2), Randn64(_g, 5));
    }

    [Fact]
    public void BoundIsTheLogMeanOfTheImportanceWeightsOfTheSameDraws()
    {
        const int k = 6;
        var bound = Iwae.Bound(_x, _encode, _decode, new Generator(8), k);
        Assert.Equal(new[] { 7 }, bound.Dims());
        // Spelled out in doubles: log w_i = log p(x|z_i) + log N(z_i; 0, I) - log q(z_i|x), then log (1/k) sum_i w_i.
        var q = _encode(_x);
        var z = Gaussian.Sample(q, new Generator(8), k);   // [k, 7, 2]
        for (int b = 0; b < 7; b++)
        {
            var logW = new double[k];
            for (int i = 0; i < k; i++)
            {
                var zi = z[i];
                double logPx = LogLikelihood.Of(_x, _decode(zi)).At(b);
                double logPz = 0, logQ = 0;
                for (int l = 0; l < 2; l++)
                {
                    double v = zi.At(b, l), m = q.Mean.At(b, l), lv = q.LogVar.At(b, l);
                    logPz += -0.5 * (Math.Log(2 * Math.PI) + v * v);
                    logQ += -0.5 * (Math.Log(2 * Math.PI) + lv + (v - m) * (v - m) / Math.Exp(lv));
                }
                logW[i] = logPx + logPz - logQ;
            }
            double expected = Math.Log(logW.Select(Math.Exp).Average());
            AssertClose(expected, bound[b], 1e-12, $"row {b}");
        }
    }

    [Fact]
    public void BoundIsStableWhenTheWeightsUnderflow()
    {
        // Data far from a confident Gaussian decoder: log w is about -1e5, where exp(log w) is 0 in float64.
        var x = Data64([30, -30], 1, 2);
        var q = new Posterior(torch.zeros([1, 1], ScalarType.Float64), torch.zeros([1, 1], ScalarType.Float64));
        DecoderOutput Decode(Tensor z) => new(Likelihood.Gaussian, z.mul(Data64([1, 1], 1, 2)), torch.tensor(-3.0, ScalarType.Float64));
        var bound = Iwae.Bound(x, _ => q, Decode, new Generator(9), 50);
        double logW = bound.At(0);
        Assert.True(double.IsFinite(logW), $"bound {logW} is not finite");
        Assert.True(logW < -1e4, $"bound {logW} should be hugely negative");
        var elbo = Elbo.Compute(x, _ => q, Decode, new Generator(10), samples: 50).Bound.At(0);
        Assert.True(Math.Abs(logW - elbo) < 0.05 * Math.Abs(elbo), $"bound {logW} and ELBO {elbo} should be of the same size");
    }

    [Fact]
    public void NegativeLogLikelihoodIsTheSameForEveryChunkSize()
    {
        // A batch's eps are drawn before it is cut into chunks, so the chunk size changes memory, not the numbers.
        var whole = Iwae.NegativeLogLikelihood(_x, _encode, _decode, new Generator(21), k: 60, batchSize: 3, chunk: 60).Doubles();
        foreach (int chunk in new[] { 1, 7, 16, 59 })
        {
            var chunked = Iwae.NegativeLogLikelihood(_x, _encode, _decode, new Generator(21), k: 60, batchSize: 3, chunk: chunk).Doubles();
            for (int r = 0; r < whole.Length; r++) AssertClose(whole[r], chunked[r], 1e-12 * Math.Abs(whole[r]), $"chunk {chunk}, row {r}");
        }
    }

    [Fact]
    public void NegativeLogLikelihoodOfOneBatchAndOneChunkIsMinusTheBound()
    {
        // One batch and one chunk: exactly minus the bound with the same draws.
        var oneBatch = Iwae.NegativeLogLikelihood(_x, _encode, _decode, new Generator(22), k: 60, batchSize: 7, chunk: 60);
        var bound = Iwae.Bound(_x, _encode, _decode, new Generator(22), 60);
        for (int r = 0; r < 7; r++) AssertClose(-bound.At(r), oneBatch[r], 1e-12 * Math.Abs(bound.At(r)));
    }

    [Fact]
    public void NegativeLogLikelihoodFreesEveryBatchAndChunk()
    {
        // One dispose scope per batch and per chunk: only the [N] result outlives the call.
        Iwae.NegativeLogLikelihood(_x, _encode, _decode, new Generator(25), k: 30, batchSize: 2, chunk: 7);
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var nll = Iwae.NegativeLogLikelihood(_x, _encode, _decode, new Generator(25), k: 30, batchSize: 2, chunk: 7);
        Assert.Equal(before + 1, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.All(nll.Doubles(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void NegativeLogLikelihoodRunsWithoutGradientsAndReportsProgress()
    {
        var we = Rand64(_g, 4, 5);
        var be = Rand64(_g, 4);
        var reported = new List<int>();
        var nll = Iwae.NegativeLogLikelihood(_x, LinearEncoder(we, be), _decode, new Generator(23), k: 10, batchSize: 3, chunk: 4,
            progress: new SyncProgress(reported.Add));
        Assert.False(nll.requires_grad);
        Assert.Null(we.grad);
        Assert.Equal(new[] { 3, 6, 7 }, reported);
        Assert.True(torch.is_grad_enabled());
    }

    [Fact]
    public void NegativeLogLikelihoodIsFloat64WhateverTheModelsDType()
    {
        // torch draws different normals for float32 and float64 from one seed, so the two runs are compared where eps
        // does not matter: at the linear-Gaussian model's exact posterior every importance weight is p(x).
        var model = new LinearGaussianModel();
        var rows = model.SampleData(new Generator(2025), 6);
        var x = LinearGaussianModel.ToTensor(rows);
        var encode = model.ExactEncoder().Encoder();
        var decode = model.Decoder();
        var f = ScalarType.Float32;
        var nll64 = Iwae.NegativeLogLikelihood(x, encode, decode, new Generator(24), k: 40, batchSize: 4, chunk: 10);
        // The same model run in float32: its inputs and outputs cast at the boundary.
        var nll32 = Iwae.NegativeLogLikelihood(x.to(f), v => Cast(encode(v.to(ScalarType.Float64)), f),
            z => CastOut(decode(z.to(ScalarType.Float64)), f), new Generator(24), k: 40, batchSize: 4, chunk: 10);
        Assert.Equal(ScalarType.Float64, nll32.dtype);   // accumulated in float64 so that 5000 log-weights lose nothing
        Assert.Equal(ScalarType.Float64, nll64.dtype);
        Assert.Equal(new[] { 6 }, nll32.Dims());
        for (int r = 0; r < 6; r++)
        {
            double exact = -model.ExactLogMarginal(rows[r]);
            AssertClose(exact, nll64[r], 1e-10, $"row {r} float64");
            AssertClose(exact, nll32[r], 1e-5 * Math.Abs(exact) + 1e-5, $"row {r} float32");
        }
    }

    private static Posterior Cast(Posterior q, ScalarType d) => new(q.Mean.to(d), q.LogVar.to(d));
    private static DecoderOutput CastOut(DecoderOutput p, ScalarType d) => p with { Location = p.Location.to(d), LogVar = p.LogVar?.to(d) };

    [Fact]
    public void BitsPerDimensionMatchesTheHandFormula()
    {
        // 100 nats over 784 pixels: 100 / (784 ln 2) = 100 / 543.4273895589971 = 0.18401722460318412 bits.
        AssertClose(0.18401722460318412, Metrics.BitsPerDimension(100, 784), 1e-16);
        AssertClose(1.0, Metrics.BitsPerDimension(Math.Log(2) * 3, 3), 1e-15);
        var perExample = Metrics.BitsPerDimension(Data64([100, Math.Log(2) * 784], 2), 784);
        AssertClose(0.18401722460318412, perExample[0], 1e-16);
        AssertClose(1.0, perExample[1], 1e-15);
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.BitsPerDimension(1.0, 0));
    }

    [Fact]
    public void BoundGradientsMatchFiniteDifferences()
    {
        var x = SoftData(_g, 3, 4);
        Tensor[] parameters = [Scaled(_g, 0.5, 4, 4), Rand64(_g, 4), Rand64(_g, 4, 2), Rand64(_g, 4)];
        AssertGrad(p => Iwae.Bound(x, LinearEncoder(p[0], p[1]), BernoulliDecoder(p[2], p[3]), new Generator(31), 5), parameters);
        AssertGrad(p => Iwae.Bound(x, LinearEncoder(p[0], p[1]), BernoulliDecoder(p[2], p[3]), new Generator(32), 1), parameters);
    }

    [Fact]
    public void BadInputsAreRejectedWithAClearMessage()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Iwae.Bound(_x, _encode, _decode, _g, 0));
        Assert.Contains("k must be at least 1", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Iwae.NegativeLogLikelihood(_x, _encode, _decode, _g, k: 10, batchSize: 0));
        Assert.Contains("batchSize", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Iwae.NegativeLogLikelihood(_x, _encode, _decode, _g, k: 10, chunk: -1));
        Assert.Contains("chunk", ex.Message);
        var wrong = Assert.Throws<InvalidOperationException>(() => Iwae.Bound(_x, _encode, z => _decode(z.narrow(0, 0, 7)), _g, 3));
        Assert.Contains("21 latent codes", wrong.Message);
        Assert.Throws<ArgumentException>(() => Iwae.NegativeLogLikelihood(_x, x => new Posterior(torch.zeros([2, 2], ScalarType.Float64), torch.zeros([2, 2], ScalarType.Float64)), _decode, _g, k: 5));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
