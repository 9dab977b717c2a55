using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;
using Workbench.Vae.Objectives;
using static Workbench.Vae.Tests.Objectives.ObjectiveTestUtil;

namespace Workbench.Vae.Tests.Objectives;

public class ElboTests
{
    private readonly Generator _g = new(41);

    // x = (1, 0), logits (0, 2): reconstruction = ln 2 + softplus(2) = 0.6931471805599453 + 2.1269280110429727 = 2.820075191602918.
    // q: mu (1, 0), logVar (0, ln 4): KL = 0.5 + 0.5 (4 - 1 - ln 4) = 1.3068528194400546.
    private static readonly Tensor HandX = Data64([1, 0], 1, 2);
    private static readonly DecoderOutput HandPx = new(Likelihood.Bernoulli, Data64([0, 2], 1, 2));
    private static readonly Posterior HandQ = new(Data64([1, 0], 1, 2), Data64([0, Math.Log(4)], 1, 2));

    [Fact]
    public void TermsMatchHandComputedValues()
    {
        var terms = Elbo.Compute(HandX, HandQ, HandPx);
        AssertClose(2.820075191602918, terms.Reconstruction[0], 1e-14);
        AssertClose(1.3068528194400546, terms.Kl[0], 1e-14);
        AssertClose(4.126928011042973, terms.Loss[0], 1e-14);       // 2.820075191602918 + 1.3068528194400546
        AssertClose(-4.126928011042973, terms.Bound[0], 1e-14);
    }

    [Fact]
    public void BetaWeightsOnlyTheKlInTheLoss()
    {
        var half = Elbo.Compute(HandX, HandQ, HandPx, beta: 0.5);
        AssertClose(3.4735016013229454, half.Loss[0], 1e-14);       // 2.820075191602918 + 0.5 * 1.3068528194400546
        AssertClose(1.3068528194400546, half.Kl[0], 1e-14);         // the reported KL is the true one
        AssertClose(-4.126928011042973, half.Bound[0], 1e-14);      // and so is the bound
        var zero = Elbo.Compute(HandX, HandQ, HandPx, beta: 0);
        AssertClose(2.820075191602918, zero.Loss[0], 1e-14);
        var four = Elbo.Compute(HandX, HandQ, HandPx, beta: 4);
        AssertClose(2.820075191602918 + 4 * 1.3068528194400546, four.Loss[0], 1e-14);
    }

    // Two examples, three latent dims, logVar 0, so KL_bj = mu_bj^2 / 2:
    //   dim 0: mu = 1, 1        -> KL 0.5, 0.5    (batch mean 0.5)
    //   dim 1: mu = 0, 0        -> KL 0, 0        (batch mean 0)
    //   dim 2: mu = 0.2, 1      -> KL 0.02, 0.5   (batch mean 0.26)
    // True KL per example: 0.52 and 1.0.
    private static Posterior FreeBitsQ(bool grad = false) => new(
        grad ? Data64([1, 0, 0.2, 1, 0, 1], 2, 3).requires_grad_() : Data64([1, 0, 0.2, 1, 0, 1], 2, 3),
        torch.zeros([2, 3], ScalarType.Float64));
    private static readonly Tensor FreeBitsX = Data64([1, 0, 0, 1], 2, 2);
    private static readonly DecoderOutput FreeBitsPx = new(Likelihood.Bernoulli, Data64([0, 0, 0, 0], 2, 2));   // reconstruction 2 ln 2 each

    [Fact]
    public void FreeBitsFloorsTheBatchMeanKlOfEachDim()
    {
        double recon = 2 * Math.Log(2);
        // lambda = 0.3: dim 0 keeps its KL (0.5 >= 0.3); dims 1 and 2 (0, 0.26 < 0.3) count 0.3 for every example:
        //   loss KL = 0.5 + 0.3 + 0.3 = 1.1 for both examples.
        var high = Elbo.Compute(FreeBitsX, FreeBitsQ(), FreeBitsPx, freeBits: 0.3);
        AssertClose(recon + 1.1, high.Loss[0], 1e-14);
        AssertClose(recon + 1.1, high.Loss[1], 1e-14);
        AssertClose(0.52, high.Kl[0], 1e-14);
        AssertClose(1.0, high.Kl[1], 1e-14);
        // lambda = 0.2: dim 2's mean 0.26 >= 0.2 keeps its per-example KL; only dim 1 is floored:
        //   0.5 + 0.2 + 0.02 = 0.72 and 0.5 + 0.2 + 0.5 = 1.2; their mean 0.96 = sum_j max(0.2, mean KL_j) = 0.5 + 0.2 + 0.26.
        var low = Elbo.Compute(FreeBitsX, FreeBitsQ(), FreeBitsPx, freeBits: 0.2);
        AssertClose(recon + 0.72, low.Loss[0], 1e-14);
        AssertClose(recon + 1.2, low.Loss[1], 1e-14);
        // With beta 2 the floored KL is what beta weights: recon + 2 * 1.1.
        var beta = Elbo.Compute(FreeBitsX, FreeBitsQ(), FreeBitsPx, beta: 2, freeBits: 0.3);
        AssertClose(recon + 2.2, beta.Loss[0], 1e-14);
        AssertClose(0.52, beta.Kl[0], 1e-14);
        // Free bits never change a loss whose every dim is above the floor.
        var none = Elbo.Compute(FreeBitsX, FreeBitsQ(), FreeBitsPx, freeBits: 0.0);
        AssertClose(recon + 0.52, none.Loss[0], 1e-14);
    }

