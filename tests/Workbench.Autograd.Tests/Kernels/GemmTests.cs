using System.Numerics;
using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Kernels;

public class GemmTests
{
    /// <summary>Sizes that land on and around every block and tile edge (MR = 4/6, NR = 8/16, KC = 256).</summary>
    private static readonly int[] SmallSizes = [1, 3, 7, 16, 17, 33];

    private static readonly (bool TransA, bool TransB)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    public static TheoryData<int, int, int> LargeShapes => new()
    {
        { 129, 257, 33 }, { 257, 129, 17 }, { 33, 17, 257 }, { 257, 257, 257 }, { 7, 300, 520 },
        // The VAE's products (batch 128, layers 784 -> 400 -> 20): forward, grad-input, grad-weight.
        // 784 -> 400 forward and 400 -> 784 grad-input are both 128 x 400 x 784, and vice versa.
        { 128, 400, 784 }, { 128, 784, 400 }, { 400, 784, 128 }, { 784, 400, 128 },
        { 128, 20, 400 }, { 128, 400, 20 }, { 20, 400, 128 },
    };

    [Fact]
    public void SmallShapesMatchReferenceForEveryTransposeAndPath()
    {
        var g = new Generator(11);
        foreach (int m in SmallSizes)
            foreach (int n in SmallSizes)
                foreach (int k in SmallSizes)
                    foreach (var (ta, tb) in Transposes)
                        foreach (var path in new[] { GemmPath.Best, GemmPath.Portable })
                        {
                            CheckAgainstReference<float>(g, path, ta, tb, m, n, k, 1f, 0f, 0, 1);
                            CheckAgainstReference<double>(g, path, ta, tb, m, n, k, 1.0, 0.0, 0, 1);
                        }
    }

    [Theory]
    [MemberData(nameof(LargeShapes))]
    public void LargeShapesMatchReferenceForEveryTranspose(int m, int n, int k)
    {
        var g = new Generator(m * 1_000_003 + n * 1009 + k);
        foreach (var (ta, tb) in Transposes)
        {
            CheckAgainstReference<float>(g, GemmPath.Best, ta, tb, m, n, k, 1f, 0f, 0, 4);
            CheckAgainstReference<double>(g, GemmPath.Best, ta, tb, m, n, k, 1.0, 0.0, 0, 4);
        }
    }

    [Theory]
    [InlineData(129, 257, 300)]
    [InlineData(33, 17, 7)]
    public void PortableKernelMatchesReferenceOnLargeShapes(int m, int n, int k)
    {
        var g = new Generator(5);
        foreach (var (ta, tb) in Transposes)
        {
            CheckAgainstReference<float>(g, GemmPath.Portable, ta, tb, m, n, k, 1f, 0f, 0, 3);
            CheckAgainstReference<double>(g, GemmPath.Portable, ta, tb, m, n, k, 1.0, 0.0, 0, 3);
        }
    }

