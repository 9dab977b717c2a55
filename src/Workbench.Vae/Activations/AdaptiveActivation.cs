using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Workbench.Vae.Activations;

/// <summary>
/// A learned mixture f(x) = sum_i softmax(a)_i g_i(x) over a base set of activations, with one weight vector per
/// layer (initialised uniform). <see cref="Weights"/> reads out what the layer learned.
/// </summary>
public sealed class AdaptiveActivation : nn.Module<Tensor, Tensor>
{
    public static IReadOnlyList<string> DefaultBase { get; } = ["identity", "relu", "tanh", "sigmoid", "silu"];

    // The base activations are fixed (no parameters), so they are not registered: the state dict holds only the logits.
    private readonly nn.Module<Tensor, Tensor>[] _base;

    // Named as the registered parameter so that module.to(device / dtype) swaps this field too.
    private Parameter logits;

    /// <summary>The base activations' names, in the order of <see cref="Weights"/>.</summary>
    public IReadOnlyList<string> BaseNames { get; }

    /// <summary>Mixture logits a (a parameter of shape [base count]), initialised to zeros.</summary>
    public Parameter Logits => logits;

    public AdaptiveActivation(IReadOnlyList<string>? baseNames = null) : base(nameof(AdaptiveActivation))
    {
        BaseNames = baseNames ?? DefaultBase;
        if (BaseNames.Count < 2) throw new ArgumentException("an adaptive activation needs at least two base activations.");
        _base = BaseNames.Select(n =>
        {
            var spec = ActivationRegistry.Get(n);
            if (spec.WidthFactor != 1 || spec.Learnable)
                throw new ArgumentException($"'{n}' cannot be part of an adaptive mixture: base activations must be fixed and keep the width.");
            return spec.Create();
        }).ToArray();
        logits = new Parameter(torch.zeros(BaseNames.Count, dtype: ScalarType.Float32));
        register_parameter("logits", logits);
    }

    /// <summary>The current mixture weights softmax(a), one per base activation.</summary>
    public double[] Weights
    {
        get
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            return logits.softmax(0).cpu().to(ScalarType.Float64).data<double>().ToArray();
        }
    }

    public override Tensor forward(Tensor input)
    {
        var w = logits.softmax(0);   // [base count]
        Tensor? sum = null;
        for (int i = 0; i < _base.Length; i++)
        {
            var term = _base[i].call(input) * w[i];   // w[i] is a scalar tensor: broadcast over every element
            sum = sum is null ? term : sum + term;
        }
        return sum!;
    }
}
