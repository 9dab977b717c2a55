using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Workbench.Autograd;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous panel layouts the micro-kernels stream through
/// (Goto and van de Geijn 2008, sec. 4.2). The transposes of A and B are absorbed here (or, for an operand
/// the driver reads in place, in the strides it hands the kernel), so all four transpose combinations run the
/// same kernel and no whole-matrix transposed copy is made. Panels are zero-padded past the matrix edge so
/// edge tiles run the full kernel.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc x kc block of op(A) whose top-left element is at <paramref name="a"/> into MR-row
    /// micro-panels: panel q starts at dst + q MR kc and holds element (row q MR + r, column p) at p MR + r.
    /// May write up to 2 elements past the block's panels (the caller's buffer has that slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T, TK>(bool transA, T* a, nint lda, int mc, int kc, T* dst)
        where T : unmanaged where TK : IGemmKernel<T>
    {
        int mr = TK.MR;
        for (int i = 0; i < mc; i += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - i);
            if (transA)
            {
                // op(A)[i + r, p] = a[p lda + i + r]: each p reads a contiguous run of rows.
                T* src = a + i;
                if (rows == mr)
                {
                    // A constant-size block copy, which the JIT unrolls into a few vector moves.
                    for (int p = 0; p < kc; p++, src += lda) Unsafe.CopyBlockUnaligned(dst + p * mr, src, (uint)(mr * sizeof(T)));
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += lda)
                    {
                        T* d = dst + p * mr;
                        int r = 0;
                        for (; r < rows; r++) d[r] = src[r];
                        for (; r < mr; r++) d[r] = default;
                    }
                }
            }
            else if (typeof(T) == typeof(float) && mr == 6 && rows == 6 && Avx.IsSupported)
            {
                PackRows6Float((float*)(a + i * lda), lda, kc, (float*)dst);
            }
            else
            {
                // op(A)[i + r, p] = a[(i + r) lda + p]: each row is contiguous in p.
                for (int r = 0; r < mr; r++)
                {
                    T* d = dst + r;
                    if (r < rows)
                    {
                        T* src = a + (i + r) * lda;
                        for (int p = 0; p < kc; p++) d[p * mr] = src[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) d[p * mr] = default;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs the kc x nc block of op(B) whose top-left element is at <paramref name="b"/> into NR-column
    /// micro-panels: panel q starts at dst + q NR kc and holds element (row p, column q NR + j) at p NR + j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T, TK>(bool transB, T* b, nint ldb, int kc, int nc, T* dst)
        where T : unmanaged where TK : IGemmKernel<T>
    {
        int nr = TK.NR;
        for (int j = 0; j < nc; j += nr, dst += nr * kc)
        {
            int cols = Math.Min(nr, nc - j);
            if (!transB)
            {
                // op(B)[p, j + c] = b[p ldb + j + c]: each p copies a contiguous run of columns.
                T* src = b + j;
                if (cols == nr)
                {
                    for (int p = 0; p < kc; p++, src += ldb) Unsafe.CopyBlockUnaligned(dst + p * nr, src, (uint)(nr * sizeof(T)));
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        T* d = dst + p * nr;
                        ZeroRun(d, nr);
                        for (int c = 0; c < cols; c++) d[c] = src[c];
                    }
                }
            }
            else if (typeof(T) == typeof(float) && nr == 16 && cols == 16 && Avx.IsSupported)
            {
                PackColumns16Float((float*)(b + j * ldb), ldb, kc, (float*)dst);
            }
            else
            {
                // op(B)[p, j + c] = b[(j + c) ldb + p]: each column of op(B) is a contiguous row of b.
                for (int p = 0; p < kc; p++) ZeroRun(dst + p * nr, nr);
                for (int c = 0; c < cols; c++)
                {
                    T* d = dst + c;
                    T* src = b + (j + c) * ldb;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
            }
        }
    }

    /// <summary>Zeroes a panel row (the padding of an edge panel) with whole-vector stores where they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ZeroRun<T>(T* d, int count) where T : unmanaged
    {
        int bytes = count * sizeof(T);
        if (Vector256.IsHardwareAccelerated && bytes % 32 == 0)
        {
            for (int o = 0; o < bytes; o += 32) Vector256.Store(Vector256<byte>.Zero, (byte*)d + o);
        }
        else
        {
            for (int c = 0; c < count; c++) d[c] = default;
        }
    }

    /// <summary>
    /// Six rows of a row-major float matrix into one 6-row A panel: 8 columns at a time go through an 8 x 8
    /// register transpose (rows 6 and 7 zero) and each transposed column is stored as 8 floats at p 6, the
    /// next store overwriting the previous one's 2 padding lanes; the last store spills 2 floats past the
    /// block, which is why the caller's buffer keeps slack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows6Float(float* a, nint lda, int kc, float* dst)
    {
        float* r0 = a, r1 = a + lda, r2 = a + 2 * lda, r3 = a + 3 * lda, r4 = a + 4 * lda, r5 = a + 5 * lda;
        var zero = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var v0 = Avx.LoadVector256(r0 + p); var v1 = Avx.LoadVector256(r1 + p);
            var v2 = Avx.LoadVector256(r2 + p); var v3 = Avx.LoadVector256(r3 + p);
            var v4 = Avx.LoadVector256(r4 + p); var v5 = Avx.LoadVector256(r5 + p);
            var v6 = zero; var v7 = zero;
            Transpose8x8(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
            float* d = dst + p * 6;
            Avx.Store(d, v0); Avx.Store(d + 6, v1); Avx.Store(d + 12, v2); Avx.Store(d + 18, v3);
            Avx.Store(d + 24, v4); Avx.Store(d + 30, v5); Avx.Store(d + 36, v6); Avx.Store(d + 42, v7);
        }
        for (; p < kc; p++)
        {
            float* d = dst + p * 6;
            d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
        }
    }

    /// <summary>
    /// Sixteen rows of a row-major float matrix (columns of op(B) = b^T) into one 16-column B panel, as two
    /// 8 x 8 register transposes per 8 values of p.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackColumns16Float(float* b, nint ldb, int kc, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int half = 0; half < 2; half++)
            {
                float* s = b + half * 8 * ldb + p;
                var v0 = Avx.LoadVector256(s); var v1 = Avx.LoadVector256(s + ldb);
                var v2 = Avx.LoadVector256(s + 2 * ldb); var v3 = Avx.LoadVector256(s + 3 * ldb);
                var v4 = Avx.LoadVector256(s + 4 * ldb); var v5 = Avx.LoadVector256(s + 5 * ldb);
                var v6 = Avx.LoadVector256(s + 6 * ldb); var v7 = Avx.LoadVector256(s + 7 * ldb);
                Transpose8x8(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
                float* d = dst + p * 16 + half * 8;
                Avx.Store(d, v0); Avx.Store(d + 16, v1); Avx.Store(d + 32, v2); Avx.Store(d + 48, v3);
                Avx.Store(d + 64, v4); Avx.Store(d + 80, v5); Avx.Store(d + 96, v6); Avx.Store(d + 112, v7);
            }
        }
        for (; p < kc; p++)
        {
            float* d = dst + p * 16;
            for (int c = 0; c < 16; c++) d[c] = b[c * ldb + p];
        }
    }

    /// <summary>In-register transpose: on return v_j holds what was column j of the rows v_0..v_7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> v0, ref Vector256<float> v1, ref Vector256<float> v2, ref Vector256<float> v3,
        ref Vector256<float> v4, ref Vector256<float> v5, ref Vector256<float> v6, ref Vector256<float> v7)
    {
        var t0 = Avx.UnpackLow(v0, v1); var t1 = Avx.UnpackHigh(v0, v1);
        var t2 = Avx.UnpackLow(v2, v3); var t3 = Avx.UnpackHigh(v2, v3);
        var t4 = Avx.UnpackLow(v4, v5); var t5 = Avx.UnpackHigh(v4, v5);
        var t6 = Avx.UnpackLow(v6, v7); var t7 = Avx.UnpackHigh(v6, v7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        v0 = Avx.Permute2x128(s0, s4, 0x20); v1 = Avx.Permute2x128(s1, s5, 0x20);
        v2 = Avx.Permute2x128(s2, s6, 0x20); v3 = Avx.Permute2x128(s3, s7, 0x20);
        v4 = Avx.Permute2x128(s0, s4, 0x31); v5 = Avx.Permute2x128(s1, s5, 0x31);
        v6 = Avx.Permute2x128(s2, s6, 0x31); v7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}
