namespace Workbench.Autograd.Nn;

/// <summary>Parameter initialisations, each drawing from an explicit generator.</summary>
public static class Init
{
    /// <summary>
    /// PyTorch's default for Linear and Conv weights: kaiming_uniform_(a = sqrt(5)), i.e. U(-b, b) with
    /// b = gain sqrt(3 / fan_in) and gain = sqrt(2 / (1 + a^2)), which gives b = 1 / sqrt(fan_in)
    /// (He et al. 2015, eq. 16 with PyTorch's choice of a).
    /// </summary>
    public static Tensor KaimingUniform(int[] shape, int fanIn, Generator generator, double a = 2.2360679774997896964)
    {
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.Sqrt(3.0 / fanIn);
        return Uniform(shape, bound, generator);
    }

    /// <summary>U(-bound, bound).</summary>
    public static Tensor Uniform(int[] shape, double bound, Generator generator) =>
        Tensor.Rand(shape, generator, -bound, bound);

    /// <summary>Glorot and Bengio (2010) uniform: U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)).</summary>
    public static Tensor XavierUniform(int[] shape, int fanIn, int fanOut, Generator generator, double gain = 1.0) =>
        Uniform(shape, gain * Math.Sqrt(6.0 / (fanIn + fanOut)), generator);
}
