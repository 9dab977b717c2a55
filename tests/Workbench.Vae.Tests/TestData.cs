using Workbench.Autograd;
using Workbench.Vae.Data;

namespace Workbench.Vae.Tests;

/// <summary>Small synthetic image sets for fast tests that do not need the real files.</summary>
public static class TestData
{
    /// <summary>
    /// Images of 8x8 = 64 pixels in [0, 1] drawn from a few random prototypes plus noise, so that a VAE has
    /// structure to learn.
    /// </summary>
    public static ImageDataset Synthetic(int count, ulong seed, Split split = Split.Train, int side = 8, int prototypes = 4)
    {
        var g = new Generator(seed);
        int dim = side * side;
        var protos = new float[prototypes * dim];
        var pg = new Generator(12345);
        for (int i = 0; i < protos.Length; i++) protos[i] = pg.NextFloat() < 0.3f ? 0.9f : 0.05f;
        var pixels = new float[count * dim];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int p = g.NextInt(prototypes);
            labels[n] = (byte)p;
            for (int d = 0; d < dim; d++)
                pixels[n * dim + d] = Math.Clamp(protos[p * dim + d] + 0.05f * (g.NextFloat() - 0.5f), 0f, 1f);
        }
        return new ImageDataset("synthetic", split, pixels, labels, side, side);
    }
}
