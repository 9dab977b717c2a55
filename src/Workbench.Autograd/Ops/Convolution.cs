using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Workbench.Autograd;

public static partial class F
{
    /// <summary>
    /// 2-D convolution as torch.nn.functional.conv2d (a cross-correlation, no kernel flip):
    /// input [N, C, H, W], weight [O, C, kh, kw], optional bias [O] -> [N, O, H', W'] with
    /// H' = floor((H + 2 padding - kh) / stride) + 1 and likewise W', and
    /// y[n, o, i, j] = b[o] + sum_{c, a, b} w[o, c, a, b] x[n, c, i stride - padding + a, j stride - padding + b],
    /// reading zero outside the input (zero padding).
    /// Per image this is one GEMM, W[O, C kh kw] x col[C kh kw, H' W'], on the im2col unfolding of the image
    /// (Chellapilla et al. 2006, "High performance convolutional neural networks for document processing").
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0)
    {
        var geo = ConvGeometry.ForConv(input, weight, bias, stride, padding);
        return input.DType == DType.Float32
            ? Convolution.Conv2d<float>(geo, input, weight, bias)
            : Convolution.Conv2d<double>(geo, input, weight, bias);
    }

    /// <summary>
    /// 2-D transposed convolution as torch.nn.functional.conv_transpose2d: input [N, C, H, W], weight
    /// [C, O, kh, kw] (PyTorch's layout: input channels first), optional bias [O] -> [N, O, H', W'] with
    /// H' = (H - 1) stride - 2 padding + kh + outputPadding and likewise W'.
    /// It is the adjoint of <see cref="Conv2d"/> with the same weight: every input pixel scatters
    /// w[c, :, :, :] x[n, c, i, j] onto the output window at (i stride - padding, j stride - padding), so that
    /// &lt;Conv2d(z, w), x&gt; = &lt;z, ConvTranspose2d(x, w)&gt; for bias-free calls. <paramref name="outputPadding"/>
    /// (smaller than the stride) picks among the output sizes a stride-s convolution maps to the same H.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0)
    {
        var geo = ConvGeometry.ForConvTranspose(input, weight, bias, stride, padding, outputPadding);
        return input.DType == DType.Float32
            ? Convolution.ConvTranspose2d<float>(geo, input, weight, bias)
            : Convolution.ConvTranspose2d<double>(geo, input, weight, bias);
    }
}

