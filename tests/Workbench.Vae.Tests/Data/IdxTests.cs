using Workbench.Vae.Data;

namespace Workbench.Vae.Tests.Data;

public class IdxTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesAndLabelsRoundTrip(bool gzip)
    {
        var pixels = IdxBytes.Pattern(5, 3 * 4);
        var labelValues = new byte[] { 3, 1, 4, 1, 5 };
        var imageBytes = IdxBytes.Images(5, 3, 4, pixels);
        var labelBytes = IdxBytes.Labels(labelValues);
        // The reader must recognise gzip by its magic bytes, not by the name: neither file is called *.gz.
        string imagesPath = Write("images", gzip ? IdxBytes.Gzip(imageBytes) : imageBytes);
        string labelsPath = Write("labels", gzip ? IdxBytes.Gzip(labelBytes) : labelBytes);

        var (images, labels) = Idx.ReadPair(imagesPath, labelsPath);

        Assert.Equal(5, images.Count);
        Assert.Equal(3, images.Rows);
        Assert.Equal(4, images.Cols);
        Assert.Equal(pixels, images.Pixels);
        Assert.Equal(labelValues, labels);
    }

    [Fact]
    public void EmptyFilesWithZeroCountAreValid()
    {
        var images = Idx.ReadImages(Write("images", IdxBytes.Images(0, 28, 28, [])));
        Assert.Equal(0, images.Count);
        Assert.Empty(images.Pixels);
        Assert.Empty(Idx.ReadLabels(Write("labels", IdxBytes.Labels([]))));
    }

    [Fact]
    public void LargeGzippedFileIsReadWhole()
    {
        // More than the reader's first 1 MiB chunk, so the buffer has to grow.
        var pixels = IdxBytes.Pattern(3000, 28 * 28);
        var images = Idx.ReadImages(Write("big.gz", IdxBytes.Gzip(IdxBytes.Images(3000, 28, 28, pixels))));
        Assert.Equal(pixels, images.Pixels);
    }

    [Fact]
    public void MissingFileSaysHowToFetch()
    {
        string path = _dir.File("train-images-idx3-ubyte");
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("workbench data fetch mnist", e.Message);
    }

    [Fact]
    public void LabelsFileGivenAsImagesIsNamedAsSuch()
    {
        string path = Write("labels", IdxBytes.Labels([1, 2, 3]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("is an IDX labels file (magic 2049), not an images file (magic 2051)", e.Message);
    }

    [Fact]
    public void ImagesFileGivenAsLabelsIsNamedAsSuch()
    {
        string path = Write("images", IdxBytes.Images(1, 2, 2, [1, 2, 3, 4]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("is an IDX images file (magic 2051), not a labels file (magic 2049)", e.Message);
    }

    [Fact]
    public void UnknownMagicIsReportedInHex()
    {
        string path = Write("junk", IdxBytes.Images(1, 2, 2, [1, 2, 3, 4], magic: 0x12345678));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("0x12345678", e.Message);
        Assert.Contains("not an IDX images file", e.Message);
    }

    [Fact]
    public void LittleEndianHeaderIsDiagnosed()
    {
        // 2051 = 0x00000803 written little-endian reads back big-endian as 0x03080000.
        string path = Write("le", IdxBytes.Images(1, 2, 2, [1, 2, 3, 4], magic: 0x03080000));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains("little-endian", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        string path = Write("short", [0, 0, 8, 3, 0]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("header needs 16 bytes but the file holds only 5", e.Message);
    }

    [Fact]
    public void TruncatedPixelsGiveExpectedAndActualBytes()
    {
        // 3 images of 2 x 2 need 16 + 12 = 28 bytes; the file stops 5 bytes early at 23.
        var full = IdxBytes.Images(3, 2, 2, new byte[12]);
        string path = Write("truncated", full[..23]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("should hold 28 bytes, but it holds 23 (5 missing)", e.Message);
    }

    [Fact]
    public void TruncatedGzippedPixelsGiveExpectedAndActualBytes()
    {
        // The gzip stream itself is complete, but its content stops 4 pixel bytes short: 12 expected, 8 found.
        var full = IdxBytes.Images(3, 2, 2, new byte[12]);
        string path = Write("truncated.gz", IdxBytes.Gzip(full[..24]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("12 bytes should follow the 16-byte header, but the decompressed data holds only 8 (4 missing)", e.Message);
    }

    [Fact]
    public void TruncatedLabelsAreReported()
    {
        string path = Write("labels", IdxBytes.Labels([1, 2], count: 5));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains("should hold 13 bytes, but it holds 10 (3 missing)", e.Message);
    }

    [Fact]
    public void TrailingBytesAreReported()
    {
        string path = Write("long", IdxBytes.Images(1, 2, 2, [1, 2, 3, 4, 5, 6]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("has 2 bytes after the 1 images x 2 x 2 pixels", e.Message);
    }

    [Fact]
    public void TrailingBytesInGzipAreReported()
    {
        string path = Write("long.gz", IdxBytes.Gzip(IdxBytes.Labels([1, 2, 3], count: 2)));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("has bytes after the 2 labels", e.Message);
    }

    [Fact]
    public void CorruptGzipIsReported()
    {
        var bytes = IdxBytes.Gzip(IdxBytes.Images(2, 28, 28, IdxBytes.Pattern(2, 784)));
        for (int i = 12; i < bytes.Length - 8; i++) bytes[i] ^= 0xA5;
        string path = Write("corrupt.gz", bytes);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void CutOffGzipDownloadIsReported()
    {
        // An interrupted download: the compressed stream stops half-way.
        var bytes = IdxBytes.Gzip(IdxBytes.Images(50, 28, 28, IdxBytes.Pattern(50, 784)));
        string path = Write("cut.gz", bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("Fetch it again", e.Message);
    }

    [Theory]
    [InlineData(-1, 28, 28)]
    [InlineData(10, 0, 28)]
    [InlineData(10, 28, -5)]
    [InlineData(10, 100000, 28)]
    public void AbsurdDimensionsAreRejected(int count, int rows, int cols)
    {
        string path = Write("absurd", IdxBytes.Images(count, rows, cols, new byte[64]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"declares {count} images of {rows} x {cols} pixels, which is absurd", e.Message);
    }

    [Fact]
    public void TooManyBytesForOneArrayIsRejected()
    {
        // 2^20 images of 4096 x 4096 = 2^44 bytes: every number is individually plausible, the product is not.
        string path = Write("huge", IdxBytes.Images(1 << 20, 4096, 4096, new byte[8]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains("more than one array can hold", e.Message);
    }

    [Fact]
    public void NegativeLabelCountIsRejected()
    {
        string path = Write("labels", IdxBytes.Labels([1], count: -3));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains("declares -3 labels, which is absurd", e.Message);
    }

    [Fact]
    public void ImageLabelCountMismatchNamesBothFiles()
    {
        string images = Write("images", IdxBytes.Images(3, 2, 2, new byte[12]));
        string labels = Write("labels", IdxBytes.Labels([1, 2]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadPair(images, labels));
        Assert.Contains($"'{images}' holds 3 images", e.Message);
        Assert.Contains($"'{labels}' holds 2 labels", e.Message);
    }
}
