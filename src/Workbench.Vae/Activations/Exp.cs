using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Activations;

/// <summary>f(x) = e^x: unbounded, listed in the seeds; expect divergence (the trainer reports it cleanly).</summary>
public sealed class Exp() : nn.Module<Tensor, Tensor>(nameof(Exp))
{
    public override Tensor forward(Tensor input) => input.exp();

    public override string ToString() => "Exp()";
}
