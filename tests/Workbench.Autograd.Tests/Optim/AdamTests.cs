using Workbench.Autograd.Optim;

namespace Workbench.Autograd.Tests.Optim;

public class AdamTests
{
    internal static Tensor Make(DType dtype, params double[] values) => dtype == DType.Float64
        ? Tensor.FromArray(values)
        : Tensor.FromArray(values.Select(v => (float)v).ToArray());

    internal static Tensor Param(DType dtype, params double[] values) => Make(dtype, values).RequiresGrad_();

    internal static void SetGrad(Tensor p, params double[] values) => p.Grad = Make(p.DType, values);

    internal static void AssertValues(double[] expected, Tensor actual)
    {
        // float64 carries the hand values to ~1e-15; float32 rounding leaves ~1e-7 relative.
        double tolerance = actual.DType == DType.Float64 ? 1e-13 : 2e-6;
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, got {a[i]:R}");
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void TwoStepsMatchHandComputedValues(DType dtype)
    {
        // lr = 0.1, betas (0.9, 0.999), eps = 0.1: a large eps so that where it is added shows in the result.
        var p = Param(dtype, 1.0, -0.5);
        var adam = new Adam([p], learningRate: 0.1, eps: 0.1);

        // Step 1, g = [2, -0.5]; bias corrections 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001; step size 0.1 / 0.1 = 1.
        //   element 0: m = 0.1 * 2 = 0.2, v = 0.001 * 4 = 0.004, sqrt(0.004) / sqrt(0.001) = 2,
        //              denom = 2 + 0.1 = 2.1, p = 1 - 1 * 0.2 / 2.1 = 0.904761904761904762
        //   element 1: m = -0.05, v = 0.00025, sqrt(v) / sqrt(0.001) = 0.5, denom = 0.6,
        //              p = -0.5 - (-0.05 / 0.6) = -0.416666666666666667
        // (eps inside the square root would give 1 - 0.2 / sqrt(4.1) = 0.90123; eps before the bias correction
        // 1 - 0.2 / ((0.0632456 + 0.1) / 0.0316228) = 0.96129: both differ from the values asserted here.)
        SetGrad(p, 2.0, -0.5);
        adam.Step();
        AssertValues([0.904761904761904762, -0.416666666666666667], p);

        // Step 2, g = [-1, 0.25]; bias corrections 1 - 0.81 = 0.19 and 1 - 0.998001 = 0.001999; step size 0.1 / 0.19.
        //   element 0: m = 0.9 * 0.2 + 0.1 * (-1) = 0.08, v = 0.999 * 0.004 + 0.001 * 1 = 0.004996,
        //              sqrt(0.004996 / 0.001999) = 1.580901522806657, denom = 1.680901522806657,
        //              p = 0.904761904761905 - (0.1 / 0.19) * 0.08 / 1.680901522806657
        //                = 0.904761904761905 - 0.025049214714013 = 0.879712690047892
        //   element 1: m = 0.9 * (-0.05) + 0.1 * 0.25 = -0.02, v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225,
        //              sqrt(0.00031225 / 0.001999) = 0.395225380701664, denom = 0.495225380701664,
        //              p = -0.416666666666667 - (0.1 / 0.19) * (-0.02) / 0.495225380701664
        //                = -0.416666666666667 + 0.021255606436325 = -0.395411060230342
        SetGrad(p, -1.0, 0.25);
        adam.Step();
        AssertValues([0.879712690047892135, -0.395411060230341884], p);
        Assert.Equal(2, adam.StepCount(0));
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void SmallBeta1TakesTheOtherLerpForm(DType dtype)
    {
        // beta1 = 0.2 puts lerp's weight 1 - beta1 = 0.8 at or above 0.5, where torch.lerp computes g - (g - m)(1 - w).
        var p = Param(dtype, 1.0);
        var adam = new Adam([p], learningRate: 0.1, beta1: 0.2, eps: 0.1);
        // Step 1: m = 2 - (2 - 0) * 0.2 = 1.6, bias correction 0.8, step size 0.125, denom 2.1 as before,
        //         p = 1 - 0.125 * 1.6 / 2.1 = 1 - 0.2 / 2.1 = 0.904761904761904762
        SetGrad(p, 2.0);
        adam.Step();
        AssertValues([0.904761904761904762], p);
        // Step 2: m = -1 - (-1 - 1.6) * 0.2 = -0.48, bias correction 1 - 0.04 = 0.96, denom 1.680901522806657,
        //         p = 0.904761904761905 - (0.1 / 0.96) * (-0.48) / 1.680901522806657
        //           = 0.904761904761905 + 0.05 / 1.680901522806657 = 0.904761904761905 + 0.029745942472890 = 0.934507847234795
        SetGrad(p, -1.0);
        adam.Step();
        AssertValues([0.934507847234794756], p);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void WeightDecayIsAddedToTheGradient(DType dtype)
    {
        // Adam's L2 form: g' = g + 0.5 p, then the usual update (lr 0.1, eps 0.1).
        var p = Param(dtype, 1.0);
        var adam = new Adam([p], learningRate: 0.1, eps: 0.1, weightDecay: 0.5);
        // Step 1: g' = 2 + 0.5 * 1 = 2.5, m = 0.25, v = 0.00625, sqrt(v) / sqrt(0.001) = 2.5, denom = 2.6,
        //         p = 1 - 1 * 0.25 / 2.6 = 0.903846153846153846
        SetGrad(p, 2.0);
        adam.Step();
        AssertValues([0.903846153846153846], p);
        // Step 2: g' = -1 + 0.5 * 0.903846153846154 = -0.548076923076923,
        //         m = 0.9 * 0.25 + 0.1 * g' = 0.170192307692308,
        //         v = 0.999 * 0.00625 + 0.001 * g'^2 = 0.006544138313609,
        //         denom = sqrt(v / 0.001999) + 0.1 = 1.809338555884343 + 0.1 = 1.909338555884343,
        //         p = 0.903846153846154 - (0.1 / 0.19) * 0.170192307692308 / 1.909338555884343
        //           = 0.903846153846154 - 0.046914099392885 = 0.856932054453269
        SetGrad(p, -1.0);
        adam.Step();
        AssertValues([0.856932054453269088], p);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    public void AdamWDecaysTheParameterBeforeTheAdamStep(DType dtype)
    {
        // Decoupled decay 0.5 at lr 0.1: p *= 1 - 0.1 * 0.5 = 0.95 first, then Adam's step from the raw gradient.
        var p = Param(dtype, 1.0);
        var adamw = new AdamW([p], learningRate: 0.1, eps: 0.1, weightDecay: 0.5);
        // Step 1: p = 0.95 * 1 = 0.95, then the update of AdamTests.TwoSteps element 0: 0.2 / 2.1,
        //         p = 0.95 - 0.095238095238095 = 0.854761904761905
        SetGrad(p, 2.0);
        adamw.Step();
        AssertValues([0.854761904761904762], p);
        // Step 2: p = 0.95 * 0.854761904761905 = 0.812023809523810, minus the same update as element 0 there:
        //         0.025049214714013, so p = 0.786974594809797
        SetGrad(p, -1.0);
        adamw.Step();
        AssertValues([0.786974594809796897], p);
    }

    [Fact]
    public void LargeParametersSplitAcrossThreadsGetTheSameUpdate()
    {
        // 100,003 elements: above the parallel threshold, so the loop runs in chunks (plus a SIMD tail); every
        // element must still end at the hand-computed element-0 value of TwoStepsMatchHandComputedValues.
        const int n = 100_003;
        var p = Tensor.Ones(n).RequiresGrad_();
        var adam = new Adam([p], learningRate: 0.1, eps: 0.1);
        p.Grad = Tensor.Full([n], 2.0);
        adam.Step();
        p.Grad = Tensor.Full([n], -1.0);
        adam.Step();
        var values = p.ToArray();
        Assert.All(values, v => Assert.Equal(values[0], v));
        Assert.Equal(0.879712690047892135, values[0], 6);
    }

    [Fact]
    public void ParameterThatIsAViewUpdatesOnlyItsWindow()
    {
        // A leaf cut from rows 1..2 of a [4, 3] storage: the step must write rows 1 and 2 and nothing else.
        var storage = Tensor.Zeros(4, 3);
        var p = storage.Slice(1, 3).Detach().RequiresGrad_();
        var sgd = new Sgd([p], learningRate: 0.5);
        p.Grad = Tensor.Full([2, 3], 2.0).Slice(0, 2);
        sgd.Step();
        // rows 1 and 2: 0 - 0.5 * 2 = -1
        Assert.Equal([0f, 0f, 0f, -1f, -1f, -1f, -1f, -1f, -1f, 0f, 0f, 0f], storage.ToArray());
    }

    [Fact]
    public void DefaultsArePyTorchs()
    {
        var p = Param(DType.Float32, 1.0);
        var adam = new Adam([p]);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.0), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Eps, adam.WeightDecay));
        var adamw = new AdamW([p]);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.01), (adamw.LearningRate, adamw.Beta1, adamw.Beta2, adamw.Eps, adamw.WeightDecay));
    }

    [Fact]
    public void DefaultEpsStepIsTheLearningRateTimesTheSign()
    {
        // With eps = 1e-8 the first step is lr * g / (|g| + 1e-8): for g = 0.5, 1e-3 * 0.5 / 0.50000001
        // = 0.00099999998, so p = 1 - 0.00099999998 = 0.99900000002 and q = -1 + 0.00099999998 = -0.99900000002.
        var p = Param(DType.Float64, 1.0, -1.0);
        var adam = new Adam([p]);
        SetGrad(p, 0.5, -0.5);
        adam.Step();
        AssertValues([0.99900000002, -0.99900000002], p);
    }

    [Fact]
    public void ParametersWithoutGradientsAreSkippedAndKeepNoState()
    {
        var a = Param(DType.Float64, 1.0);
        var b = Param(DType.Float64, 1.0);
        var adam = new Adam([a, b], learningRate: 0.1, eps: 0.1);
        SetGrad(a, 2.0);
        adam.Step();
        Assert.Equal(1.0, b[0]);
        Assert.Null(b.Grad);
        Assert.Equal(0, adam.StepCount(1));

        // b's first gradient arrives at the optimiser's second step: its update is a first step (t = 1),
        // 1 - 0.2 / 2.1 = 0.904761904761905, while a continues with t = 2 (value from TwoStepsMatchHandComputedValues).
        SetGrad(a, -1.0);
        SetGrad(b, 2.0);
        adam.Step();
        AssertValues([0.904761904761904762], b);
        AssertValues([0.879712690047892135], a);
        Assert.Equal(1, adam.StepCount(1));
    }

    [Fact]
    public void StateBelongsToOneOptimiser()
    {
        // Two optimisers over equal parameters: stepping one three times must not advance the other's moments.
        var a = Param(DType.Float64, 1.0);
        var b = Param(DType.Float64, 1.0);
        var optA = new Adam([a], learningRate: 0.1, eps: 0.1);
        var optB = new Adam([b], learningRate: 0.1, eps: 0.1);
        for (int i = 0; i < 3; i++)
        {
            SetGrad(a, 2.0);
            optA.Step();
        }
        SetGrad(b, 2.0);
        optB.Step();
        AssertValues([0.904761904761904762], b);
        Assert.Equal(3, optA.StepCount(0));
        Assert.Equal(1, optB.StepCount(0));
    }

    [Fact]
    public void StepRecordsNoGraphAndKeepsTheParameterALeaf()
    {
        var p = Param(DType.Float32, 1.0, 2.0);
        var storage = p.AsSpan<float>().ToArray();
        var adam = new Adam([p], learningRate: 0.1);
        SetGrad(p, 1.0, 1.0);
        adam.Step();
        Assert.True(p.IsLeaf);
        Assert.True(p.RequiresGrad);
        Assert.NotEqual(storage, p.ToArray());
    }

    [Theory]
    [InlineData(-0.1, 0.9, 0.999, 1e-8, 0.0, "learning rate must be a finite number >= 0 but was -0.1")]
    [InlineData(1e-3, 1.0, 0.999, 1e-8, 0.0, "beta1 must be >= 0 and < 1 but was 1")]
    [InlineData(1e-3, 0.9, -0.5, 1e-8, 0.0, "beta2 must be >= 0 and < 1 but was -0.5")]
    [InlineData(1e-3, 0.9, 0.999, -1.0, 0.0, "eps must be >= 0 but was -1")]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, -0.01, "weightDecay must be >= 0 but was -0.01")]
    [InlineData(double.NaN, 0.9, 0.999, 1e-8, 0.0, "learning rate must be a finite number >= 0 but was NaN")]
    public void BadHyperparametersAreRejected(double lr, double beta1, double beta2, double eps, double wd, string message)
    {
        var p = Param(DType.Float32, 1.0);
        var ex = Assert.ThrowsAny<ArgumentException>(() => new Adam([p], lr, beta1, beta2, eps, wd));
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("Adam:", ex.Message);
    }
}
