using System.Globalization;

namespace Workbench.Autograd.Nn;

// One small module per activation (torch.nn's names), so that a model's activation is a layer that can sit in a
// Sequential, be swapped by an ablation, and carry learnable parameters (PReLU's slopes, Swish's beta).

/// <summary>Passes its input through unchanged (torch.nn.Identity): the "no activation" arm of an ablation.</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => F.Identity(input);
    public override string ToString() => "Identity()";
}

/// <summary>max(x, 0).</summary>
public sealed class Relu : Module
{
    public override Tensor Forward(Tensor input) => F.Relu(input);
    public override string ToString() => "Relu()";
}

/// <summary>x for x &gt; 0, else negativeSlope x.</summary>
public sealed class LeakyRelu : Module
{
    public double NegativeSlope { get; }

    public LeakyRelu(double negativeSlope = 0.01) =>
        NegativeSlope = F.RequireFinite(negativeSlope, "LeakyRelu", nameof(negativeSlope));

    public override Tensor Forward(Tensor input) => F.LeakyRelu(input, NegativeSlope);
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LeakyRelu(negativeSlope={NegativeSlope})");
}

/// <summary>
/// PReLU (He et al. 2015): x for x &gt; 0, else a x with learnable slopes a, one shared (numParameters = 1) or one
/// per channel along dim 1 (numParameters = C), initialised to <c>init</c> (0.25 as in the paper and PyTorch).
/// </summary>
public sealed class Prelu : Module
{
    /// <summary>The slopes, shape [numParameters].</summary>
    public Tensor Weight { get; private set; }

    public Prelu(int numParameters = 1, double init = 0.25)
    {
        if (numParameters < 1)
            throw new ArgumentOutOfRangeException(nameof(numParameters),
                $"Prelu: numParameters must be 1 (one shared slope) or the number of channels, but is {numParameters}.");
        F.RequireFinite(init, "Prelu", nameof(init));
        Weight = RegisterParameter("weight", Tensor.Full([numParameters], init));
    }

    public override Tensor Forward(Tensor input) => F.Prelu(input, Weight);

    protected override void OnParameterReplaced(string name, Tensor parameter) => Weight = parameter;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Prelu(numParameters={Weight.Numel})");
}

/// <summary>ELU: x for x &gt; 0, else alpha (e^x - 1).</summary>
public sealed class Elu : Module
{
    public double Alpha { get; }

    public Elu(double alpha = 1.0) => Alpha = F.RequireFinite(alpha, "Elu", nameof(alpha));

    public override Tensor Forward(Tensor input) => F.Elu(input, Alpha);
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Elu(alpha={Alpha})");
}

/// <summary>CELU: max(0, x) + min(0, alpha (e^(x/alpha) - 1)).</summary>
public sealed class Celu : Module
{
    public double Alpha { get; }

    public Celu(double alpha = 1.0)
    {
        F.RequireFinite(alpha, "Celu", nameof(alpha));
        if (alpha == 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), "Celu: alpha must be non-zero (the formula divides by it); the default is 1.0.");
        Alpha = alpha;
    }

    public override Tensor Forward(Tensor input) => F.Celu(input, Alpha);
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Celu(alpha={Alpha})");
}

/// <summary>SELU with Klambauer et al.'s fixed alpha and scale.</summary>
public sealed class Selu : Module
{
    public override Tensor Forward(Tensor input) => F.Selu(input);
    public override string ToString() => "Selu()";
}

/// <summary>Exact GELU x Phi(x).</summary>
public sealed class Gelu : Module
{
    public override Tensor Forward(Tensor input) => F.Gelu(input);
    public override string ToString() => "Gelu()";
}

/// <summary>GELU's tanh approximation.</summary>
public sealed class GeluTanh : Module
{
    public override Tensor Forward(Tensor input) => F.GeluTanh(input);
    public override string ToString() => "GeluTanh()";
}

