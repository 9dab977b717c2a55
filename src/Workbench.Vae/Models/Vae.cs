using Workbench.Autograd;
using Workbench.Autograd.Nn;
using Workbench.Vae.Activations;

namespace Workbench.Vae.Models;

/// <summary>
/// A VAE maps inputs to the parameters of distributions and holds no loss: <see cref="Encode"/> gives q(z | x),
/// <see cref="Reparameterize"/> draws z, <see cref="Decode"/> gives p(x | z). The objective lives in Objectives.
/// </summary>
public abstract class Vae : Module
{
    protected Vae(VaeConfig config) => Config = config.Validate();

    public VaeConfig Config { get; }

    /// <summary>q(z | x) for x of shape [B, D] (flattened images).</summary>
    public abstract Posterior Encode(Tensor x);

    /// <summary>p(x | z) for z of shape [N, latent]; locations come back flattened, [N, D].</summary>
    public abstract DecoderOutput Decode(Tensor z);

    /// <summary>z = mu + sigma * eps with eps ~ N(0, I) from <paramref name="generator"/> (Kingma &amp; Welling 2014, eq. 10).</summary>
    public static Tensor Reparameterize(Posterior q, Generator generator)
    {
        var eps = Tensor.RandnLike(q.Mean, generator);
        return q.Mean.Add(q.LogVar.Mul(0.5).Exp().Mul(eps));
    }

    /// <summary>The reconstruction's location (logits or mean) decoded from the posterior mean: deterministic.</summary>
    public override Tensor Forward(Tensor input) => Decode(Encode(input).Mean).Location;

    /// <summary>Builds the model a config describes; the generator draws the initial weights.</summary>
    public static Vae Create(VaeConfig config, Generator generator) => config.Validate().Architecture switch
    {
        "mlp" => new MlpVae(config, generator),
        "conv" => new ConvVae(config, generator),
        _ => throw new ConfigException($"architecture '{config.Architecture}' is not known; use \"mlp\" or \"conv\"."),
    };

    /// <summary>The decoder's output distribution from its final features.</summary>
    protected DecoderOutput Output(Tensor location, Tensor? learnedLogVar) => Config.Likelihood switch
    {
        Likelihood.Bernoulli => new DecoderOutput(Likelihood.Bernoulli, location),
        Likelihood.Gaussian => new DecoderOutput(Likelihood.Gaussian, location, Tensor.Full([], Config.OutputLogVar, location.DType)),
        _ => new DecoderOutput(Likelihood.GaussianLearnedVariance, location, learnedLogVar),
    };

    private readonly HashSet<Module> _activations = new(ReferenceEqualityComparer.Instance);

    /// <summary>True for the modules that are this model's activation functions (one per hidden layer).</summary>
    public bool IsActivation(Module module) => _activations.Contains(module);

    /// <summary>A new instance of the configured activation for one layer.</summary>
    protected Module NewActivation(Generator generator)
    {
        var activation = ActivationRegistry.Create(Config.Activation, generator);
        _activations.Add(activation);
        return activation;
    }

    /// <summary>The layer before an activation must produce this many values per unit (2 for maxout).</summary>
    protected int WidthFactor => ActivationRegistry.Get(Config.Activation).WidthFactor;

    /// <summary>Hidden layer stack: Linear -> activation (-> dropout) for each width.</summary>
    protected Sequential HiddenStack(int input, IEnumerable<int> widths, Generator generator)
    {
        var stack = new Sequential();
        int inWidth = input;
        foreach (int width in widths)
        {
            stack.Add(new Linear(inWidth, width * WidthFactor, generator));
            stack.Add(NewActivation(generator));
            if (Config.Dropout > 0) stack.Add(new Dropout(Config.Dropout, generator.Fork()));
            inWidth = width;
        }
        return stack;
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

    public MlpVae(VaeConfig config, Generator generator) : base(config)
    {
        var hidden = Config.ResolvedHidden;
        int d = Config.InputDim, latent = Config.LatentDim;
        _encoder = RegisterModule("encoder", HiddenStack(d, hidden, generator));
        _mean = RegisterModule("mean", new Linear(hidden[^1], latent, generator));
        _logVar = RegisterModule("logvar", new Linear(hidden[^1], latent, generator));
        _decoder = RegisterModule("decoder", HiddenStack(latent, hidden.Reverse(), generator));
        _output = RegisterModule("output", new Linear(hidden[0], d, generator));
        if (Config.Likelihood == Likelihood.GaussianLearnedVariance)
            _outputLogVar = RegisterModule("output_logvar", new Linear(hidden[0], d, generator));
    }

    public override Posterior Encode(Tensor x)
    {
        var h = _encoder.Call(x.Rank == 2 ? x : x.Reshape(x.Shape[0], -1));
        return new Posterior(_mean.Call(h), _logVar.Call(h));
    }

    public override DecoderOutput Decode(Tensor z)
    {
        var h = _decoder.Call(z);
        return Output(_output.Call(h), _outputLogVar?.Call(h));
    }
}
