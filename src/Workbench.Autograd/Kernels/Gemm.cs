using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Workbench.Autograd;

/// <summary>Which micro-kernel family <see cref="Gemm.RunWith"/> uses.</summary>
internal enum GemmPath
{
    /// <summary>AVX2 + FMA kernels where the CPU has them, the portable kernel otherwise.</summary>
    Best,
    /// <summary>The portable <see cref="System.Numerics.Vector{T}"/> kernel, whatever the CPU (for tests).</summary>
    Portable,
}

/// <summary>
/// General matrix multiply on row-major spans: C = alpha op(A) op(B) + beta C, where op(A) is m x k and op(B) is k x n.
/// With beta = 0, C is written without being read (so stale NaNs in C cannot leak into the result).
/// </summary>
/// <remarks>
/// The fast path follows Goto and van de Geijn (2008) and BLIS (Van Zee and van de Geijn 2015): loop over NC-wide
/// column blocks of C, then KC-deep slices of k (pack the KC x NC block of op(B)), then MC-tall row blocks (pack
/// the MC x KC block of op(A)), then a register-blocked MR x NR micro-kernel over the packed panels.
/// <para>
/// Determinism: C is cut into disjoint rectangles, one per task, and each task runs the whole k loop for its
/// rectangle, so every element of C is computed by exactly one thread. Its value depends only on the k-slice
/// boundaries (a function of k alone) and on the kernel's fixed summation order (increasing p within a slice,
/// slices in increasing order), never on how C was cut or which thread ran which task: results are bit-identical
/// whatever the thread count or scheduling. Edge tiles run the full kernel on zero-padded panels into a scratch
/// tile and are merged with the same rounding as the kernel's own store.
/// </para>
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>Below this many multiply-adds (m n k) a product runs on the calling thread: waking a worker costs more.</summary>
    public const long ParallelThreshold = 1L << 18;

    /// <summary>Tasks per core when a product is split: more than one lets a core that is shared with other work hand its share over.</summary>
    private const int TasksPerCore = 2;

    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long work = (long)m * n * k;
        int tasks = work < ParallelThreshold ? 1 : Environment.ProcessorCount * TasksPerCore;
        RunWith(GemmPath.Best, tasks, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>
    /// <see cref="Run"/> with the kernel family and the number of tasks C is cut into chosen explicitly:
    /// 1 runs on the calling thread, more run through <see cref="Parallel.For(int, int, Action{int})"/>.
    /// The result does not depend on <paramref name="tasks"/>; tests use it to prove that.
    /// </summary>
    public static void RunWith<T>(GemmPath path, int tasks, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), $"gemm: tasks must be at least 1 but is {tasks}.");

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            if (k == 0)
            {
                ScaleOnly(m, n, alpha, beta, pc, ldc);
                return;
            }
            bool best = path == GemmPath.Best;
            if (typeof(T) == typeof(float) && best && Avx2Float6x16.IsSupported)
                Drive<float, Avx2Float6x16>(tasks, transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), (float*)pa, lda,
                    (float*)pb, ldb, Unsafe.As<T, float>(ref beta), (float*)pc, ldc);
            else if (typeof(T) == typeof(double) && best && Avx2Double6x8.IsSupported)
                Drive<double, Avx2Double6x8>(tasks, transA, transB, m, n, k, Unsafe.As<T, double>(ref alpha), (double*)pa, lda,
                    (double*)pb, ldb, Unsafe.As<T, double>(ref beta), (double*)pc, ldc);
            else
                Drive<T, PortableKernel<T>>(tasks, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <summary>The textbook triple loop: the oracle the fast kernels are tested against.</summary>
    public static void Reference<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                c[i * ldc + j] = beta == T.Zero ? alpha * sum : alpha * sum + beta * c[i * ldc + j];
            }
    }

    /// <summary>Checks the leading dimensions and span lengths up front, since the fast path reads through pointers.</summary>
    private static void Validate(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm: sizes must be non-negative but m={m}, n={n}, k={k}.");
        // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k when transposed), C is m x n.
        Check("A", transA ? k : m, transA ? m : k, aLength, lda, "lda");
        Check("B", transB ? n : k, transB ? k : n, bLength, ldb, "ldb");
        Check("C", m, n, cLength, ldc, "ldc");

        static void Check(string name, int rows, int cols, int length, int ld, string ldName)
        {
            if (ld < cols)
                throw new ArgumentException(
                    $"gemm: {ldName} = {ld} is smaller than the {cols} columns of the stored {name} ({rows} x {cols}); pass {ldName} >= {cols}.");
            if (rows == 0 || cols == 0) return;
            long need = (long)(rows - 1) * ld + cols;
            if (length < need)
                throw new ArgumentException(
                    $"gemm: {name} holds {length} elements but a {rows} x {cols} matrix with {ldName} = {ld} needs {need}; pass a larger span or smaller sizes.");
        }
    }

    /// <summary>k = 0: op(A) op(B) is the zero matrix, so C = alpha 0 (+ beta C), as the reference computes it.</summary>
    private static void ScaleOnly<T>(int m, int n, T alpha, T beta, T* c, nint ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T zero = alpha * T.Zero;
        for (int i = 0; i < m; i++)
        {
            T* row = c + i * ldc;
            for (int j = 0; j < n; j++) row[j] = beta == T.Zero ? zero : zero + beta * row[j];
        }
    }

    private static void Drive<T, TK>(int tasks, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, nint lda, T* b, nint ldb, T beta, T* c, nint ldc)
        where T : unmanaged, IFloatingPointIeee754<T> where TK : IGemmKernel<T>
    {
        var job = new Job<T, TK>
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc,
            KSlices = (k + TK.KC - 1) / TK.KC,
        };

        // Cut C along the dimension whose operand is cheaper to pack again in every task: cutting columns makes
        // every task pack all of op(A) (m k values), cutting rows makes every task pack all of op(B) (k n values).
        int rowUnits = (m + TK.MR - 1) / TK.MR, colUnits = (n + TK.NR - 1) / TK.NR;
        job.SplitColumns = m <= n ? colUnits >= 2 || rowUnits < 2 : rowUnits < 2;
        job.Units = job.SplitColumns ? colUnits : rowUnits;
        job.Tasks = Math.Max(1, Math.Min(tasks, job.Units));

        if (job.Tasks == 1) job.Execute(0);
        else Parallel.For(0, job.Tasks, job.Execute);
    }

    /// <summary>One product's parameters, shared by its tasks (each task owns a rectangle of C).</summary>
    private sealed class Job<T, TK> where T : unmanaged, IFloatingPointIeee754<T> where TK : IGemmKernel<T>
    {
        public bool TransA, TransB, SplitColumns;
        public int M, N, K, KSlices, Units, Tasks;
        public T Alpha, Beta;
        public T* A, B, C;
        public nint Lda, Ldb, Ldc;

        public void Execute(int task)
        {
            // Task t owns micro-panel units [t U / T, (t + 1) U / T) of the cut dimension: edges on MR/NR multiples.
            int u0 = (int)((long)task * Units / Tasks), u1 = (int)((long)(task + 1) * Units / Tasks);
            int i0 = 0, i1 = M, j0 = 0, j1 = N;
            if (SplitColumns) { j0 = u0 * TK.NR; j1 = Math.Min(N, u1 * TK.NR); }
            else { i0 = u0 * TK.MR; i1 = Math.Min(M, u1 * TK.MR); }
            if (i0 >= i1 || j0 >= j1) return;
            Rectangle(i0, i1, j0, j1);
        }

        /// <summary>C[i0..i1, j0..j1] in full: the five Goto loops around the micro-kernel.</summary>
        private void Rectangle(int i0, int i1, int j0, int j1)
        {
            var buffers = PackBuffers<T, TK>.ForThisThread();
            T* packA = buffers.A, packB = buffers.B;
            bool betaZero = Beta == T.Zero;
            for (int jc = j0; jc < j1; jc += TK.NC)
            {
                int nc = Math.Min(TK.NC, j1 - jc);
                for (int s = 0; s < KSlices; s++)
                {
                    // Slices of near-equal depth (a function of K only, so identical in every task).
                    int pc = (int)((long)s * K / KSlices), kc = (int)((long)(s + 1) * K / KSlices) - pc;
                    T* bBlock = TransB ? B + jc * Ldb + pc : B + pc * Ldb + jc;
                    GemmPacking.PackB<T, TK>(TransB, bBlock, Ldb, kc, nc, packB);
                    var mode = s > 0 ? GemmStore.Accumulate : betaZero ? GemmStore.Scale : GemmStore.ScaleAdd;
                    for (int ic = i0; ic < i1; ic += TK.MC)
                    {
                        int mc = Math.Min(TK.MC, i1 - ic);
                        T* aBlock = TransA ? A + pc * Lda + ic : A + ic * Lda + pc;
                        GemmPacking.PackA<T, TK>(TransA, aBlock, Lda, mc, kc, packA);
                        Macro(mc, nc, kc, packA, packB, C + ic * Ldc + jc, mode, buffers.Tile);
                    }
                }
            }
        }

        /// <summary>The two loops around the micro-kernel: NR-column panels outside (kept in L1), MR-row panels inside.</summary>
        private void Macro(int mc, int nc, int kc, T* packA, T* packB, T* c, GemmStore mode, T* tile)
        {
            int mr = TK.MR, nr = TK.NR;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                T* bPanel = packB + jr * kc;
                for (int ir = 0; ir < mc; ir += mr)
                {
                    int rows = Math.Min(mr, mc - ir);
                    T* aPanel = packA + ir * kc;
                    T* cTile = c + ir * Ldc + jr;
                    if (rows == mr && cols == nr)
                    {
                        TK.Tile(kc, aPanel, bPanel, cTile, Ldc, Alpha, Beta, mode);
                    }
                    else
                    {
                        // Raw sums into the scratch tile (times 1, exact), then the kernel's own rounding per element.
                        if (2 * cols <= nr) TK.TileNarrow(kc, aPanel, bPanel, tile);
                        else TK.Tile(kc, aPanel, bPanel, tile, nr, T.One, T.Zero, GemmStore.Scale);
                        for (int r = 0; r < rows; r++)
                        {
                            T* src = tile + r * nr;
                            T* dst = cTile + r * Ldc;
                            for (int j = 0; j < cols; j++)
                                dst[j] = TK.Merge(src[j], Alpha, Beta, mode == GemmStore.Scale ? T.Zero : dst[j], mode);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Per-thread packing buffers, allocated once per thread at their largest size and pinned (no per-call
    /// allocation, stable addresses); 64-byte aligned for the kernels' aligned loads.
    /// </summary>
    private sealed class PackBuffers<T, TK> where T : unmanaged where TK : IGemmKernel<T>
    {
        [ThreadStatic] private static PackBuffers<T, TK>? _current;

        // Held so the pinned arrays live as long as the pointers into them.
        private readonly T[] _a, _b, _tile;
        public readonly T* A, B, Tile;

        private PackBuffers()
        {
            // Slack: PackA's transposing store may spill 2 elements past a block; 64 bytes more for alignment.
            int pad = 64 / sizeof(T) + 8;
            int mcRounded = (TK.MC + TK.MR - 1) / TK.MR * TK.MR;
            int ncRounded = (TK.NC + TK.NR - 1) / TK.NR * TK.NR;
            A = Allocate(mcRounded * TK.KC + pad, out _a);
            B = Allocate(ncRounded * TK.KC + pad, out _b);
            Tile = Allocate(TK.MR * TK.NR + pad, out _tile);
        }

        private static T* Allocate(int length, out T[] array)
        {
            array = GC.AllocateUninitializedArray<T>(length, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            return (T*)((address + 63) & ~(nint)63);
        }

        public static PackBuffers<T, TK> ForThisThread() => _current ??= new PackBuffers<T, TK>();
    }
}
