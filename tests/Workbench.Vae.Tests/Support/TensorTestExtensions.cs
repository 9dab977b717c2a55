using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests;

/// <summary>Reading torch tensors back into plain .NET values for assertions.</summary>
public static class TensorTestExtensions
{
    /// <summary>The element at <paramref name="index"/> as a double, whatever the tensor's dtype.</summary>
    public static double At(this Tensor t, params long[] index) => (index.Length == 0 ? t : t[index]).ToDouble();

    /// <summary>Every element in row-major order, as doubles.</summary>
    public static double[] Doubles(this Tensor t) => t.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>Every element in row-major order, as floats.</summary>
    public static float[] Floats(this Tensor t) => t.detach().to(ScalarType.Float32).contiguous().data<float>().ToArray();

    /// <summary>The shape as ints, to compare with array literals.</summary>
    public static int[] Dims(this Tensor t) => t.shape.Select(d => (int)d).ToArray();

    /// <summary>A float64 tensor of the given values and shape.</summary>
    public static Tensor F64(double[] values, params long[] shape) => torch.tensor(values, shape, ScalarType.Float64);

    /// <summary>A float32 tensor of the given values and shape.</summary>
    public static Tensor F32(float[] values, params long[] shape) => torch.tensor(values, shape, ScalarType.Float32);

    /// <summary>Standard normal float64 draws from <paramref name="g"/>.</summary>
    public static Tensor Randn64(Generator g, params long[] shape) => torch.randn(shape, ScalarType.Float64, generator: g);
}
