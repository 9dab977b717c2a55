using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Ops;

public class ConvolutionTests
{
    private readonly Generator _g = new(11);

    // ---- references -------------------------------------------------------------------------------------

    /// <summary>The definition, one multiply-add at a time: y[n,o,i,j] = b[o] + sum_{c,a,b} w[o,c,a,b] x[n,c,i s - p + a, j s - p + b].</summary>
    private static double[] NaiveConv(double[] x, int[] xs, double[] w, int[] ws, double[]? bias, int s, int p, out int[] ys)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
        int oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1;
        ys = [n, o, oh, ow];
        var y = new double[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = bias?[oi] ?? 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                {
                                    int ih = i * s - p + a, iw = j * s - p + b;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    acc += w[((oi * c + ci) * kh + a) * kw + b] * x[((ni * c + ci) * h + ih) * wd + iw];
                                }
                        y[((ni * o + oi) * oh + i) * ow + j] = acc;
                    }
        return y;
    }

    /// <summary>The adjoint of <see cref="NaiveConv"/> with weight [C, O, kh, kw]: each input pixel scatters its window.</summary>
    private static double[] NaiveConvTranspose(double[] x, int[] xs, double[] w, int[] ws, double[]? bias, int s, int p, int op, out int[] ys)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[1], kh = ws[2], kw = ws[3];
        int oh = (h - 1) * s - 2 * p + kh + op, ow = (wd - 1) * s - 2 * p + kw + op;
        ys = [n, o, oh, ow];
        var y = new double[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int k = 0; k < oh * ow; k++) y[(ni * o + oi) * oh * ow + k] = bias?[oi] ?? 0;
        for (int ni = 0; ni < n; ni++)
            for (int ci = 0; ci < c; ci++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < wd; j++)
                        for (int oi = 0; oi < o; oi++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                {
                                    int yh = i * s - p + a, yw = j * s - p + b;
                                    if (yh < 0 || yh >= oh || yw < 0 || yw >= ow) continue;
                                    y[((ni * o + oi) * oh + yh) * ow + yw] += w[((ci * o + oi) * kh + a) * kw + b] * x[((ni * c + ci) * h + i) * wd + j];
                                }
        return y;
    }

    private static void AssertClose(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static double Dot(Tensor a, Tensor b)
    {
        var x = a.ToDoubleArray(); var y = b.ToDoubleArray();
        Assert.Equal(x.Length, y.Length);
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    // ---- hand-computed values --------------------------------------------------------------------------

    [Fact]
    public void TinyConvMatchesHandArithmetic()
    {
        // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], b = 0.5, stride 1, padding 0 -> 2x2:
        // y00 = 1*1 + 2*2 + 3*4 + 4*5 + 0.5 = 1 + 4 + 12 + 20 + 0.5 = 37.5
        // y01 = 1*2 + 2*3 + 3*5 + 4*6 + 0.5 = 2 + 6 + 15 + 24 + 0.5 = 47.5
        // y10 = 1*4 + 2*5 + 3*7 + 4*8 + 0.5 = 4 + 10 + 21 + 32 + 0.5 = 67.5
        // y11 = 1*5 + 2*6 + 3*8 + 4*9 + 0.5 = 5 + 12 + 24 + 36 + 0.5 = 77.5
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var w = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        var b = Tensor.FromArray(new float[] { 0.5f }, 1);
        var y = F.Conv2d(x, w, b);
        Assert.Equal(new[] { 1, 1, 2, 2 }, y.ShapeArray());
        Assert.Equal(new float[] { 37.5f, 47.5f, 67.5f, 77.5f }, y.ToArray());

        // Same x and w, stride 2, padding 1 -> floor((3 + 2 - 2) / 2) + 1 = 2 per side; window origins at -1 and 1:
        // y00 covers rows/cols {-1, 0}: only x[0,0] = 1 under w[1,1] = 4 -> 4
        // y01 covers rows {-1, 0}, cols {1, 2}: x[0,1] = 2 under w[1,0] = 3, x[0,2] = 3 under w[1,1] = 4 -> 6 + 12 = 18
        // y10 covers rows {1, 2}, cols {-1, 0}: x[1,0] = 4 under w[0,1] = 2, x[2,0] = 7 under w[1,1] = 4 -> 8 + 28 = 36
        // y11 covers rows {1, 2}, cols {1, 2}: 5*1 + 6*2 + 8*3 + 9*4 = 5 + 12 + 24 + 36 = 77
        var y2 = F.Conv2d(x, w, null, stride: 2, padding: 1);
        Assert.Equal(new float[] { 4, 18, 36, 77 }, y2.ToArray());
    }

    [Fact]
    public void TinyConvTransposeMatchesHandArithmetic()
    {
        // x = [[1,2],[3,4]], w = ones(2,2), stride 1: each pixel adds itself onto a 2x2 window -> 3x3:
        // [[1, 1+2, 2], [1+3, 1+2+3+4, 2+4], [3, 3+4, 4]] = [[1,3,2],[4,10,6],[3,7,4]]
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        var w = Tensor.Ones([1, 1, 2, 2], DType.Float64);
        var y = F.ConvTranspose2d(x, w);
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.ShapeArray());
        Assert.Equal(new double[] { 1, 3, 2, 4, 10, 6, 3, 7, 4 }, y.ToDoubleArray());

        // stride 2, w = [[1,2],[3,4]], bias -1: the windows tile a 4x4 output without overlap, pixel v writes v*w - 1:
        // row 0: 1*1-1, 1*2-1, 2*1-1, 2*2-1 = 0, 1, 1, 3     row 1: 1*3-1, 1*4-1, 2*3-1, 2*4-1 = 2, 3, 5, 7
        // row 2: 3*1-1, 3*2-1, 4*1-1, 4*2-1 = 2, 5, 3, 7     row 3: 3*3-1, 3*4-1, 4*3-1, 4*4-1 = 8, 11, 11, 15
        var w2 = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        var b2 = Tensor.FromArray(new double[] { -1 }, 1);
        var y2 = F.ConvTranspose2d(x, w2, b2, stride: 2);
        Assert.Equal(new double[] { 0, 1, 1, 3, 2, 3, 5, 7, 2, 5, 3, 7, 8, 11, 11, 15 }, y2.ToDoubleArray());
    }

    // ---- against the direct loops ----------------------------------------------------------------------

    // n, c, h, w, o, kh, kw, stride, padding
    public static TheoryData<int, int, int, int, int, int, int, int, int> ConvCases => new()
    {
        { 1, 1, 5, 5, 1, 3, 3, 1, 0 },
        { 2, 3, 6, 5, 4, 3, 2, 1, 1 },
        { 3, 2, 7, 8, 3, 2, 3, 2, 0 },
        { 2, 2, 7, 6, 2, 3, 3, 2, 1 },
        { 2, 3, 9, 4, 2, 4, 1, 3, 2 },
        { 1, 2, 2, 3, 3, 3, 4, 1, 1 },   // kernel wider than the unpadded input
        { 2, 1, 1, 1, 2, 1, 1, 1, 0 },
        { 2, 2, 5, 6, 3, 2, 1, 2, 3 },   // padding wider than the kernel: whole windows in the padding
        { 2, 2, 6, 37, 3, 3, 3, 1, 1 },  // grid rows of 37: whole vectors and a tail per run
        { 2, 3, 11, 40, 2, 4, 4, 2, 1 }, // the conv VAE's 4x4 stride-2 windows on rows of 20
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvMatchesDirectLoops(int n, int c, int h, int w, int o, int kh, int kw, int s, int p)
    {
        var x = Tensor.Randn([n, c, h, w], _g, DType.Float64);
        var wt = Tensor.Randn([o, c, kh, kw], _g, DType.Float64);
        var b = Tensor.Randn([o], _g, DType.Float64);
        var expected = NaiveConv(x.ToDoubleArray(), x.ShapeArray(), wt.ToDoubleArray(), wt.ShapeArray(), b.ToDoubleArray(), s, p, out var ys);
        var y = F.Conv2d(x, wt, b, s, p);
        Assert.Equal(ys, y.ShapeArray());
        AssertClose(expected, y.ToDoubleArray(), 1e-12);

        var y32 = F.Conv2d(x.To(DType.Float32), wt.To(DType.Float32), b.To(DType.Float32), s, p);
        Assert.Equal(DType.Float32, y32.DType);
        AssertClose(expected, y32.ToDoubleArray(), 1e-5);

        var noBias = NaiveConv(x.ToDoubleArray(), x.ShapeArray(), wt.ToDoubleArray(), wt.ShapeArray(), null, s, p, out _);
        AssertClose(noBias, F.Conv2d(x, wt, null, s, p).ToDoubleArray(), 1e-12);
    }

    // n, c, h, w, o, kh, kw, stride, padding, outputPadding
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> ConvTransposeCases => new()
    {
        { 1, 1, 3, 3, 1, 3, 3, 1, 0, 0 },
        { 2, 3, 4, 5, 2, 3, 2, 1, 1, 0 },
        { 2, 2, 3, 4, 3, 2, 3, 2, 0, 1 },
        { 3, 2, 4, 3, 2, 4, 4, 2, 1, 0 },
        { 2, 2, 3, 3, 2, 3, 3, 2, 1, 1 },
        { 1, 3, 2, 5, 2, 1, 4, 3, 0, 2 },
        { 2, 1, 1, 1, 2, 3, 3, 2, 1, 1 },
        { 2, 2, 9, 17, 3, 4, 4, 2, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(ConvTransposeCases))]
    public void ConvTransposeMatchesDirectLoops(int n, int c, int h, int w, int o, int kh, int kw, int s, int p, int op)
    {
        var x = Tensor.Randn([n, c, h, w], _g, DType.Float64);
        var wt = Tensor.Randn([c, o, kh, kw], _g, DType.Float64);
        var b = Tensor.Randn([o], _g, DType.Float64);
        var expected = NaiveConvTranspose(x.ToDoubleArray(), x.ShapeArray(), wt.ToDoubleArray(), wt.ShapeArray(), b.ToDoubleArray(), s, p, op, out var ys);
        var y = F.ConvTranspose2d(x, wt, b, s, p, op);
        Assert.Equal(ys, y.ShapeArray());
        AssertClose(expected, y.ToDoubleArray(), 1e-12);

        var y32 = F.ConvTranspose2d(x.To(DType.Float32), wt.To(DType.Float32), b.To(DType.Float32), s, p, op);
        AssertClose(expected, y32.ToDoubleArray(), 1e-5);
    }

    // ---- gradients -------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvGradientsMatchFiniteDifferences(int n, int c, int h, int w, int o, int kh, int kw, int s, int p)
    {
        var x = Rand64(_g, n, c, h, w);
        var wt = Rand64(_g, o, c, kh, kw);
        var b = Rand64(_g, o);
        AssertGrad(t => F.Conv2d(t[0], t[1], t[2], s, p), x, wt, b);
        AssertGrad(t => F.Conv2d(t[0], t[1], null, s, p), x, wt);
    }

    [Theory]
    [MemberData(nameof(ConvTransposeCases))]
    public void ConvTransposeGradientsMatchFiniteDifferences(int n, int c, int h, int w, int o, int kh, int kw, int s, int p, int op)
    {
        var x = Rand64(_g, n, c, h, w);
        var wt = Rand64(_g, c, o, kh, kw);
        var b = Rand64(_g, o);
        AssertGrad(t => F.ConvTranspose2d(t[0], t[1], t[2], s, p, op), x, wt, b);
        AssertGrad(t => F.ConvTranspose2d(t[0], t[1], null, s, p, op), x, wt);
    }

    [Fact]
    public void GradientsFlowWhenOnlySomeInputsRequireThem()
    {
        // First layer of a model: the data needs no gradient, only the parameters do (and the other way round).
        var x = Tensor.Randn([2, 2, 5, 5], _g, DType.Float64);
        var w = Rand64(_g, 3, 2, 3, 3);
        var b = Rand64(_g, 3);
        AssertGrad(t => F.Conv2d(t[0], t[1], t[2], 2, 1), x, w, b);
        Assert.Null(x.Grad);

        var x2 = Rand64(_g, 2, 2, 5, 5);
        var w2 = Tensor.Randn([3, 2, 3, 3], _g, DType.Float64);
        AssertGrad(t => F.Conv2d(t[0], t[1], null, 1, 1), x2, w2);
        AssertGrad(t => F.ConvTranspose2d(t[0], t[1], null, 2, 1, 1), Rand64(_g, 2, 3, 3, 3), Tensor.Randn([3, 2, 3, 3], _g, DType.Float64));
        AssertGrad(t => F.ConvTranspose2d(t[0], t[1], null, 2, 1, 1), Tensor.Randn([2, 3, 3, 3], _g, DType.Float64), Rand64(_g, 3, 2, 3, 3));
    }

    [Fact]
    public void ConvGradientsAreTheTransposedConvAndViceVersa()
    {
        // d<conv(x, w), g>/dx = convT(g, w) and d<convT(z, w), g>/dz = conv(g, w): the two ops are each other's adjoint.
        var x = Rand64(_g, 2, 3, 7, 7);
        var w = Tensor.Randn([4, 3, 3, 3], _g, DType.Float64);
        var y = F.Conv2d(x, w, null, 2, 1);                         // [2, 4, 4, 4]
        var g = Tensor.Randn(y.ShapeArray(), _g, DType.Float64);
        y.Backward(g);
        // 7 = (4 - 1) 2 - 2 + 3 + 0
        AssertClose(F.ConvTranspose2d(g, w, null, 2, 1, 0).ToDoubleArray(), x.Grad!.ToDoubleArray(), 1e-12);

        var z = Rand64(_g, 2, 4, 4, 4);
        var yt = F.ConvTranspose2d(z, w, null, 2, 1, 0);            // [2, 3, 7, 7]
        var gt = Tensor.Randn(yt.ShapeArray(), _g, DType.Float64);
        yt.Backward(gt);
        AssertClose(F.Conv2d(gt, w, null, 2, 1).ToDoubleArray(), z.Grad!.ToDoubleArray(), 1e-12);
    }

    [Theory]
    [InlineData(1, 0, 3, 3, 9, 8)]
    [InlineData(2, 1, 3, 3, 9, 7)]
    [InlineData(2, 1, 3, 3, 8, 6)]
    [InlineData(2, 0, 2, 3, 9, 8)]
    [InlineData(3, 2, 4, 3, 9, 8)]
    [InlineData(3, 2, 4, 3, 8, 10)]
    public void ConvAndTransposedConvAreAdjoint(int s, int p, int kh, int kw, int h, int wd)
    {
        // <conv(x, w), y> = <x, convT(y, w)> for every x, y: the identity that makes convT conv's input gradient.
        var w = Tensor.Randn([4, 3, kh, kw], _g, DType.Float64);
        var x = Tensor.Randn([2, 3, h, wd], _g, DType.Float64);
        var cx = F.Conv2d(x, w, null, s, p);
        var y = Tensor.Randn(cx.ShapeArray(), _g, DType.Float64);
        // outputPadding restores the rows a stride-s conv skipped at the end: (h + 2p - kh) mod s; both sides equal here.
        Assert.Equal((h + 2 * p - kh) % s, (wd + 2 * p - kw) % s);
        var cty = F.ConvTranspose2d(y, w, null, s, p, (h + 2 * p - kh) % s);
        Assert.Equal(x.ShapeArray(), cty.ShapeArray());
        double lhs = Dot(cx, y), rhs = Dot(x, cty);
        Assert.True(Math.Abs(lhs - rhs) <= 1e-10 * (1 + Math.Abs(lhs)), $"<conv x, y> = {lhs:R} but <x, convT y> = {rhs:R}");
    }

    // ---- batch split, threads and determinism ----------------------------------------------------------

    /// <summary>
    /// Back-propagates a random gradient through <paramref name="net"/> on the whole batch, then on each image alone:
    /// each image's input gradient must equal its slice of the batch's, and the parameters' gradients their sum.
    /// </summary>
    private void AssertBatchEqualsPerImage(Tensor x, Func<Tensor, Tensor> net, Tensor[] parameters, double parameterTol)
    {
        var y = net(x);
        var g = Tensor.Randn(y.ShapeArray(), _g, DType.Float64);
        y.Backward(g);
        var batchGx = x.Grad!.ToDoubleArray();
        var batchGp = parameters.Select(p => p.Grad!.ToDoubleArray()).ToArray();

        var sums = batchGp.Select(b => new double[b.Length]).ToArray();
        int images = x.Shape[0], imageSize = x.Numel / images;
        for (int n = 0; n < images; n++)
        {
            foreach (var p in parameters) p.Grad = null;
            var xn = x.Detach().Slice(n, n + 1).Clone().RequiresGrad_();
            net(xn).Backward(g.Slice(n, n + 1).Clone());
            for (int k = 0; k < parameters.Length; k++)
            {
                var gp = parameters[k].Grad!.ToDoubleArray();
                for (int i = 0; i < gp.Length; i++) sums[k][i] += gp[i];
            }
            AssertClose(batchGx.AsSpan(n * imageSize, imageSize).ToArray(), xn.Grad!.ToDoubleArray(), 1e-12);
        }
        for (int k = 0; k < parameters.Length; k++) AssertClose(sums[k], batchGp[k], parameterTol);
    }

    [Fact]
    public void BatchedGradientsEqualPerImageGradients()
    {
        // 16 images of 4x12x12 with 8 output channels: 16 * 8 * 36 * 144 multiply-adds, enough to run on threads
        // and to split the batch into partial weight gradients; every image alone goes through one chunk.
        var x = Rand64(_g, 16, 4, 12, 12);
        var w = Rand64(_g, 8, 4, 3, 3);
        var b = Rand64(_g, 8);
        AssertBatchEqualsPerImage(x, t => F.Conv2d(t, w, b, 1, 1), [w, b], 1e-12);
    }

    [Fact]
    public void ChunksOfSeveralGroupsGiveThePerImageResults()
    {
        // (64 unfolded + 3 grid values) x 1024 pixels per image: a group holds 3 images, so the 8 chunks of 5 images
        // each run two groups (2 + 3) and the weight gradient sums across groups within a chunk as well as across chunks.
        var x = Rand64(_g, 40, 4, 35, 35);
        var w = Rand64(_g, 3, 4, 4, 4);
        var wt = Rand64(_g, 3, 4, 4, 4);
        using (Tensor.NoGrad())
        {
            var h = F.Conv2d(x, w, null, 1, 0);             // [40, 3, 32, 32]
            AssertClose(NaiveConv(x.ToDoubleArray(), x.ShapeArray(), w.ToDoubleArray(), w.ShapeArray(), null, 1, 0, out _), h.ToDoubleArray(), 1e-12);
        }
        AssertBatchEqualsPerImage(x, t => F.ConvTranspose2d(F.Conv2d(t, w, null, 1, 0), wt, null, 1, 0, 0), [w, wt], 1e-11);
    }

    [Fact]
    public void RepeatedRunsAreBitwiseIdentical()
    {
        var gen = new Generator(5);
        var x = Tensor.Randn([13, 3, 14, 14], gen).RequiresGrad_();
        var w = Tensor.Randn([6, 3, 4, 4], gen).RequiresGrad_();
        var wt = Tensor.Randn([6, 3, 4, 4], gen).RequiresGrad_();
        (float[] Y, float[] Gx, float[] Gw, float[] Gwt) Run()
        {
            x.Grad = null; w.Grad = null; wt.Grad = null;
            var h = F.Conv2d(x, w, null, 2, 1);                 // [13, 6, 7, 7]
            var y = F.ConvTranspose2d(h, wt, null, 2, 1, 0);    // [13, 3, 14, 14]
            y.Square().Sum().Backward();
            return (y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), wt.Grad!.ToArray());
        }
        var first = Run();
        for (int rep = 0; rep < 3; rep++)
        {
            var again = Run();
            Assert.Equal(first.Y, again.Y);
            Assert.Equal(first.Gx, again.Gx);
            Assert.Equal(first.Gw, again.Gw);
            Assert.Equal(first.Gwt, again.Gwt);
        }
    }

    [Fact]
    public void Float32GradientsAgreeWithFloat64()
    {
        var x64 = Rand64(_g, 10, 3, 9, 9);
        var w64 = Rand64(_g, 5, 3, 3, 3);
        var x32 = x64.Detach().To(DType.Float32).RequiresGrad_();
        var w32 = w64.Detach().To(DType.Float32).RequiresGrad_();
        F.Conv2d(x64, w64, null, 2, 1).Square().Sum().Backward();
        F.Conv2d(x32, w32, null, 2, 1).Square().Sum().Backward();
        Assert.Equal(DType.Float32, w32.Grad!.DType);
        AssertClose(x64.Grad!.ToDoubleArray(), x32.Grad!.ToDoubleArray(), 1e-4);
        AssertClose(w64.Grad!.ToDoubleArray(), w32.Grad!.ToDoubleArray(), 1e-4);
    }

    [Fact]
    public void EmptyBatchGivesEmptyOutputAndZeroWeightGradient()
    {
        var x = Tensor.Zeros([0, 2, 5, 5], DType.Float64).RequiresGrad_();
        var w = Rand64(_g, 3, 2, 3, 3);
        var b = Rand64(_g, 3);
        var y = F.Conv2d(x, w, b, 1, 0);
        Assert.Equal(new[] { 0, 3, 3, 3 }, y.ShapeArray());
        y.Backward(Tensor.Zeros([0, 3, 3, 3], DType.Float64));
        Assert.All(w.Grad!.ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.All(b.Grad!.ToDoubleArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void InputsThatAreViewsAreReadAtTheirOffset()
    {
        // A dim-0 slice shares storage with an offset; the conv must read the slice, not the start of the storage.
        var whole = Tensor.Randn([3, 2, 5, 5], _g, DType.Float64);
        var w = Tensor.Randn([2, 2, 3, 3], _g, DType.Float64);
        var view = whole.Slice(1, 3);
        AssertClose(F.Conv2d(view.Clone(), w, null, 1, 1).ToDoubleArray(), F.Conv2d(view, w, null, 1, 1).ToDoubleArray(), 0);
        AssertClose(F.ConvTranspose2d(view.Clone(), w, null, 2, 1, 1).ToDoubleArray(), F.ConvTranspose2d(view, w, null, 2, 1, 1).ToDoubleArray(), 0);
    }

    // ---- shapes of the conv VAE path -------------------------------------------------------------------

    [Fact]
    public void ConvVaePathShapesOnMnist()
    {
        // k4 s2 p1 halves: floor((28 + 2 - 4) / 2) + 1 = 14, floor((14 + 2 - 4) / 2) + 1 = 7;
        // and the transposed conv doubles back: (7 - 1) 2 - 2 + 4 = 14, (14 - 1) 2 - 2 + 4 = 28.
        var x = Tensor.Rand([3, 1, 28, 28], _g);
        var h1 = F.Conv2d(x, Tensor.Randn([8, 1, 4, 4], _g), Tensor.Zeros(8), 2, 1);
        Assert.Equal(new[] { 3, 8, 14, 14 }, h1.ShapeArray());
        var h2 = F.Conv2d(h1, Tensor.Randn([16, 8, 4, 4], _g), null, 2, 1);
        Assert.Equal(new[] { 3, 16, 7, 7 }, h2.ShapeArray());
        var d1 = F.ConvTranspose2d(h2, Tensor.Randn([16, 8, 4, 4], _g), Tensor.Zeros(8), 2, 1);
        Assert.Equal(new[] { 3, 8, 14, 14 }, d1.ShapeArray());
        var d2 = F.ConvTranspose2d(d1, Tensor.Randn([8, 1, 4, 4], _g), null, 2, 1);
        Assert.Equal(new[] { 3, 1, 28, 28 }, d2.ShapeArray());
    }

    // ---- bad inputs ------------------------------------------------------------------------------------

    [Fact]
    public void WrongRanksAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 28, 28), Tensor.Zeros(4, 1, 3, 3)));
        Assert.Contains("conv2d", ex.Message);
        Assert.Contains("4-D [N, C, H, W]", ex.Message);
        Assert.Contains("[1, 28, 28]", ex.Message);
        Assert.Contains("Unsqueeze(0)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 5, 5), Tensor.Zeros(4, 9)));
        Assert.Contains("weight must be 4-D [out_channels, in_channels, kh, kw]", ex.Message);
        Assert.Contains("[4, 9]", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(Tensor.Zeros(2, 5, 5), Tensor.Zeros(2, 1, 3, 3)));
        Assert.Contains("conv_transpose2d", ex.Message);
        Assert.Contains("[2, 5, 5]", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(Tensor.Zeros(1, 2, 5, 5), Tensor.Zeros(2, 1, 3)));
        Assert.Contains("[in_channels, out_channels, kh, kw]", ex.Message);
    }

    [Fact]
    public void ChannelMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(2, 3, 8, 8), Tensor.Zeros(4, 2, 3, 3)));
        Assert.Contains("conv2d", ex.Message);
        Assert.Contains("[2, 3, 8, 8]", ex.Message);
        Assert.Contains("[4, 2, 3, 3]", ex.Message);
        Assert.Contains("has 3 channels", ex.Message);
        Assert.Contains("expects 2", ex.Message);

        // The transposed conv reads in_channels from weight dim 0: a weight laid out as [out, in] is caught.
        ex = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(Tensor.Zeros(2, 3, 8, 8), Tensor.Zeros(4, 3, 3, 3)));
        Assert.Contains("[2, 3, 8, 8]", ex.Message);
        Assert.Contains("[4, 3, 3, 3]", ex.Message);
        Assert.Contains("weight dim 0 is in_channels", ex.Message);
    }

    [Fact]
    public void KernelLargerThanPaddedInputIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 3, 6), Tensor.Zeros(1, 1, 5, 5), padding: 0));
        Assert.Contains("kernel 5x5 is larger than the padded input 3x6", ex.Message);
        Assert.Contains("padding 0", ex.Message);
        // The same kernel fits once padded: 3 + 2 = 5 rows -> 1 output row, 6 + 2 = 8 columns -> 8 - 5 + 1 = 4.
        Assert.Equal(new[] { 1, 1, 1, 4 }, F.Conv2d(Tensor.Zeros(1, 1, 3, 6), Tensor.Zeros(1, 1, 5, 5), padding: 1).ShapeArray());
    }

    [Fact]
    public void BadStridePaddingAndOutputPaddingAreRejected()
    {
        var x = Tensor.Zeros(1, 2, 6, 6);
        var w = Tensor.Zeros(3, 2, 3, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.Conv2d(x, w, stride: 0));
        Assert.Contains("stride must be at least 1 but is 0", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.Conv2d(x, w, stride: -2));
        Assert.Contains("is -2", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.Conv2d(x, w, padding: -1));
        Assert.Contains("padding must be 0 or more but is -1", ex.Message);

        var wt = Tensor.Zeros(2, 3, 3, 3);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.ConvTranspose2d(x, wt, stride: 0));
        Assert.Contains("conv_transpose2d: the stride must be at least 1", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.ConvTranspose2d(x, wt, stride: 2, outputPadding: 2));
        Assert.Contains("outputPadding 2 must be at least 0 and smaller than the stride 2", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.ConvTranspose2d(x, wt, stride: 1, outputPadding: 1));
        Assert.Contains("outputPadding 1", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => F.ConvTranspose2d(x, wt, stride: 2, outputPadding: -1));
        Assert.Contains("outputPadding -1", ex.Message);

        // Padding that eats the whole output: (1 - 1) 1 - 2 * 2 + 3 = -1.
        var ex2 = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(Tensor.Zeros(1, 2, 1, 1), wt, padding: 2));
        Assert.Contains("output would be -1x-1", ex2.Message);
        Assert.Contains("padding is too large", ex2.Message);
    }

    [Fact]
    public void DTypeMismatchesAreRejected()
    {
        var x32 = Tensor.Zeros(1, 2, 5, 5);
        var w64 = Tensor.Zeros([3, 2, 3, 3], DType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x32, w64));
        Assert.Contains("input is Float32 but the weight is Float64", ex.Message);
        Assert.Contains("To(", ex.Message);

        var w32 = Tensor.Zeros(3, 2, 3, 3);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x32, w32, Tensor.Zeros([3], DType.Float64)));
        Assert.Contains("bias is Float64 but the weight is Float32", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(x32, Tensor.Zeros([2, 3, 3, 3], DType.Float64)));
        Assert.Contains("conv_transpose2d: the input is Float32 but the weight is Float64", ex.Message);
    }

    [Fact]
    public void BadBiasAndEmptyDimsAreRejected()
    {
        var x = Tensor.Zeros(1, 2, 5, 5);
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(3, 2, 3, 3), Tensor.Zeros(2)));
        Assert.Contains("bias must have shape [3]", ex.Message);
        Assert.Contains("but has [2]", ex.Message);
        // A transposed conv's bias follows weight dim 1 (out_channels).
        ex = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(x, Tensor.Zeros(2, 4, 3, 3), Tensor.Zeros(2)));
        Assert.Contains("bias must have shape [4]", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 2, 0, 5), Tensor.Zeros(3, 2, 1, 1)));
        Assert.Contains("empty channel or spatial dim", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(0, 2, 3, 3)));
        Assert.Contains("empty dim 0", ex.Message);
    }
}