    [Fact]
    public void FreeBitsStopsTheGradientOfFlooredDims()
    {
        var q = FreeBitsQ(grad: true);
        Elbo.Compute(FreeBitsX, q, FreeBitsPx, freeBits: 0.3).Loss.sum().backward();
        var grad = q.Mean.grad!;
        // d KL / d mu = mu for the kept dim 0 (1 for both examples); zero for the floored dims 1 and 2.
        Assert.Equal(1.0, grad.At(0, 0));
        Assert.Equal(1.0, grad.At(1, 0));
        Assert.Equal(0.0, grad.At(0, 2));
        Assert.Equal(0.0, grad.At(1, 2));
        var q2 = FreeBitsQ(grad: true);
        Elbo.Compute(FreeBitsX, q2, FreeBitsPx).Loss.sum().backward();
        AssertClose(0.2, q2.Mean.grad![0, 2], 1e-15);                 // without free bits dim 2 is pulled to the prior
    }

    [Fact]
    public void MultiSampleReconstructionAveragesTheSameDrawsSampleMajor()
    {
        var x = SoftData(_g, 3, 4);
        var encode = LinearEncoder(Randn64(_g, 4, 4), Randn64(_g, 4));
        var decode = BernoulliDecoder(Randn64(_g, 4, 2), Randn64(_g, 4));
        var terms = Elbo.Compute(x, encode, decode, new Generator(99), samples: 5);

        // The same computation spelled out: z [5, 3, 2] from the same generator, decoded one sample at a time.
        var q = encode(x);
        var z = Gaussian.Sample(q, new Generator(99), 5);
        var manual = new double[3];
        for (int s = 0; s < 5; s++)
        {
            var ll = LogLikelihood.Of(x, decode(z[s]));
            for (int b = 0; b < 3; b++) manual[b] -= ll.At(b) / 5;
        }
        for (int b = 0; b < 3; b++) AssertClose(manual[b], terms.Reconstruction[b], 1e-13, $"row {b}");

        // And the overload taking an [S, B, D] decoder output agrees.
        var px = decode(z.reshape(15, 2));
        var viaOverload = Elbo.Compute(x, q, px with { Location = px.Location.reshape(5, 3, 4) });
        for (int b = 0; b < 3; b++) AssertClose(terms.Loss.At(b), viaOverload.Loss[b], 1e-13);
    }

    [Fact]
    public void LearnedVarianceOutputsAreSplitPerSample()
    {
        var x = Randn64(_g, 2, 3);
        var encode = LinearEncoder(Randn64(_g, 2, 3), Randn64(_g, 2));
        var decode = LearnedVarianceDecoder(Randn64(_g, 3, 1), Randn64(_g, 3),
            Randn64(_g, 3, 1), Randn64(_g, 3));
        var terms = Elbo.Compute(x, encode, decode, new Generator(7), samples: 4);
        var z = Gaussian.Sample(encode(x), new Generator(7), 4);
        for (int b = 0; b < 2; b++)
        {
            double expected = 0;
            for (int s = 0; s < 4; s++) expected -= LogLikelihood.Of(x, decode(z[s])).At(b) / 4;
            AssertClose(expected, terms.Reconstruction[b], 1e-13);
        }
    }

    [Fact]
    public void Float32GivesTheFloat64Values()
    {
        var x = SoftData(_g, 3, 5);
        var we = Randn64(_g, 4, 5); var be = Randn64(_g, 4);
        var wd = Randn64(_g, 5, 2); var bd = Randn64(_g, 5);
        var t64 = Elbo.Compute(x, LinearEncoder(we, be), BernoulliDecoder(wd, bd), new Generator(3), samples: 2, beta: 0.5, freeBits: 0.1);
        var f = ScalarType.Float32;
        var t32 = Elbo.Compute(x.to(f), LinearEncoder(we.to(f), be.to(f)), BernoulliDecoder(wd.to(f), bd.to(f)), new Generator(3), samples: 2, beta: 0.5, freeBits: 0.1);
        Assert.Equal(ScalarType.Float32, t32.Loss.dtype);
        for (int b = 0; b < 3; b++)
        {
            AssertClose(t64.Loss.At(b), t32.Loss[b], 1e-4 * (1 + Math.Abs(t64.Loss.At(b))));
            AssertClose(t64.Kl.At(b), t32.Kl[b], 1e-4 * (1 + Math.Abs(t64.Kl.At(b))));
        }
    }