/// <summary>SiLU x sigmoid(x).</summary>
public sealed class Silu : Module
{
    public override Tensor Forward(Tensor input) => F.Silu(input);
    public override string ToString() => "Silu()";
}

/// <summary>
/// Swish x sigmoid(beta x) (Ramachandran et al. 2017). With <c>learnable</c> (the default) beta is a parameter of
/// shape [1] trained with the model, starting at <c>beta</c> (1.0, where Swish equals SiLU); otherwise beta is a
/// fixed constant.
/// </summary>
public sealed class Swish : Module
{
    private readonly double _fixedBeta;

    /// <summary>The learnable beta of shape [1], or null when beta is fixed.</summary>
    public Tensor? Beta { get; private set; }

    /// <summary>True when beta is trained.</summary>
    public bool Learnable { get; }

    public Swish(double beta = 1.0, bool learnable = true)
    {
        _fixedBeta = F.RequireFinite(beta, "Swish", nameof(beta));
        Learnable = learnable;
        if (learnable) Beta = RegisterParameter("beta", Tensor.Full([1], beta));
    }

    /// <summary>The current value of beta.</summary>
    public double BetaValue => Beta?.Item() ?? _fixedBeta;

    public override Tensor Forward(Tensor input) => Beta is null ? F.Swish(input, _fixedBeta) : F.Swish(input, Beta);

    protected override void OnParameterReplaced(string name, Tensor parameter) => Beta = parameter;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Swish(beta={BetaValue}, learnable={Learnable})");
}

/// <summary>Mish x tanh(softplus(x)).</summary>
public sealed class Mish : Module
{
    public override Tensor Forward(Tensor input) => F.Mish(input);
    public override string ToString() => "Mish()";
}

/// <summary>log(1 + e^(beta x)) / beta, linear above the threshold.</summary>
public sealed class Softplus : Module
{
    public double Beta { get; }
    public double Threshold { get; }

    public Softplus(double beta = 1.0, double threshold = 20.0)
    {
        F.RequireFinite(beta, "Softplus", nameof(beta));
        if (beta <= 0)
            throw new ArgumentOutOfRangeException(nameof(beta), $"Softplus: beta must be positive but is {beta}; it sets the sharpness (1 is the usual softplus).");
        if (double.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), "Softplus: threshold is NaN; the default is 20.");
        Beta = beta;
        Threshold = threshold;
    }

    public override Tensor Forward(Tensor input) => F.Softplus(input, Beta, Threshold);
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Softplus(beta={Beta}, threshold={Threshold})");
}

/// <summary>min(max(x, 0), 6).</summary>
public sealed class Relu6 : Module
{
    public override Tensor Forward(Tensor input) => F.Relu6(input);
    public override string ToString() => "Relu6()";
}

/// <summary>x relu6(x + 3) / 6.</summary>
public sealed class Hardswish : Module
{
    public override Tensor Forward(Tensor input) => F.Hardswish(input);
    public override string ToString() => "Hardswish()";
}

/// <summary>relu6(x + 3) / 6.</summary>
public sealed class Hardsigmoid : Module
{
    public override Tensor Forward(Tensor input) => F.Hardsigmoid(input);
    public override string ToString() => "Hardsigmoid()";
}

/// <summary>x / (1 + |x|).</summary>
public sealed class Softsign : Module
{
    public override Tensor Forward(Tensor input) => F.Softsign(input);
    public override string ToString() => "Softsign()";
}

/// <summary>Hyperbolic tangent.</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor input) => F.Tanh(input);
    public override string ToString() => "Tanh()";
}

/// <summary>Logistic sigmoid.</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor input) => F.Sigmoid(input);
    public override string ToString() => "Sigmoid()";
}

/// <summary>e^x (e.g. to map a log-scale output to a positive one).</summary>
public sealed class Exp : Module
{
    public override Tensor Forward(Tensor input) => F.Exp(input);
    public override string ToString() => "Exp()";
}
