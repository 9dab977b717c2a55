using Workbench.Autograd.Optim;
using static Workbench.Autograd.Tests.Optim.AdamTests;

namespace Workbench.Autograd.Tests.Optim;

public class SgdTests
{
    /// <summary>Two steps from p = 1 with g = 2 then g = -1 at lr 0.1.</summary>
    private static double[] TwoSteps(DType dtype, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        var p = Param(dtype, 1.0);
        var sgd = new Sgd([p], learningRate: 0.1, momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov);
        SetGrad(p, 2.0);
        sgd.Step();
        double first = p[0];
        SetGrad(p, -1.0);
        sgd.Step();
        return [first, p[0]];
    }

    private static void AssertClose(double[] expected, double[] actual, DType dtype)
    {
        double tolerance = dtype == DType.Float64 ? 1e-14 : 1e-6;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"step {i + 1}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void PlainStepIsLearningRateTimesGradient(DType dtype)
    {
        // p = 1 - 0.1 * 2 = 0.8; p = 0.8 - 0.1 * (-1) = 0.9
        AssertClose([0.8, 0.9], TwoSteps(dtype), dtype);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void MomentumMatchesHandComputedValues(DType dtype)
    {
        // momentum 0.9: step 1 the buffer starts as a copy of g: b = 2, p = 1 - 0.1 * 2 = 0.8
        //               step 2: b = 0.9 * 2 + (-1) = 0.8, p = 0.8 - 0.1 * 0.8 = 0.72
        AssertClose([0.8, 0.72], TwoSteps(dtype, momentum: 0.9), dtype);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void NesterovMatchesHandComputedValues(DType dtype)
    {
        // step 1: b = 2, d = g + 0.9 b = 2 + 1.8 = 3.8, p = 1 - 0.38 = 0.62
        // step 2: b = 0.9 * 2 - 1 = 0.8, d = -1 + 0.9 * 0.8 = -0.28, p = 0.62 + 0.028 = 0.648
        AssertClose([0.62, 0.648], TwoSteps(dtype, momentum: 0.9, nesterov: true), dtype);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void DampeningScalesOnlyLaterGradients(DType dtype)
    {
        // dampening 0.5: step 1 copies g undamped: b = 2, p = 0.8
        //                step 2: b = 0.9 * 2 + (1 - 0.5) * (-1) = 1.3, p = 0.8 - 0.13 = 0.67
        AssertClose([0.8, 0.67], TwoSteps(dtype, momentum: 0.9, dampening: 0.5), dtype);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void WeightDecayIsAddedBeforeMomentum(DType dtype)
    {
        // weight decay 0.1, momentum 0.9:
        // step 1: d = 2 + 0.1 * 1 = 2.1, b = 2.1, p = 1 - 0.21 = 0.79
        // step 2: d = -1 + 0.1 * 0.79 = -0.921, b = 0.9 * 2.1 - 0.921 = 0.969, p = 0.79 - 0.0969 = 0.6931
        AssertClose([0.79, 0.6931], TwoSteps(dtype, momentum: 0.9, weightDecay: 0.1), dtype);
    }

    [Fact]
    public void LongParametersTakeTheVectorPathAndTheTailAlike()
    {
        // 37 elements: several SIMD blocks plus a scalar tail; every element must follow the same arithmetic.
        var values = Enumerable.Repeat(1.0, 37).ToArray();
        var p = Param(DType.Float32, values);
        var sgd = new Sgd([p], learningRate: 0.1, momentum: 0.9, nesterov: true);
        SetGrad(p, Enumerable.Repeat(2.0, 37).ToArray());
        sgd.Step();
        SetGrad(p, Enumerable.Repeat(-1.0, 37).ToArray());
        sgd.Step();
        // Same arithmetic as NesterovMatchesHandComputedValues: 0.648 everywhere.
        foreach (var v in p.ToArray()) Assert.Equal(0.648f, v, 6);
    }

    [Fact]
    public void LearningRateCanChangeBetweenSteps()
    {
        var p = Param(DType.Float64, 1.0);
        var sgd = new Sgd([p], learningRate: 0.1);
        SetGrad(p, 1.0);
        sgd.Step();                 // 1 - 0.1 * 1 = 0.9
        sgd.LearningRate = 0.5;
        sgd.Step();                 // 0.9 - 0.5 * 1 = 0.4
        Assert.Equal(0.4, p[0], 14);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = double.PositiveInfinity);
    }

    [Fact]
    public void ZeroGradKeepsTheGradientStorage()
    {
        var p = Param(DType.Float32, 1.0, 2.0);
        p.Mul(3.0).Sum().Backward();
        var grad = p.Grad!;
        var sgd = new Sgd([p]);
        sgd.ZeroGrad();
        Assert.Same(grad, p.Grad);
        Assert.Equal([0f, 0f], grad.ToArray());
        // The next backward pass accumulates into the same tensor.
        p.Mul(2.0).Sum().Backward();
        Assert.Same(grad, p.Grad);
        Assert.Equal([2f, 2f], grad.ToArray());
    }

    [Fact]
    public void NesterovNeedsMomentumWithoutDampening()
    {
        var p = Param(DType.Float32, 1.0);
        var ex = Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1, momentum: 0, nesterov: true));
        Assert.Contains("Nesterov momentum needs momentum > 0 and dampening = 0 but got momentum 0 and dampening 0", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Contains("dampening 0.1", ex.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], 0.1, momentum: -0.9));
        Assert.Contains("Sgd: momentum must be >= 0 but was -0.9", range.Message);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], 0.1, dampening: 1.5));
        Assert.Contains("Sgd: dampening must be >= 0 and <= 1 but was 1.5", range.Message);
    }

    [Fact]
    public void BadParameterListsAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Sgd([]));
        Assert.Contains("Sgd got an empty parameter list", ex.Message);

        var p = Param(DType.Float32, 1.0);
        ex = Assert.Throws<ArgumentException>(() => new Sgd([p, p]));
        Assert.Contains("parameter 1 (shape [1]) appears more than once", ex.Message);

        var notLeaf = p.Mul(2.0);
        ex = Assert.Throws<ArgumentException>(() => new Sgd([notLeaf]));
        Assert.Contains("parameter 0 (shape [1]) is not a leaf", ex.Message);
    }

    [Fact]
    public void MismatchedGradientsAreReported()
    {
        var p = Param(DType.Float32, 1.0, 2.0);
        var sgd = new Sgd([p], 0.1);
        p.Grad = Tensor.Zeros(3);
        var ex = Assert.Throws<InvalidOperationException>(sgd.Step);
        Assert.Contains("Sgd: parameter 0 has shape [2] but its gradient has shape [3]", ex.Message);
        p.Grad = Tensor.Zeros([2], DType.Float64);
        ex = Assert.Throws<InvalidOperationException>(sgd.Step);
        Assert.Contains("parameter 0 is Float32 but its gradient is Float64", ex.Message);
    }
}