    [Theory]
    // Deep enough that the shared packed operand (chunk x k values, at most 2^20) is packed and used in
    // several chunks: 6 + 1 rows of op(A) when it is shared (m <= n), 8 + 1 columns of op(B) when that is.
    // float64, because at this depth float32's error bound (2 k + 4) eps is too loose to catch a misplaced chunk.
    [InlineData(7, 8, 200_000)]
    [InlineData(10, 9, 140_000)]
    public void DeepProductsRunInChunksOfTheSharedOperand(int m, int n, int k)
    {
        var g = new Generator(17);
        foreach (var (ta, tb) in Transposes)
            CheckAgainstReference(g, GemmPath.Best, ta, tb, m, n, k, 1.0, 0.5, 0, 3);
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(2.5, 0.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(-0.5, 0.75)]
    [InlineData(0.0, 2.0)]
    [InlineData(1.5, -1.0)]
    public void AlphaAndBetaScaleAsInBlas(double alpha, double beta)
    {
        var g = new Generator(23);
        // k = 600 spans three k slices, so the first-slice (beta) and later-slice (accumulate) stores both run.
        foreach (var (m, n, k) in new[] { (17, 33, 7), (129, 40, 600), (6, 16, 256) })
            foreach (var (ta, tb) in Transposes)
                foreach (var path in new[] { GemmPath.Best, GemmPath.Portable })
                {
                    CheckAgainstReference(g, path, ta, tb, m, n, k, (float)alpha, (float)beta, 0, 2);
                    CheckAgainstReference(g, path, ta, tb, m, n, k, alpha, beta, 0, 2);
                }
    }

    [Fact]
    public void BetaZeroNeverReadsC()
    {
        var g = new Generator(3);
        foreach (var (m, n, k) in new[] { (5, 9, 3), (128, 400, 784), (13, 70, 300), (4, 4, 0) })
            foreach (var (ta, tb) in Transposes)
                foreach (var path in new[] { GemmPath.Best, GemmPath.Portable })
                {
                    var a = RandomArray<float>(g, m * k);
                    var b = RandomArray<float>(g, k * n);
                    var c = new float[m * n];
                    Array.Fill(c, float.NaN);
                    Gemm.RunWith(path, 2, ta, tb, m, n, k, 1.5f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
                    Assert.All(c, v => Assert.False(float.IsNaN(v), $"NaN leaked from C into a {m}x{n}x{k} product (transA={ta}, transB={tb}, {path})."));

                    var cd = new double[m * n];
                    Array.Fill(cd, double.NaN);
                    Gemm.RunWith(path, 2, ta, tb, m, n, k, 1.5, Widen(a), ta ? m : k, Widen(b), tb ? k : n, 0.0, cd, n);
                    Assert.All(cd, v => Assert.False(double.IsNaN(v), $"NaN leaked from C into a float64 {m}x{n}x{k} product."));
                }
    }

    [Fact]
    public void NonZeroBetaPropagatesNaNFromC()
    {
        // The control for BetaZeroNeverReadsC: with beta != 0, C is read, so a NaN there must show up.
        var a = new float[] { 1, 2, 3, 4 };
        var b = new float[] { 1, 0, 0, 1 };
        var c = new float[] { float.NaN, 0, 0, 0 };
        Gemm.Run(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0.5f, c, 2);
        Assert.True(float.IsNaN(c[0]));
        // c[1] = a row 0 . b col 1 = 1*0 + 2*1 = 2; c[2] = 3*1 + 4*0 = 3; c[3] = 3*0 + 4*1 = 4 (plus 0.5 * 0).
        Assert.Equal(new[] { 2f, 3f, 4f }, c[1..]);
    }

    [Fact]
    public void HandComputedProductWithTransposes()
    {
        // A = [[1, 2, 3], [4, 5, 6]] (2x3), B = [[1, 0], [2, 1], [0, 3]] (3x2).
        // A B = [[1*1 + 2*2 + 3*0, 1*0 + 2*1 + 3*3], [4*1 + 5*2 + 6*0, 4*0 + 5*1 + 6*3]] = [[5, 11], [14, 23]].
        var a = new double[] { 1, 2, 3, 4, 5, 6 };
        var at = new double[] { 1, 4, 2, 5, 3, 6 };      // A^T stored 3x2
        var b = new double[] { 1, 0, 2, 1, 0, 3 };
        var bt = new double[] { 1, 2, 0, 0, 1, 3 };      // B^T stored 2x3
        var expected = new double[] { 5, 11, 14, 23 };
        foreach (var path in new[] { GemmPath.Best, GemmPath.Portable })
        {
            var c = new double[4];
            Gemm.RunWith(path, 1, false, false, 2, 2, 3, 1.0, a, 3, b, 2, 0.0, c, 2);
            Assert.Equal(expected, c);
            Gemm.RunWith(path, 1, true, false, 2, 2, 3, 1.0, at, 2, b, 2, 0.0, c, 2);
            Assert.Equal(expected, c);
            Gemm.RunWith(path, 1, false, true, 2, 2, 3, 1.0, a, 3, bt, 3, 0.0, c, 2);
            Assert.Equal(expected, c);
            // alpha = 2, beta = -1 on C = A B: 2 A B - A B = A B again.
            Gemm.RunWith(path, 1, true, true, 2, 2, 3, 2.0, at, 2, bt, 3, -1.0, c, 2);
            Assert.Equal(expected, c);
        }
    }

    [Fact]
    public void SubMatricesWithLargerLeadingDimensionsLeaveTheRestUntouched()
    {
        var g = new Generator(8);
        foreach (var (m, n, k) in new[] { (7, 17, 33), (129, 33, 300), (20, 40, 3) })
            foreach (var (ta, tb) in Transposes)
                foreach (var path in new[] { GemmPath.Best, GemmPath.Portable })
                {
                    CheckAgainstReference<float>(g, path, ta, tb, m, n, k, 1.25f, 0.5f, 5, 2);
                    CheckAgainstReference<double>(g, path, ta, tb, m, n, k, 1.25, 0.0, 3, 2);
                }
    }

    [Theory]
    [InlineData(128, 400, 784)]
    [InlineData(784, 400, 128)]
    [InlineData(129, 257, 300)]
    [InlineData(20, 400, 128)]
    public void ResultsAreBitIdenticalWhateverTheTaskCount(int m, int n, int k)
    {
        var g = new Generator(99);
        foreach (var (ta, tb) in Transposes)
        {
            var a = RandomArray<float>(g, m * k);
            var b = RandomArray<float>(g, k * n);
            var c0 = RandomArray<float>(g, m * n);
            float[]? first = null;
            foreach (int tasks in new[] { 1, 2, 3, 5, 8, 1 })
            {
                var c = (float[])c0.Clone();
                Gemm.RunWith(GemmPath.Best, tasks, ta, tb, m, n, k, 0.75f, a, ta ? m : k, b, tb ? k : n, 0.5f, c, n);
                if (first is null) first = c;
                else Assert.True(first.AsSpan().SequenceEqual(c), $"{m}x{n}x{k} (transA={ta}, transB={tb}) differs between 1 and {tasks} tasks.");
            }
            var viaRun = (float[])c0.Clone();
            Gemm.Run(ta, tb, m, n, k, 0.75f, a, ta ? m : k, b, tb ? k : n, 0.5f, viaRun, n);
            Assert.True(first!.AsSpan().SequenceEqual(viaRun), "Gemm.Run differs from the single-task result.");

            var ad = Widen(a); var bd = Widen(b); var cd0 = Widen(c0);
            double[]? firstD = null;
            foreach (int tasks in new[] { 1, 4, 7 })
            {
                var c = (double[])cd0.Clone();
                Gemm.RunWith(GemmPath.Best, tasks, ta, tb, m, n, k, 0.75, ad, ta ? m : k, bd, tb ? k : n, 0.5, c, n);
                if (firstD is null) firstD = c;
                else Assert.True(firstD.AsSpan().SequenceEqual(c), $"float64 {m}x{n}x{k} differs between 1 and {tasks} tasks.");
            }
        }
    }

    [Fact]
    public void ZeroSizesAreHandled()
    {
        // k = 0: op(A) op(B) is the zero matrix, so C = beta C.
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Run(false, false, 2, 2, 0, 3f, Array.Empty<float>(), 0, Array.Empty<float>(), 2, 0.5f, c, 2);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f, 2f }, c);
        // m = 0 and n = 0 write nothing.
        var untouched = new float[] { 7 };
        Gemm.Run(false, false, 0, 1, 3, 1f, Array.Empty<float>(), 3, new float[3], 1, 0f, untouched, 1);
        Gemm.Run(false, false, 1, 0, 3, 1f, new float[3], 3, Array.Empty<float>(), 0, 0f, untouched, 0);
        Assert.Equal(7f, untouched[0]);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        var a = new float[6]; var b = new float[6]; var c = new float[4];
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Run(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
        Assert.Contains("lda = 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Run(false, true, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        Assert.Contains("ldb = 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Run(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1));
        Assert.Contains("ldc = 1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Run(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, new float[3], 2));
        Assert.Contains("C holds 3 elements", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Run(true, false, 2, 2, 3, 1f, new float[5], 2, b, 2, 0f, c, 2));
        Assert.Contains("A holds 5 elements", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Run(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.RunWith(GemmPath.Best, 0, false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
    }

    [Fact]
    public void MatMulAndLinearGradientsThroughTheFastPath()
    {
        // Shapes past one micro-tile in every direction, so the gradient GEMMs (both transposes) hit edge tiles.
        var g = new Generator(4);
        var x = Rand64(g, 7, 19);
        var w = Rand64(g, 13, 19);
        var bias = Rand64(g, 13);
        AssertGrad(t => F.Linear(t[0], t[1], t[2]), x, w, bias);
        var y = Rand64(g, 19, 9);
        AssertGrad(t => t[0].MatMul(t[1]), x, y);
    }

    /// <summary>
    /// Runs the fast path and the reference on the same random inputs and compares element-wise within
    /// tol = (2 k + 4) eps (|alpha| sum_p |a_ip||b_pj| + |beta| |c_ij|), the standard forward bound for a dot
    /// product of length k (Higham 2002, eq. 3.5) doubled because both results carry it. Large products are
    /// compared on nine blocks (first, middle and last rows times first, middle and last columns, so every
    /// edge tile and block boundary kind is covered), each the reference GEMM of the matching sub-matrices,
    /// which keeps the textbook loop affordable. With <paramref name="pad"/> > 0 every leading dimension
    /// exceeds its logical width, and the padding of C is checked untouched.
    /// </summary>
    private static void CheckAgainstReference<T>(Generator g, GemmPath path, bool ta, bool tb, int m, int n, int k,
        T alpha, T beta, int pad, int tasks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = RandomArray<T>(g, aRows * lda);
        var b = RandomArray<T>(g, bRows * ldb);
        var c0 = RandomArray<T>(g, m * ldc);
        var fast = (T[])c0.Clone();
        var slow = (T[])c0.Clone();
        Gemm.RunWith(path, tasks, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, fast, ldc);

        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.True(fast[i * ldc + j] == c0[i * ldc + j], $"padding C[{i},{j}] was overwritten ({m}x{n}x{k}, ldc={ldc}).");

        bool full = (long)m * n * k <= 2_000_000;
        foreach (var (i0, i1) in full ? [(0, m)] : Ranges(m, 13))
            foreach (var (j0, j1) in full ? [(0, n)] : Ranges(n, 40))
            {
                Gemm.Reference(ta, tb, i1 - i0, j1 - j0, k, alpha,
                    ta ? a.AsSpan(i0) : a.AsSpan(i0 * lda), lda,
                    tb ? b.AsSpan(j0 * ldb) : b.AsSpan(j0), ldb,
                    beta, slow.AsSpan(i0 * ldc + j0), ldc);
                T eps = T.CreateChecked(typeof(T) == typeof(float) ? 1.0 / (1 << 23) : 1.0 / (1L << 52));   // machine epsilon
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++)
                    {
                        T got = fast[i * ldc + j], want = slow[i * ldc + j];
                        T scale = T.Zero;
                        for (int p = 0; p < k; p++)
                        {
                            T av = ta ? a[p * lda + i] : a[i * lda + p];
                            T bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                            scale += T.Abs(av * bv);
                        }
                        T tol = T.CreateChecked(2 * k + 4) * eps * (T.Abs(alpha) * scale + T.Abs(beta) * T.Abs(c0[i * ldc + j]));
                        Assert.True(T.Abs(got - want) <= tol,
                            $"C[{i},{j}] = {got} but the reference gives {want} (tol {tol}) for {typeof(T).Name} {m}x{n}x{k}, transA={ta}, transB={tb}, alpha={alpha}, beta={beta}, pad={pad}, {path}.");
                    }
            }
    }

    /// <summary>Up to three disjoint index ranges of the given width: at the start, in the middle and at the end.</summary>
    private static List<(int, int)> Ranges(int size, int width)
    {
        if (size <= 3 * width) return [(0, size)];
        int mid = size / 2 - width / 2;
        return [(0, width), (mid, mid + width), (size - width, size)];
    }

    private static T[] RandomArray<T>(Generator g, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++) values[i] = T.CreateChecked(g.NextNormal());
        return values;
    }

    private static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);
}
