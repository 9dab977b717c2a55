using TorchSharp;

namespace Workbench.Experiments;

/// <summary>A tensor's values copied into a managed array, whatever its device, dtype, layout or autograd history.</summary>
internal static class TensorValues
{
    /// <summary>All elements in row-major order as float64.</summary>
    public static double[] Doubles(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        // The detached, moved and converted copies are temporaries: the scope frees them, never the caller's tensor.
        using var scope = torch.NewDisposeScope();
        return tensor.detach().cpu().to(torch.float64).contiguous().data<double>().ToArray();
    }

    /// <summary>All elements in row-major order as float32.</summary>
    public static float[] Floats(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = torch.NewDisposeScope();
        return tensor.detach().cpu().to(torch.float32).contiguous().data<float>().ToArray();
    }

    /// <summary>"[N, D]" for messages.</summary>
    public static string Shape(torch.Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";
}
