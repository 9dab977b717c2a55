namespace Workbench.Vae.Training;

/// <summary>
/// Seeds for the generators of one run, each derived from the run's seed and a purpose, so every stream is fixed by
/// the seed alone and changing one use of randomness (e.g. evaluation) never shifts another's draws.
/// </summary>
public static class Seeds
{
    /// <summary>Purpose of the generator that shuffles and binarises training batches.</summary>
    public const ulong Batches = 1;

    /// <summary>Purpose of the generator that draws the training ELBO's reparameterisation noise.</summary>
    public const ulong Noise = 2;

    /// <summary>A well-mixed seed for <paramref name="purpose"/> from <paramref name="seed"/> (SplitMix64's finaliser, Steele et al. 2014).</summary>
    public static ulong Derive(ulong seed, ulong purpose)
    {
        ulong z = seed ^ 0x5EED_0F_7A11UL;
        z += 0x9E3779B97F4A7C15UL * (purpose + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A non-negative int seed for <see cref="Random"/> (seeded statistics such as bootstrap resampling).</summary>
    public static int ToInt32(ulong seed) => (int)(Derive(seed, 0xB007) & int.MaxValue);
}
