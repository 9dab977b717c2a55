using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Ablation;

/// <summary>
/// The values an ablation sweeps, one list per axis; a null axis keeps the grid's base value. Each list overrides one
/// field of the base <see cref="VaeConfig"/> or <see cref="TrainingOptions"/>.
/// </summary>
/// <param name="Activation">Model activation names (aliases allowed: "swish" is "silu").</param>
/// <param name="Seed">Training seeds (weights, shuffling, binarisation, noise).</param>
/// <param name="LatentDim">Latent dimensions.</param>
/// <param name="Beta">KL weights.</param>
/// <param name="Dataset">"mnist" and/or "fashion-mnist".</param>
/// <param name="Binarization">Binarisation modes (none, staticThreshold, staticSample, dynamic).</param>
/// <param name="Hidden">Hidden layer widths, one list per value, e.g. [[400], [200, 200]].</param>
/// <param name="LearningRate">Adam step sizes.</param>
public sealed record GridAxes(
    string[]? Activation = null,
    ulong[]? Seed = null,
    int[]? LatentDim = null,
    double[]? Beta = null,
    string[]? Dataset = null,
    Binarization[]? Binarization = null,
    int[][]? Hidden = null,
    double[]? LearningRate = null);

/// <summary>
/// An ablation: a base model and training configuration, the axes to sweep, and what to evaluate after each run.
/// <see cref="Expand"/> turns it into runs keyed by <see cref="RunKey"/>; a run store records which are done.
/// Grid files are JSON (see the presets in Grids/): {"name", "description", "model", "training", "axes", "evaluation"}.
/// </summary>
/// <param name="Name">Short name, used for the default store folder runs/ablations/&lt;name&gt;/ (letters, digits, '.', '_', '-').</param>
/// <param name="Model">Base model; each axis overrides one of its fields.</param>
/// <param name="Training">Base training options; each axis overrides one of its fields.</param>
/// <param name="Axes">The swept values.</param>
/// <param name="Evaluation">Evaluation after training (importance-sampled NLL).</param>
/// <param name="Description">One or two sentences: what the grid asks and how long it takes.</param>
public sealed record AblationGrid(
    string Name,
    VaeConfig Model,
    TrainingOptions Training,
    GridAxes Axes,
    EvaluationSettings Evaluation,
    string Description = "")
{
    /// <summary>Where the grid came from (a file path or "preset 'quick'"), for messages.</summary>
    public string Source { get; init; } = "grid";

    private static readonly Regex NamePattern = new("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant);

    private const string ResourcePrefix = "Workbench.Experiments.Grids.";

    /// <summary>The axes in expansion order: the first varies slowest, the last (seed) fastest.</summary>
    private static readonly Axis[] Order =
    [
        Axis.Of("dataset", a => a.Dataset, (a, v) => a with { Dataset = v },
            (c, v) => c with { Training = c.Training with { Dataset = v } }, v => v),
        Axis.Of("binarization", a => a.Binarization, (a, v) => a with { Binarization = v },
            (c, v) => c with { Training = c.Training with { Binarization = v } }, v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString())),
        Axis.Of("hidden", a => a.Hidden, (a, v) => a with { Hidden = v },
            (c, v) => c with { Model = c.Model with { Hidden = v } }, v => $"[{string.Join(",", v)}]"),
        Axis.Of("latentDim", a => a.LatentDim, (a, v) => a with { LatentDim = v },
            (c, v) => c with { Model = c.Model with { LatentDim = v } }, v => I(v)),
        Axis.Of("beta", a => a.Beta, (a, v) => a with { Beta = v },
            (c, v) => c with { Model = c.Model with { Beta = v } }, v => I(v)),
        Axis.Of("learningRate", a => a.LearningRate, (a, v) => a with { LearningRate = v },
            (c, v) => c with { Training = c.Training with { LearningRate = v } }, v => I(v)),
        Axis.Of("activation", a => a.Activation, (a, v) => a with { Activation = v },
            (c, v) => c with { Model = c.Model with { Activation = v } }, v => v),
        Axis.Of("seed", a => a.Seed, (a, v) => a with { Seed = v },
            (c, v) => c with { Training = c.Training with { Seed = v } }, v => I(v)),
    ];

    /// <summary>Axis names a grid file may use, in expansion order.</summary>
    public static IReadOnlyList<string> AxisNames { get; } = [.. Order.Select(a => a.Name)];

    private static readonly string[] TopLevelFields = ["name", "description", "model", "training", "axes", "evaluation"];

    /// <summary>Names of the grids shipped with the workbench (embedded in this assembly).</summary>
    public static IReadOnlyList<string> PresetNames { get; } =
    [
        .. typeof(AblationGrid).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^".json".Length])
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>
    /// A preset by name ("quick") or a grid file by path. Anything that ends in .json or contains a directory separator
    /// is a path; anything else must be a preset name.
    /// </summary>
    public static AblationGrid Load(string presetOrPath)
    {
        ArgumentNullException.ThrowIfNull(presetOrPath);
        bool looksLikePath = presetOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            || presetOrPath.Contains('/') || presetOrPath.Contains(Path.DirectorySeparatorChar);
        if (looksLikePath) return LoadFile(presetOrPath);
        if (PresetNames.Contains(presetOrPath)) return Preset(presetOrPath);
        throw new ConfigException($"'{presetOrPath}' is not a preset grid. Presets: {string.Join(", ", PresetNames)}. " +
            "To use a grid file, give its path (ending in .json).");
    }

    /// <summary>A shipped grid; unknown names list the known ones.</summary>
    public static AblationGrid Preset(string name)
    {
        using var stream = typeof(AblationGrid).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".json")
            ?? throw new ConfigException($"'{name}' is not a preset grid. Presets: {string.Join(", ", PresetNames)}.");
        using var reader = new StreamReader(stream);
        return FromJson(reader.ReadToEnd(), $"preset '{name}' (Grids/{name}.json)");
    }

    /// <summary>The JSON text of a shipped grid, e.g. to copy and edit.</summary>
    public static string PresetJson(string name)
    {
        using var stream = typeof(AblationGrid).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".json")
            ?? throw new ConfigException($"'{name}' is not a preset grid. Presets: {string.Join(", ", PresetNames)}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Reads and validates a grid file.</summary>
    public static AblationGrid LoadFile(string path)
    {
        if (!File.Exists(path)) throw new ConfigException($"Grid file '{path}' does not exist. Presets: {string.Join(", ", PresetNames)}.");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Parses and validates a grid; every error names <paramref name="source"/>, the line and the field. All expanded
    /// runs are validated here, so a bad value in any axis is reported before anything trains.
    /// </summary>
    public static AblationGrid FromJson(string json, string source = "grid")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonLocator locator;
        try
        {
            locator = JsonLocator.Scan(json);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" (line {line + 1}, position {e.BytePositionInLine + 1})" : "";
            throw new ConfigException($"{source}: invalid JSON{where}: {e.Message}", e);
        }
        ConfigException Error(string path, string message, Exception? inner = null) =>
            new($"{source}, line {locator.LineOf(path) ?? 1}, {(path.Length == 0 ? "grid" : path)}: {message}", inner);

        if (locator.Duplicates.Count > 0)
        {
            var (path, line, firstLine) = locator.Duplicates[0];
            throw new ConfigException($"{source}, line {line}, {path}: this field appears twice (first on line {firstLine}); keep one.");
        }
        foreach (var (field, _) in locator.PropertiesOf(""))
            if (!TopLevelFields.Contains(field))
                throw Error(field, $"'{field}' is not a grid field. Grid fields: {string.Join(", ", TopLevelFields)} " +
                    "(model and training fields go inside \"model\" and \"training\").");
        foreach (var (axis, _) in locator.PropertiesOf("axes"))
            if (!AxisNames.Contains(axis))
                throw Error($"axes.{axis}", $"'{axis}' is not an axis. Known axes: {string.Join(", ", AxisNames)}. " +
                    $"Other fields take one value for every run: put them in \"model\" or \"training\".");

        var file = ConfigJson.Parse<GridFile>(json, source);
        if (string.IsNullOrWhiteSpace(file.Name))
            throw Error("name", "the grid needs a \"name\" (letters, digits, '.', '_', '-'), e.g. \"name\": \"my-ablation\"; it names the default store folder.");
        if (!NamePattern.IsMatch(file.Name))
            throw Error("name", $"'{file.Name}' is not a usable grid name: use letters, digits, '.', '_' and '-', starting with a letter or digit.");

        var axes = ParseAxes(file.Axes, locator, Error);
        var evaluation = file.Evaluation ?? new EvaluationSettings();
        try { evaluation.Validate(); }
        catch (ConfigException e) { throw Error("evaluation", e.Message, e); }

        var grid = new AblationGrid(file.Name, file.Model ?? new VaeConfig(), file.Training ?? new TrainingOptions(), axes, evaluation,
            file.Description ?? "") { Source = source };

        // The base sections as every run sees them (each axis at its first value), so that a field an axis overrides
        // is not judged by its unused base value.
        var first = Order.Select(a => a.Values(axes)).Where(v => v is { Count: > 0 }).Aggregate(new RunConfig(grid.Model, grid.Training),
            (c, values) => values![0].Apply(c));
        try { first.Model.Validate(); }
        catch (ConfigException e) { throw Error("model", e.Message, e); }
        try { first.Training.Validate(); }
        catch (ConfigException e) { throw Error("training", e.Message, e); }

        grid.Expand();   // validates every combination
        return grid;
    }

    /// <summary>Each axis: a list of the right type, not empty, every value valid on its own (reported at its line).</summary>
    private static GridAxes ParseAxes(Dictionary<string, JsonElement>? raw, JsonLocator locator, Func<string, string, Exception?, ConfigException> error)
    {
        var axes = new GridAxes();
        if (raw is null) return axes;
        foreach (var axis in Order)
        {
            if (!raw.TryGetValue(axis.Name, out var element)) continue;
            string path = $"axes.{axis.Name}";
            if (element.ValueKind != JsonValueKind.Array)
                throw error(path, $"an axis is a list of values, e.g. \"{axis.Name}\": {axis.Example}; got {element.ValueKind.ToString().ToLowerInvariant()}.", null);
            if (element.GetArrayLength() == 0)
                throw error(path, "the list is empty; give at least one value, or remove the axis to keep the base value.", null);
            try
            {
                axes = axis.Parse(axes, element);
            }
            catch (JsonException e)
            {
                string elementPath = path + (e.Path is { Length: > 1 } p && p.StartsWith('$') ? p[1..] : "");
                while (locator.LineOf(elementPath) is null && elementPath.Contains('[')) elementPath = elementPath[..elementPath.LastIndexOf('[')];
                throw error(elementPath, $"a value has the wrong type for this axis (expected e.g. {axis.Example}): {e.Message}", e);
            }
            var values = axis.Values(axes)!;
            for (int i = 0; i < values.Count; i++)
            {
                // One field changed from the defaults, which are valid: any error is this value's.
                var probe = values[i].Apply(new RunConfig(new VaeConfig(), new TrainingOptions()));
                try
                {
                    if (values[i].IsNull) throw new ConfigException($"null is not a value of {axis.Name}.");
                    probe.Model.Validate();
                    probe.Training.Validate();
                }
                catch (ConfigException e)
                {
                    throw error($"{path}[{i}]", e.Message, e);
                }
            }
        }
        return axes;
    }

    /// <summary>
    /// The runs, in a fixed order: the cartesian product of the axes in <see cref="AxisNames"/> order, the last axis
    /// varying fastest, whatever order the file lists them in. Runs with equal keys (e.g. "swish" and "silu") collapse to
    /// the first. Every run is validated; an invalid combination is reported with its axis values.
    /// </summary>
    public IReadOnlyList<RunSpec> Expand()
    {
        var present = Order.Select(a => (a.Name, Values: a.Values(Axes))).Where(a => a.Values is not null).ToArray();
        foreach (var (name, values) in present)
            if (values!.Count == 0) throw new ConfigException($"{Source}: axis {name} is empty; give at least one value or remove it.");
        var evaluation = Evaluation.Validate().Resolved();
        var runs = new List<RunSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = new int[present.Length];
        while (true)
        {
            var config = new RunConfig(Model, Training);
            var label = new List<string>(present.Length);
            for (int a = 0; a < present.Length; a++)
            {
                var value = present[a].Values![index[a]];
                config = value.Apply(config);
                label.Add($"{present[a].Name}={value.Text}");
            }
            string text = label.Count == 0 ? "base" : string.Join(" ", label);
            try
            {
                config.Model.Validate();
                config.Training.Validate();
            }
            catch (ConfigException e)
            {
                throw new ConfigException($"{Source}: the run {text} is invalid: {e.Message}", e);
            }
            var resolved = RunKey.Resolve(config);
            string key = RunKey.Compute(resolved, evaluation);
            if (seen.Add(key)) runs.Add(new RunSpec(key, resolved, evaluation, text));

            // Odometer step: the last axis turns fastest.
            int d = present.Length - 1;
            while (d >= 0 && ++index[d] == present[d].Values!.Count) index[d--] = 0;
            if (d < 0) break;
        }
        return runs;
    }

    private static string I(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string I(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The file's shape; axes stay raw JSON until each is checked with its own line numbers.</summary>
    private sealed record GridFile(
        string? Name = null,
        string? Description = null,
        VaeConfig? Model = null,
        TrainingOptions? Training = null,
        Dictionary<string, JsonElement>? Axes = null,
        EvaluationSettings? Evaluation = null);

    /// <summary>One value of an axis: how it reads in labels and how it changes a configuration.</summary>
    private sealed record AxisValue(string Text, bool IsNull, Func<RunConfig, RunConfig> Apply);

    /// <summary>One axis: its name in files, how to read its list and how each value applies.</summary>
    private sealed class Axis
    {
        public required string Name { get; init; }
        public required string Example { get; init; }
        public required Func<GridAxes, IReadOnlyList<AxisValue>?> Values { get; init; }
        public required Func<GridAxes, JsonElement, GridAxes> Parse { get; init; }

        public static Axis Of<T>(string name, Func<GridAxes, T[]?> get, Func<GridAxes, T[], GridAxes> set,
            Func<RunConfig, T, RunConfig> apply, Func<T, string> text) => new()
        {
            Name = name,
            Example = Examples[name],
            Values = axes => get(axes)?.Select(v => new AxisValue(v is null ? "null" : text(v), v is null, c => apply(c, v))).ToArray(),
            Parse = (axes, element) => set(axes, element.Deserialize<T[]>(VaeConfig.JsonOptions)!),
        };

        private static readonly Dictionary<string, string> Examples = new(StringComparer.Ordinal)
        {
            ["dataset"] = "[\"mnist\", \"fashion-mnist\"]",
            ["binarization"] = "[\"none\", \"dynamic\"]",
            ["hidden"] = "[[400], [200, 200]]",
            ["latentDim"] = "[2, 20]",
            ["beta"] = "[0.5, 1, 4]",
            ["learningRate"] = "[0.001, 0.0003]",
            ["activation"] = "[\"relu\", \"tanh\"]",
            ["seed"] = "[1, 2, 3]",
        };
    }
}
