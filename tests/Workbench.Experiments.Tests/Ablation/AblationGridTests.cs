using Workbench.Experiments.Ablation;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Tests.Ablation;

public class AblationGridTests
{
    private const string Valid = """
        {
          "name": "demo",
          "description": "two activations, two seeds",
          "model": { "hidden": [400], "latentDim": 20 },
          "training": { "epochs": 3, "batchSize": 64 },
          "axes": {
            "seed": [1, 2],
            "activation": ["relu", "tanh"]
          },
          "evaluation": { "nllSamples": 100, "nllSubset": 500 }
        }
        """;

    private static ConfigException Bad(string json) => Assert.Throws<ConfigException>(() => AblationGrid.FromJson(json, "bad.json"));

    /// <summary>Asserts the message names the file, the line and every expected fragment.</summary>
    private static void AssertMessage(ConfigException e, int line, params string[] expected)
    {
        Assert.StartsWith("bad.json", e.Message);
        Assert.Contains($"line {line}", e.Message);
        foreach (var part in expected) Assert.Contains(part, e.Message);
    }

    [Fact]
    public void ParsesEveryField()
    {
        var grid = AblationGrid.FromJson(Valid, "demo.json");
        Assert.Equal("demo", grid.Name);
        Assert.Equal("two activations, two seeds", grid.Description);
        Assert.Equal("demo.json", grid.Source);
        Assert.Equal(3, grid.Training.Epochs);
        Assert.Equal(64, grid.Training.BatchSize);
        Assert.Equal([1UL, 2UL], grid.Axes.Seed!);
        Assert.Equal(["relu", "tanh"], grid.Axes.Activation!);
        Assert.Null(grid.Axes.LatentDim);
        Assert.Equal(new EvaluationSettings(100, 500), grid.Evaluation);
    }

