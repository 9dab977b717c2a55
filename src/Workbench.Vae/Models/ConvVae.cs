using Workbench.Autograd;
using Workbench.Autograd.Nn;

namespace Workbench.Vae.Models;

/// <summary>
/// A convolutional VAE for C x H x W images (H, W multiples of 4): two stride-2 4x4 convolutions (32 and 64
/// channels; 28 -> 14 -> 7), a fully connected layer, then separate mean and log-variance heads; the decoder
/// mirrors it with transposed convolutions back to C x H x W.
/// </summary>
public sealed class ConvVae : Vae
{
    private const int C1 = 32, C2 = 64;
    private readonly Sequential _encoder, _decoderDense, _decoderConv;
    private readonly Linear _mean, _logVar;
    private readonly ConvTranspose2d? _outputLogVar;
    private readonly int _h4, _w4;

    public ConvVae(VaeConfig config, Generator generator) : base(config)
    {
        int k = WidthFactor;
        var shape = Config.ResolvedInputShape;
        int c = shape[0];
        _h4 = shape[1] / 4; _w4 = shape[2] / 4;
        int hidden = Config.ResolvedHidden[0], flat = C2 * _h4 * _w4;

        _encoder = RegisterModule("encoder", new Sequential(
            new Conv2d(c, C1 * k, 4, generator, stride: 2, padding: 1), NewActivation(generator),
            new Conv2d(C1, C2 * k, 4, generator, stride: 2, padding: 1), NewActivation(generator),
            new Flatten(),
            new Linear(flat, hidden * k, generator), NewActivation(generator)));
        _mean = RegisterModule("mean", new Linear(hidden, Config.LatentDim, generator));
        _logVar = RegisterModule("logvar", new Linear(hidden, Config.LatentDim, generator));
        _decoderDense = RegisterModule("decoder_dense", new Sequential(
            new Linear(Config.LatentDim, hidden * k, generator), NewActivation(generator),
            new Linear(hidden, flat * k, generator), NewActivation(generator)));
        _decoderConv = RegisterModule("decoder_conv", new Sequential(
            new ConvTranspose2d(C2, C1 * k, 4, generator, stride: 2, padding: 1), NewActivation(generator),
            new ConvTranspose2d(C1, c, 4, generator, stride: 2, padding: 1)));
        if (Config.Likelihood == Models.Likelihood.GaussianLearnedVariance)
            _outputLogVar = RegisterModule("output_logvar", new ConvTranspose2d(C1, c, 4, generator, stride: 2, padding: 1));
    }

    public override Posterior Encode(Tensor x)
    {
        var shape = Config.ResolvedInputShape;
        var h = _encoder.Call(x.Reshape(x.Shape[0], shape[0], shape[1], shape[2]));
        return new Posterior(_mean.Call(h), _logVar.Call(h));
    }

    public override DecoderOutput Decode(Tensor z)
    {
        int n = z.Shape[0];
        var h = _decoderDense.Call(z).Reshape(n, C2, _h4, _w4);
        // The last transposed convolution is applied separately so that a learned-variance head can share its input.
        var layers = _decoderConv.Layers;
        for (int i = 0; i < layers.Count - 1; i++) h = layers[i].Call(h);
        var location = layers[^1].Call(h).Reshape(n, -1);
        return Output(location, _outputLogVar?.Call(h).Reshape(n, -1));
    }

    /// <summary>[B, ...] -> [B, prod(...)].</summary>
    private sealed class Flatten : Module
    {
        public override Tensor Forward(Tensor input) => input.Reshape(input.Shape[0], -1);
    }
}
