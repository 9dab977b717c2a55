using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Objectives;
using Xunit.Abstractions;
using static Workbench.Vae.Tests.Objectives.ObjectiveTestUtil;

namespace Workbench.Vae.Tests.Objectives;

/// <summary>
/// The objectives against a model whose log p(x) is exact: the linear-Gaussian VAE (Tipping and Bishop 1999).
/// The reference numbers come from <see cref="LinearGaussianModel"/>'s plain double arithmetic.
/// </summary>
public class LinearGaussianTests(ITestOutputHelper output)
{
    private readonly LinearGaussianModel _model = new();
    private readonly double[][] _rows = new LinearGaussianModel().SampleData(new Generator(2024), 4);
    private Tensor X => LinearGaussianModel.ToTensor(_rows);

    private LinearPosterior WrongPosterior() => _model.ExactEncoder().Perturbed(scaleA: 0.6, shiftC: 0.4, shiftLogVar: 0.8);

    [Fact]
    public void ReferenceMathsIsConsistent()
    {
        // Guards the references themselves: at q* the closed-form ELBO equals the Cholesky log p(x), and the closed-form
        // gap for a wrong q equals KL(q || q*) (log p(x) - ELBO(q) = KL(q || p(z|x)), Kingma and Welling 2014, eq. 1).
        var wrong = WrongPosterior();
        foreach (var x in _rows)
        {
            double logPx = _model.ExactLogMarginal(x);
            var (m, v) = _model.ExactPosterior(x);
            AssertClose(logPx, _model.AnalyticElbo(x, m, v), 1e-12, "ELBO at q*");
            var (mq, vq) = _model.ExactEncoder().At(x);
            for (int j = 0; j < LinearGaussianModel.L; j++) { AssertClose(m[j], mq[j], 1e-14); AssertClose(v[j], vq[j], 1e-14); }
            var (mw, vw) = wrong.At(x);
            AssertClose(LinearGaussianModel.KlDiagonal(mw, vw, m, v), logPx - _model.AnalyticElbo(x, mw, vw), 1e-12, "gap");
        }
    }

    [Fact]
    public void ElboIsBelowLogPxAndTheGapIsKlToTheTruePosterior()
    {
        var wrong = WrongPosterior();
        const int samples = 40000;
        var terms = Elbo.Compute(X, wrong.Encoder(), _model.Decoder(), new Generator(5), samples);
        for (int r = 0; r < _rows.Length; r++)
        {
            double logPx = _model.ExactLogMarginal(_rows[r]);
            var (mw, vw) = wrong.At(_rows[r]);
            var (m, v) = _model.ExactPosterior(_rows[r]);
            double gap = LinearGaussianModel.KlDiagonal(mw, vw, m, v);
            double elbo = -terms.Loss.At(r);
            // The KL term is analytic, so the only Monte Carlo noise is the reconstruction's: its per-sample standard
            // deviation here is below 3 nats, so 40000 samples give a standard error below 0.015; 0.08 is over 5 of them.
            Assert.True(gap > 0.5, $"the wrong posterior should be clearly wrong (gap {gap})");
            Assert.True(elbo < logPx, $"ELBO {elbo} must be below log p(x) {logPx}");
            AssertClose(_model.AnalyticElbo(_rows[r], mw, vw), elbo, 0.08, $"row {r} ELBO");
            AssertClose(gap, logPx - elbo, 0.08, $"row {r} gap");
            AssertClose(-elbo, terms.Reconstruction.At(r) + terms.Kl.At(r), 1e-12, "loss = reconstruction + KL at beta 1");
            AssertClose(-elbo, -terms.Bound.At(r), 1e-12);
        }
    }

