namespace Workbench.Autograd.Nn;

/// <summary>
/// 2-D convolution over [N, C, H, W] as torch.nn.Conv2d with a square kernel: weight [out, in, k, k],
/// bias [out], both initialised as PyTorch does (kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
/// fan_in = in k k).
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>[OutChannels, InChannels, KernelSize, KernelSize].</summary>
    public Tensor Weight { get; private set; }

    /// <summary>[OutChannels], or null when built with bias: false.</summary>
    public Tensor? Bias { get; private set; }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, Generator generator, int stride = 1, int padding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ConvArgs.Check(nameof(Conv2d), inChannels, outChannels, kernelSize, stride, padding, outputPadding: 0);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        // PyTorch's fan_in for a conv weight: size(1) times the receptive field.
        int fanIn = inChannels * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init.KaimingUniform([outChannels, inChannels, kernelSize, kernelSize], fanIn, generator));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform([outChannels], 1.0 / Math.Sqrt(fanIn), generator));
    }

    /// <summary>Spatial size of the output for an input of spatial size <paramref name="inputSize"/>: floor((n + 2p - k) / s) + 1.</summary>
    public int OutputSize(int inputSize)
    {
        int padded = inputSize + 2 * Padding;
        if (inputSize <= 0 || padded < KernelSize)
            throw new ArgumentOutOfRangeException(nameof(inputSize),
                $"Conv2d: an input of size {inputSize} padded by {Padding} is smaller than the kernel {KernelSize}.");
        return (padded - KernelSize) / Stride + 1;
    }

    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding);

    protected override void OnParameterReplaced(string name, Tensor parameter)
    {
        if (name == "weight") Weight = parameter; else Bias = parameter;
    }

    public override string ToString() =>
        $"Conv2d({InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}, bias={Bias is not null})";
}

/// <summary>
/// 2-D transposed convolution over [N, C, H, W] as torch.nn.ConvTranspose2d with a square kernel: weight
/// [in, out, k, k] (PyTorch's layout), bias [out]. Initialised as PyTorch does, whose fan_in is computed from the
/// weight tensor as size(1) times the receptive field, which for this layout is out k k.
/// </summary>
public sealed class ConvTranspose2d : Module
{
    /// <summary>[InChannels, OutChannels, KernelSize, KernelSize].</summary>
    public Tensor Weight { get; private set; }

    /// <summary>[OutChannels], or null when built with bias: false.</summary>
    public Tensor? Bias { get; private set; }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutputPadding { get; }

    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, Generator generator, int stride = 1, int padding = 0,
        int outputPadding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ConvArgs.Check(nameof(ConvTranspose2d), inChannels, outChannels, kernelSize, stride, padding, outputPadding);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        OutputPadding = outputPadding;
        // size(1) of the [in, out, k, k] weight is out: PyTorch's fan_in for transposed convs counts output channels.
        int fanIn = outChannels * kernelSize * kernelSize;
        Weight = RegisterParameter("weight", Init.KaimingUniform([inChannels, outChannels, kernelSize, kernelSize], fanIn, generator));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform([outChannels], 1.0 / Math.Sqrt(fanIn), generator));
    }

    /// <summary>Spatial size of the output for an input of spatial size <paramref name="inputSize"/>: (n - 1) s - 2p + k + outputPadding.</summary>
    public int OutputSize(int inputSize)
    {
        long size = (long)(inputSize - 1) * Stride - 2L * Padding + KernelSize + OutputPadding;
        if (inputSize <= 0 || size <= 0 || size > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(inputSize),
                $"ConvTranspose2d: an input of size {inputSize} gives no valid output size ({size}) with kernel {KernelSize}, stride {Stride}, padding {Padding}.");
        return (int)size;
    }

    public override Tensor Forward(Tensor input) => F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding);

    protected override void OnParameterReplaced(string name, Tensor parameter)
    {
        if (name == "weight") Weight = parameter; else Bias = parameter;
    }

    public override string ToString() =>
        $"ConvTranspose2d({InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}, " +
        $"output_padding={OutputPadding}, bias={Bias is not null})";
}

/// <summary>Constructor checks shared by the conv layers, so a bad configuration fails when the model is built.</summary>
internal static class ConvArgs
{
    public static void Check(string layer, int inChannels, int outChannels, int kernelSize, int stride, int padding, int outputPadding)
    {
        if (inChannels <= 0 || outChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels),
                $"{layer} needs positive channel counts, got inChannels={inChannels}, outChannels={outChannels}.");
        if (kernelSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"{layer} needs kernelSize >= 1, got {kernelSize}.");
        if (stride <= 0)
            throw new ArgumentOutOfRangeException(nameof(stride), $"{layer} needs stride >= 1, got {stride}.");
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), $"{layer} needs padding >= 0, got {padding}.");
        if (outputPadding < 0 || outputPadding >= stride)
            throw new ArgumentOutOfRangeException(nameof(outputPadding),
                $"{layer} needs 0 <= outputPadding < stride, got outputPadding={outputPadding} with stride={stride}.");
    }
}
