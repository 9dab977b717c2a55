using Workbench.Autograd.Nn;

namespace Workbench.Autograd.Tests.Nn;

public class ModuleTests
{
    [Fact]
    public void StateDictNamesFollowThePyTorchConvention()
    {
        var model = TestModels.Mlp(3, 4, 2, new Generator(1));
        var state = model.StateDict();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], state.Keys.ToArray());
        var first = (Linear)model.Layers[0];
        // The entries are the live parameters, not copies.
        Assert.Same(first.Weight, state["0.weight"]);
        Assert.Equal([4, 3], state["0.weight"].ShapeArray());
        Assert.Equal([2], state["2.bias"].ShapeArray());
    }

    [Fact]
    public void NestedModulesGetDottedPaths()
    {
        var g = new Generator(1);
        var model = new Sequential(new Sequential(new Linear(2, 3, g), new TanhLayer()), new Linear(3, 1, g, bias: false));
        Assert.Equal(["0.0.weight", "0.0.bias", "1.weight"], model.StateDict().Keys.ToArray());
    }

    [Fact]
    public void LoadStateDictCopiesValuesIntoTheLiveParameters()
    {
        var source = TestModels.Mlp(3, 4, 2, new Generator(1));
        var target = TestModels.Mlp(3, 4, 2, new Generator(2));
        var weight = target.StateDict()["0.weight"];
        Assert.NotEqual(TestModels.Flatten(source), TestModels.Flatten(target));
        target.LoadStateDict(source.StateDict());
        Assert.Equal(TestModels.Flatten(source), TestModels.Flatten(target));
        Assert.Same(weight, target.StateDict()["0.weight"]);
        Assert.NotSame(source.StateDict()["0.weight"], target.StateDict()["0.weight"]);
    }

    [Fact]
    public void StrictLoadReportsMissingAndUnexpectedNames()
    {
        var model = TestModels.Mlp(3, 4, 2, new Generator(1));
        var state = TestModels.Mlp(3, 4, 2, new Generator(2)).StateDict();
        state.Remove("2.bias");
        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("missing 2.bias", ex.Message);

        state["2.bias"] = Tensor.Zeros(2);
        state["3.weight"] = Tensor.Zeros(1, 2);
        ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("unexpected 3.weight", ex.Message);
        Assert.DoesNotContain("missing", ex.Message);
    }

    [Fact]
    public void ShapeMismatchIsAnErrorEvenWhenNotStrict()
    {
        var model = TestModels.Mlp(3, 4, 2, new Generator(1));
        var state = TestModels.Mlp(3, 4, 2, new Generator(2)).StateDict();
        state["2.bias"] = Tensor.Zeros(3);
        foreach (bool strict in new[] { true, false })
        {
            var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state, strict));
            Assert.Contains("'2.bias' has shape [3] but the model's parameter has shape [2]", ex.Message);
        }
    }

    [Fact]
    public void FailedLoadChangesNothing()
    {
        var model = TestModels.Mlp(3, 4, 2, new Generator(1));
        var before = TestModels.Flatten(model);
        // Every entry but the last is valid: a loader that copied as it went would have changed three tensors.
        var state = TestModels.Mlp(3, 4, 2, new Generator(2)).StateDict();
        state["2.bias"] = Tensor.Zeros(5);
        Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        state.Remove("2.bias");
        Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Equal(before, TestModels.Flatten(model));
    }

    [Fact]
    public void NonStrictLoadFillsWhatIsThere()
    {
        var model = TestModels.Mlp(3, 4, 2, new Generator(1));
        var oldBias = model.StateDict()["2.bias"].ToArray();
        var source = TestModels.Mlp(3, 4, 2, new Generator(2)).StateDict();
        var state = new Dictionary<string, Tensor> { ["0.weight"] = source["0.weight"], ["extra"] = Tensor.Zeros(7) };
        model.LoadStateDict(state, strict: false);
        Assert.Equal(source["0.weight"].ToArray(), model.StateDict()["0.weight"].ToArray());
        Assert.Equal(oldBias, model.StateDict()["2.bias"].ToArray());
    }

    [Fact]
    public void TrainAndEvalReachEveryDescendant()
    {
        var g = new Generator(1);
        var model = new Sequential(new Sequential(new Linear(2, 3, g), new Dropout(0.5, g)), new Dropout(0.1, g));
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.IsTraining, m.Name));
        model.Eval();
        Assert.Equal(5, model.NamedModules().Count());
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.IsTraining, m.Name));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.IsTraining, m.Name));
    }
}
