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
/// The fast path follows Goto and van de Geijn (2008) and BLIS (Van Zee and van de Geijn 2015): KC-deep slices of k,
/// op(A) and op(B) packed per slice into MR-row and NR-column panels, MC-tall row blocks, NC-wide column blocks,
/// and a register-blocked MR x NR micro-kernel over the packed panels.
/// <para>
/// Parallelism: C is cut into units along one dimension (see <c>Drive</c>); the smaller operand is packed once
/// and shared by all units, each unit packs its own part of the other operand, and units run on the calling
/// thread and on the helper threads (<c>UnitDispatch</c>).
/// </para>
/// <para>
/// Determinism: units are disjoint rectangles of C and each runs the whole k loop for its rectangle, so every
/// element of C is computed by exactly one thread. Its value depends only on the k-slice boundaries (a function
/// of k alone) and on the kernel's fixed summation order (increasing p within a slice, slices in increasing
/// order), never on how C was cut or which thread ran which unit: results are bit-identical whatever the thread
/// count or scheduling. Edge tiles run the kernel on zero-padded panels into a scratch tile and are merged with
/// the same rounding as the kernel's own store; an operand read in place rather than packed feeds the kernel
/// the same values in the same order.
/// </para>
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>
    /// Below this many multiply-adds (m n k, about 5 microseconds of one core) a product runs on the calling
    /// thread: handing work to a helper costs more than it saves.
    /// </summary>
    public const long ParallelThreshold = 1L << 18;

    /// <summary>
    /// Units per core when a product is split: several, so that when one core is busy with other work the
    /// other core takes over all but the unit already started (packing is shared, so small units cost little).
    /// </summary>
    private const int UnitsPerCore = 4;

    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long work = (long)m * n * k;
        int units = work < ParallelThreshold || Environment.ProcessorCount == 1 ? 1 : Environment.ProcessorCount * UnitsPerCore;
        RunWith(GemmPath.Best, units, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>
    /// <see cref="Run"/> with the kernel family and the number of units C is cut into chosen explicitly:
    /// 1 runs on the calling thread alone, more also on the helper threads.
    /// The result does not depend on <paramref name="units"/>; tests use it to prove that.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunWith<T>(GemmPath path, int units, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), $"gemm: units must be at least 1 but is {units}.");

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
                Drive<float, Avx2Float6x16>(units, transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), (float*)pa, lda,
                    (float*)pb, ldb, Unsafe.As<T, float>(ref beta), (float*)pc, ldc);
            else if (typeof(T) == typeof(double) && best && Avx2Double6x8.IsSupported)
                Drive<double, Avx2Double6x8>(units, transA, transB, m, n, k, Unsafe.As<T, double>(ref alpha), (double*)pa, lda,
                    (double*)pb, ldb, Unsafe.As<T, double>(ref beta), (double*)pc, ldc);
            else
                Drive<T, PortableKernel<T>>(units, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
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

    /// <summary>
    /// Cuts C along one dimension and shares the packed operand of the other: cutting columns, every unit
    /// needs all of op(A), so op(A) is packed once (into the calling thread's shared buffer) and each unit
    /// packs only its own columns of op(B); cutting rows is the mirror image. Nothing is packed twice, and
    /// the units can be small, so a core that is busy with other work holds up at most one small unit.
    /// The shared operand is packed in chunks of at most <see cref="SharedCapacity"/> values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Drive<T, TK>(int units, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, nint lda, T* b, nint ldb, T beta, T* c, nint ldc)
        where T : unmanaged, IFloatingPointIeee754<T> where TK : IGemmKernel<T>
    {
        var job = new Job<T, TK>
        {
            TransA = transA, TransB = transB, K = k, Alpha = alpha, Beta = beta,
            A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc,
            KSlices = (k + TK.KC - 1) / TK.KC,
            // Share the smaller operand: op(A) is m x k, op(B) is k x n.
            ShareA = m <= n,
        };
        var shared = SharedBuffer<T>.ForThisThread();
        int sharedLength = job.ShareA ? m : n, cutLength = job.ShareA ? n : m;
        int step = job.ShareA ? TK.MR : TK.NR, cutStep = job.ShareA ? TK.NR : TK.MR;
        // Chunk of the shared dimension whose packed operand (chunk x k) fits the shared buffer's capacity.
        int chunk = Math.Max(step, SharedCapacity / k / step * step);
        int cutPanels = (cutLength + cutStep - 1) / cutStep;
        job.Units = Math.Max(1, Math.Min(units, cutPanels));
        // Packing pays for itself only when a panel is reused: each A element is used once per column panel,
        // each B element once per row panel. With two column panels (or four row panels) or fewer, the
        // kernel reads the operand in place instead (B only when stored untransposed: rows of NR values).
        job.DirectA = !job.ShareA && (n + TK.NR - 1) / TK.NR <= 2;
        job.DirectB = job.ShareA && !transB && (m + TK.MR - 1) / TK.MR <= 4;
        job.CutPanels = cutPanels;
        job.CutLength = cutLength;
        Action<int>? body = null;
        for (int s0 = 0; s0 < sharedLength; s0 += chunk)
        {
            int len = Math.Min(chunk, sharedLength - s0);
            int rounded = (len + step - 1) / step * step;
            T* packed = shared.Get(rounded * k + SharedSlack);
            // Slice s of the chunk is packed at packed + pc rounded, slices in increasing order (PackA's spill
            // past a slice lands in the next slice, packed after it, or in the slack).
            for (int sl = 0; sl < job.KSlices; sl++)
            {
                var (pc, kc) = job.Slice(sl);
                if (job.ShareA)
                    GemmPacking.PackA<T, TK>(transA, transA ? a + pc * lda + s0 : a + s0 * lda + pc, lda, len, kc, packed + pc * rounded);
                else
                    GemmPacking.PackB<T, TK>(transB, transB ? b + s0 * ldb + pc : b + pc * ldb + s0, ldb, kc, len, packed + pc * rounded);
            }
            job.SharedStart = s0;
            job.SharedLength = len;
            job.SharedRounded = rounded;
            job.Shared = packed;
            if (job.Units == 1) job.Execute(0);
            else UnitDispatch.Run(body ??= job.Execute, job.Units);
        }
    }

    /// <summary>Values the shared packed operand may hold before it is packed and used in chunks (4 MiB of float).</summary>
    private const int SharedCapacity = 1 << 20;

    /// <summary>Room past the shared packed operand for PackA's transposing store to spill into.</summary>
    private const int SharedSlack = 16;

    /// <summary>One product's parameters, shared by its units (each unit owns a rectangle of C).</summary>
    private sealed class Job<T, TK> where T : unmanaged, IFloatingPointIeee754<T> where TK : IGemmKernel<T>
    {
        public bool TransA, TransB, ShareA, DirectA, DirectB;
        public int K, KSlices, Units, CutPanels, CutLength;
        public int SharedStart, SharedLength, SharedRounded;
        public T Alpha, Beta;
        public T* A, B, C, Shared;
        public nint Lda, Ldb, Ldc;

        /// <summary>Start and depth of k slice s: near-equal depths, a function of K alone, so identical in every unit.</summary>
        public (int Start, int Depth) Slice(int s)
        {
            int start = (int)((long)s * K / KSlices);
            return (start, (int)((long)(s + 1) * K / KSlices) - start);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int unit)
        {
            // Unit u owns panels [u P / U, (u + 1) P / U) of the cut dimension: edges on MR/NR multiples.
            int p0 = (int)((long)unit * CutPanels / Units), p1 = (int)((long)(unit + 1) * CutPanels / Units);
            int step = ShareA ? TK.NR : TK.MR;
            int c0 = p0 * step, c1 = Math.Min(CutLength, p1 * step);
            if (c0 >= c1) return;
            var buffers = PackBuffers<T, TK>.ForThisThread();
            if (ShareA) Columns(c0, c1, buffers);
            else Rows(c0, c1, buffers);
        }

        /// <summary>C[chunk rows, j0..j1]: op(A)'s rows are packed in Shared; this unit's columns of op(B) are packed
        /// per slice, or read in place when few row panels would reuse them (DirectB).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Columns(int j0, int j1, PackBuffers<T, TK> buffers)
        {
            int i0 = SharedStart, rows = SharedLength, nr = TK.NR;
            for (int jc = j0; jc < j1; jc += TK.NC)
            {
                int nc = Math.Min(TK.NC, j1 - jc);
                for (int s = 0; s < KSlices; s++)
                {
                    var (pc, kc) = Slice(s);
                    Panels b;
                    if (DirectB)
                    {
                        // op(B) = B here: row p of a column panel is nr contiguous values, ldb apart.
                        T* origin = B + pc * Ldb + jc;
                        int full = nc / nr * nr;
                        T* edge = null;
                        if (full < nc)
                        {
                            GemmPacking.PackB<T, TK>(false, origin + full, Ldb, kc, nc - full, buffers.B);
                            edge = buffers.B;
                        }
                        b = new Panels(origin, 0, Ldb, nr, edge);
                    }
                    else
                    {
                        GemmPacking.PackB<T, TK>(TransB, TransB ? B + jc * Ldb + pc : B + pc * Ldb + jc, Ldb, kc, nc, buffers.B);
                        b = new Panels(buffers.B, 0, nr, nr * kc, null);
                    }
                    var mode = StoreMode(s);
                    T* aSlice = Shared + pc * SharedRounded;
                    for (int ic = 0; ic < rows; ic += TK.MC)
                    {
                        var a = new Panels(aSlice + ic * kc, 1, TK.MR, TK.MR * kc, null);
                        Macro(Math.Min(TK.MC, rows - ic), nc, kc, a, b, C + (i0 + ic) * Ldc + jc, mode, buffers.Tile);
                    }
                }
            }
        }

        /// <summary>C[i0..i1, chunk columns]: op(B)'s columns are packed in Shared; this unit's rows of op(A) are packed
        /// per slice, or read in place when few column panels would reuse them (DirectA).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Rows(int i0, int i1, PackBuffers<T, TK> buffers)
        {
            int j0 = SharedStart, cols = SharedLength, mr = TK.MR;
            for (int s = 0; s < KSlices; s++)
            {
                var (pc, kc) = Slice(s);
                var mode = StoreMode(s);
                var b = new Panels(Shared + pc * SharedRounded, 0, TK.NR, TK.NR * kc, null);
                for (int ic = i0; ic < i1; ic += TK.MC)
                {
                    int mc = Math.Min(TK.MC, i1 - ic);
                    T* origin = TransA ? A + pc * Lda + ic : A + ic * Lda + pc;
                    Panels a;
                    if (DirectA)
                    {
                        // op(A)(r, p) in place: rows lda apart (or adjacent when A is stored transposed).
                        int full = mc / mr * mr;
                        T* edge = null;
                        if (full < mc)
                        {
                            GemmPacking.PackA<T, TK>(TransA, TransA ? origin + full : origin + full * Lda, Lda, mc - full, kc, buffers.A);
                            edge = buffers.A;
                        }
                        a = TransA ? new Panels(origin, 1, Lda, mr, edge) : new Panels(origin, Lda, 1, mr * Lda, edge);
                    }
                    else
                    {
                        GemmPacking.PackA<T, TK>(TransA, origin, Lda, mc, kc, buffers.A);
                        a = new Panels(buffers.A, 1, mr, mr * kc, null);
                    }
                    Macro(mc, cols, kc, a, b, C + ic * Ldc + j0, mode, buffers.Tile);
                }
            }
        }

        private GemmStore StoreMode(int slice) =>
            slice > 0 ? GemmStore.Accumulate : Beta == T.Zero ? GemmStore.Scale : GemmStore.ScaleAdd;

        /// <summary>
        /// Where a macro-kernel's micro-panels live: panel q starts at Origin + q Stride, with A(r, p) at
        /// Row r + Step p from there (A) or B(p, j) at Step p + j (B). A partial last panel read in place
        /// cannot be zero-padded, so it comes from Edge (packed) when Edge is set.
        /// </summary>
        private readonly struct Panels(T* origin, nint row, nint step, nint stride, T* edge)
        {
            public readonly T* Origin = origin, Edge = edge;
            public readonly nint Row = row, Step = step, Stride = stride;
        }

        /// <summary>The two loops around the micro-kernel: NR-column panels outside (kept in L1), MR-row panels inside.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Macro(int mc, int nc, int kc, in Panels a, in Panels b, T* c, GemmStore mode, T* tile)
        {
            int mr = TK.MR, nr = TK.NR;
            T* bPanel = b.Origin;
            for (int jr = 0; jr < nc; jr += nr, bPanel += b.Stride)
            {
                int cols = Math.Min(nr, nc - jr);
                T* bp = bPanel;
                nint bStep = b.Step;
                if (cols < nr && b.Edge != null) { bp = b.Edge; bStep = nr; }
                T* aPanel = a.Origin;
                for (int ir = 0; ir < mc; ir += mr, aPanel += a.Stride)
                {
                    int rows = Math.Min(mr, mc - ir);
                    T* ap = aPanel;
                    nint aRow = a.Row, aStep = a.Step;
                    if (rows < mr && a.Edge != null) { ap = a.Edge; aRow = 1; aStep = mr; }
                    T* cTile = c + ir * Ldc + jr;
                    if (rows == mr && cols == nr)
                    {
                        TK.Tile(kc, ap, aRow, aStep, bp, bStep, cTile, Ldc, Alpha, Beta, mode);
                    }
                    else
                    {
                        // Raw sums into the scratch tile (times 1, exact), then the kernel's own rounding per element.
                        if (2 * cols <= nr) TK.TileNarrow(kc, ap, aRow, aStep, bp, bStep, tile);
                        else TK.Tile(kc, ap, aRow, aStep, bp, bStep, tile, nr, T.One, T.Zero, GemmStore.Scale);
                        TK.MergeTile(tile, cTile, Ldc, rows, cols, Alpha, Beta, mode);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Per-thread packing buffers for a unit's own panels, allocated once per thread at their largest size and
    /// pinned (no per-call allocation, stable addresses); 64-byte aligned for the kernels' aligned loads.
    /// </summary>
    private sealed class PackBuffers<T, TK> where T : unmanaged where TK : IGemmKernel<T>
    {
        [ThreadStatic] private static PackBuffers<T, TK>? _current;

        // Held so the pinned arrays live as long as the pointers into them.
        private readonly T[] _a, _b, _tile;
        public readonly T* A, B, Tile;

        private PackBuffers()
        {
            // Slack: PackA's transposing store may spill 2 elements past a block.
            int mcRounded = (TK.MC + TK.MR - 1) / TK.MR * TK.MR;
            int ncRounded = (TK.NC + TK.NR - 1) / TK.NR * TK.NR;
            A = AlignedBuffer.Allocate(mcRounded * TK.KC + SharedSlack, out _a);
            B = AlignedBuffer.Allocate(ncRounded * TK.KC + SharedSlack, out _b);
            Tile = AlignedBuffer.Allocate(TK.MR * TK.NR, out _tile);
        }

        public static PackBuffers<T, TK> ForThisThread() => _current ??= new PackBuffers<T, TK>();
    }

    /// <summary>
    /// The calling thread's buffer for the shared packed operand: grown (by doubling, up to
    /// <see cref="SharedCapacity"/> plus an MR/NR-wide panel of k) only when a larger product first needs it,
    /// then reused by every later product on this thread.
    /// </summary>
    private sealed class SharedBuffer<T> where T : unmanaged
    {
        [ThreadStatic] private static SharedBuffer<T>? _current;

        private T[]? _array;
        private T* _pointer;
        private int _length;

        public T* Get(int length)
        {
            if (length > _length)
            {
                int grown = Math.Max(length, Math.Min(2 * _length, SharedCapacity + SharedSlack));
                _pointer = AlignedBuffer.Allocate(grown, out _array);
                _length = grown;
            }
            return _pointer;
        }

        public static SharedBuffer<T> ForThisThread() => _current ??= new SharedBuffer<T>();
    }

    private static class AlignedBuffer
    {
        /// <summary>A pinned array with at least <paramref name="length"/> elements after a 64-byte aligned start.</summary>
        public static T* Allocate<T>(int length, out T[] array) where T : unmanaged
        {
            array = GC.AllocateUninitializedArray<T>(length + 64 / sizeof(T), pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            return (T*)((address + 63) & ~(nint)63);
        }
    }
}
