using System.Numerics;
using System.Numerics.Tensors;

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
/// Three per-image primitives cover both ops and all their gradients (grid g = W col(image)):
/// <list type="bullet">
/// <item>lower: grid = W[Cg, P] x im2col(image)[P, L] — conv forward, transposed conv's input gradient;</item>
/// <item>raise: image = col2im(W^T x grid) — transposed conv forward, conv's input gradient (the adjoint of lower);</item>
/// <item>weight gradient: dW += grid[Cg, L] x im2col(image)^T — the same for both ops.</item>
/// </list>
/// Images are split into a fixed number of chunks that depends only on the batch size, chunks run in parallel,
/// and each chunk accumulates its own weight-gradient partial which are then summed in chunk order, so the
/// result is bit-for-bit the same on every run whatever the thread timing.
/// </summary>
internal static class Convolution
{
    /// <summary>At most this many chunks (and weight-gradient partials) per call; more gains no balance on a few cores.</summary>
    private const int MaxChunks = 8;

    /// <summary>Below this many multiply-adds per call the images run on the calling thread.</summary>
    private const long ParallelWork = 1 << 18;

    private delegate void ChunkBody<T>(int chunk, int start, int end, T[] scratch);

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
        int cg = geo.GridChannels, p = geo.PatchLength, l = geo.GridPixels;
        ForChunks<T>(geo.Batch, geo.WorkPerImage, p * l, (_, start, end, col) =>
        {
            ReadOnlySpan<T> wm = w.AsSpan<T>(), images = image.AsSpan<T>();
            ReadOnlySpan<T> b = bias is null ? default : bias.AsSpan<T>();
            var grids = grid.AsSpan<T>();
            for (int n = start; n < end; n++)
            {
                Im2Col(geo, images.Slice(n * geo.ImageSize, geo.ImageSize), col);
                var gn = grids.Slice(n * geo.GridSize, geo.GridSize);
                // Seed each channel's row with its bias so the GEMM accumulates onto it (beta = 1).
                if (bias is not null)
                    for (int o = 0; o < cg; o++) gn.Slice(o * l, l).Fill(b[o]);
                Gemm.Run(false, false, cg, l, p, T.One, wm, p, col, l, bias is null ? T.Zero : T.One, gn, l);
            }
        });
    }

    /// <summary>image[n] = col2im(W^T x grid[n]) (+ bias per image channel).</summary>
    private static void Raise<T>(ConvGeometry geo, Tensor grid, Tensor w, Tensor? bias, Tensor image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength, l = geo.GridPixels, plane = geo.ImageH * geo.ImageW;
        ForChunks<T>(geo.Batch, geo.WorkPerImage, p * l, (_, start, end, col) =>
        {
            ReadOnlySpan<T> wm = w.AsSpan<T>(), grids = grid.AsSpan<T>();
            ReadOnlySpan<T> b = bias is null ? default : bias.AsSpan<T>();
            var images = image.AsSpan<T>();
            for (int n = start; n < end; n++)
            {
                Gemm.Run(true, false, p, l, cg, T.One, wm, p, grids.Slice(n * geo.GridSize, geo.GridSize), l, T.Zero, col, l);
                var imn = images.Slice(n * geo.ImageSize, geo.ImageSize);
                if (bias is null) imn.Clear();
                else for (int c = 0; c < geo.ImageChannels; c++) imn.Slice(c * plane, plane).Fill(b[c]);
                Col2Im(geo, col, imn);
            }
        });
    }

    /// <summary>
    /// Conv backward: gx[n] = col2im(W^T g[n]) (raise), gw = sum_n g[n] im2col(x[n])^T.
    /// One scratch serves both: the weight gradient reads im2col(x[n]) before the raise overwrites it.
    /// </summary>
    private static void ConvBackward<T>(ConvGeometry geo, Tensor x, Tensor w, Tensor g, Tensor? gx, Tensor? gw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength, l = geo.GridPixels;
        var partials = new WeightPartials<T>(gw, geo.Batch, geo.WeightLength);
        long work = geo.WorkPerImage * ((gx is null ? 0 : 1) + (gw is null ? 0 : 1));
        ForChunks<T>(geo.Batch, work, p * l, (chunk, start, end, col) =>
        {
            ReadOnlySpan<T> wm = w.AsSpan<T>(), xs = x.AsSpan<T>(), gs = g.AsSpan<T>();
            var dw = partials.For(chunk);
            for (int n = start; n < end; n++)
            {
                var gn = gs.Slice(n * geo.GridSize, geo.GridSize);
                if (gw is not null)
                {
                    Im2Col(geo, xs.Slice(n * geo.ImageSize, geo.ImageSize), col);
                    // dW[Cg, P] (+)= g[Cg, L] x col[P, L]^T; the chunk's first image overwrites the partial.
                    Gemm.Run(false, true, cg, p, l, T.One, gn, l, col, l, n == start ? T.Zero : T.One, dw, p);
                }
                if (gx is not null)
                {
                    Gemm.Run(true, false, p, l, cg, T.One, wm, p, gn, l, T.Zero, col, l);
                    var dxn = gx.AsSpan<T>().Slice(n * geo.ImageSize, geo.ImageSize);
                    dxn.Clear();
                    Col2Im(geo, col, dxn);
                }
            }
        });
        partials.Reduce();
    }

    /// <summary>
    /// Transposed conv backward: gx[n] = W im2col(g[n]) (lower), gw = sum_n x[n] im2col(g[n])^T;
    /// both read the same unfolding of g[n].
    /// </summary>
    private static void ConvTransposeBackward<T>(ConvGeometry geo, Tensor x, Tensor w, Tensor g, Tensor? gx, Tensor? gw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = geo.GridChannels, p = geo.PatchLength, l = geo.GridPixels;
        var partials = new WeightPartials<T>(gw, geo.Batch, geo.WeightLength);
        long work = geo.WorkPerImage * ((gx is null ? 0 : 1) + (gw is null ? 0 : 1));
        ForChunks<T>(geo.Batch, work, p * l, (chunk, start, end, col) =>
        {
            ReadOnlySpan<T> wm = w.AsSpan<T>(), xs = x.AsSpan<T>(), gs = g.AsSpan<T>();
            var dw = partials.For(chunk);
            for (int n = start; n < end; n++)
            {
                Im2Col(geo, gs.Slice(n * geo.ImageSize, geo.ImageSize), col);
                if (gx is not null)
                    Gemm.Run(false, false, cg, l, p, T.One, wm, p, col, l, T.Zero, gx.AsSpan<T>().Slice(n * geo.GridSize, geo.GridSize), l);
                if (gw is not null)
                    Gemm.Run(false, true, cg, p, l, T.One, xs.Slice(n * geo.GridSize, geo.GridSize), l, col, l, n == start ? T.Zero : T.One, dw, p);
            }
        });
        partials.Reduce();
    }

    /// <summary>
    /// One weight-gradient buffer per chunk: chunk 0 writes straight into the result, the others into one shared
    /// block; <see cref="Reduce"/> adds them in chunk order so the sum never depends on which thread ran what.
    /// </summary>
    private sealed class WeightPartials<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Tensor? _result;
        private readonly T[]? _extra;
        private readonly int _length;
        private readonly int _chunks;

        public WeightPartials(Tensor? result, int batch, int length)
        {
            _result = result;
            _length = length;
            _chunks = ChunkCount(batch);
            // Uninitialised is safe: each chunk's first image writes its partial with beta = 0.
            if (result is not null && _chunks > 1) _extra = GC.AllocateUninitializedArray<T>((_chunks - 1) * length);
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

    private static int ChunkCount(int batch) => Math.Min(batch, MaxChunks);

    /// <summary>
    /// Runs body over [0, batch) split into <see cref="ChunkCount"/> balanced contiguous chunks; each worker
    /// thread allocates one scratch of <paramref name="scratchLength"/> elements and reuses it for every image
    /// it processes. The split depends only on the batch size.
    /// </summary>
    private static void ForChunks<T>(int batch, long workPerImage, int scratchLength, ChunkBody<T> body) where T : unmanaged
    {
        int chunks = ChunkCount(batch);
        if (chunks == 0) return;
        if (chunks == 1 || workPerImage * batch < ParallelWork)
        {
            var scratch = GC.AllocateUninitializedArray<T>(scratchLength);
            for (int c = 0; c < chunks; c++) body(c, ChunkStart(batch, chunks, c), ChunkStart(batch, chunks, c + 1), scratch);
            return;
        }
        Parallel.For(0, chunks,
            () => GC.AllocateUninitializedArray<T>(scratchLength),
            (c, _, scratch) =>
            {
                body(c, ChunkStart(batch, chunks, c), ChunkStart(batch, chunks, c + 1), scratch);
                return scratch;
            },
            _ => { });
    }

    private static int ChunkStart(int batch, int chunks, int c) => (int)((long)batch * c / chunks);

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

    /// <summary>
    /// First and one-past-last grid column whose window column ow stride - padding + kj lies inside [0, width):
    /// the columns outside read padding.
    /// </summary>
    private static (int Lo, int Hi) ValidRange(int offset, int size, int stride, int gridSize)
    {
        // Need 0 <= g stride + offset < size, with offset = k - padding.
        int lo = offset >= 0 ? 0 : Math.Min(gridSize, (-offset + stride - 1) / stride);
        int last = size - 1 - offset;
        int hi = last < 0 ? 0 : Math.Min(gridSize, last / stride + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// Unfolds one image [Ci, H, W] into col [Ci kh kw, H' W']: row (c, a, b), column (i, j) holds
    /// image[c, i stride - padding + a, j stride - padding + b], or 0 where that falls in the padding.
    /// Writes every element of col.
    /// </summary>
    internal static void Im2Col<T>(ConvGeometry geo, ReadOnlySpan<T> image, Span<T> col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = geo.ImageH, w = geo.ImageW, gh = geo.GridH, gw = geo.GridW, s = geo.Stride, pad = geo.Padding;
        int l = gh * gw, row = 0;
        for (int c = 0; c < geo.ImageChannels; c++)
        {
            var plane = image.Slice(c * h * w, h * w);
            for (int a = 0; a < geo.Kh; a++)
            {
                for (int b = 0; b < geo.Kw; b++, row++)
                {
                    var dst = col.Slice(row * l, l);
                    var (lo, hi) = ValidRange(b - pad, w, s, gw);
                    for (int i = 0; i < gh; i++)
                    {
                        var d = dst.Slice(i * gw, gw);
                        int ih = i * s - pad + a;
                        if ((uint)ih >= (uint)h || lo == hi) { d.Clear(); continue; }
                        d[..lo].Clear();
                        d[hi..].Clear();
                        int src = ih * w + lo * s - pad + b;
                        if (s == 1) plane.Slice(src, hi - lo).CopyTo(d[lo..hi]);
                        else for (int j = lo; j < hi; j++, src += s) d[j] = plane[src];
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds each col entry back onto the image pixel it was read from.</summary>
    internal static void Col2Im<T>(ConvGeometry geo, ReadOnlySpan<T> col, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = geo.ImageH, w = geo.ImageW, gh = geo.GridH, gw = geo.GridW, s = geo.Stride, pad = geo.Padding;
        int l = gh * gw, row = 0;
        for (int c = 0; c < geo.ImageChannels; c++)
        {
            var plane = image.Slice(c * h * w, h * w);
            for (int a = 0; a < geo.Kh; a++)
            {
                for (int b = 0; b < geo.Kw; b++, row++)
                {
                    var (lo, hi) = ValidRange(b - pad, w, s, gw);
                    if (lo == hi) continue;
                    var srcRow = col.Slice(row * l, l);
                    for (int i = 0; i < gh; i++)
                    {
                        int ih = i * s - pad + a;
                        if ((uint)ih >= (uint)h) continue;
                        var d = srcRow.Slice(i * gw, gw);
                        int dst = ih * w + lo * s - pad + b;
                        if (s == 1)
                        {
                            var target = plane.Slice(dst, hi - lo);
                            TensorPrimitives.Add(target, d[lo..hi], target);
                        }
                        else for (int j = lo; j < hi; j++, dst += s) plane[dst] += d[j];
                    }
                }
            }
        }
    }
}
