using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Workbench.Autograd;

/// <summary>How a micro-tile's accumulator is written into C.</summary>
internal enum GemmStore
{
    /// <summary>c = alpha acc (first k block with beta = 0: C is never read).</summary>
    Scale,
    /// <summary>c = alpha acc + beta c (first k block).</summary>
    ScaleAdd,
    /// <summary>c = alpha acc + c (every later k block).</summary>
    Accumulate,
}

/// <summary>
/// A register-blocked micro-kernel: an MR x NR tile of C from an MR-row panel of packed A and an NR-column
/// panel of packed B (Goto and van de Geijn 2008, "Anatomy of high-performance matrix multiplication", sec. 4;
/// Van Zee and van de Geijn 2015, BLIS, fig. 2). The block sizes are tied to the kernel: KC keeps one packed
/// B micro-panel (KC x NR) in L1, MC keeps the packed A block (MC x KC) in L2, NC bounds the packed B block in L3.
/// </summary>
internal unsafe interface IGemmKernel<T> where T : unmanaged
{
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract int KC { get; }
    static abstract int MC { get; }
    static abstract int NC { get; }

    /// <summary>
    /// acc[r, j] = sum over p in [0, kc) of A(r, p) B(p, j), summed in increasing p, then stored into
    /// c[r ldc + j] as <paramref name="mode"/> says, for the full MR x NR tile. A(r, p) = a[r aRow + p aStep]
    /// and B(p, j) = b[p bStep + j]: a packed panel has aRow = 1, aStep = MR, bStep = NR; the driver may also
    /// point straight into a row-major operand when packing would cost more than it saves.
    /// </summary>
    static abstract void Tile(int kc, T* a, nint aRow, nint aStep, T* b, nint bStep, T* c, nint ldc, T alpha, T beta, GemmStore mode);

    /// <summary>
    /// The raw sums of <see cref="Tile"/> for the first NR / 2 columns only, written to <paramref name="tile"/>
    /// (leading dimension NR): for a last column panel with at most NR / 2 real columns, less work.
    /// Each sum is formed in the same order as in <see cref="Tile"/>, so the result is the same bits.
    /// </summary>
    static abstract void TileNarrow(int kc, T* a, nint aRow, nint aStep, T* b, nint bStep, T* tile);

    /// <summary>
    /// Stores the top-left <paramref name="rows"/> x <paramref name="cols"/> raw sums of the scratch tile
    /// (leading dimension NR) into C as <paramref name="mode"/> says, rounding exactly as <see cref="Tile"/>'s
    /// own store does (for edge tiles).
    /// </summary>
    static abstract void MergeTile(T* tile, T* c, nint ldc, int rows, int cols, T alpha, T beta, GemmStore mode);
}

