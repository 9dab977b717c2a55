using Workbench.Vae.Data;

namespace Workbench.Vae.Tests.Data;

public class DataRootTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Checkout(string name)
    {
        string root = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(Path.Combine(root, "src", "deep", "er"));
        File.WriteAllText(Path.Combine(root, DataRoot.SolutionFile), "");
        return root;
    }

    [Fact]
    public void EnvironmentVariableWins()
    {
        string checkout = Checkout("a");
        string chosen = Path.Combine(_dir.Path, "elsewhere");
        Assert.Equal(chosen, DataRoot.Resolve(chosen, Path.Combine(checkout, "src"), checkout));
    }

    [Fact]
    public void WalksUpFromTheCurrentDirectoryFirst()
    {
        string a = Checkout("a"), b = Checkout("b");
        Assert.Equal(Path.Combine(a, "data"), DataRoot.Resolve(null, Path.Combine(a, "src", "deep", "er"), Path.Combine(b, "src")));
        Assert.Equal(Path.Combine(a, "data"), DataRoot.Resolve("  ", a, null));
    }

    [Fact]
    public void FallsBackToTheAssemblyDirectoryThenToDotData()
    {
        string b = Checkout("b");
        string outside = Path.Combine(_dir.Path, "plain");
        Directory.CreateDirectory(outside);
        Assert.Equal(Path.Combine(b, "data"), DataRoot.Resolve(null, outside, Path.Combine(b, "src", "deep")));
        Assert.Equal(Path.Combine(outside, "data"), DataRoot.Resolve(null, outside, outside));
    }

    [Fact]
    public void TestsRunInsideTheCheckoutResolveToItsDataFolder()
    {
        if (Environment.GetEnvironmentVariable(DataRoot.EnvironmentVariable) is { Length: > 0 } set)
        {
            Assert.Equal(Path.GetFullPath(set), DataRoot.Resolve());
            return;
        }
        string root = DataRoot.Resolve();
        Assert.Equal("data", Path.GetFileName(root));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(root)!, DataRoot.SolutionFile)));
        Assert.Equal(Path.Combine(root, "fashion-mnist"), DataRoot.DatasetDirectory(root, DatasetName.FashionMnist));
    }
}
