using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Workbench.Vae.Models;

/// <summary>
/// Linear and convolution layers whose initial weights come from a seeded generator, never from libtorch's global RNG,
/// so two models built from the same seed are identical. The bounds are PyTorch's defaults: weights and biases
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5) gives exactly that bound for the weights),
/// fan_in as PyTorch computes it: in for Linear [out, in], in*kH*kW for Conv2d [out, in, kH, kW], and out*kH*kW for
/// ConvTranspose2d, whose weight is [in, out, kH, kW].
/// </summary>
internal static class Layers
{
    /// <summary>y = x W^T + b with W [out, in], b [out] drawn from <paramref name="generator"/> (weight first).</summary>
    public static Linear Linear(long inputs, long outputs, torch.Generator generator)
    {
        using var _ = torch.no_grad();
        double bound = 1.0 / Math.Sqrt(inputs);
        var weight = torch.empty(outputs, inputs).uniform_(-bound, bound, generator);   // [out, in]
        var bias = torch.empty(outputs).uniform_(-bound, bound, generator);             // [out]
        return nn.Linear(new Parameter(weight), new Parameter(bias));
    }

    public static Conv2d Conv2d(long inChannels, long outChannels, long kernel, torch.Generator generator, long stride = 1, long padding = 0) =>
        Reinitialised(() => nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding), generator);

    public static ConvTranspose2d ConvTranspose2d(long inChannels, long outChannels, long kernel, torch.Generator generator, long stride = 1, long padding = 0) =>
        Reinitialised(() => nn.ConvTranspose2d(inChannels, outChannels, kernel, stride: stride, padding: padding), generator);

    /// <summary>
    /// TorchSharp's convolution constructors initialise from the global RNG; its state is saved before and restored
    /// after, so building a model leaves it untouched, and the weights are then redrawn from the generator.
    /// </summary>
    private static T Reinitialised<T>(Func<T> build, torch.Generator generator) where T : nn.Module
    {
        T layer;
        var state = torch.random.get_rng_state();
        try { layer = build(); }
        finally { torch.random.set_rng_state(state); state.Dispose(); }

        using var _ = torch.no_grad();
        var weight = layer.get_parameter("weight") ?? throw new InvalidOperationException($"{typeof(T).Name} has no weight.");
        var (fanIn, _) = nn.init.CalculateFanInAndFanOut(weight);
        double bound = 1.0 / Math.Sqrt(fanIn);
        weight.uniform_(-bound, bound, generator);
        layer.get_parameter("bias")?.uniform_(-bound, bound, generator);
        return layer;
    }
}

/// <summary>
/// Inverted dropout (Srivastava et al. 2014) whose masks come from its own seeded generator: in training each value is
/// zeroed with probability p and the rest scaled by 1 / (1 - p); in evaluation it is the identity.
/// </summary>
internal sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _p;
    private readonly torch.Generator _generator;

    public SeededDropout(double p, torch.Generator generator) : base("Dropout")
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout must be in [0, 1).");
        _p = p;
        _generator = generator;
    }

    public override Tensor forward(Tensor input)
    {
        if (!training || _p == 0) return input.alias();
        using var keep = torch.empty_like(input).bernoulli_(1 - _p, _generator);   // 1 with probability 1 - p
        return input * keep / (1 - _p);
    }
}
