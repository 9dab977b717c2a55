using Workbench.Autograd.Nn;

namespace Workbench.Autograd.Tests.Nn;

/// <summary>An activation layer for the tests' small models (the library's own activation modules live elsewhere).</summary>
internal sealed class TanhLayer : Module
{
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>Small models and losses shared by the module and training tests.</summary>
internal static class TestModels
{
    /// <summary>Linear(in, hidden) - Tanh - Linear(hidden, out), parameters named "0.*" and "2.*".</summary>
    public static Sequential Mlp(int inputs, int hidden, int outputs, Generator generator) =>
        new(new Linear(inputs, hidden, generator), new TanhLayer(), new Linear(hidden, outputs, generator));

    /// <summary>
    /// Mean binary cross-entropy on logits: -[y log sigmoid(z) + (1 - y) log sigmoid(-z)], using
    /// log(1 - sigmoid(z)) = log sigmoid(-z) so that neither term overflows.
    /// </summary>
    public static Tensor BceWithLogits(Tensor logits, Tensor targets) =>
        targets.Mul(logits.LogSigmoid()).Add(targets.RSub(1.0).Mul(logits.Neg().LogSigmoid())).Mean().Neg();

    /// <summary>Every parameter's values, concatenated in parameter order.</summary>
    public static float[] Flatten(Module model) => model.Parameters().SelectMany(p => p.ToArray()).ToArray();

    /// <summary>Copies of every parameter, for before/after comparisons.</summary>
    public static List<Tensor> Snapshot(Module model) => model.Parameters().Select(p => p.Clone()).ToList();
}
