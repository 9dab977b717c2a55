using Workbench.Autograd.Optim;

namespace Workbench.Autograd.Tests.Optim;

public class GradsTests
{
    /// <summary>Gradients [3, 4] (float32) and [12] (float64), plus a parameter without one.</summary>
    private static Tensor[] Parameters()
    {
        var a = Tensor.Zeros(2).RequiresGrad_();
        a.Grad = Tensor.FromArray(new float[] { 3, 4 });
        var b = Tensor.Zeros([1], DType.Float64).RequiresGrad_();
        b.Grad = Tensor.FromArray(new double[] { 12 });
        var none = Tensor.Zeros(5).RequiresGrad_();
        return [a, b, none];
    }

    [Fact]
    public void ClipsToTheMaximumEuclideanNorm()
    {
        var ps = Parameters();
        // ||g|| = sqrt(3^2 + 4^2 + 12^2) = sqrt(169) = 13.
        // coefficient = 6.5 / (13 + 1e-6) = 0.49999996153846450, so the gradients become
        // 3 c = 1.49999988461539, 4 c = 1.99999984615386, 12 c = 5.99999953846157.
        double norm = Grads.ClipGradNorm(ps, maxNorm: 6.5);
        Assert.Equal(13.0, norm, 12);
        Assert.Equal(1.49999988461539, ps[0].Grad![0], 6);
        Assert.Equal(1.99999984615386, ps[0].Grad![1], 6);
        Assert.Equal(5.99999953846157, ps[1].Grad![0], 12);
        Assert.Null(ps[2].Grad);
        // Clipping again finds the clipped norm, 13 c = 6.49999950.
        Assert.Equal(6.4999995, Grads.GradNorm(ps), 6);
    }

    [Fact]
    public void LeavesGradientsAloneBelowTheMaximum()
    {
        var ps = Parameters();
        // coefficient = min(20 / 13.000001, 1) = 1
        Assert.Equal(13.0, Grads.ClipGradNorm(ps, maxNorm: 20), 12);
        Assert.Equal([3f, 4f], ps[0].Grad!.ToArray());
        Assert.Equal(12.0, ps[1].Grad![0]);
    }

    [Fact]
    public void InfinityNormIsTheLargestMagnitude()
    {
        var ps = Parameters();
        ps[0].Grad = Tensor.FromArray(new float[] { 3, -4 });
        ps[1].Grad = Tensor.FromArray(new double[] { -12 });
        // max |g| = 12, coefficient = 6 / 12.000001 = 0.49999995833333681, -12 c = -5.99999950000004.
        double norm = Grads.ClipGradNorm(ps, maxNorm: 6, normType: double.PositiveInfinity);
        Assert.Equal(12.0, norm);
        Assert.Equal(-5.99999950000004, ps[1].Grad![0], 12);
        Assert.Equal(-1.99999983333335, ps[0].Grad![1], 6);
    }

    [Fact]
    public void OtherPNormsFollowTheDefinition()
    {
        var ps = Parameters();
        // 1-norm: 3 + 4 + 12 = 19; 3-norm: (27 + 64 + 1728)^(1/3) = 1819^(1/3) = 12.2070549538206
        Assert.Equal(19.0, Grads.GradNorm(ps, 1), 12);
        Assert.Equal(12.2070549538206, Grads.GradNorm(ps, 3), 12);
    }

    [Fact]
    public void NormOfALargeFloat32GradientIsAccurate()
    {
        // 100,003 gradients of 0.1f: a float32 running sum would drift; the float64 sum gives sqrt(100003) * 0.1f.
        var p = Tensor.Zeros(100_003).RequiresGrad_();
        p.Grad = Tensor.Full([100_003], 0.1);
        double expected = Math.Sqrt(100_003.0) * (double)0.1f;
        Assert.Equal(expected, Grads.GradNorm([p]), 9);
    }

    [Fact]
    public void NoGradientsGiveZeroNorm()
    {
        var p = Tensor.Zeros(3).RequiresGrad_();
        Assert.Equal(0.0, Grads.ClipGradNorm([p], 1.0));
    }

    [Fact]
    public void NonFiniteGradientsAreDetected()
    {
        var ps = Parameters();
        Assert.True(Grads.AllFinite(ps));
        ps[1].Grad = Tensor.FromArray(new double[] { double.NaN });
        Assert.False(Grads.AllFinite(ps));
        Assert.True(double.IsNaN(Grads.GradNorm(ps)));
        Assert.True(double.IsNaN(Grads.GradNorm(ps, double.PositiveInfinity)));

        ps[1].Grad = Tensor.FromArray(new double[] { double.PositiveInfinity });
        Assert.False(Grads.AllFinite(ps));
        var ex = Assert.Throws<InvalidOperationException>(() => Grads.ClipGradNorm(ps, 1.0, errorIfNonfinite: true));
        Assert.Contains("the total 2-norm of the gradients is Infinity", ex.Message);
        // Nothing was scaled when the check threw.
        Assert.Equal([3f, 4f], ps[0].Grad!.ToArray());
        // Without the check, PyTorch's arithmetic: coefficient 1 / inf = 0 zeroes the finite gradients.
        Assert.Equal(double.PositiveInfinity, Grads.ClipGradNorm(ps, 1.0));
        Assert.Equal([0f, 0f], ps[0].Grad!.ToArray());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var ps = Parameters();
        Assert.Contains("maxNorm must be >= 0 but was -1", Assert.Throws<ArgumentOutOfRangeException>(() => Grads.ClipGradNorm(ps, -1)).Message);
        Assert.Contains("norm type must be > 0", Assert.Throws<ArgumentOutOfRangeException>(() => Grads.ClipGradNorm(ps, 1, 0)).Message);
    }
}
