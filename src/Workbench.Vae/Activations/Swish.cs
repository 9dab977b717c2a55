using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Workbench.Vae.Activations;

/// <summary>
/// Swish with a learned beta, f(x) = x sigmoid(beta x) (Ramachandran et al. 2017); beta is a parameter of shape [1],
/// initialised to <paramref name="beta"/> (1.0: the layer starts as SiLU).
/// </summary>
public sealed class Swish : nn.Module<Tensor, Tensor>
{
    // Named as the registered parameter so that module.to(device / dtype) swaps this field too (TorchSharp matches
    // fields to parameters by name).
    private Parameter beta;

    public Swish(double beta = 1.0) : base(nameof(Swish))
    {
        if (!double.IsFinite(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "Swish: beta must be a finite number.");
        this.beta = new Parameter(torch.full([1], beta, dtype: ScalarType.Float32));
        register_parameter("beta", this.beta);
    }

    /// <summary>The learnable beta, shape [1].</summary>
    public Parameter Beta => beta;

    /// <summary>The current value of beta.</summary>
    public double BetaValue
    {
        get { using var _ = torch.no_grad(); return beta.cpu().to(ScalarType.Float64).item<double>(); }
    }

    public override Tensor forward(Tensor input) => input * torch.sigmoid(input * beta);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Swish(beta={BetaValue})");
}