/// <summary>
/// The sizes of one convolution, named by the two sides of the im2col GEMM: the <em>image</em> side is the
/// larger map that windows are cut from (a convolution's input, a transposed convolution's output), the
/// <em>grid</em> side is the map with one value per window position (a convolution's output, a transposed
/// convolution's input). The weight is the matrix [GridChannels, ImageChannels kh kw] in both cases.
/// </summary>
internal sealed record ConvGeometry(
    int Batch, int ImageChannels, int ImageH, int ImageW,
    int GridChannels, int GridH, int GridW,
    int Kh, int Kw, int Stride, int Padding)
{
    /// <summary>Elements of one image: ImageChannels x ImageH x ImageW.</summary>
    public int ImageSize => ImageChannels * ImageH * ImageW;

    /// <summary>Window positions per image: the columns of the im2col matrix.</summary>
    public int GridPixels => GridH * GridW;

    /// <summary>Elements of one grid map: GridChannels x GridH x GridW.</summary>
    public int GridSize => GridChannels * GridPixels;

    /// <summary>Values under one window: the rows of the im2col matrix (ImageChannels kh kw).</summary>
    public int PatchLength => ImageChannels * Kh * Kw;

    /// <summary>Elements of the weight.</summary>
    public int WeightLength => GridChannels * PatchLength;

    /// <summary>Multiply-adds of one GEMM for one image: what decides whether threads pay off.</summary>
    public long WorkPerImage => (long)GridChannels * PatchLength * GridPixels;

    public static ConvGeometry ForConv(Tensor input, Tensor weight, Tensor? bias, int stride, int padding)
    {
        const string op = "conv2d";
        CheckCommon(op, input, weight, bias, stride, padding, "[out_channels, in_channels, kh, kw]");
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        int o = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        if (weight.Shape[1] != c)
            throw new ArgumentException(
                $"{op}: the input {ShapeUtil.Format(input.Shape)} has {c} channels (dim 1) but the weight {ShapeUtil.Format(weight.Shape)} " +
                $"expects {weight.Shape[1]} (weight dim 1 is in_channels); make the layer's in_channels match the data.");
        CheckBias(op, bias, o, weight);
        long paddedH = (long)h + 2L * padding, paddedW = (long)w + 2L * padding;
        if (kh > paddedH || kw > paddedW)
            throw new ArgumentException(
                $"{op}: the kernel {kh}x{kw} is larger than the padded input {paddedH}x{paddedW} (input {ShapeUtil.Format(input.Shape)} " +
                $"with padding {padding}); use a smaller kernel, more padding or a larger input.");
        int outH = (int)((paddedH - kh) / stride) + 1, outW = (int)((paddedW - kw) / stride) + 1;
        return new ConvGeometry(n, c, h, w, o, outH, outW, kh, kw, stride, padding);
    }

    public static ConvGeometry ForConvTranspose(Tensor input, Tensor weight, Tensor? bias, int stride, int padding, int outputPadding)
    {
        const string op = "conv_transpose2d";
        CheckCommon(op, input, weight, bias, stride, padding, "[in_channels, out_channels, kh, kw]");
        if (outputPadding < 0 || outputPadding >= stride)
            throw new ArgumentOutOfRangeException(nameof(outputPadding),
                $"{op}: outputPadding {outputPadding} must be at least 0 and smaller than the stride {stride}: it only chooses among " +
                $"the {stride} output sizes that a stride-{stride} convolution maps back to the same input size.");
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        int o = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        if (weight.Shape[0] != c)
            throw new ArgumentException(
                $"{op}: the input {ShapeUtil.Format(input.Shape)} has {c} channels (dim 1) but the weight {ShapeUtil.Format(weight.Shape)} " +
                $"expects {weight.Shape[0]} (a transposed convolution's weight dim 0 is in_channels); make the layer's in_channels match the data.");
        CheckBias(op, bias, o, weight);
        long outH = (long)(h - 1) * stride - 2L * padding + kh + outputPadding;
        long outW = (long)(w - 1) * stride - 2L * padding + kw + outputPadding;
        if (outH <= 0 || outW <= 0)
            throw new ArgumentException(
                $"{op}: the output would be {outH}x{outW} for input {ShapeUtil.Format(input.Shape)}, kernel {kh}x{kw}, stride {stride}, " +
                $"padding {padding} and outputPadding {outputPadding}; the padding is too large, reduce it.");
        if (outH * outW > Array.MaxLength)
            throw new ArgumentException($"{op}: the output {outH}x{outW} is too large for one array.");
        return new ConvGeometry(n, o, (int)outH, (int)outW, c, h, w, kh, kw, stride, padding);
    }

    private static void CheckCommon(string op, Tensor input, Tensor weight, Tensor? bias, int stride, int padding, string weightLayout)
    {
        if (input.Rank != 4)
            throw new ArgumentException(
                $"{op}: the input must be 4-D [N, C, H, W] but has shape {ShapeUtil.Format(input.Shape)}; " +
                "for a single image add the batch dim with Unsqueeze(0), for flat vectors Reshape(N, C, H, W).");
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: the weight must be 4-D {weightLayout} but has shape {ShapeUtil.Format(weight.Shape)}.");
        if (input.DType != weight.DType)
            throw new ArgumentException($"{op}: the input is {input.DType} but the weight is {weight.DType}; convert one with To(...).");
        if (bias is not null && bias.DType != weight.DType)
            throw new ArgumentException($"{op}: the bias is {bias.DType} but the weight is {weight.DType}; convert one with To(...).");
        if (input.Shape[1] == 0 || input.Shape[2] == 0 || input.Shape[3] == 0)
            throw new ArgumentException($"{op}: the input {ShapeUtil.Format(input.Shape)} has an empty channel or spatial dim; only the batch dim may be 0.");
        for (int d = 0; d < 4; d++)
            if (weight.Shape[d] == 0)
                throw new ArgumentException($"{op}: the weight {ShapeUtil.Format(weight.Shape)} has an empty dim {d}; every weight dim must be at least 1.");
        if (stride <= 0)
            throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: the stride must be at least 1 but is {stride}.");
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), $"{op}: the padding must be 0 or more but is {padding}.");
    }

    private static void CheckBias(string op, Tensor? bias, int outChannels, Tensor weight)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outChannels))
            throw new ArgumentException(
                $"{op}: the bias must have shape [{outChannels}] (one per output channel of the weight {ShapeUtil.Format(weight.Shape)}) " +
                $"but has {ShapeUtil.Format(bias.Shape)}.");
    }
}

