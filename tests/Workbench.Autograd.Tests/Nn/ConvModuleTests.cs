using Workbench.Autograd;
using Workbench.Autograd.Nn;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Nn;

public class ConvModuleTests
{
    private static double MaxAbs(Tensor t) => t.ToDoubleArray().Max(Math.Abs);

    [Fact]
    public void Conv2dParametersHavePyTorchShapesAndNames()
    {
        var conv = new Conv2d(3, 8, 5, new Generator(1), stride: 2, padding: 1);
        Assert.Equal(new[] { 8, 3, 5, 5 }, conv.Weight.ShapeArray());
        Assert.Equal(new[] { 8 }, conv.Bias!.ShapeArray());
        Assert.Equal(new[] { "weight", "bias" }, conv.NamedParameters().Select(p => p.Name));
        Assert.All(conv.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal(8 * 3 * 25 + 8, conv.ParameterCount());

        var noBias = new Conv2d(3, 8, 5, new Generator(1), bias: false);
        Assert.Null(noBias.Bias);
        Assert.Equal(new[] { "weight" }, noBias.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void ConvTranspose2dParametersHavePyTorchShapesAndNames()
    {
        // PyTorch's layout for a transposed conv's weight is [in, out, k, k].
        var deconv = new ConvTranspose2d(6, 2, 4, new Generator(1), stride: 2, padding: 1, outputPadding: 1);
        Assert.Equal(new[] { 6, 2, 4, 4 }, deconv.Weight.ShapeArray());
        Assert.Equal(new[] { 2 }, deconv.Bias!.ShapeArray());
        Assert.Equal(new[] { "weight", "bias" }, deconv.NamedParameters().Select(p => p.Name));
        Assert.Equal(1, deconv.OutputPadding);
        Assert.Null(new ConvTranspose2d(6, 2, 4, new Generator(1), bias: false).Bias);
    }

    [Fact]
    public void Conv2dInitialisationBoundsFollowFanIn()
    {
        // fan_in = in k k = 16 * 3 * 3 = 144, so weight and bias are U(-1/12, 1/12).
        // With 32 * 144 = 4608 weights the largest |w| is within 1% of the bound unless the bound is wrong.
        var conv = new Conv2d(16, 32, 3, new Generator(3));
        double bound = 1.0 / 12;
        Assert.True(MaxAbs(conv.Weight) <= bound, $"max |w| {MaxAbs(conv.Weight)} exceeds 1/sqrt(fan_in) = {bound}");
        Assert.True(MaxAbs(conv.Weight) > 0.99 * bound, $"max |w| {MaxAbs(conv.Weight)} is far below 1/sqrt(fan_in) = {bound}");
        Assert.True(MaxAbs(conv.Bias!) <= bound);
        Assert.True(MaxAbs(conv.Bias!) > 0.5 * bound);
    }

    [Fact]
    public void ConvTranspose2dInitialisationUsesOutputChannelsForFanIn()
    {
        // PyTorch computes fan_in from weight.size(1) = out: 16 * 3 * 3 = 144 -> bound 1/12, not in * 9 = 36 -> 1/6.
        var deconv = new ConvTranspose2d(4, 16, 3, new Generator(4));
        double bound = 1.0 / 12;
        Assert.True(MaxAbs(deconv.Weight) <= bound, $"max |w| {MaxAbs(deconv.Weight)} exceeds 1/sqrt(out k k) = {bound}");
        Assert.True(MaxAbs(deconv.Weight) > 0.95 * bound, $"max |w| {MaxAbs(deconv.Weight)} is far below 1/sqrt(out k k) = {bound}");
        Assert.True(MaxAbs(deconv.Bias!) <= bound);
        Assert.True(MaxAbs(deconv.Bias!) > 0.5 * bound);
    }

    [Fact]
    public void SameSeedGivesSameParameters()
    {
        var a = new Conv2d(2, 3, 3, new Generator(9));
        var b = new Conv2d(2, 3, 3, new Generator(9));
        var c = new Conv2d(2, 3, 3, new Generator(10));
        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.Equal(a.Bias!.ToArray(), b.Bias!.ToArray());
        Assert.NotEqual(a.Weight.ToArray(), c.Weight.ToArray());
    }

    [Fact]
    public void ForwardIsTheFunctionalOpWithTheModulesParameters()
    {
        var g = new Generator(2);
        var x = Tensor.Randn([2, 3, 9, 9], g);
        var conv = new Conv2d(3, 4, 3, g, stride: 2, padding: 1);
        Assert.Equal(F.Conv2d(x, conv.Weight, conv.Bias, 2, 1).ToArray(), conv.Forward(x).ToArray());
        var deconv = new ConvTranspose2d(4, 3, 3, g, stride: 2, padding: 1, outputPadding: 1);
        var h = conv.Forward(x);
        Assert.Equal(F.ConvTranspose2d(h, deconv.Weight, deconv.Bias, 2, 1, 1).ToArray(), deconv.Forward(h).ToArray());
    }

    [Fact]
    public void ModulesConvertToFloat64AndPassGradCheck()
    {
        var g = new Generator(6);
        var conv = new Conv2d(2, 3, 3, g, stride: 2, padding: 1);
        var deconv = new ConvTranspose2d(3, 2, 3, g, stride: 2, padding: 1, outputPadding: 1);
        conv.To(DType.Float64);
        deconv.To(DType.Float64);
        // OnParameterReplaced must point the properties at the new float64 leaves.
        Assert.Equal(DType.Float64, conv.Weight.DType);
        Assert.Equal(DType.Float64, conv.Bias!.DType);
        Assert.Same(conv.Weight, conv.StateDict()["weight"]);
        Assert.Same(deconv.Bias, deconv.StateDict()["bias"]);
        var x = Rand64(g, 2, 2, 6, 5);
        AssertGrad(_ => deconv.Forward(conv.Forward(x)), x, conv.Weight, conv.Bias!, deconv.Weight, deconv.Bias!);
    }

    [Fact]
    public void ConvVaeEncoderAndDecoderShapesOnMnist()
    {
        // k4 s2 p1: 28 -> 14 -> 7 down, 7 -> 14 -> 28 up (see ConvolutionTests for the arithmetic).
        var g = new Generator(8);
        var c1 = new Conv2d(1, 32, 4, g, stride: 2, padding: 1);
        var c2 = new Conv2d(32, 64, 4, g, stride: 2, padding: 1);
        var d1 = new ConvTranspose2d(64, 32, 4, g, stride: 2, padding: 1);
        var d2 = new ConvTranspose2d(32, 1, 4, g, stride: 2, padding: 1);
        Assert.Equal(14, c1.OutputSize(28));
        Assert.Equal(7, c2.OutputSize(14));
        Assert.Equal(14, d1.OutputSize(7));
        Assert.Equal(28, d2.OutputSize(14));

        var encoder = new Sequential(c1, c2);
        var decoder = new Sequential(d1, d2);
        var x = Tensor.Rand([2, 1, 28, 28], g);
        var h = encoder.Forward(x);
        Assert.Equal(new[] { 2, 64, 7, 7 }, h.ShapeArray());
        var y = decoder.Forward(h);
        Assert.Equal(new[] { 2, 1, 28, 28 }, y.ShapeArray());

        // Every parameter of the path receives a gradient.
        y.Square().Mean().Backward();
        foreach (var (name, p) in encoder.NamedParameters().Concat(decoder.NamedParameters()))
        {
            Assert.NotNull(p.Grad);
            Assert.True(MaxAbs(p.Grad!) > 0, $"{name} got an all-zero gradient");
        }
    }

    [Fact]
    public void OutputSizeRejectsInputsTheLayerCannotTake()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 5, new Generator(1)).OutputSize(3));
        Assert.Contains("smaller than the kernel 5", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(1, 1, 1, new Generator(1), padding: 1).OutputSize(1));
        Assert.Contains("no valid output size", ex.Message);
    }

    [Fact]
    public void BadConstructorArgumentsAreRejected()
    {
        var g = new Generator(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(0, 4, 3, g));
        Assert.Contains("Conv2d needs positive channel counts, got inChannels=0, outChannels=4", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(2, -1, 3, g));
        Assert.Contains("ConvTranspose2d needs positive channel counts", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 0, g));
        Assert.Contains("kernelSize >= 1, got 0", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 3, g, stride: 0));
        Assert.Contains("stride >= 1, got 0", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 3, g, padding: -1));
        Assert.Contains("padding >= 0, got -1", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2d(1, 1, 3, g, stride: 2, outputPadding: 2));
        Assert.Contains("0 <= outputPadding < stride, got outputPadding=2 with stride=2", ex.Message);
        Assert.Throws<ArgumentNullException>(() => new Conv2d(1, 1, 3, null!));
    }

    [Fact]
    public void ForwardReportsChannelMismatchAgainstTheLayer()
    {
        var conv = new Conv2d(3, 4, 3, new Generator(1));
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 1, 8, 8)));
        Assert.Contains("[1, 1, 8, 8]", ex.Message);
        Assert.Contains("[4, 3, 3, 3]", ex.Message);
    }
}
