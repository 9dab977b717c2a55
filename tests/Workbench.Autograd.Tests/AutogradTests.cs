using Workbench.Autograd;

namespace Workbench.Autograd.Tests;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new double[] { 2.0 }).RequiresGrad_();
        x.Mul(x).Sum().Backward();
        x.Mul(x).Sum().Backward();
        Assert.Equal(8.0, x.Grad!.Item()); // 2 * (2x) at x = 2
    }

    [Fact]
    public void SharedSubexpressionsSumTheirGradients()
    {
        // y = (x + x) * x = 2 x^2, dy/dx = 4x
        var x = Tensor.FromArray(new double[] { 3.0 }).RequiresGrad_();
        var s = x.Add(x);
        s.Mul(x).Sum().Backward();
        Assert.Equal(12.0, x.Grad!.Item());
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphIsAClearError()
    {
        var x = Tensor.FromArray(new double[] { 1.0 }).RequiresGrad_();
        var y = x.Exp().Sum();
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("already freed", ex.Message);
        Assert.Contains("retainGraph", ex.Message);
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        var x = Tensor.FromArray(new double[] { 1.0 }).RequiresGrad_();
        var y = x.Exp().Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(2 * Math.E, x.Grad!.Item(), 12);
    }

    [Fact]
    public void BackwardOnANonScalarAsksForAReduction()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => x.Mul(2).Backward());
        Assert.Contains("Sum() or Mean()", ex.Message);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        Tensor y;
        using (Tensor.NoGrad())
        {
            Assert.False(Tensor.IsGradEnabled);
            y = x.Mul(2).Exp();
        }
        Assert.True(Tensor.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        var x = Tensor.FromArray(new double[] { 2.0 }).RequiresGrad_();
        var y = x.Mul(x.Detach()).Sum(); // d/dx = detached x = 2
        y.Backward();
        Assert.Equal(2.0, x.Grad!.Item());
    }

    [Fact]
    public void ADeepChainDoesNotOverflowTheStack()
    {
        var x = Tensor.FromArray(new double[] { 1.0 }).RequiresGrad_();
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y.Add(0.0);
        y.Sum().Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void GradCheckCatchesAWrongGradient()
    {
        // A check that cannot fail is worthless: feed it an op whose backward is deliberately wrong.
        var x = Tensor.FromArray(new double[] { 0.3, -0.7 }).RequiresGrad_();
        var result = GradCheck.Run(t => Autograd.Record(global::Workbench.Autograd.Kernels.Map<Log1pOp>(t[0]), "bad", g => [g.Mul(2.0)], t[0]), [x]);
        Assert.False(result.Passed);
    }
}
