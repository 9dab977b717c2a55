using System.Text.Json;
using System.Text.Json.Serialization;
using Workbench.Vae.Activations;
using Workbench.Vae.Models;

namespace Workbench.Vae;

/// <summary>Shape and objective of a VAE. An ablation is a set of <c>with</c> copies of one of these.</summary>
/// <param name="Architecture">"mlp" (fully connected) or "conv" (convolutional, for 1x28x28 images).</param>
/// <param name="InputShape">Channels, height, width of one image; [1, 28, 28] when null.</param>
/// <param name="Hidden">Hidden widths of the MLP encoder (the decoder mirrors them); [400] when null.</param>
/// <param name="LatentDim">Dimension of z.</param>
/// <param name="Activation">Registered activation name (see <see cref="ActivationRegistry"/>).</param>
/// <param name="Likelihood">p(x | z): Bernoulli logits or Gaussian.</param>
/// <param name="OutputLogVar">Log-variance of the fixed-variance Gaussian likelihood.</param>
/// <param name="Beta">Weight of the KL term (Higgins et al. 2017); 1 is the true ELBO.</param>
/// <param name="Dropout">Dropout rate after each hidden activation (0 = none).</param>
public sealed record VaeConfig(
    string Architecture = "mlp",
    int[]? InputShape = null,
    int[]? Hidden = null,
    int LatentDim = 20,
    string Activation = "relu",
    Likelihood Likelihood = Likelihood.Bernoulli,
    double OutputLogVar = 0.0,
    double Beta = 1.0,
    double Dropout = 0.0)
{
    /// <summary>[C, H, W] with the default filled in.</summary>
    [JsonIgnore] public int[] ResolvedInputShape => InputShape ?? [1, 28, 28];

    /// <summary>Hidden widths with the default filled in.</summary>
    [JsonIgnore] public int[] ResolvedHidden => Hidden ?? [400];

    /// <summary>Number of pixels per example.</summary>
    [JsonIgnore] public int InputDim => ResolvedInputShape.Aggregate(1, (a, b) => a * b);

    /// <summary>The pytorch/examples VAE: 784-400-20, ReLU, Bernoulli on grey levels.</summary>
    public static VaeConfig PytorchExamples => new();

    /// <summary>Burda et al. (2016), one stochastic layer: 784-200-200-50, tanh.</summary>
    public static VaeConfig IwaePaper => new(Hidden: [200, 200], LatentDim: 50, Activation: "tanh");

    /// <summary>A small convolutional VAE for 1x28x28 images.</summary>
    public static VaeConfig Conv => new(Architecture: "conv", Hidden: [256], LatentDim: 20);

    /// <summary>Preset names accepted by <see cref="Preset"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["pytorch-examples", "iwae-paper", "conv"];

    /// <summary>A named preset; unknown names fail with the list of known ones.</summary>
    public static VaeConfig Preset(string name) => name switch
    {
        "pytorch-examples" => PytorchExamples,
        "iwae-paper" => IwaePaper,
        "conv" => Conv,
        _ => throw new ConfigException($"Unknown preset '{name}'. Known presets: {string.Join(", ", PresetNames)}."),
    };

    /// <summary>Checks every field; throws a <see cref="ConfigException"/> naming the first bad one and its allowed values.</summary>
    public VaeConfig Validate()
    {
        if (Architecture is not ("mlp" or "conv"))
            throw new ConfigException($"architecture '{Architecture}' is not known; use \"mlp\" or \"conv\".");
        var shape = ResolvedInputShape;
        if (shape.Length != 3 || shape.Any(d => d <= 0))
            throw new ConfigException($"inputShape must be three positive sizes [channels, height, width], got [{string.Join(", ", shape)}].");
        if (Architecture == "conv" && (shape[1] % 4 != 0 || shape[2] % 4 != 0))
            throw new ConfigException($"the conv architecture halves the image twice, so height and width must be multiples of 4; got {shape[1]}x{shape[2]}.");
        var hidden = ResolvedHidden;
        if (hidden.Length == 0)
            throw new ConfigException("hidden is empty; give at least one hidden width, e.g. [400].");
        if (hidden.Any(h => h <= 0))
            throw new ConfigException($"hidden widths must be positive, got [{string.Join(", ", hidden)}].");
        if (LatentDim <= 0)
            throw new ConfigException($"latentDim must be positive, got {LatentDim}.");
        if (!ActivationRegistry.Contains(Activation))
            throw new ConfigException($"activation '{Activation}' is not known. Known activations: {string.Join(", ", ActivationRegistry.Names)}.");
        if (!double.IsFinite(Beta) || Beta < 0)
            throw new ConfigException($"beta must be a finite number >= 0, got {Beta}.");
        if (!double.IsFinite(OutputLogVar))
            throw new ConfigException($"outputLogVar must be finite, got {OutputLogVar}.");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ConfigException($"dropout must be in [0, 1), got {Dropout}.");
        return this;
    }

    /// <summary>JSON options shared by every Workbench config file: camelCase, enums as strings, indented.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates a config; <paramref name="source"/> names the file in error messages.</summary>
    public static VaeConfig FromJson(string json, string source = "config") =>
        ConfigJson.Parse<VaeConfig>(json, source).Validate();

    /// <summary>Reads and validates a config file.</summary>
    public static VaeConfig Load(string path) => FromJson(ConfigJson.ReadFile(path), path);

    /// <summary>This config with every default filled in: two configs describe the same model exactly when these are equal.</summary>
    public VaeConfig Resolved() => this with { InputShape = ResolvedInputShape, Hidden = ResolvedHidden };

    /// <summary>Canonical JSON (defaults filled in, one line): the identity used for equality and run keys.</summary>
    public string CanonicalJson() => JsonSerializer.Serialize(Resolved(), CanonicalOptions);

    private static readonly JsonSerializerOptions CanonicalOptions = new(JsonOptions) { WriteIndented = false };

    public bool Equals(VaeConfig? other) => other is not null && CanonicalJson() == other.CanonicalJson();

    public override int GetHashCode() => CanonicalJson().GetHashCode(StringComparison.Ordinal);
}

/// <summary>A configuration a user wrote is invalid; the message says which field and what is allowed.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reading config files with messages that name the file, the line and the field.</summary>
public static class ConfigJson
{
    public static string ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"Config file '{path}' does not exist.");
        return File.ReadAllText(path);
    }

    public static T Parse<T>(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, VaeConfig.JsonOptions)
                ?? throw new ConfigException($"{source}: the file holds JSON null, not a configuration object.");
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" (line {line + 1}, position {e.BytePositionInLine + 1})" : "";
            throw new ConfigException($"{source}: invalid configuration{where}: {e.Message}", e);
        }
    }
}
