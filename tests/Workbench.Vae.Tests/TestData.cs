using TorchSharp;
using Workbench.Vae.Data;

namespace Workbench.Vae.Tests;

/// <summary>Small synthetic image sets for fast tests that do not need the real files.</summary>
public static class TestData
{
    /// <summary>
    /// Images of 8x8 = 64 pixels in [0, 1] drawn from a few random prototypes plus noise, so that a VAE has
    /// structure to learn. Every draw comes from seeded torch generators: the same seed gives the same images.
    /// </summary>
    public static ImageDataset Synthetic(int count, ulong seed, Split split = Split.Train, int side = 8, int prototypes = 4)
    {
        int dim = side * side;
        // The prototypes are the same for every seed (generator 12345), so train and test sets share structure.
        var protos = torch.rand(prototypes * dim, generator: new torch.Generator(12345)).Floats()
            .Select(u => u < 0.3f ? 0.9f : 0.05f).ToArray();
        var g = new torch.Generator(seed);
        var which = torch.randint(0, prototypes, [count], generator: g).data<long>().ToArray();   // [count]
        var noise = torch.rand(count * dim, generator: g).Floats();                               // [count * dim]
        var pixels = new float[count * dim];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int p = (int)which[n];
            labels[n] = (byte)p;
            for (int d = 0; d < dim; d++)
                pixels[n * dim + d] = Math.Clamp(protos[p * dim + d] + 0.05f * (noise[n * dim + d] - 0.5f), 0f, 1f);
        }
        return new ImageDataset("synthetic", split, pixels, labels, side, side);
    }
}
