using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Activations;

/// <summary>
/// One registered activation: how to build it, its formula for notebooks, and what it needs from the layer before it.
/// </summary>
/// <param name="Name">Registry key, e.g. "swish_beta".</param>
/// <param name="Formula">LaTeX of f(x).</param>
/// <param name="Learnable">True when the activation has parameters the optimiser trains.</param>
/// <param name="Note">One line: origin and why one would try it.</param>
/// <param name="WidthFactor">The layer before must produce this many values per unit (2 for maxout, else 1).</param>
/// <param name="Create">Builds a fresh instance for one layer (no activation draws random initial values, so it needs no generator).</param>
public sealed record ActivationSpec(string Name, string Formula, bool Learnable, string Note, int WidthFactor, Func<nn.Module<Tensor, Tensor>> Create);

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
        Add("identity", @"f(x) = x", "No non-linearity: the VAE becomes linear-Gaussian-like (the seeds' \"linear\").", () => nn.Identity());
        Add("exp", @"f(x) = e^{x}", "Listed in the seeds; unbounded growth, expect divergence (reported cleanly).", () => new Exp());
        Add("tanh", @"f(x) = \tanh(x)", "Saturating, zero-centred; the IWAE paper's choice.", () => nn.Tanh());
        Add("sigmoid", @"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}", "Saturating, not zero-centred; vanishing gradients in deep stacks.", () => nn.Sigmoid());
        Add("relu", @"f(x) = \max(0, x)", "Nair & Hinton 2010; the pytorch/examples VAE default.", () => nn.ReLU());
        Add("leaky_relu", @"f(x) = \max(0.01x, x)", "Maas et al. 2013; keeps a small gradient for x < 0.", () => nn.LeakyReLU(0.01));
        Add("prelu", @"f(x) = \max(0, x) + a \min(0, x)", "He et al. 2015; the negative slope a is learned (init 0.25).", () => nn.PReLU(1, 0.25), learnable: true);
        Add("elu", @"f(x) = x \text{ if } x > 0 \text{ else } e^{x} - 1", "Clevert et al. 2016; smooth, negative saturation.", () => nn.ELU());
        Add("selu", @"f(x) = \lambda (x \text{ if } x > 0 \text{ else } \alpha (e^{x} - 1))", "Klambauer et al. 2017; self-normalising.", () => nn.SELU());
        Add("celu", @"f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))", "Barron 2017; continuously differentiable ELU.", () => nn.CELU());
        Add("gelu", @"f(x) = x \Phi(x)", "Hendrycks & Gimpel 2016, exact (erf) form.", () => nn.GELU());
        Add("gelu_tanh", @"f(x) = \tfrac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}(x + 0.044715 x^{3})\right)\right)", "The tanh approximation of GELU.", () => nn.GELU(TorchSharp.Modules.GELU.Approximate.tanh));
        Add("silu", @"f(x) = x \sigma(x)", "Swish with beta = 1 (Ramachandran et al. 2017; Elfwing et al. 2018): the seeds' Swish.", () => nn.SiLU());
        Add("swish_beta", @"f(x) = x \sigma(\beta x)", "Swish with a learned beta (init 1), Ramachandran et al. 2017.", () => new Swish(), learnable: true);
        Add("mish", @"f(x) = x \tanh(\operatorname{softplus}(x))", "Misra 2019; smooth, non-monotonic.", () => nn.Mish());
        Add("softplus", @"f(x) = \log(1 + e^{x})", "Smooth ReLU (Dugas et al. 2001).", () => nn.Softplus());
        Add("relu6", @"f(x) = \min(\max(0, x), 6)", "Bounded ReLU (Krizhevsky 2010; MobileNets).", () => nn.ReLU6());
        Add("hardswish", @"f(x) = x \frac{\operatorname{relu6}(x + 3)}{6}", "Howard et al. 2019; piecewise Swish.", () => nn.Hardswish());
        Add("hardsigmoid", @"f(x) = \frac{\operatorname{relu6}(x + 3)}{6}", "Piecewise-linear sigmoid.", () => nn.Hardsigmoid());
        Add("softsign", @"f(x) = \frac{x}{1 + |x|}", "Polynomial saturation, gentler than tanh.", () => nn.Softsign());
        Add("maxout", @"f(x)_j = \max(x_{2j}, x_{2j+1})", "Goodfellow et al. 2013, k = 2: the layer before is twice as wide.", () => new Maxout(2), widthFactor: 2);
        Add("adaptive", @"f(x) = \sum_i \operatorname{softmax}(a)_i\, g_i(x)", "A learned softmax mixture of " + string.Join(", ", AdaptiveActivation.DefaultBase) + " (the seeds' adaptive activation).", () => new AdaptiveActivation(), learnable: true);
    }

    private static void Add(string name, string formula, string note, Func<nn.Module<Tensor, Tensor>> create, bool learnable = false, int widthFactor = 1) =>
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
    public static nn.Module<Tensor, Tensor> Create(string name) => Get(name).Create();

    private static string Canonical(string name) => Aliases.TryGetValue(name, out var c) ? c : name;
}

