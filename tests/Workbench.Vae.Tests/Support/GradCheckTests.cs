using TorchSharp;
using Xunit.Sdk;
using static TorchSharp.torch;

namespace Workbench.Vae.Tests;

/// <summary>The gradient check must be able to fail, or every test built on it proves nothing.</summary>
public class GradCheckTests
{
    private static Tensor Leaf(params double[] values) => torch.tensor(values, ScalarType.Float64).requires_grad_();

    [Fact]
    public void ACorrectGradientPasses()
    {
        var x = Leaf(0.3, -1.2, 2.0);
        var w = Leaf(0.5, 0.7, -0.1);
        GradCheck.Check(() => (x * w).sin() + x.square(), [x, w], "sin(x w) + x^2");
    }

    [Fact]
    public void AWrongGradientFails()
    {
        // y = x * detach(x): its value is x^2 but autograd sees only one factor, so it reports x instead of 2x.
        var x = Leaf(0.3, -1.2, 2.0);
        var ex = Assert.ThrowsAny<XunitException>(() => GradCheck.Check(() => x * x.detach(), [x], "half-detached square"));
        Assert.Contains("central difference", ex.Message);
    }

    [Fact]
    public void AFunctionOfNothingCheckedFails()
    {
        // A leaf f ignores gets a zero gradient, which is right; a check where every gradient is zero tests nothing.
        var x = Leaf(0.3, -1.2);
        var unused = Leaf(1.0);
        GradCheck.Check(() => x.exp(), [x, unused], "exp with an unused leaf");
        Assert.ThrowsAny<XunitException>(() => GradCheck.Check(() => unused.detach() * 2, [unused], "constant"));
    }
}
