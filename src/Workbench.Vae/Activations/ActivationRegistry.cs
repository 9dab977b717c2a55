using Workbench.Autograd;
using Workbench.Autograd.Nn;

namespace Workbench.Vae.Activations;

/// <summary>
/// One registered activation: how to build it, its formula for notebooks, and what it needs from the layer before it.
/// </summary>
/// <param name="Name">Registry key, e.g. "swish_beta".</param>
/// <param name="Formula">LaTeX of f(x).</param>
/// <param name="Learnable">True when the activation has parameters the optimiser trains.</param>
/// <param name="Note">One line: origin and why one would try it.</param>
/// <param name="WidthFactor">The layer before must produce this many values per unit (2 for maxout, else 1).</param>
/// <param name="Create">Builds a fresh instance for one layer; the generator is for any random initialisation.</param>
public sealed record ActivationSpec(string Name, string Formula, bool Learnable, string Note, int WidthFactor, Func<Generator, Module> Create);

/// <summary>The activations the workbench knows, by name. Unknown names fail with the list of known ones.</summary>
public static class ActivationRegistry
{
    private static readonly Dictionary<string, ActivationSpec> Specs = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["linear"] = "identity",
        ["swish"] = "silu",
        ["leakyrelu"] = "leaky_relu",
        ["gelu_exact"] = "gelu",
    };

    static ActivationRegistry()
    {
        Add("identity", @"f(x) = x", "No non-linearity: the VAE becomes linear-Gaussian-like (the seeds' \"linear\").", _ => new Identity());
        Add("exp", @"f(x) = e^{x}", "Listed in the seeds; unbounded growth, expect divergence (reported cleanly).", _ => new Exp());
        Add("tanh", @"f(x) = \tanh(x)", "Saturating, zero-centred; the IWAE paper's choice.", _ => new Tanh());
        Add("sigmoid", @"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}", "Saturating, not zero-centred; vanishing gradients in deep stacks.", _ => new Sigmoid());
        Add("relu", @"f(x) = \max(0, x)", "Nair & Hinton 2010; the pytorch/examples VAE default.", _ => new Relu());
        Add("leaky_relu", @"f(x) = \max(0.01x, x)", "Maas et al. 2013; keeps a small gradient for x < 0.", _ => new LeakyRelu());
        Add("prelu", @"f(x) = \max(0, x) + a \min(0, x)", "He et al. 2015; the negative slope a is learned (init 0.25).", _ => new Prelu(), learnable: true);
        Add("elu", @"f(x) = x \text{ if } x > 0 \text{ else } e^{x} - 1", "Clevert et al. 2016; smooth, negative saturation.", _ => new Elu());
        Add("selu", @"f(x) = \lambda (x \text{ if } x > 0 \text{ else } \alpha (e^{x} - 1))", "Klambauer et al. 2017; self-normalising.", _ => new Selu());
        Add("celu", @"f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))", "Barron 2017; continuously differentiable ELU.", _ => new Celu());
        Add("gelu", @"f(x) = x \Phi(x)", "Hendrycks & Gimpel 2016, exact (erf) form.", _ => new Gelu());
        Add("gelu_tanh", @"f(x) = \tfrac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}(x + 0.044715 x^{3})\right)\right)", "The tanh approximation of GELU.", _ => new GeluTanh());
        Add("silu", @"f(x) = x \sigma(x)", "Swish with beta = 1 (Ramachandran et al. 2017; Elfwing et al. 2018): the seeds' Swish.", _ => new Silu());
        Add("swish_beta", @"f(x) = x \sigma(\beta x)", "Swish with a learned beta (init 1), Ramachandran et al. 2017.", _ => new Swish(), learnable: true);
        Add("mish", @"f(x) = x \tanh(\operatorname{softplus}(x))", "Misra 2019; smooth, non-monotonic.", _ => new Mish());
        Add("softplus", @"f(x) = \log(1 + e^{x})", "Smooth ReLU (Dugas et al. 2001).", _ => new Softplus());
        Add("relu6", @"f(x) = \min(\max(0, x), 6)", "Bounded ReLU (Krizhevsky 2010; MobileNets).", _ => new Relu6());
        Add("hardswish", @"f(x) = x \frac{\operatorname{relu6}(x + 3)}{6}", "Howard et al. 2019; piecewise Swish.", _ => new Hardswish());
        Add("hardsigmoid", @"f(x) = \frac{\operatorname{relu6}(x + 3)}{6}", "Piecewise-linear sigmoid.", _ => new Hardsigmoid());
        Add("softsign", @"f(x) = \frac{x}{1 + |x|}", "Polynomial saturation, gentler than tanh.", _ => new Softsign());
        Add("maxout", @"f(x)_j = \max(x_{2j}, x_{2j+1})", "Goodfellow et al. 2013, k = 2: the layer before is twice as wide.", _ => new Maxout(2), widthFactor: 2);
        Add("adaptive", @"f(x) = \sum_i \operatorname{softmax}(a)_i\, g_i(x)", "A learned softmax mixture of " + string.Join(", ", AdaptiveActivation.DefaultBase) + " (the seeds' adaptive activation).", _ => new AdaptiveActivation(), learnable: true);
    }

    private static void Add(string name, string formula, string note, Func<Generator, Module> create, bool learnable = false, int widthFactor = 1) =>
        Specs[name] = new ActivationSpec(name, formula, learnable, note, widthFactor, create);

    /// <summary>Registered names (aliases excluded), in registration order.</summary>
    public static IReadOnlyList<string> Names => [.. Specs.Keys];

    /// <summary>Every registered activation.</summary>
    public static IReadOnlyList<ActivationSpec> All => [.. Specs.Values];

    public static bool Contains(string name) => Specs.ContainsKey(Canonical(name));

    /// <summary>The spec for a name or alias; an unknown name lists the known ones.</summary>
    public static ActivationSpec Get(string name) =>
        Specs.TryGetValue(Canonical(name), out var spec)
            ? spec
            : throw new ConfigException($"Unknown activation '{name}'. Known activations: {string.Join(", ", Specs.Keys)} (aliases: {string.Join(", ", Aliases.Select(a => $"{a.Key} = {a.Value}"))}).");

    /// <summary>A new instance of the named activation.</summary>
    public static Module Create(string name, Generator generator) => Get(name).Create(generator);

    private static string Canonical(string name) => Aliases.TryGetValue(name, out var c) ? c : name;
}

