using System.Numerics;
using System.Runtime.CompilerServices;

namespace Workbench.Autograd;

/// <summary>
/// A seeded random number generator (xoshiro256**, Blackman and Vigna 2018, seeded through SplitMix64).
/// Every random op takes one explicitly, so two models in one process never share hidden state, and the
/// same seed gives the same numbers, bit for bit, on every run.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>The seed this generator started from.</summary>
    public ulong Seed { get; }

    public Generator(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x); _s1 = SplitMix64(ref x); _s2 = SplitMix64(ref x); _s3 = SplitMix64(ref x);
    }

    public Generator(int seed) : this(unchecked((ulong)seed)) { }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A new generator whose stream is fixed by this one's next draw: for handing to a sub-task.</summary>
    public Generator Fork() => new(NextUInt64());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform on [0, 1) with 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire 2019).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "must be positive");
        ulong range = (ulong)maxExclusive;
        ulong x = NextUInt64() >> 32;
        ulong m = x * range;
        ulong low = m & 0xFFFFFFFFUL;
        if (low < range)
        {
            ulong threshold = (0x1_0000_0000UL - range) % range;
            while (low < threshold)
            {
                x = NextUInt64() >> 32;
                m = x * range;
                low = m & 0xFFFFFFFFUL;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal draw (Box–Muller; both values of a pair are used, in order).</summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        var (a, b) = NormalPair();
        _spare = b;
        _hasSpare = true;
        return a;
    }

    private double _spare;
    private bool _hasSpare;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (double, double) NormalPair()
    {
        // 1 - u keeps the argument of the log in (0, 1].
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (r * cos, r * sin);
    }

    /// <summary>Fills with standard normal draws (pairs from Box–Muller, independent of any spare).</summary>
    public void FillNormal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        int i = 0;
        for (; i + 1 < destination.Length; i += 2)
        {
            var (a, b) = NormalPair();
            destination[i] = mean + std * (float)a;
            destination[i + 1] = mean + std * (float)b;
        }
        if (i < destination.Length) destination[i] = mean + std * (float)NormalPair().Item1;
    }

    public void FillNormal(Span<double> destination, double mean = 0, double std = 1)
    {
        int i = 0;
        for (; i + 1 < destination.Length; i += 2)
        {
            var (a, b) = NormalPair();
            destination[i] = mean + std * a;
            destination[i + 1] = mean + std * b;
        }
        if (i < destination.Length) destination[i] = mean + std * NormalPair().Item1;
    }

    /// <summary>Fills with uniform draws on [low, high).</summary>
    public void FillUniform(Span<float> destination, float low = 0f, float high = 1f)
    {
        float scale = high - low;
        for (int i = 0; i < destination.Length; i++) destination[i] = low + scale * NextFloat();
    }

    public void FillUniform(Span<double> destination, double low = 0, double high = 1)
    {
        double scale = high - low;
        for (int i = 0; i < destination.Length; i++) destination[i] = low + scale * NextDouble();
    }

    /// <summary>A uniformly random permutation of 0..n-1 written into <paramref name="destination"/> (Fisher–Yates).</summary>
    public void Permutation(Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = i;
        Shuffle(destination);
    }

    /// <summary>Shuffles in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