    [Fact]
    public void ExpansionIsTheCartesianProductInTheFixedAxisOrder()
    {
        // The file lists seed before activation; the fixed order puts activation first and seed last (fastest).
        var runs = AblationGrid.FromJson(Valid, "demo.json").Expand();
        Assert.Equal(["activation=relu seed=1", "activation=relu seed=2", "activation=tanh seed=1", "activation=tanh seed=2"],
            runs.Select(r => r.Label));
        Assert.Equal(["relu", "relu", "tanh", "tanh"], runs.Select(r => r.Config.Model.Activation));
        Assert.Equal([1UL, 2UL, 1UL, 2UL], runs.Select(r => r.Config.Training.Seed));
        Assert.All(runs, r => Assert.Equal(3, r.Config.Training.Epochs));
        Assert.All(runs, r => Assert.Equal([400], r.Config.Model.Hidden!));
        Assert.Equal(4, runs.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void EveryAxisAppliesToItsFieldAndTheCountIsTheProduct()
    {
        var grid = AblationGrid.FromJson("""
            {
              "name": "all-axes",
              "axes": {
                "learningRate": [0.001, 0.0003],
                "seed": [7],
                "hidden": [[400], [200, 200]],
                "beta": [0.5, 1, 4],
                "dataset": ["mnist", "fashion-mnist"],
                "latentDim": [2, 20],
                "binarization": ["none", "dynamic"],
                "activation": ["relu", "mish", "adaptive"]
              }
            }
            """, "all.json");
        var runs = grid.Expand();
        Assert.Equal(2 * 1 * 2 * 3 * 2 * 2 * 2 * 3, runs.Count);
        // Order: dataset, binarization, hidden, latentDim, beta, learningRate, activation, seed (last fastest).
        Assert.Equal("dataset=mnist binarization=none hidden=[400] latentDim=2 beta=0.5 learningRate=0.001 activation=relu seed=7", runs[0].Label);
        Assert.Equal("dataset=mnist binarization=none hidden=[400] latentDim=2 beta=0.5 learningRate=0.001 activation=mish seed=7", runs[1].Label);
        Assert.Equal("dataset=mnist binarization=none hidden=[400] latentDim=2 beta=0.5 learningRate=0.0003 activation=relu seed=7", runs[3].Label);
        Assert.Equal("dataset=fashion-mnist binarization=dynamic hidden=[200,200] latentDim=20 beta=4 learningRate=0.0003 activation=adaptive seed=7", runs[^1].Label);
        var last = runs[^1].Config;
        Assert.Equal("fashion-mnist", last.Training.Dataset);
        Assert.Equal(Binarization.Dynamic, last.Training.Binarization);
        Assert.Equal([200, 200], last.Model.Hidden!);
        Assert.Equal(20, last.Model.LatentDim);
        Assert.Equal(4.0, last.Model.Beta);
        Assert.Equal(0.0003, last.Training.LearningRate);
        Assert.Equal("adaptive", last.Model.Activation);
        Assert.Equal(7UL, last.Training.Seed);
    }

    [Fact]
    public void DuplicatesCollapseAndAliasesAreOneRun()
    {
        var grid = AblationGrid.FromJson("""
            { "name": "dups", "axes": { "activation": ["swish", "silu", "relu"], "seed": [1, 1, 2] } }
            """, "dups.json");
        var runs = grid.Expand();
        // swish is an alias of silu: the same model, so the same key; seed 1 twice is one seed.
        Assert.Equal(["activation=swish seed=1", "activation=swish seed=2", "activation=relu seed=1", "activation=relu seed=2"], runs.Select(r => r.Label));
        Assert.Equal("silu", runs[0].Config.Model.Activation);
    }

    [Fact]
    public void NoAxesIsOneRunOfTheBaseConfig()
    {
        var runs = AblationGrid.FromJson("""{ "name": "one", "model": { "activation": "elu" } }""", "one.json").Expand();
        var run = Assert.Single(runs);
        Assert.Equal("base", run.Label);
        Assert.Equal("elu", run.Config.Model.Activation);
        Assert.Equal(new TrainingOptions(), run.Config.Training);
    }

    [Fact]
    public void AnAxisOverridesTheBaseValueWhichIsThenNotJudged()
    {
        // The base activation is never used because the axis replaces it in every run.
        var grid = AblationGrid.FromJson("""{ "name": "x", "model": { "activation": "nonsense" }, "axes": { "activation": ["relu"] } }""", "x.json");
        Assert.Equal("relu", Assert.Single(grid.Expand()).Config.Model.Activation);
    }

    [Fact]
    public void SyntaxErrorGivesTheLine()
    {
        var e = Bad("{\n  \"name\": \"x\",\n  \"axes\": { \"seed\": [1, 2,, 3] }\n}");
        AssertMessage(e, 3, "invalid JSON");
    }

    [Fact]
    public void UnknownAxisListsTheKnownOnes()
    {
        var e = Bad("{\n  \"name\": \"x\",\n  \"axes\": {\n    \"seed\": [1],\n    \"temperature\": [0.5]\n  }\n}");
        AssertMessage(e, 5, "axes.temperature", "'temperature' is not an axis", "Known axes: dataset, binarization, hidden, latentDim, beta, learningRate, activation, seed");
    }

    [Fact]
    public void UnknownActivationInTheListIsReportedAtItsLineBeforeAnythingRuns()
    {
        var e = Bad("{\n  \"name\": \"x\",\n  \"axes\": {\n    \"activation\": [\n      \"relu\",\n      \"swishh\"\n    ]\n  }\n}");
        AssertMessage(e, 6, "axes.activation[1]", "activation 'swishh' is not known", "Known activations", "mish");
    }

    [Theory]
    [InlineData("\"latentDim\": [2, 0]", "axes.latentDim[1]", "latentDim must be positive")]
    [InlineData("\"beta\": [1, -1]", "axes.beta[1]", "beta must be a finite number >= 0")]
    [InlineData("\"dataset\": [\"cifar\"]", "axes.dataset[0]", "dataset 'cifar' is not known")]
    [InlineData("\"hidden\": [[400], []]", "axes.hidden[1]", "hidden is empty")]
    [InlineData("\"hidden\": [[400], [0]]", "axes.hidden[1]", "hidden widths must be positive")]
    [InlineData("\"learningRate\": [0]", "axes.learningRate[0]", "learning rate must be a positive number")]
    [InlineData("\"activation\": [\"relu\", null]", "axes.activation[1]", "null is not a value of activation")]
    public void BadAxisValueNamesTheAxisElement(string axis, string field, string expected)
    {
        var e = Bad("{\n  \"name\": \"x\",\n  \"axes\": {\n    " + axis + "\n  }\n}");
        AssertMessage(e, 4, field, expected);
    }

    [Theory]
    [InlineData("\"latentDim\": [\"two\"]", "axes.latentDim", "expected e.g. [2, 20]")]
    [InlineData("\"binarization\": [\"sometimes\"]", "axes.binarization", "expected e.g. [\"none\", \"dynamic\"]")]
    [InlineData("\"seed\": [-1]", "axes.seed", "expected e.g. [1, 2, 3]")]
    public void WrongTypeInAnAxisNamesTheAxis(string axis, string field, string expected)
    {
        var e = Bad("{\n  \"name\": \"x\",\n  \"axes\": {\n    " + axis + "\n  }\n}");
        AssertMessage(e, 4, field, expected);
    }

    [Fact]
    public void AnAxisMustBeANonEmptyList()
    {
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"axes\": { \"seed\": 1 }\n}"), 3, "axes.seed", "an axis is a list of values", "got number");
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"axes\": { \"seed\": [] }\n}"), 3, "axes.seed", "the list is empty");
    }

    [Fact]
    public void UnknownTopLevelFieldIsNamed() =>
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"axis\": {}\n}"), 3, "'axis' is not a grid field", "Grid fields: name, description, model, training, axes, evaluation");

    [Fact]
    public void UnknownModelFieldGivesTheLine() =>
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"model\": {\n    \"latent\": 2\n  }\n}"), 4, "latent");

    [Fact]
    public void WrongTypeInTheModelGivesTheLine() =>
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"model\": {\n    \"latentDim\": \"x\"\n  }\n}"), 4, "latentDim");

    [Fact]
    public void InvalidBaseSectionsNameTheSection()
    {
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"model\": { \"dropout\": 1.5 }\n}"), 3, "model:", "dropout must be in [0, 1)");
        AssertMessage(Bad("{\n  \"name\": \"x\",\n\n  \"training\": { \"epochs\": 0 }\n}"), 4, "training:", "epochs must be positive");
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"evaluation\": { \"nllSamples\": -5 }\n}"), 3, "evaluation:", "nllSamples must be >= 0");
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"evaluation\": { \"nllSamples\": 10, \"nllSubset\": 0 }\n}"), 3, "evaluation:", "nllSubset must be positive");
    }

    [Fact]
    public void NameIsRequiredAndMustBeAFolderName()
    {
        AssertMessage(Bad("{\n  \"axes\": { \"seed\": [1] }\n}"), 1, "needs a \"name\"");
        AssertMessage(Bad("{\n  \"name\": \"../escape\"\n}"), 2, "not a usable grid name");
    }

    [Fact]
    public void DuplicateFieldIsReportedWithBothLines() =>
        AssertMessage(Bad("{\n  \"name\": \"x\",\n  \"axes\": {\n    \"seed\": [1],\n    \"seed\": [2]\n  }\n}"), 5, "axes.seed", "appears twice (first on line 4)");

    [Fact]
    public void NullFileIsReported() => Assert.Contains("JSON null", Bad("null").Message);

    [Fact]
    public void AnInvalidRunOfAGridBuiltInCodeIsReportedWithItsAxisValues()
    {
        var grid = new AblationGrid("code", new VaeConfig(), new TrainingOptions(), new GridAxes(LatentDim: [2, -3]), new EvaluationSettings());
        var e = Assert.Throws<ConfigException>(() => grid.Expand());
        Assert.Contains("latentDim=-3", e.Message);
        Assert.Contains("latentDim must be positive", e.Message);
    }

    [Fact]
    public void PresetsLoadByNameAndAreWhatTheySay()
    {
        Assert.Equal(["iwae-protocol", "quick", "seeds-paper"], AblationGrid.PresetNames);

        var quick = AblationGrid.Load("quick");
        Assert.Equal("quick", quick.Name);
        var runs = quick.Expand();
        Assert.Equal(10, runs.Count);
        Assert.Equal(["relu", "tanh", "silu", "mish", "swish_beta"], runs.Select(r => r.Config.Model.Activation).Distinct());
        Assert.All(runs, r =>
        {
            Assert.Equal(VaeConfig.PytorchExamples.Resolved(), r.Config.Model with { Activation = "relu" });
            Assert.Equal("mnist", r.Config.Training.Dataset);
            Assert.Equal(Binarization.None, r.Config.Training.Binarization);
            Assert.Null(r.Config.Training.TrainSubset);
            Assert.InRange(r.Config.Training.Epochs, 2, 3);
        });

        var seeds = AblationGrid.Load("seeds-paper").Expand();
        Assert.Equal(16 * 5 * 2, seeds.Count);
        Assert.Equal(["mnist", "fashion-mnist"], seeds.Select(r => r.Config.Training.Dataset).Distinct());
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], seeds.Select(r => r.Config.Training.Seed).Distinct().Order());
        foreach (var name in new[] { "relu", "tanh", "silu", "identity", "exp", "sigmoid", "leaky_relu", "prelu", "elu", "gelu", "mish", "maxout", "adaptive" })
            Assert.Contains(seeds, r => r.Config.Model.Activation == name);
        Assert.All(seeds, r => Assert.Equal(50, r.Config.Training.Epochs));

        var iwae = Assert.Single(AblationGrid.Load("iwae-protocol").Expand());
        Assert.Equal([200, 200], iwae.Config.Model.Hidden!);
        Assert.Equal(50, iwae.Config.Model.LatentDim);
        Assert.Equal("tanh", iwae.Config.Model.Activation);
        Assert.Equal(Binarization.Dynamic, iwae.Config.Training.Binarization);
        Assert.Equal(20, iwae.Config.Training.BatchSize);
        Assert.Equal(5000, iwae.Evaluation.NllSamples);
        // The grid is the paper's protocol, the same as `train --preset iwae-paper`.
        Assert.Equal(TrainingOptions.IwaePaper with { Seed = 1 }, iwae.Config.Training);
    }

    [Fact]
    public void LoadTakesAPathOrAPresetAndSaysWhichIsWrong()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wb-grid-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Valid);
        try
        {
            Assert.Equal("demo", AblationGrid.Load(path).Name);
            Assert.Equal(path, AblationGrid.Load(path).Source);
        }
        finally
        {
            File.Delete(path);
        }
        var unknown = Assert.Throws<ConfigException>(() => AblationGrid.Load("quik"));
        Assert.Contains("'quik' is not a preset grid", unknown.Message);
        Assert.Contains("quick, seeds-paper", unknown.Message);
        var missing = Assert.Throws<ConfigException>(() => AblationGrid.Load("/no/such/grid.json"));
        Assert.Contains("/no/such/grid.json", missing.Message);
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public void PresetErrorsNameThePreset()
    {
        var e = Assert.Throws<ConfigException>(() => AblationGrid.FromJson(AblationGrid.PresetJson("quick").Replace("\"mish\"", "\"mush\""), "preset 'quick'"));
        Assert.Contains("preset 'quick', line ", e.Message);
        Assert.Contains("'mush'", e.Message);
    }
}