    [Fact]
    public void GradientsOfTheLossMatchFiniteDifferences()
    {
        var x = SoftData(_g, 3, 4);
        Tensor[] parameters = [Scaled(_g, 0.5, 4, 4), Rand64(_g, 4), Rand64(_g, 4, 2), Rand64(_g, 4)];
        // A fresh generator inside f fixes eps, so the loss is a smooth function of the parameters.
        AssertGrad(p => Elbo.Compute(x, LinearEncoder(p[0], p[1]), BernoulliDecoder(p[2], p[3]), new Generator(11), samples: 3, beta: 0.7).Loss, parameters);
        AssertGrad(p => Elbo.Compute(x, LinearEncoder(p[0], p[1]), BernoulliDecoder(p[2], p[3]), new Generator(12)).Reconstruction, parameters);
        AssertGrad(p => Elbo.Compute(x, LinearEncoder(p[0], p[1]), BernoulliDecoder(p[2], p[3]), new Generator(13)).Kl, parameters);
    }

    [Fact]
    public void GradientsWithFreeBitsAndLearnedVarianceMatchFiniteDifferences()
    {
        var x = Randn64(_g, 4, 3);
        Tensor[] parameters =
        [
            Scaled(_g, 0.5, 4, 3), Rand64(_g, 4),                    // encoder -> 2 latent dims
            Rand64(_g, 3, 2), Rand64(_g, 3),                         // mean head
            Scaled(_g, 0.3, 3, 2), Scaled(_g, 0.3, 3),               // log-variance head, kept near 0 so exp(-logVar) stays moderate
        ];
        var kl = Metrics.KlPerDimension(LinearEncoder(parameters[0], parameters[1])(x));
        // A floor between the two dims' batch-mean KLs floors one dim and keeps the other, away from the kink.
        double lambda = 0.5 * (kl[0] + kl[1]);
        Assert.True(Math.Abs(kl[0] - kl[1]) > 0.1, $"the dims' KLs {kl[0]} and {kl[1]} are too close for this test");
        AssertGrad(p => Elbo.Compute(x, LinearEncoder(p[0], p[1]), LearnedVarianceDecoder(p[2], p[3], p[4], p[5]), new Generator(14),
            samples: 2, beta: 1.5, freeBits: lambda).Loss, parameters);
    }

    [Fact]
    public void KlWarmupRisesLinearlyThenHolds()
    {
        var warmup = new KlWarmup(targetBeta: 0.8, steps: 100);
        Assert.Equal(0.0, warmup.BetaAt(0));
        AssertClose(0.4, warmup.BetaAt(50), 1e-15);     // 0.8 * 50 / 100
        AssertClose(0.2, warmup.BetaAt(25), 1e-15);     // 0.8 * 25 / 100
        Assert.Equal(0.8, warmup.BetaAt(100));
        Assert.Equal(0.8, warmup.BetaAt(200));
        Assert.Equal(1.0, new KlWarmup().BetaAt(0));    // no warm-up: the target from the start
        Assert.Throws<ArgumentOutOfRangeException>(() => warmup.BetaAt(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KlWarmup(1.0, -5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KlWarmup(double.NaN, 5));
    }

    [Fact]
    public void BadInputsAreRejectedWithAClearMessage()
    {
        var x = SoftData(_g, 3, 4);
        var encode = LinearEncoder(Randn64(_g, 4, 4), Randn64(_g, 4));
        var decode = BernoulliDecoder(Randn64(_g, 4, 2), Randn64(_g, 4));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Elbo.Compute(x, encode, decode, _g, samples: 0));
        Assert.Contains("samples", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Elbo.Compute(x, encode, decode, _g, beta: -1));
        Assert.Contains("beta", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Elbo.Compute(x, encode, decode, _g, freeBits: double.NaN));
        Assert.Contains("freeBits", ex.Message);

        var wrongBatch = Assert.Throws<ArgumentException>(() => Elbo.Compute(x, _ => encode(x.narrow(0, 0, 2)), decode, _g));
        Assert.Contains("batch of 3", wrongBatch.Message);
        var wrongRows = Assert.Throws<InvalidOperationException>(() => Elbo.Compute(x, encode, z => decode(z.narrow(0, 0, 1)), _g, samples: 2));
        Assert.Contains("6 latent codes", wrongRows.Message);
        var dtype = Assert.Throws<ArgumentException>(() => Elbo.Compute(HandX.to(ScalarType.Float32), HandQ, HandPx));
        Assert.Contains("Float32", dtype.Message);
        Assert.Throws<ArgumentException>(() => Elbo.Compute(torch.zeros([0, 4], ScalarType.Float64), encode, decode, _g));
    }
}