/// <summary>Maxout over groups of k adjacent features along dim 1 (Goodfellow et al. 2013): [B, kH, ...] -> [B, H, ...].</summary>
public sealed class Maxout(int pieces) : Module
{
    public int Pieces { get; } = pieces >= 2 ? pieces : throw new ArgumentOutOfRangeException(nameof(pieces), "maxout needs at least 2 pieces.");

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank < 2 || input.Shape[1] % Pieces != 0)
            throw new ArgumentException($"maxout with {Pieces} pieces needs dim 1 divisible by {Pieces}; got shape [{string.Join(", ", input.ShapeArray())}].");
        var shape = input.ShapeArray();
        var grouped = new List<int> { shape[0], shape[1] / Pieces, Pieces };
        grouped.AddRange(shape[2..]);
        return input.Reshape([.. grouped]).Max(2);
    }
}

/// <summary>
/// A learned mixture f(x) = sum_i softmax(a)_i g_i(x) over a base set of activations, with one weight vector per
/// layer (initialised uniform). <see cref="Weights"/> reads out what the layer learned.
/// </summary>
public sealed class AdaptiveActivation : Module
{
    public static IReadOnlyList<string> DefaultBase { get; } = ["identity", "relu", "tanh", "sigmoid", "silu"];

    private readonly Module[] _base;

    /// <summary>The base activations' names, in the order of <see cref="Weights"/>.</summary>
    public IReadOnlyList<string> BaseNames { get; }

    /// <summary>Mixture logits a (a parameter of shape [base count]).</summary>
    public Tensor Logits { get; private set; }

    public AdaptiveActivation(IReadOnlyList<string>? baseNames = null)
    {
        BaseNames = baseNames ?? DefaultBase;
        if (BaseNames.Count < 2) throw new ArgumentException("an adaptive activation needs at least two base activations.");
        _base = BaseNames.Select(n =>
        {
            var spec = ActivationRegistry.Get(n);
            if (spec.WidthFactor != 1 || spec.Learnable)
                throw new ArgumentException($"'{n}' cannot be part of an adaptive mixture: base activations must be fixed and keep the width.");
            return spec.Create(new Generator(0));
        }).ToArray();
        Logits = RegisterParameter("logits", Tensor.Zeros(BaseNames.Count));
    }

    /// <summary>The current mixture weights softmax(a), one per base activation.</summary>
    public double[] Weights
    {
        get { using var _ = Tensor.NoGrad(); return Logits.Softmax(0).ToDoubleArray(); }
    }

    public override Tensor Forward(Tensor input)
    {
        var w = Logits.Softmax(0);
        Tensor? sum = null;
        for (int i = 0; i < _base.Length; i++)
        {
            var term = _base[i].Forward(input).Mul(w.Slice(i, i + 1).Reshape([]));
            sum = sum is null ? term : sum.Add(term);
        }
        return sum!;
    }

    protected override void OnParameterReplaced(string name, Tensor parameter) => Logits = parameter;
}