/// <summary>
/// The im2col / col2im kernels behind <see cref="F.Conv2d"/> and <see cref="F.ConvTranspose2d"/>.
/// Three primitives cover both ops and all their gradients (grid g = W col(image)):
/// <list type="bullet">
/// <item>lower: grid = W[Cg, P] x im2col(image)[P, L] — conv forward, transposed conv's input gradient;</item>
/// <item>raise: image = col2im(W^T x grid) — transposed conv forward, conv's input gradient (the adjoint of lower);</item>
/// <item>weight gradient: dW += grid[Cg, L] x im2col(image)^T — the same for both ops.</item>
/// </list>
/// Each runs on a <em>group</em> of G images at once: their unfoldings side by side as one [P, G L] matrix and
/// their grid maps as one [Cg, G L] matrix, so one GEMM with G L columns replaces G narrow ones (a 7 x 7 grid
/// gives 49 columns: a partial register tile in every product and the weight packed once per image).
/// Images are split into a fixed number of chunks that depends only on the batch size, each chunk into groups
/// that depend only on the chunk's size and the geometry; chunks run in parallel and each accumulates its own
/// weight-gradient partial, summed in chunk order, so the result is bit-for-bit the same on every run whatever
/// the thread timing.
/// </summary>
internal static class Convolution
{
    /// <summary>At most this many chunks (and weight-gradient partials) per call; more gains no balance on a few cores.</summary>
    private const int MaxChunks = 8;

    /// <summary>Below this many multiply-adds per call the images run on the calling thread.</summary>
    private const long ParallelWork = 1 << 18;

    /// <summary>
    /// The most elements a group's unfolding and grid matrix hold together (1 MiB of float32, the order of a core's
    /// L2): enough columns for an efficient GEMM while the unfolding is still warm in cache when the GEMM packs it,
    /// and a bound on the workspace each thread keeps.
    /// </summary>
    private const long GroupBudget = 1 << 18;

    /// <summary>A group of images: <paramref name="first"/> and <paramref name="count"/> of the batch; the first group of its chunk says so.</summary>
    private delegate void GroupBody<T>(int chunk, int first, int count, bool firstOfChunk, Workspace<T> ws)
        where T : unmanaged, IFloatingPointIeee754<T>;

    public static Tensor Conv2d<T>(ConvGeometry geo, Tensor x, Tensor w, Tensor? b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty<T>([geo.Batch, geo.GridChannels, geo.GridH, geo.GridW]);
        Lower<T>(geo, x, w, b, y);
        return Autograd.Record(y, "conv2d", g =>
        {
            var gx = x.RequiresGrad ? Tensor.Empty<T>(x.Shape) : null;
            var gw = w.RequiresGrad ? Tensor.Empty<T>(w.Shape) : null;
            if (gx is not null || gw is not null) ConvBackward<T>(geo, x, w, g, gx, gw);
            var gb = b is not null && b.RequiresGrad ? ChannelSums<T>(g, geo.Batch, geo.GridChannels, geo.GridPixels) : null;
            return [gx, gw, gb];
        }, b is null ? new[] { x, w } : new[] { x, w, b });
    }

    public static Tensor ConvTranspose2d<T>(ConvGeometry geo, Tensor x, Tensor w, Tensor? b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty<T>([geo.Batch, geo.ImageChannels, geo.ImageH, geo.ImageW]);
        Raise<T>(geo, x, w, b, y);
        return Autograd.Record(y, "conv_transpose2d", g =>
        {
            var gx = x.RequiresGrad ? Tensor.Empty<T>(x.Shape) : null;
            var gw = w.RequiresGrad ? Tensor.Empty<T>(w.Shape) : null;
            if (gx is not null || gw is not null) ConvTransposeBackward<T>(geo, x, w, g, gx, gw);
            var gb = b is not null && b.RequiresGrad ? ChannelSums<T>(g, geo.Batch, geo.ImageChannels, geo.ImageH * geo.ImageW) : null;
            return [gx, gw, gb];
        }, b is null ? new[] { x, w } : new[] { x, w, b });
    }