/// <summary>
/// float32, AVX2 + FMA: 6 x 16 tile held in 12 ymm accumulators, 2 ymm for the B row and 1 for the broadcast
/// A value (15 of the 16 ymm registers), 12 FMAs per 8 loads, which keeps both Zen3 FMA pipes busy.
/// Blocking for Zen3 (32 KiB L1d, 512 KiB L2 per core): a KC x 16 B micro-panel is 16 KiB at KC = 256 (half of
/// L1, the rest for the streaming A micro-panel and C); the MC x KC A block is 144 KiB at MC = 144 (under a
/// third of L2, leaving room for the B panel slice being streamed); a KC x NC B block is 2 MiB at NC = 2048 (L3).
/// </summary>
internal readonly unsafe struct Avx2Float6x16 : IGemmKernel<float>
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, nint aRow, nint aStep, float* b, nint bStep, float* c, nint ldc, float alpha, float beta, GemmStore mode)
    {
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        Vector256<float> c00 = Vector256<float>.Zero, c01 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero, c11 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero, c21 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero, c31 = Vector256<float>.Zero;
        Vector256<float> c40 = Vector256<float>.Zero, c41 = Vector256<float>.Zero;
        Vector256<float> c50 = Vector256<float>.Zero, c51 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var av = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a + aRow);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a + r2);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a + r3);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a + r4);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a + r5);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            a += aStep;
            b += bStep;
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        StoreRow(c, c00, c01, va, vb, mode); c += ldc;
        StoreRow(c, c10, c11, va, vb, mode); c += ldc;
        StoreRow(c, c20, c21, va, vb, mode); c += ldc;
        StoreRow(c, c30, c31, va, vb, mode); c += ldc;
        StoreRow(c, c40, c41, va, vb, mode); c += ldc;
        StoreRow(c, c50, c51, va, vb, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileNarrow(int kc, float* a, nint aRow, nint aStep, float* b, nint bStep, float* tile)
    {
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        Vector256<float> c0 = Vector256<float>.Zero, c1 = Vector256<float>.Zero, c2 = Vector256<float>.Zero;
        Vector256<float> c3 = Vector256<float>.Zero, c4 = Vector256<float>.Zero, c5 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + aRow), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r2), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r3), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r4), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r5), b0, c5);
            a += aStep;
            b += bStep;
        }
        Avx.Store(tile, c0); Avx.Store(tile + 16, c1); Avx.Store(tile + 32, c2);
        Avx.Store(tile + 48, c3); Avx.Store(tile + 64, c4); Avx.Store(tile + 80, c5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> va, Vector256<float> vb, GemmStore mode)
    {
        switch (mode)
        {
            case GemmStore.Scale:
                Avx.Store(c, Avx.Multiply(va, x0));
                Avx.Store(c + 8, Avx.Multiply(va, x1));
                break;
            case GemmStore.ScaleAdd:
                Avx.Store(c, Fma.MultiplyAdd(va, x0, Avx.Multiply(vb, Avx.LoadVector256(c))));
                Avx.Store(c + 8, Fma.MultiplyAdd(va, x1, Avx.Multiply(vb, Avx.LoadVector256(c + 8))));
                break;
            default:
                Avx.Store(c, Fma.MultiplyAdd(va, x0, Avx.LoadVector256(c)));
                Avx.Store(c + 8, Fma.MultiplyAdd(va, x1, Avx.LoadVector256(c + 8)));
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MergeTile(float* tile, float* c, nint ldc, int rows, int cols, float alpha, float beta, GemmStore mode)
    {
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        for (int r = 0; r < rows; r++, tile += NR, c += ldc)
        {
            int j = 0;
            for (; j + 8 <= cols; j += 8)
            {
                var x = Avx.LoadVector256(tile + j);
                var y = mode switch
                {
                    GemmStore.Scale => Avx.Multiply(va, x),
                    GemmStore.ScaleAdd => Fma.MultiplyAdd(va, x, Avx.Multiply(vb, Avx.LoadVector256(c + j))),
                    _ => Fma.MultiplyAdd(va, x, Avx.LoadVector256(c + j)),
                };
                Avx.Store(c + j, y);
            }
            // Scalar FMA rounds once, as the vector FMA does per lane.
            for (; j < cols; j++)
                c[j] = mode switch
                {
                    GemmStore.Scale => alpha * tile[j],
                    GemmStore.ScaleAdd => MathF.FusedMultiplyAdd(alpha, tile[j], beta * c[j]),
                    _ => MathF.FusedMultiplyAdd(alpha, tile[j], c[j]),
                };
        }
    }
}

/// <summary>
/// float64, AVX2 + FMA: 6 x 8 tile in 12 ymm accumulators (4 doubles each), the float kernel's shape at half
/// the width. A KC x 8 B micro-panel is 16 KiB at KC = 256; the MC x KC A block is 144 KiB at MC = 72; the
/// KC x NC B block is 2 MiB at NC = 1024.
/// </summary>
internal readonly unsafe struct Avx2Double6x8 : IGemmKernel<double>
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;
    public static int MR => 6;
    public static int NR => 8;
    public static int KC => 256;
    public static int MC => 72;
    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, double* a, nint aRow, nint aStep, double* b, nint bStep, double* c, nint ldc, double alpha, double beta, GemmStore mode)
    {
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        Vector256<double> c00 = Vector256<double>.Zero, c01 = Vector256<double>.Zero;
        Vector256<double> c10 = Vector256<double>.Zero, c11 = Vector256<double>.Zero;
        Vector256<double> c20 = Vector256<double>.Zero, c21 = Vector256<double>.Zero;
        Vector256<double> c30 = Vector256<double>.Zero, c31 = Vector256<double>.Zero;
        Vector256<double> c40 = Vector256<double>.Zero, c41 = Vector256<double>.Zero;
        Vector256<double> c50 = Vector256<double>.Zero, c51 = Vector256<double>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 4);
            var av = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a + aRow);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a + r2);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a + r3);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a + r4);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a + r5);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            a += aStep;
            b += bStep;
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        StoreRow(c, c00, c01, va, vb, mode); c += ldc;
        StoreRow(c, c10, c11, va, vb, mode); c += ldc;
        StoreRow(c, c20, c21, va, vb, mode); c += ldc;
        StoreRow(c, c30, c31, va, vb, mode); c += ldc;
        StoreRow(c, c40, c41, va, vb, mode); c += ldc;
        StoreRow(c, c50, c51, va, vb, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileNarrow(int kc, double* a, nint aRow, nint aStep, double* b, nint bStep, double* tile)
    {
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        Vector256<double> c0 = Vector256<double>.Zero, c1 = Vector256<double>.Zero, c2 = Vector256<double>.Zero;
        Vector256<double> c3 = Vector256<double>.Zero, c4 = Vector256<double>.Zero, c5 = Vector256<double>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + aRow), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r2), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r3), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r4), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + r5), b0, c5);
            a += aStep;
            b += bStep;
        }
        Avx.Store(tile, c0); Avx.Store(tile + 8, c1); Avx.Store(tile + 16, c2);
        Avx.Store(tile + 24, c3); Avx.Store(tile + 32, c4); Avx.Store(tile + 40, c5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(double* c, Vector256<double> x0, Vector256<double> x1, Vector256<double> va, Vector256<double> vb, GemmStore mode)
    {
        switch (mode)
        {
            case GemmStore.Scale:
                Avx.Store(c, Avx.Multiply(va, x0));
                Avx.Store(c + 4, Avx.Multiply(va, x1));
                break;
            case GemmStore.ScaleAdd:
                Avx.Store(c, Fma.MultiplyAdd(va, x0, Avx.Multiply(vb, Avx.LoadVector256(c))));
                Avx.Store(c + 4, Fma.MultiplyAdd(va, x1, Avx.Multiply(vb, Avx.LoadVector256(c + 4))));
                break;
            default:
                Avx.Store(c, Fma.MultiplyAdd(va, x0, Avx.LoadVector256(c)));
                Avx.Store(c + 4, Fma.MultiplyAdd(va, x1, Avx.LoadVector256(c + 4)));
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MergeTile(double* tile, double* c, nint ldc, int rows, int cols, double alpha, double beta, GemmStore mode)
    {
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        for (int r = 0; r < rows; r++, tile += NR, c += ldc)
        {
            int j = 0;
            for (; j + 4 <= cols; j += 4)
            {
                var x = Avx.LoadVector256(tile + j);
                var y = mode switch
                {
                    GemmStore.Scale => Avx.Multiply(va, x),
                    GemmStore.ScaleAdd => Fma.MultiplyAdd(va, x, Avx.Multiply(vb, Avx.LoadVector256(c + j))),
                    _ => Fma.MultiplyAdd(va, x, Avx.LoadVector256(c + j)),
                };
                Avx.Store(c + j, y);
            }
            // Scalar FMA rounds once, as the vector FMA does per lane.
            for (; j < cols; j++)
                c[j] = mode switch
                {
                    GemmStore.Scale => alpha * tile[j],
                    GemmStore.ScaleAdd => Math.FusedMultiplyAdd(alpha, tile[j], beta * c[j]),
                    _ => Math.FusedMultiplyAdd(alpha, tile[j], c[j]),
                };
        }
    }
}

/// <summary>
/// Portable kernel for machines without AVX2/FMA (or other instruction sets): a 4 x 2W tile of
/// <see cref="Vector{T}"/> (W lanes each) with separate multiply and add, so it rounds the same everywhere.
/// </summary>
internal readonly unsafe struct PortableKernel<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 2 * Vector<T>.Count;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, T* a, nint aRow, nint aStep, T* b, nint bStep, T* c, nint ldc, T alpha, T beta, GemmStore mode)
    {
        nint r2 = 2 * aRow, r3 = 3 * aRow;
        int w = Vector<T>.Count;
        Vector<T> c00 = Vector<T>.Zero, c01 = Vector<T>.Zero;
        Vector<T> c10 = Vector<T>.Zero, c11 = Vector<T>.Zero;
        Vector<T> c20 = Vector<T>.Zero, c21 = Vector<T>.Zero;
        Vector<T> c30 = Vector<T>.Zero, c31 = Vector<T>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Unsafe.ReadUnaligned<Vector<T>>(b);
            var b1 = Unsafe.ReadUnaligned<Vector<T>>(b + w);
            var av = new Vector<T>(a[0]);
            c00 += av * b0; c01 += av * b1;
            av = new Vector<T>(a[aRow]);
            c10 += av * b0; c11 += av * b1;
            av = new Vector<T>(a[r2]);
            c20 += av * b0; c21 += av * b1;
            av = new Vector<T>(a[r3]);
            c30 += av * b0; c31 += av * b1;
            a += aStep;
            b += bStep;
        }
        var va = new Vector<T>(alpha);
        var vb = new Vector<T>(beta);
        StoreRow(c, w, c00, c01, va, vb, mode); c += ldc;
        StoreRow(c, w, c10, c11, va, vb, mode); c += ldc;
        StoreRow(c, w, c20, c21, va, vb, mode); c += ldc;
        StoreRow(c, w, c30, c31, va, vb, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileNarrow(int kc, T* a, nint aRow, nint aStep, T* b, nint bStep, T* tile)
    {
        nint r2 = 2 * aRow, r3 = 3 * aRow;
        int w = Vector<T>.Count;
        Vector<T> c0 = Vector<T>.Zero, c1 = Vector<T>.Zero, c2 = Vector<T>.Zero, c3 = Vector<T>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Unsafe.ReadUnaligned<Vector<T>>(b);
            c0 += new Vector<T>(a[0]) * b0;
            c1 += new Vector<T>(a[aRow]) * b0;
            c2 += new Vector<T>(a[r2]) * b0;
            c3 += new Vector<T>(a[r3]) * b0;
            a += aStep;
            b += bStep;
        }
        Unsafe.WriteUnaligned(tile, c0);
        Unsafe.WriteUnaligned(tile + 2 * w, c1);
        Unsafe.WriteUnaligned(tile + 4 * w, c2);
        Unsafe.WriteUnaligned(tile + 6 * w, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* c, int w, Vector<T> x0, Vector<T> x1, Vector<T> va, Vector<T> vb, GemmStore mode)
    {
        switch (mode)
        {
            case GemmStore.Scale:
                Unsafe.WriteUnaligned(c, va * x0);
                Unsafe.WriteUnaligned(c + w, va * x1);
                break;
            case GemmStore.ScaleAdd:
                Unsafe.WriteUnaligned(c, va * x0 + vb * Unsafe.ReadUnaligned<Vector<T>>(c));
                Unsafe.WriteUnaligned(c + w, va * x1 + vb * Unsafe.ReadUnaligned<Vector<T>>(c + w));
                break;
            default:
                Unsafe.WriteUnaligned(c, va * x0 + Unsafe.ReadUnaligned<Vector<T>>(c));
                Unsafe.WriteUnaligned(c + w, va * x1 + Unsafe.ReadUnaligned<Vector<T>>(c + w));
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MergeTile(T* tile, T* c, nint ldc, int rows, int cols, T alpha, T beta, GemmStore mode)
    {
        // Element-wise, so the separate multiply and add round exactly as the vector store's lanes do.
        for (int r = 0; r < rows; r++, tile += NR, c += ldc)
            for (int j = 0; j < cols; j++)
                c[j] = mode switch
                {
                    GemmStore.Scale => alpha * tile[j],
                    GemmStore.ScaleAdd => alpha * tile[j] + beta * c[j],
                    _ => alpha * tile[j] + c[j],
                };
    }
}
