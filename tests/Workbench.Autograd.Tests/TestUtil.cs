using Workbench.Autograd;

namespace Workbench.Autograd.Tests;

/// <summary>Helpers shared by the tests: float64 random inputs and a gradient-check assertion.</summary>
public static class TestUtil
{
    public static Tensor Rand64(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    /// <summary>Random float64 values bounded away from zero (for log, sqrt, division).</summary>
    public static Tensor Positive64(Generator g, params int[] shape) =>
        Tensor.Rand(shape, g, 0.5, 2.0, DType.Float64).RequiresGrad_();

    public static void AssertGrad(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Run(f, inputs);
        Assert.True(result.Passed, result.ToString());
    }
}