    [Fact]
    public void ElboEqualsLogPxAtTheTruePosterior()
    {
        var terms = Elbo.Compute(X, _model.ExactEncoder().Encoder(), _model.Decoder(), new Generator(6), samples: 40000);
        for (int r = 0; r < _rows.Length; r++)
            AssertClose(_model.ExactLogMarginal(_rows[r]), -terms.Loss.At(r), 0.05, $"row {r}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public void IwaeIsExactlyLogPxAtTheTruePosterior(int k)
    {
        // At q = p(z|x) every importance weight p(x, z)/q(z|x) equals p(x), so the bound has no variance at all.
        var bound = Iwae.Bound(X, _model.ExactEncoder().Encoder(), _model.Decoder(), new Generator(7), k);
        Assert.Equal(new[] { _rows.Length }, bound.Dims());
        for (int r = 0; r < _rows.Length; r++) AssertClose(_model.ExactLogMarginal(_rows[r]), bound[r], 1e-10, $"row {r}");
    }

    [Fact]
    public void IwaeRisesWithKTowardsLogPx()
    {
        // One x repeated R times: each row is an independent draw of L_k, so its mean and standard error follow.
        var x = _rows[0];
        const int repeats = 400;
        var data = LinearGaussianModel.ToTensor(Enumerable.Repeat(x, repeats).ToArray());
        var encode = WrongPosterior().Encoder();
        var decode = _model.Decoder();
        double logPx = _model.ExactLogMarginal(x);
        var gen = new Generator(8);
        int[] ks = [1, 5, 50, 500];
        var stats = ks.Select(k => MeanAndStdError(Iwae.Bound(data, encode, decode, gen, k).Doubles())).ToArray();
        output.WriteLine($"log p(x) = {logPx:F4}; " + string.Join("; ", ks.Select((k, i) => $"L_{k} = {stats[i].Mean:F4} +- {stats[i].StdError:F4}")));
        for (int i = 1; i < ks.Length; i++)
        {
            double se = Math.Sqrt(stats[i].StdError * stats[i].StdError + stats[i - 1].StdError * stats[i - 1].StdError);
            Assert.True(stats[i].Mean > stats[i - 1].Mean - 3 * se,
                $"L_{ks[i]} = {stats[i].Mean} fell below L_{ks[i - 1]} = {stats[i - 1].Mean} (standard error {se})");
        }
        double firstGap = logPx - stats[0].Mean, lastGap = logPx - stats[^1].Mean;
        Assert.True(stats[^1].Mean - stats[0].Mean > 10 * (stats[0].StdError + stats[^1].StdError),
            $"L_500 {stats[^1].Mean} is not clearly above L_1 {stats[0].Mean}");
        Assert.True(stats[^1].Mean < logPx + 3 * stats[^1].StdError, $"L_500 {stats[^1].Mean} exceeds log p(x) {logPx}");
        Assert.True(lastGap < 0.1 * firstGap, $"gap at k = 500 ({lastGap}) is not under a tenth of the gap at k = 1 ({firstGap})");
    }

    [Fact]
    public void IwaeWithOneSampleIsTheElboInExpectation()
    {
        var x = _rows[1];
        const int repeats = 20000;
        var data = LinearGaussianModel.ToTensor(Enumerable.Repeat(x, repeats).ToArray());
        var wrong = WrongPosterior();
        var (mw, vw) = wrong.At(x);
        double elbo = _model.AnalyticElbo(x, mw, vw);
        var (iwaeMean, iwaeSe) = MeanAndStdError(Iwae.Bound(data, wrong.Encoder(), _model.Decoder(), new Generator(9), 1).Doubles());
        AssertClose(elbo, iwaeMean, 5 * iwaeSe, "E[L_1] vs the closed-form ELBO");
        var (elboMean, elboSe) = MeanAndStdError(Elbo.Compute(data, wrong.Encoder(), _model.Decoder(), new Generator(10)).Bound.Doubles());
        AssertClose(elbo, elboMean, 5 * elboSe, "single-sample Elbo.Compute vs the closed-form ELBO");
        // The bound must be a real gap away from log p(x), or this test could not tell the two apart.
        Assert.True(_model.ExactLogMarginal(x) - elbo > 20 * iwaeSe);
    }

    [Fact]
    public void NegativeLogLikelihoodRecoversTheExactMarginal()
    {
        // At q* the estimate is exact for any k.
        var exact = Iwae.NegativeLogLikelihood(X, _model.ExactEncoder().Encoder(), _model.Decoder(), new Generator(11), k: 10, batchSize: 3, chunk: 4);
        for (int r = 0; r < _rows.Length; r++) AssertClose(-_model.ExactLogMarginal(_rows[r]), exact[r], 1e-10, $"row {r} at q*");

        // For a wrong q, k = 5000 leaves a small random error: 20 independent estimates of each x give its spread.
        const int repeats = 20;
        var wrong = WrongPosterior();
        foreach (int r in new[] { 0, 1 })
        {
            var data = LinearGaussianModel.ToTensor(Enumerable.Repeat(_rows[r], repeats).ToArray());
            var estimates = Iwae.NegativeLogLikelihood(data, wrong.Encoder(), _model.Decoder(), new Generator((ulong)(12 + r)), k: 5000, batchSize: 10, chunk: 1000);
            var (mean, se) = MeanAndStdError(estimates.Doubles());
            double nll = -_model.ExactLogMarginal(_rows[r]);
            var (mw, vw) = wrong.At(_rows[r]);
            double elboGap = -nll - _model.AnalyticElbo(_rows[r], mw, vw);   // log p(x) - ELBO > 0
            AssertClose(nll, mean, 5 * se + 1e-3, $"row {r}: mean of {repeats} estimates");
            Assert.True(se * Math.Sqrt(repeats) < 0.1 * elboGap,
                $"row {r}: one estimate's spread {se * Math.Sqrt(repeats)} should be far below the ELBO's gap {elboGap}");
        }
    }
}
