using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

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
    private readonly nn.Module<Tensor, Tensor>[] _decoderConvLayers;
    private readonly int _h4, _w4;

    public ConvVae(VaeConfig config, torch.Generator generator) : base(config, nameof(ConvVae))
    {
        int k = WidthFactor;
        var shape = Config.ResolvedInputShape;
        int c = shape[0];
        _h4 = shape[1] / 4; _w4 = shape[2] / 4;
        int hidden = Config.ResolvedHidden[0], flat = C2 * _h4 * _w4;

        _encoder = nn.Sequential(
            Layers.Conv2d(c, C1 * k, 4, generator, stride: 2, padding: 1), NewActivation(),
            Layers.Conv2d(C1, C2 * k, 4, generator, stride: 2, padding: 1), NewActivation(),
            nn.Flatten(),                                                   // [B, C2, H/4, W/4] -> [B, flat]
            Layers.Linear(flat, hidden * k, generator), NewActivation());
        register_module("encoder", _encoder);
        _mean = Layers.Linear(hidden, Config.LatentDim, generator);
        register_module("mean", _mean);
        _logVar = Layers.Linear(hidden, Config.LatentDim, generator);
        register_module("logvar", _logVar);
        _decoderDense = nn.Sequential(
            Layers.Linear(Config.LatentDim, hidden * k, generator), NewActivation(),
            Layers.Linear(hidden, flat * k, generator), NewActivation());
        register_module("decoder_dense", _decoderDense);
        _decoderConvLayers =
        [
            Layers.ConvTranspose2d(C2, C1 * k, 4, generator, stride: 2, padding: 1), NewActivation(),
            Layers.ConvTranspose2d(C1, c, 4, generator, stride: 2, padding: 1),
        ];
        _decoderConv = nn.Sequential(_decoderConvLayers);
        register_module("decoder_conv", _decoderConv);
        if (Config.Likelihood == Models.Likelihood.GaussianLearnedVariance)
        {
            _outputLogVar = Layers.ConvTranspose2d(C1, c, 4, generator, stride: 2, padding: 1);
            register_module("output_logvar", _outputLogVar);
        }
    }

    public override Posterior Encode(Tensor x)
    {
        var shape = Config.ResolvedInputShape;
        var h = _encoder.call(x.reshape(x.shape[0], shape[0], shape[1], shape[2]));   // [B, hidden]
        return new Posterior(_mean.call(h), _logVar.call(h));
    }

    public override DecoderOutput Decode(Tensor z)
    {
        long n = z.shape[0];
        var h = _decoderDense.call(z).reshape(n, C2, _h4, _w4);   // [N, C2, H/4, W/4]
        // The last transposed convolution is applied separately so that a learned-variance head can share its input.
        var layers = _decoderConvLayers;
        for (int i = 0; i < layers.Length - 1; i++) h = layers[i].call(h);   // [N, C1, H/2, W/2]
        var location = layers[^1].call(h).reshape(n, -1);                     // [N, D]
        return Output(location, _outputLogVar?.call(h).reshape(n, -1));
    }
}
