using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Activations;

/// <summary>Maxout over groups of k adjacent features along dim 1 (Goodfellow et al. 2013): [B, kH, ...] -> [B, H, ...].</summary>
public sealed class Maxout : nn.Module<Tensor, Tensor>
{
    public Maxout(int pieces) : base(nameof(Maxout))
    {
        Pieces = pieces >= 2 ? pieces : throw new ArgumentOutOfRangeException(nameof(pieces), "maxout needs at least 2 pieces.");
    }

    public int Pieces { get; }

    public override Tensor forward(Tensor input)
    {
        if (input.dim() < 2 || input.shape[1] % Pieces != 0)
            throw new ArgumentException($"maxout with {Pieces} pieces needs dim 1 divisible by {Pieces}; got shape [{string.Join(", ", input.shape)}].");
        var shape = input.shape;
        var grouped = new List<long> { shape[0], shape[1] / Pieces, Pieces };   // [B, H, k, ...]
        grouped.AddRange(shape[2..]);
        return input.reshape([.. grouped]).amax(2);
    }

    public override string ToString() => $"Maxout({Pieces})";
}