    /// <summary>grid[n] = W x im2col(image[n]) (+ bias per grid channel).</summary>
    private static void Lower<T>(ConvGeometry geo, Tensor image, Tensor w, Tensor? bias, Tensor grid) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength;
        ForGroups<T>(geo, geo.WorkPerImage, (_, first, count, _, ws) =>
        {
            int cols = count * geo.GridPixels;
            var col = ws.Col(p, count);
            var gm = ws.Grid(count);
            UnfoldGroup(geo, image.AsSpan<T>(), first, count, col);
            ws.Gemm(false, false, cg, cols, p, w.AsSpan<T>(), p, col, cols, T.Zero, gm, cols);
            ScatterGrid(geo, gm, first, count, bias is null ? default : bias.AsSpan<T>(), grid.AsSpan<T>());
        });
    }

    /// <summary>image[n] = col2im(W^T x grid[n]) (+ bias per image channel).</summary>
    private static void Raise<T>(ConvGeometry geo, Tensor grid, Tensor w, Tensor? bias, Tensor image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength;
        ForGroups<T>(geo, geo.WorkPerImage, (_, first, count, _, ws) =>
        {
            int cols = count * geo.GridPixels;
            var col = ws.Col(p, count);
            var gm = ws.Grid(count);
            GatherGrid(geo, grid.AsSpan<T>(), first, count, gm);
            ws.Gemm(true, false, p, cols, cg, w.AsSpan<T>(), p, gm, cols, T.Zero, col, cols);
            FoldGroup(geo, col, first, count, bias is null ? default : bias.AsSpan<T>(), image.AsSpan<T>());
        });
    }

    /// <summary>
    /// Conv backward: gx[n] = col2im(W^T g[n]) (raise), gw = sum_n g[n] im2col(x[n])^T.
    /// One unfolding buffer serves both: the weight gradient reads im2col(x) before the raise overwrites it.
    /// </summary>
    private static void ConvBackward<T>(ConvGeometry geo, Tensor x, Tensor w, Tensor g, Tensor? gx, Tensor? gw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength;
        var partials = new WeightPartials<T>(gw, geo.Batch, geo.WeightLength);
        long work = geo.WorkPerImage * ((gx is null ? 0 : 1) + (gw is null ? 0 : 1));
        ForGroups<T>(geo, work, (chunk, first, count, firstOfChunk, ws) =>
        {
            int cols = count * geo.GridPixels;
            var col = ws.Col(p, count);
            var gm = ws.Grid(count);
            GatherGrid(geo, g.AsSpan<T>(), first, count, gm);
            if (gw is not null)
            {
                UnfoldGroup(geo, x.AsSpan<T>(), first, count, col);
                // dW[Cg, P] (+)= g[Cg, G L] x col[P, G L]^T; the chunk's first group overwrites the partial.
                ws.Gemm(false, true, cg, p, cols, gm, cols, col, cols, firstOfChunk ? T.Zero : T.One, partials.For(chunk), p);
            }
            if (gx is not null)
            {
                ws.Gemm(true, false, p, cols, cg, w.AsSpan<T>(), p, gm, cols, T.Zero, col, cols);
                FoldGroup(geo, col, first, count, default, gx.AsSpan<T>());
            }
        });
        partials.Reduce();
    }

    /// <summary>
    /// Transposed conv backward: gx[n] = W im2col(g[n]) (lower), gw = sum_n x[n] im2col(g[n])^T;
    /// both read the same unfolding of g.
    /// </summary>
    private static void ConvTransposeBackward<T>(ConvGeometry geo, Tensor x, Tensor w, Tensor g, Tensor? gx, Tensor? gw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength;
        var partials = new WeightPartials<T>(gw, geo.Batch, geo.WeightLength);
        long work = geo.WorkPerImage * ((gx is null ? 0 : 1) + (gw is null ? 0 : 1));
        ForGroups<T>(geo, work, (chunk, first, count, firstOfChunk, ws) =>
        {
            int cols = count * geo.GridPixels;
            var col = ws.Col(p, count);
            var gm = ws.Grid(count);
            UnfoldGroup(geo, g.AsSpan<T>(), first, count, col);
            if (gx is not null)
            {
                ws.Gemm(false, false, cg, cols, p, w.AsSpan<T>(), p, col, cols, T.Zero, gm, cols);
                ScatterGrid(geo, gm, first, count, default, gx.AsSpan<T>());
            }
            if (gw is not null)
            {
                GatherGrid(geo, x.AsSpan<T>(), first, count, gm);
                ws.Gemm(false, true, cg, p, cols, gm, cols, col, cols, firstOfChunk ? T.Zero : T.One, partials.For(chunk), p);
            }
        });
        partials.Reduce();
    }

    /// <summary>
    /// One weight-gradient buffer per chunk: chunk 0 writes straight into the result, the others into one shared
    /// block (the calling thread's, kept for its next call); <see cref="Reduce"/> adds them in chunk order so the
    /// sum never depends on which thread ran what.
    /// </summary>
    private sealed class WeightPartials<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static T[]? s_extra;
        private readonly Tensor? _result;
        private readonly T[]? _extra;
        private readonly int _length;
        private readonly int _chunks;

        public WeightPartials(Tensor? result, int batch, int length)
        {
            _result = result;
            _length = length;
            _chunks = ChunkCount(batch);
            // Uninitialised is safe: each chunk's first group writes its partial with beta = 0.
            int needed = (_chunks - 1) * length;
            if (result is not null && _chunks > 1)
                _extra = s_extra is { } cached && cached.Length >= needed ? cached : s_extra = GC.AllocateUninitializedArray<T>(needed);
        }

        public Span<T> For(int chunk) => _result is null ? default
            : chunk == 0 ? _result.AsSpan<T>() : _extra.AsSpan((chunk - 1) * _length, _length);

        public void Reduce()
        {
            if (_result is null) return;
            var sum = _result.AsSpan<T>();
            if (_chunks == 0) { sum.Clear(); return; }   // an empty batch contributes nothing
            for (int c = 1; c < _chunks; c++) TensorPrimitives.Add(sum, For(c), sum);
        }
    }

    /// <summary>
    /// One thread's buffers for a group: the unfolding [P, G L] and the grid matrix [Cg, G L], and how its
    /// products run: on this thread alone when the chunks already keep every core busy. The buffers are the
    /// thread's own and kept for its next call (they only grow), so a training step allocates none of them.
    /// </summary>
    private readonly struct Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static T[]? s_col, s_grid;
        private readonly ConvGeometry _geo;
        private readonly T[] _col, _grid;
        private readonly bool _inParallelChunks;

        public Workspace(ConvGeometry geo, int maxGroup, bool inParallelChunks)
        {
            _geo = geo;
            _inParallelChunks = inParallelChunks;
            _col = Reserve(ref s_col, checked(geo.PatchLength * maxGroup * geo.GridPixels + RunSlack<T>()));
            _grid = Reserve(ref s_grid, checked(geo.GridChannels * maxGroup * geo.GridPixels));
        }

        private static T[] Reserve(ref T[]? cached, int length) =>
            cached is { } array && array.Length >= length ? array : cached = GC.AllocateUninitializedArray<T>(length);

        /// <summary>The unfolding [rows, count L] followed by the slack im2col and col2im work in.</summary>
        public Span<T> Col(int rows, int count) => _col.AsSpan(0, rows * count * _geo.GridPixels + RunSlack<T>());

        public Span<T> Grid(int count) => _grid.AsSpan(0, _geo.GridChannels * count * _geo.GridPixels);

        public void Gemm(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
            T beta, Span<T> c, int ldc)
        {
            // The result does not depend on the number of units, so either way gives the same bits.
            if (_inParallelChunks) Workbench.Autograd.Gemm.RunWith(GemmPath.Best, 1, transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
            else Workbench.Autograd.Gemm.Run(transA, transB, m, n, k, T.One, a, lda, b, ldb, beta, c, ldc);
        }
    }

    private static int ChunkCount(int batch) => Math.Min(batch, MaxChunks);

    private static int SplitPoint(int length, int parts, int i) => (int)((long)length * i / parts);

    /// <summary>Images per group: as many as fit <see cref="GroupBudget"/>, at least one.</summary>
    private static int MaxGroup(ConvGeometry geo) =>
        (int)Math.Clamp(GroupBudget / ((long)(geo.PatchLength + geo.GridChannels) * geo.GridPixels), 1, Math.Max(1, geo.Batch));

    /// <summary>
    /// Runs body over [0, batch) split into <see cref="ChunkCount"/> balanced contiguous chunks, each cut into
    /// balanced groups of at most <see cref="MaxGroup"/> images, on the thread's own workspace. The split depends
    /// only on the batch size and the geometry.
    /// </summary>
    private static void ForGroups<T>(ConvGeometry geo, long workPerImage, GroupBody<T> body) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = geo.Batch, chunks = ChunkCount(batch), maxGroup = MaxGroup(geo);
        if (chunks == 0) return;
        void RunChunk(int c, Workspace<T> ws)
        {
            int start = SplitPoint(batch, chunks, c), size = SplitPoint(batch, chunks, c + 1) - start;
            int groups = (size + maxGroup - 1) / maxGroup;
            for (int i = 0; i < groups; i++)
            {
                int first = SplitPoint(size, groups, i), next = SplitPoint(size, groups, i + 1);
                body(c, start + first, next - first, i == 0, ws);
            }
        }
        if (chunks == 1 || workPerImage * batch < ParallelWork)
        {
            var ws = new Workspace<T>(geo, maxGroup, inParallelChunks: false);
            for (int c = 0; c < chunks; c++) RunChunk(c, ws);
            return;
        }
        UnitDispatch.Run(c => RunChunk(c, new Workspace<T>(geo, maxGroup, inParallelChunks: true)), chunks);
    }

    /// <summary>Per-channel sums of g viewed as [batch, channels, pixels]: the bias gradient.</summary>
    private static Tensor ChannelSums<T>(Tensor g, int batch, int channels, int pixels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = Tensor.Empty<T>([channels]);
        var sums = result.AsSpan<T>();
        ReadOnlySpan<T> gs = g.AsSpan<T>();
        for (int c = 0; c < channels; c++)
        {
            T acc = T.Zero;
            for (int n = 0; n < batch; n++) acc += TensorPrimitives.Sum(gs.Slice((n * channels + c) * pixels, pixels));
            sums[c] = acc;
        }
        return result;
    }

    /// <summary>gm[c, i L + l] = grids[first + i][c, l]: a group's grid maps side by side as one [Cg, G L] matrix.</summary>
    private static void GatherGrid<T>(ConvGeometry geo, ReadOnlySpan<T> grids, int first, int count, Span<T> gm) where T : unmanaged
    {
        int l = geo.GridPixels, cols = count * l;
        for (int i = 0; i < count; i++)
        {
            var map = grids.Slice((first + i) * geo.GridSize, geo.GridSize);
            for (int c = 0; c < geo.GridChannels; c++) map.Slice(c * l, l).CopyTo(gm.Slice(c * cols + i * l, l));
        }
    }

    /// <summary>The inverse of <see cref="GatherGrid{T}"/>, adding bias[c] to channel c when a bias is given.</summary>
    private static void ScatterGrid<T>(ConvGeometry geo, ReadOnlySpan<T> gm, int first, int count, ReadOnlySpan<T> bias, Span<T> grids)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = geo.GridPixels, cols = count * l;
        for (int i = 0; i < count; i++)
        {
            var map = grids.Slice((first + i) * geo.GridSize, geo.GridSize);
            for (int c = 0; c < geo.GridChannels; c++)
            {
                var src = gm.Slice(c * cols + i * l, l);
                if (bias.IsEmpty) src.CopyTo(map.Slice(c * l, l));
                else TensorPrimitives.Add(src, bias[c], map.Slice(c * l, l));
            }
        }
    }

    /// <summary>col[:, i L ..] = im2col(images[first + i]) for the group: its unfoldings side by side as one [P, G L] matrix.</summary>
    private static void UnfoldGroup<T>(ConvGeometry geo, ReadOnlySpan<T> images, int first, int count, Span<T> col)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = geo.GridPixels;
        for (int i = 0; i < count; i++)
            Im2Col(geo, images.Slice((first + i) * geo.ImageSize, geo.ImageSize), col[(i * l)..], count * l);
    }

    /// <summary>images[first + i] = bias + col2im(col[:, i L ..]) for the group (zero where no bias is given).</summary>
    private static void FoldGroup<T>(ConvGeometry geo, ReadOnlySpan<T> col, int first, int count, ReadOnlySpan<T> bias, Span<T> images)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = geo.GridPixels, plane = geo.ImageH * geo.ImageW;
        for (int i = 0; i < count; i++)
        {
            var image = images.Slice((first + i) * geo.ImageSize, geo.ImageSize);
            if (bias.IsEmpty) image.Clear();
            else for (int c = 0; c < geo.ImageChannels; c++) image.Slice(c * plane, plane).Fill(bias[c]);
            Col2Im(geo, col[(i * l)..], count * l, image);
        }
    }

    /// <summary>
    /// First and one-past-last g in [0, count) with g stride + offset inside [0, size): the positions of a strided
    /// walk that fall inside the image rather than in the padding.
    /// </summary>
    private static (int Lo, int Hi) ValidRange(int offset, int size, int stride, int count)
    {
        int lo = offset >= 0 ? 0 : Math.Min(count, (-offset + stride - 1) / stride);
        int last = size - 1 - offset;
        int hi = last < 0 ? 0 : Math.Min(count, last / stride + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// One axis of the phase split. A window offset a in [0, k) reads image coordinate i stride - padding + a at grid
    /// position i; writing a - padding = stride q + r (0 &lt;= r &lt; stride) that is stride (i + q) + r, so every
    /// coordinate with remainder r lies in phase r at index i + q. Phase planes hold, for each r, the indices
    /// QMin .. QMax + grid - 1 that some window reaches (zero where that is padding), so that the run of one window
    /// offset along a grid row is <em>contiguous</em> in its phase plane.
    /// </summary>
    private readonly record struct PhaseAxis(int Stride, int Padding, int QMin, int Length)
    {
        public static PhaseAxis For(int kernel, int padding, int stride, int grid)
        {
            int qMin = FloorDiv(-padding, stride), qMax = FloorDiv(kernel - 1 - padding, stride);
            return new PhaseAxis(stride, padding, qMin, grid + qMax - qMin);
        }

        /// <summary>Phase of window offset a and where its run starts in that phase plane.</summary>
        public (int Phase, int Start) Split(int a)
        {
            int q = FloorDiv(a - Padding, Stride);
            return (a - Padding - Stride * q, q - QMin);
        }

        /// <summary>Image coordinate of index 0 of phase r.</summary>
        public int Origin(int r) => Stride * QMin + r;

        private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    }

    /// <summary>
    /// An image [C, H, W] split into stride x stride phase planes per channel (see <see cref="PhaseAxis"/>), in a
    /// buffer of the calling thread's that is kept for its next call. Im2col and col2im then move whole contiguous
    /// runs instead of strided single elements.
    /// </summary>
    private readonly ref struct PhasePlanes<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static T[]? s_buffer;
        private readonly ConvGeometry _geo;
        public readonly PhaseAxis Rows, Cols;
        /// <summary>The planes, followed by <see cref="RunSlack{T}"/> elements that runs may read past the last one.</summary>
        public readonly Span<T> Data;

        public PhasePlanes(ConvGeometry geo)
        {
            _geo = geo;
            Rows = PhaseAxis.For(geo.Kh, geo.Padding, geo.Stride, geo.GridH);
            Cols = PhaseAxis.For(geo.Kw, geo.Padding, geo.Stride, geo.GridW);
            int length = checked(geo.ImageChannels * geo.Stride * geo.Stride * Rows.Length * Cols.Length + RunSlack<T>());
            if (s_buffer is null || s_buffer.Length < length) s_buffer = GC.AllocateUninitializedArray<T>(length);
            Data = s_buffer.AsSpan(0, length);
        }

        public int PlaneSize => Rows.Length * Cols.Length;

        /// <summary>Plane (rowPhase, colPhase) of channel c and everything after it.</summary>
        public Span<T> Plane(int c, int rowPhase, int colPhase) =>
            Data[(((c * _geo.Stride + rowPhase) * _geo.Stride + colPhase) * PlaneSize)..];

        /// <summary>Fills the planes from the image, zero where they reach into the padding.</summary>
        public void Split(ReadOnlySpan<T> image)
        {
            // One clear of the whole buffer, then the pixels: cheaper than clearing each short border piece.
            Data.Clear();
            Transfer(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(image), image.Length), toPlanes: true);
        }

        /// <summary>Adds the planes back onto the image pixels they hold; what lies in the padding is dropped.</summary>
        public void AddTo(Span<T> image) => Transfer(image, toPlanes: false);

        /// <summary>Visits every plane element that holds an image pixel: copies the pixel in, or adds the element onto it.</summary>
        private void Transfer(Span<T> image, bool toPlanes)
        {
            int h = _geo.ImageH, w = _geo.ImageW, s = _geo.Stride, lr = Rows.Length, lc = Cols.Length;
            for (int c = 0; c < _geo.ImageChannels; c++)
            {
                var channel = image.Slice(c * h * w, h * w);
                for (int ry = 0; ry < s; ry++)
                {
                    var (tLo, tHi) = ValidRange(Rows.Origin(ry), h, s, lr);
                    for (int rx = 0; rx < s; rx++)
                    {
                        var plane = Plane(c, ry, rx)[..PlaneSize];
                        var (uLo, uHi) = ValidRange(Cols.Origin(rx), w, s, lc);
                        for (int t = tLo; t < tHi; t++)
                        {
                            var row = plane.Slice(t * lc, lc);
                            var pixels = channel.Slice((s * t + Rows.Origin(ry)) * w);
                            int x0 = s * uLo + Cols.Origin(rx);
                            if (toPlanes) for (int u = uLo, x = x0; u < uHi; u++, x += s) row[u] = pixels[x];
                            else for (int u = uLo, x = x0; u < uHi; u++, x += s) pixels[x] += row[u];
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Where unfolding row (c, a, b) reads its runs: grid row i of that row is the gw values from here on,
        /// i <see cref="Cols"/>.Length further for each i.
        /// </summary>
        public ref T RunStart(int c, int a, int b)
        {
            var (ra, ta) = Rows.Split(a);
            var (rb, ub) = Cols.Split(b);
            return ref MemoryMarshal.GetReference(Plane(c, ra, rb)[(ta * Cols.Length + ub)..]);
        }
    }

    /// <summary>
    /// Elements past the end of a run that <see cref="CopyRun{T}"/> and <see cref="AddRun{T}"/> may read and rewrite
    /// unchanged (they work in whole vectors): the unfoldings and phase planes carry this much slack.
    /// </summary>
    internal static int RunSlack<T>() where T : unmanaged => Vector256<T>.Count;

    /// <summary>
    /// Unfolds one image [Ci, H, W] into the rows of col, one every <paramref name="ld"/> elements: row (c, a, b),
    /// column (i, j) holds image[c, i stride - padding + a, j stride - padding + b], or 0 where that falls in the
    /// padding. Writes the first H' W' elements of every row; col must reach <see cref="RunSlack{T}"/> elements past
    /// the last row's H' W' (they are read and written back unchanged).
    /// </summary>
    internal static void Im2Col<T>(ConvGeometry geo, ReadOnlySpan<T> image, Span<T> col, int ld) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths<T>(geo, image.Length, col.Length, ld);
        var phases = new PhasePlanes<T>(geo);
        phases.Split(image);
        int gh = geo.GridH, gw = geo.GridW, lc = phases.Cols.Length, row = 0;
        for (int c = 0; c < geo.ImageChannels; c++)
            for (int a = 0; a < geo.Kh; a++)
                for (int b = 0; b < geo.Kw; b++, row++)
                {
                    ref T src = ref phases.RunStart(c, a, b);
                    ref T dst = ref MemoryMarshal.GetReference(col[(row * ld)..]);
                    // Every run but the last may spill whole vectors into the next one, which overwrites it.
                    for (int i = 0; i < gh; i++) CopyRun(ref Unsafe.Add(ref src, i * lc), ref Unsafe.Add(ref dst, i * gw), gw, spill: i < gh - 1);
                }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col{T}"/>: adds each col entry back onto the image pixel it was read from
    /// (col with the same slack).
    /// </summary>
    internal static void Col2Im<T>(ConvGeometry geo, ReadOnlySpan<T> col, int ld, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths<T>(geo, image.Length, col.Length, ld);
        var phases = new PhasePlanes<T>(geo);
        phases.Data.Clear();
        int gh = geo.GridH, gw = geo.GridW, lc = phases.Cols.Length, row = 0;
        for (int c = 0; c < geo.ImageChannels; c++)
            for (int a = 0; a < geo.Kh; a++)
                for (int b = 0; b < geo.Kw; b++, row++)
                {
                    ref T dst = ref phases.RunStart(c, a, b);
                    ref T src = ref MemoryMarshal.GetReference(col[(row * ld)..]);
                    for (int i = 0; i < gh; i++) AddRun(ref Unsafe.Add(ref src, i * gw), ref Unsafe.Add(ref dst, i * lc), gw);
                }
        phases.AddTo(image);
    }

    /// <summary>
    /// dst[0, n) = src[0, n) in whole vectors. With <paramref name="spill"/> the last vector may overwrite dst past n
    /// (the caller writes there next); without, it keeps dst's own values there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(ref T src, ref T dst, int n, bool spill) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            int whole = spill ? n : n - Vector256<T>.Count + 1;
            for (; j < whole; j += Vector256<T>.Count)
                Vector256.LoadUnsafe(ref src, (nuint)j).StoreUnsafe(ref dst, (nuint)j);
            if (j < n)
            {
                var keep = TailMask<T>(n - j);
                Vector256.ConditionalSelect(keep, Vector256.LoadUnsafe(ref src, (nuint)j), Vector256.LoadUnsafe(ref dst, (nuint)j))
                    .StoreUnsafe(ref dst, (nuint)j);
            }
            return;
        }
        for (; j < n; j++) Unsafe.Add(ref dst, j) = Unsafe.Add(ref src, j);
    }

    /// <summary>dst[0, n) += src[0, n) in whole vectors; the last one keeps dst's own values past n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun<T>(ref T src, ref T dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - Vector256<T>.Count; j += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref dst, (nuint)j) + Vector256.LoadUnsafe(ref src, (nuint)j)).StoreUnsafe(ref dst, (nuint)j);
            if (j < n)
            {
                var old = Vector256.LoadUnsafe(ref dst, (nuint)j);
                Vector256.ConditionalSelect(TailMask<T>(n - j), old + Vector256.LoadUnsafe(ref src, (nuint)j), old).StoreUnsafe(ref dst, (nuint)j);
            }
            return;
        }
        for (; j < n; j++) Unsafe.Add(ref dst, j) += Unsafe.Add(ref src, j);
    }

    /// <summary>All bits set in the first <paramref name="count"/> lanes.</summary>
    private static Vector256<T> TailMask<T>(int count) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));

    /// <summary>The sizes Im2Col and Col2Im rely on, slack included.</summary>
    private static void CheckLengths<T>(ConvGeometry geo, int imageLength, int colLength, int ld) where T : unmanaged
    {
        if (imageLength < geo.ImageSize || ld < geo.GridPixels || (long)(geo.PatchLength - 1) * ld + geo.GridPixels + RunSlack<T>() > colLength)
            throw new ArgumentException(
                $"im2col: an image of {imageLength} and an unfolding of {colLength} elements (row stride {ld}) are too small for " +
                $"{geo.ImageSize}-element images and {geo.PatchLength} rows of {geo.GridPixels} followed by {RunSlack<T>()} elements of slack.");
    }
}
