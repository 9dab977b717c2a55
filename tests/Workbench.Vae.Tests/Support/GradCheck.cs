using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests;

/// <summary>
/// A float64 central-difference gradient check (TorchSharp has no torch.autograd.gradcheck). For a function y = f()
/// of some leaf tensors it compares autograd's gradient of s = sum(v * y), with v a fixed random weighting of y's
/// elements (a vector-Jacobian product, which catches a wrong Jacobian entry with probability 1), against
/// (s(x + eps e_i) - s(x - eps e_i)) / (2 eps) for every element i of every leaf.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks <paramref name="f"/>'s gradients with respect to <paramref name="leaves"/> (inputs and/or parameters).</summary>
    /// <remarks>
    /// The error of the central difference is eps^2 f'''/6 (about 1e-13) plus roundoff 1e-16 |s| / eps (about 1e-10 |s|),
    /// so a relative tolerance of 1e-6 with an absolute floor of 1e-8 (1 + |s|) accepts a correct gradient and rejects
    /// any wrong one (a bug is off by the size of the gradient itself).
    /// </remarks>
    public static void Check(Func<Tensor> f, IReadOnlyList<Tensor> leaves, string what = "", double eps = 1e-6, double rtol = 1e-6)
    {
        Assert.NotEmpty(leaves);
        foreach (var leaf in leaves)
        {
            Assert.True(leaf.dtype == ScalarType.Float64, $"{what}: gradient checks need float64 leaves, got {leaf.dtype}");
            Assert.True(leaf.requires_grad, $"{what}: every checked tensor must require gradients");
            Assert.True(leaf.is_contiguous(), $"{what}: checked tensors must be contiguous");
        }
        var y = f();
        Assert.True(y.dtype == ScalarType.Float64, $"{what}: f must return float64, got {y.dtype}");
        var v = torch.randn(y.shape, ScalarType.Float64, generator: new torch.Generator(20240607));
        // backward() into each leaf's .grad rather than torch.autograd.grad: a leaf f does not use (a decoder weight
        // for the KL term, say) must read as a zero gradient, and libtorch aborts the process on an unused input there.
        foreach (var leaf in leaves) leaf.grad = null;
        if (y.requires_grad) (y * v).sum().backward();   // otherwise no leaf reaches y: every gradient is zero
        var analytic = leaves.Select(leaf => leaf.grad?.Doubles() ?? new double[leaf.numel()]).ToArray();
        foreach (var leaf in leaves) leaf.grad = null;

        double S()
        {
            using var _ = torch.no_grad();
            return (f() * v).sum().item<double>();
        }

        double scale = 1 + Math.Abs(S());
        double largest = 0;
        for (int l = 0; l < leaves.Count; l++)
        {
            using var _ = torch.no_grad();
            var flat = leaves[l].view(-1);
            for (long i = 0; i < flat.shape[0]; i++)
            {
                var cell = flat.narrow(0, i, 1);
                double original = cell.item<double>();
                cell.fill_(original + eps);
                double plus = S();
                cell.fill_(original - eps);
                double minus = S();
                cell.fill_(original);
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[l][i];
                double tolerance = rtol * Math.Max(Math.Abs(a), Math.Abs(numeric)) + 1e-8 * scale;
                Assert.True(Math.Abs(a - numeric) <= tolerance,
                    $"{what}: leaf {l} element {i}: autograd {a:R}, central difference {numeric:R} (difference {Math.Abs(a - numeric):G3}, tolerance {tolerance:G3})");
                largest = Math.Max(largest, Math.Abs(a));
            }
        }
        // A check of an all-zero gradient could not fail; the functions checked here all depend on their inputs.
        Assert.True(largest > 1e-6, $"{what}: every gradient is zero, so this check tests nothing");
    }

    /// <summary>The objective tests' form: f takes the leaves it is checked against.</summary>
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(() => f(inputs), inputs);
}
