using Workbench.Autograd.Nn;
using Workbench.Autograd.Serialization;
using Workbench.Autograd.Tests.Nn;

namespace Workbench.Autograd.Tests.Serialization;

public sealed class ModuleSafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-module-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CheckpointRoundTripsIntoAFreshModel()
    {
        var trained = TestModels.Mlp(3, 5, 2, new Generator(1));
        string path = Path.Combine(_dir, "mlp.safetensors");
        trained.SaveSafeTensors(path, new Dictionary<string, string> { ["config"] = "mlp-3-5-2" });

        var fresh = TestModels.Mlp(3, 5, 2, new Generator(2));
        Assert.NotEqual(TestModels.Flatten(trained), TestModels.Flatten(fresh));
        var metadata = fresh.LoadSafeTensors(path);
        Assert.Equal(TestModels.Flatten(trained), TestModels.Flatten(fresh));
        Assert.Equal("mlp-3-5-2", metadata["config"]);
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], SafeTensors.Load(path).Tensors.Keys);
    }

    [Fact]
    public void Float32CheckpointLoadsIntoAFloat64Model()
    {
        var model = TestModels.Mlp(2, 3, 1, new Generator(1));
        string path = Path.Combine(_dir, "f32.safetensors");
        model.SaveSafeTensors(path);
        var wide = (Sequential)TestModels.Mlp(2, 3, 1, new Generator(2)).To(DType.Float64);
        wide.LoadSafeTensors(path);
        Assert.All(wide.Parameters(), p => Assert.Equal(DType.Float64, p.DType));
        Assert.Equal(TestModels.Flatten(model), TestModels.Flatten(wide));
    }

    [Fact]
    public void MismatchedModelIsReportedWithTheFileName()
    {
        var model = TestModels.Mlp(3, 5, 2, new Generator(1));
        string path = Path.Combine(_dir, "mlp.safetensors");
        model.SaveSafeTensors(path);

        var other = new Sequential(new Linear(3, 5, new Generator(2)));
        var before = TestModels.Flatten(other);
        var ex = Assert.Throws<InvalidDataException>(() => other.LoadSafeTensors(path));
        Assert.Contains($"Cannot load '{path}' into Sequential", ex.Message);
        Assert.Contains("unexpected 2.bias, 2.weight", ex.Message);
        Assert.Equal(before, TestModels.Flatten(other));

        // Not strict: the matching layer loads, the rest of the file is ignored.
        other.LoadSafeTensors(path, strict: false);
        Assert.Equal(model.StateDict()["0.weight"].ToArray(), other.StateDict()["0.weight"].ToArray());

        var wider = TestModels.Mlp(3, 6, 2, new Generator(3));
        ex = Assert.Throws<InvalidDataException>(() => wider.LoadSafeTensors(path, strict: false));
        Assert.Contains("'0.weight' has shape [5, 3] but the model's parameter has shape [6, 3]", ex.Message);
    }
}
