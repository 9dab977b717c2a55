using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Data;

namespace Workbench.Vae.Tests.Data;

public class ImageDatasetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A data set of <paramref name="count"/> 2 x 3 images whose pixel j of image i is ((7 i + 3 j) mod 256) / 255.</summary>
    internal static ImageDataset Synthetic(int count, int rows = 2, int cols = 3) =>
        new("synthetic", Split.Train, ImageDataset.ToUnitInterval(IdxBytes.Pattern(count, rows * cols)),
            Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray(), rows, cols);

    [Fact]
    public void GreyLevelsScaleToUnitIntervalExactly()
    {
        var scaled = ImageDataset.ToUnitInterval([0, 1, 127, 128, 254, 255]);
        Assert.Equal(0f, scaled[0]);
        Assert.Equal(1f / 255f, scaled[1]);
        Assert.Equal(127f / 255f, scaled[2]);   // 0.498..., below the threshold
        Assert.Equal(128f / 255f, scaled[3]);   // 0.502..., above it
        Assert.Equal(254f / 255f, scaled[4]);
        Assert.Equal(1f, scaled[5]);            // correctly rounded 255 / 255 is exactly 1
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadReadsTheSplitFromTheDataRoot(bool gzip)
    {
        IdxBytes.WriteSplit(Path.Combine(_dir.Path, "mnist"), "t10k", 12, 4, 5, gzip);
        var ds = ImageDataset.Load(DatasetName.Mnist, Split.Test, _dir.Path);

        Assert.Equal("mnist", ds.Name);
        Assert.Equal(Split.Test, ds.Split);
        Assert.Equal(12, ds.Count);
        Assert.Equal(new[] { 4, 5 }, ds.ImageShape);
        Assert.Equal(20, ds.Dim);
        Assert.Equal(new[] { 12, 20 }, ds.Images.Dims());
        Assert.Equal(ScalarType.Float32, ds.Images.dtype);
        // Image 3, pixel 2: (7*3 + 3*2) mod 256 = 27 -> 27/255.
        Assert.Equal(27f / 255f, ds.Image(3)[2]);
        Assert.Equal(27f / 255f, ds.Images[3, 2].item<float>());
        Assert.Equal(ds.Pixels.ToArray(), ds.Images.Floats());
        Assert.Equal((byte)3, ds.Labels[3]);
        foreach (float v in ds.Pixels) Assert.InRange(v, 0f, 1f);
        Assert.Equal(Enumerable.Range(0, 12), ds.SourceIndices.ToArray());
    }

    [Fact]
    public void LoadOfMissingDataSaysHowToFetch()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageDataset.Load(DatasetName.FashionMnist, Split.Train, _dir.Path));
        Assert.Contains(Path.Combine(_dir.Path, "fashion-mnist"), e.Message);
        Assert.Contains("workbench data fetch fashion-mnist", e.Message);
        Assert.Contains("fetchIfMissing: true", e.Message);
    }

    [Fact]
    public void LoadOfValidationSplitPointsToSplitValidation()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageDataset.Load(DatasetName.Mnist, Split.Validation, _dir.Path));
        Assert.Contains("SplitValidation", e.Message);
    }

    [Fact]
    public void ConstructorRejectsInconsistentBlocks()
    {
        var e1 = Assert.Throws<ArgumentException>(() => new ImageDataset("x", Split.Train, new float[5], new byte[1], 2, 3));
        Assert.Contains("need 6 pixels but the block holds 5", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new ImageDataset("x", Split.Train, [0f, 0.5f, 1.5f, 0f], new byte[1], 2, 2));
        Assert.Contains("pixel 2 of image 0 is 1.5", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => new ImageDataset("x", Split.Train, [float.NaN], new byte[1], 1, 1));
        Assert.Contains("is NaN", e3.Message);
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", Split.Train, [], [], 0, 3));
    }

    [Fact]
    public void StaticThresholdIsExact()
    {
        var ds = new ImageDataset("t", Split.Train, ImageDataset.ToUnitInterval([0, 127, 128, 255, 200, 64]), [0], 2, 3);
        var bin = ds.Binarize(Binarization.StaticThreshold);
        Assert.Equal(new[] { 0f, 0f, 1f, 1f, 1f, 0f }, bin.Pixels.ToArray());
        Assert.Equal(Binarization.StaticThreshold, bin.Binarization);
        Assert.Equal(127f / 255f, ds.Pixels[1]);  // the source is untouched
    }

    [Fact]
    public void StaticSampleIsBinaryReproducibleAndFollowsTheProbabilities()
    {
        var ds = Synthetic(400, 28, 28);
        var a = ds.Binarize(Binarization.StaticSample, new Generator(11));
        var b = ds.Binarize(Binarization.StaticSample, new Generator(11));
        var c = ds.Binarize(Binarization.StaticSample, new Generator(12));
        Assert.Equal(a.Pixels.ToArray(), b.Pixels.ToArray());
        Assert.NotEqual(a.Pixels.ToArray(), c.Pixels.ToArray());
        double mean = 0, expected = 0;
        for (int i = 0; i < ds.Pixels.Length; i++)
        {
            float v = a.Pixels[i];
            Assert.True(v == 0f || v == 1f);
            if (ds.Pixels[i] == 0f) Assert.Equal(0f, v);   // p = 0 never fires
            if (ds.Pixels[i] == 1f) Assert.Equal(1f, v);   // p = 1 always does
            mean += v;
            expected += ds.Pixels[i];
        }
        // 313,600 Bernoulli draws: the mean's standard error is below 0.001, so 0.005 is a 5-sigma band.
        Assert.InRange(mean / ds.Pixels.Length - expected / ds.Pixels.Length, -0.005, 0.005);
    }

    [Fact]
    public void SeededDrawsAreTorchsOwn()
    {
        // StaticSample is one torch.bernoulli over the [Count, Dim] block; validation and random subsets take the first
        // rows of one torch.randperm, sorted.
        var ds = Synthetic(100, 4, 4);
        var p = torch.tensor(ds.Pixels.ToArray(), [100, 16]);
        Assert.Equal(torch.bernoulli(p, new Generator(11)).Floats(), ds.Binarize(Binarization.StaticSample, new Generator(11)).Pixels.ToArray());
        var perm = torch.randperm(100, generator: new Generator(5)).data<long>().ToArray().Select(i => (int)i).ToArray();
        Assert.Equal(perm[..20].Order(), ds.SplitValidation(20, seed: 5).Validation.SourceIndices.ToArray());
        Assert.Equal(perm[20..].Order(), ds.SplitValidation(20, seed: 5).Train.SourceIndices.ToArray());
        var sub = torch.randperm(100, generator: new Generator(3)).data<long>().ToArray().Take(7).Select(i => (int)i).Order();
        Assert.Equal(sub, ds.Subset(7, seed: 3).SourceIndices.ToArray());
    }

    [Fact]
    public void BinarizeRejectsDynamicAndMissingGenerator()
    {
        var ds = Synthetic(3);
        Assert.Contains("pass Binarization.Dynamic to Batches",
            Assert.Throws<ArgumentException>(() => ds.Binarize(Binarization.Dynamic)).Message);
        Assert.Contains("pass one",
            Assert.Throws<ArgumentNullException>(() => ds.Binarize(Binarization.StaticSample)).Message);
        Assert.Same(ds, ds.Binarize(Binarization.None));
    }

    [Fact]
    public void ValidationSplitIsDisjointCoveringAndSeeded()
    {
        var ds = Synthetic(100);
        var (train, validation) = ds.SplitValidation(20, seed: 5);

        Assert.Equal(80, train.Count);
        Assert.Equal(20, validation.Count);
        Assert.Equal(Split.Train, train.Split);
        Assert.Equal(Split.Validation, validation.Split);
        var t = train.SourceIndices.ToArray();
        var v = validation.SourceIndices.ToArray();
        Assert.Empty(t.Intersect(v));
        Assert.Equal(Enumerable.Range(0, 100), t.Concat(v).Order());
        // Rows travel with their labels and pixels.
        for (int r = 0; r < v.Length; r++)
        {
            Assert.Equal(ds.Labels[v[r]], validation.Labels[r]);
            Assert.Equal(ds.Image(v[r]).ToArray(), validation.Image(r).ToArray());
        }
        // Same seed, same split; another seed, another split; not simply the last 20 rows.
        Assert.Equal(v, ds.SplitValidation(20, 5).Validation.SourceIndices.ToArray());
        Assert.NotEqual(v, ds.SplitValidation(20, 6).Validation.SourceIndices.ToArray());
        Assert.NotEqual(Enumerable.Range(80, 20), v);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(-1)]
    public void ValidationSplitOfImpossibleSizeIsRejected(int count)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic(10).SplitValidation(count, 1));
        Assert.Contains("ask for 1..9 images", e.Message);
    }

    [Fact]
    public void SubsetTakesFirstOrSeededRandomRows()
    {
        var ds = Synthetic(50);
        var first = ds.Subset(7);
        Assert.Equal(Enumerable.Range(0, 7), first.SourceIndices.ToArray());
        Assert.Equal(ds.Pixels[..(7 * ds.Dim)].ToArray(), first.Pixels.ToArray());

        var random = ds.Subset(7, seed: 3);
        var rows = random.SourceIndices.ToArray();
        Assert.Equal(7, rows.Distinct().Count());
        Assert.Equal(rows.Order(), rows);
        Assert.NotEqual(Enumerable.Range(0, 7), rows);
        Assert.Equal(rows, ds.Subset(7, seed: 3).SourceIndices.ToArray());
        Assert.Equal(ds.Image(rows[4]).ToArray(), random.Image(4).ToArray());

        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Subset(51));
    }

    [Fact]
    public void LabelCountsCountEachClass()
    {
        var counts = Synthetic(23).LabelCounts();
        // Labels are i mod 10 for i < 23: 0, 1, 2 occur three times, the rest twice.
        Assert.Equal(new[] { 3, 3, 3, 2, 2, 2, 2, 2, 2, 2 }, counts);
        Assert.Throws<InvalidDataException>(() => Synthetic(23).LabelCounts(classes: 5));
    }

    [Fact]
    public void DatasetNamesParseFromTheCommandLine()
    {
        Assert.Equal(DatasetName.Mnist, DatasetCatalog.Parse("MNIST"));
        Assert.Equal(DatasetName.FashionMnist, DatasetCatalog.Parse("fashion-mnist"));
        Assert.Equal(DatasetName.FashionMnist, DatasetCatalog.Parse("fashion_mnist"));
        var e = Assert.Throws<ArgumentException>(() => DatasetCatalog.Parse("cifar10"));
        Assert.Contains("Known data sets: mnist, fashion-mnist", e.Message);
    }
}
