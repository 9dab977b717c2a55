using TorchSharp;
using TorchSharp.Modules;
using Workbench.Vae.Activations;
using static TorchSharp.torch;

namespace Workbench.Vae.Models;

/// <summary>
/// A VAE maps inputs to the parameters of distributions and holds no loss: <see cref="Encode"/> gives q(z | x),
/// <see cref="Reparameterize"/> draws z, <see cref="Decode"/> gives p(x | z). The objective lives in Objectives.
/// </summary>
public abstract class Vae : nn.Module<Tensor, Tensor>
{
    protected Vae(VaeConfig config, string name) : base(name) => Config = config.Validate();

    public VaeConfig Config { get; }

    /// <summary>q(z | x) for x of shape [B, D] (flattened images) or [B, C, H, W].</summary>
    public abstract Posterior Encode(Tensor x);

    /// <summary>p(x | z) for z of shape [N, latent]; locations come back flattened, [N, D].</summary>
    public abstract DecoderOutput Decode(Tensor z);

    /// <summary>z = mu + sigma * eps with eps ~ N(0, I) from <paramref name="generator"/> (Kingma &amp; Welling 2014, eq. 10).</summary>
    public static Tensor Reparameterize(Posterior q, torch.Generator generator) => Objectives.Gaussian.Sample(q, generator);

    /// <summary>The reconstruction's location (logits or mean) decoded from the posterior mean: deterministic.</summary>
    public override Tensor forward(Tensor input) => Decode(Encode(input).Mean).Location;

    /// <summary>Builds the model a config describes; the generator draws the initial weights (the global RNG is not touched).</summary>
    public static Vae Create(VaeConfig config, torch.Generator generator) => config.Validate().Architecture switch
    {
        "mlp" => new MlpVae(config, generator),
        "conv" => new ConvVae(config, generator),
        _ => throw new ConfigException($"architecture '{config.Architecture}' is not known; use \"mlp\" or \"conv\"."),
    };

    /// <summary>The decoder's output distribution from its final features.</summary>
    protected DecoderOutput Output(Tensor location, Tensor? learnedLogVar) => Config.Likelihood switch
    {
        Likelihood.Bernoulli => new DecoderOutput(Likelihood.Bernoulli, location),
        Likelihood.Gaussian => new DecoderOutput(Likelihood.Gaussian, location,
            torch.full([], Config.OutputLogVar, dtype: location.dtype, device: location.device)),   // [] broadcasts to every pixel
        _ => new DecoderOutput(Likelihood.GaussianLearnedVariance, location, learnedLogVar),
    };

    private readonly HashSet<nn.Module> _activations = new(ReferenceEqualityComparer.Instance);

    /// <summary>True for the modules that are this model's activation functions (one per hidden layer).</summary>
    public bool IsActivation(nn.Module module) => _activations.Contains(module);

    /// <summary>A new instance of the configured activation for one layer.</summary>
    protected nn.Module<Tensor, Tensor> NewActivation()
    {
        var activation = ActivationRegistry.Create(Config.Activation);
        _activations.Add(activation);
        return activation;
    }

    /// <summary>The layer before an activation must produce this many values per unit (2 for maxout).</summary>
    protected int WidthFactor => ActivationRegistry.Get(Config.Activation).WidthFactor;

    /// <summary>Hidden layer stack: Linear -> activation (-> dropout) for each width.</summary>
    protected Sequential HiddenStack(int input, IEnumerable<int> widths, torch.Generator generator)
    {
        var stack = nn.Sequential();
        int inWidth = input, index = 0;
        foreach (int width in widths)
        {
            stack.append((index++).ToString(System.Globalization.CultureInfo.InvariantCulture), Layers.Linear(inWidth, width * WidthFactor, generator));
            stack.append((index++).ToString(System.Globalization.CultureInfo.InvariantCulture), NewActivation());
            if (Config.Dropout > 0)
                stack.append((index++).ToString(System.Globalization.CultureInfo.InvariantCulture), new SeededDropout(Config.Dropout, Fork(generator)));
            inWidth = width;
        }
        return stack;
    }

    /// <summary>A generator seeded by one draw from <paramref name="generator"/>: its own stream, reproducible from the parent's seed.</summary>
    protected static torch.Generator Fork(torch.Generator generator)
    {
        using var seed = torch.randint(long.MaxValue, [1], dtype: ScalarType.Int64, generator: generator);
        return new torch.Generator((ulong)seed.item<long>());
    }
}

/// <summary>
/// The fully connected VAE of Kingma &amp; Welling (2014): encoder hidden stack, then two separate heads for the
/// posterior mean and log-variance (one shared layer for both, as in some write-ups, ties them wrongly);
/// the decoder mirrors the encoder.
/// </summary>
public sealed class MlpVae : Vae
{
    private readonly Sequential _encoder, _decoder;
    private readonly Linear _mean, _logVar, _output;
    private readonly Linear? _outputLogVar;

    public MlpVae(VaeConfig config, torch.Generator generator) : base(config, nameof(MlpVae))
    {
        var hidden = Config.ResolvedHidden;
        int d = Config.InputDim, latent = Config.LatentDim;
        // Registered in this order, which is the state dict's order; the names are the safetensors keys' prefixes.
        _encoder = HiddenStack(d, hidden, generator);
        register_module("encoder", _encoder);
        _mean = Layers.Linear(hidden[^1], latent, generator);
        register_module("mean", _mean);
        _logVar = Layers.Linear(hidden[^1], latent, generator);
        register_module("logvar", _logVar);
        _decoder = HiddenStack(latent, hidden.Reverse(), generator);
        register_module("decoder", _decoder);
        _output = Layers.Linear(hidden[0], d, generator);
        register_module("output", _output);
        if (Config.Likelihood == Likelihood.GaussianLearnedVariance)
        {
            _outputLogVar = Layers.Linear(hidden[0], d, generator);
            register_module("output_logvar", _outputLogVar);
        }
    }

    public override Posterior Encode(Tensor x)
    {
        var h = _encoder.call(x.dim() == 2 ? x : x.reshape(x.shape[0], -1));   // [B, hidden]
        return new Posterior(_mean.call(h), _logVar.call(h));                   // [B, latent] each
    }

    public override DecoderOutput Decode(Tensor z)
    {
        var h = _decoder.call(z);   // [N, hidden[0]]
        return Output(_output.call(h), _outputLogVar?.call(h));
    }
}
