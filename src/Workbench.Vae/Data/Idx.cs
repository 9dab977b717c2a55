using System.Buffers.Binary;
using System.IO.Compression;

namespace Workbench.Vae.Data;

/// <summary>Images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Cols"/> unsigned bytes, row-major.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Height of each image.</param>
/// <param name="Cols">Width of each image.</param>
/// <param name="Pixels">Count x Rows x Cols grey levels 0..255, image after image, each row-major.</param>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

/// <summary>
/// Reads the IDX format of the MNIST family: a big-endian int32 magic number (0x00000803 = 2051 for
/// unsigned-byte images with 3 dimensions, 0x00000801 = 2049 for unsigned-byte labels with 1 dimension),
/// one big-endian int32 per dimension, then the bytes. Plain and gzipped files are both accepted; gzip is
/// recognised by its magic bytes 1F 8B, not by the file name.
/// </summary>
public static class Idx
{
    /// <summary>Magic number of an unsigned-byte, 3-dimensional IDX file (images).</summary>
    public const int ImagesMagic = 2051;

    /// <summary>Magic number of an unsigned-byte, 1-dimensional IDX file (labels).</summary>
    public const int LabelsMagic = 2049;

    /// <summary>Largest image side accepted: anything bigger is a corrupt header, not an image data set.</summary>
    public const int MaxSide = 4096;

    private const string FetchHint =
        "Fetch the data sets with `workbench data fetch mnist` or `workbench data fetch fashion-mnist`, " +
        "or point WORKBENCH_DATA at a folder that holds them.";

    /// <summary>Reads an images file (magic 2051), plain or gzipped.</summary>
    /// <exception cref="InvalidDataException">The file is missing, is not an IDX images file, is truncated or has absurd dimensions.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var stream = OpenPayload(path, out bool gzip, out long rawLength);
        Span<byte> header = stackalloc byte[16];
        ReadHeader(stream, header, path, ImagesMagic);
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || rows < 1 || cols < 1 || rows > MaxSide || cols > MaxSide)
            throw new InvalidDataException(
                $"IDX images file '{path}' declares {count} images of {rows} x {cols} pixels, which is absurd " +
                $"(count must be >= 0, each side 1..{MaxSide}); the header is corrupt or this is not an image file.");
        long total = (long)count * rows * cols;
        if (total > Array.MaxLength)
            throw new InvalidDataException(
                $"IDX images file '{path}' declares {count} images of {rows} x {cols} pixels = {total} bytes, more than " +
                $"one array can hold ({Array.MaxLength}); the header is corrupt.");
        var pixels = ReadBody(stream, (int)total, gzip, rawLength, 16, path,
            $"{count} images x {rows} x {cols} pixels");
        return new IdxImages(count, rows, cols, pixels);
    }

    /// <summary>Reads a labels file (magic 2049), plain or gzipped.</summary>
    /// <exception cref="InvalidDataException">The file is missing, is not an IDX labels file or is truncated.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = OpenPayload(path, out bool gzip, out long rawLength);
        Span<byte> header = stackalloc byte[8];
        ReadHeader(stream, header, path, LabelsMagic);
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0)
            throw new InvalidDataException(
                $"IDX labels file '{path}' declares {count} labels, which is absurd; the header is corrupt.");
        return ReadBody(stream, count, gzip, rawLength, 8, path, $"{count} labels");
    }

    /// <summary>Reads an images file and its labels file and checks that they hold the same number of items.</summary>
    public static (IdxImages Images, byte[] Labels) ReadPair(string imagesPath, string labelsPath)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new InvalidDataException(
                $"Images file '{imagesPath}' holds {images.Count} images but labels file '{labelsPath}' holds " +
                $"{labels.Length} labels; pair files of the same split (train-images with train-labels, " +
                "t10k-images with t10k-labels).");
        return (images, labels);
    }

    /// <summary>True when the bytes start with the gzip magic 1F 8B (RFC 1952, section 2.3.1).</summary>
    public static bool IsGzip(ReadOnlySpan<byte> start) => start.Length >= 2 && start[0] == 0x1F && start[1] == 0x8B;

    /// <summary>Opens the file and, if it is gzipped, a decompressing stream over it.</summary>
    private static Stream OpenPayload(string path, out bool gzip, out long rawLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new InvalidDataException($"IDX file '{path}' does not exist. {FetchHint}");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            rawLength = file.Length;
            Span<byte> magic = stackalloc byte[2];
            int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            gzip = IsGzip(magic[..got]);
            return gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false) : file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the header and checks its magic number (first, so a short file of the other kind is named as such).</summary>
    private static void ReadHeader(Stream stream, Span<byte> header, string path, int expectedMagic)
    {
        int got = ReadFully(stream, header, path);
        if (got >= 4) CheckMagic(BinaryPrimitives.ReadInt32BigEndian(header), expectedMagic, path);
        string kind = expectedMagic == ImagesMagic ? "images" : "labels";
        if (got < header.Length)
            throw new InvalidDataException(
                $"IDX {kind} file '{path}' is truncated: its header needs {header.Length} bytes but the file holds only {got}.");
    }

    private static void CheckMagic(int magic, int expected, string path)
    {
        string kind = expected == ImagesMagic ? "images" : "labels";
        if (magic == expected) return;
        if (magic == ImagesMagic || magic == LabelsMagic)
        {
            string other = magic == ImagesMagic ? "images" : "labels";
            throw new InvalidDataException(
                $"'{path}' is an IDX {other} file (magic {magic}), not {(kind == "images" ? "an" : "a")} {kind} file (magic {expected}); " +
                "the images and labels paths look swapped.");
        }
        if (BinaryPrimitives.ReverseEndianness(magic) is ImagesMagic or LabelsMagic)
            throw new InvalidDataException(
                $"'{path}' has a little-endian IDX header (magic bytes {magic:X8}); IDX headers are big-endian. " +
                "The file was written by a tool that got the byte order wrong; rewrite it big-endian.");
        throw new InvalidDataException(
            $"'{path}' is not an IDX {kind} file: its magic number is 0x{magic:X8} but an unsigned-byte {kind} file " +
            $"starts with 0x{expected:X8} ({expected}). Check that the path names an MNIST-style IDX file.");
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes of payload and checks nothing follows it.</summary>
    private static byte[] ReadBody(Stream stream, int length, bool gzip, long rawLength, int headerLength, string path, string what)
    {
        if (!gzip)
        {
            // The plain file's length is known: check it before allocating, so a corrupt header cannot ask for gigabytes.
            long expected = headerLength + (long)length;
            if (rawLength < expected)
                throw new InvalidDataException(
                    $"IDX file '{path}' is truncated: the header declares {what}, so the file should hold {expected} bytes, " +
                    $"but it holds {rawLength} ({expected - rawLength} missing). Fetch it again.");
            if (rawLength > expected)
                throw new InvalidDataException(
                    $"IDX file '{path}' has {rawLength - expected} bytes after the {what} its header declares " +
                    $"(expected {expected} bytes, found {rawLength}); it is not a single IDX array.");
            var body = GC.AllocateUninitializedArray<byte>(length);
            ReadFully(stream, body, path);
            return body;
        }

        // A gzip stream's length is unknown until it ends: grow the buffer as data arrives, so a corrupt
        // header cannot make us allocate more than the file really holds (times two).
        var buffer = new byte[Math.Min(length, 1 << 20)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            int n = ReadFully(stream, buffer.AsSpan(filled), path);
            filled += n;
            if (filled < buffer.Length) break;
        }
        if (filled < length)
            throw new InvalidDataException(
                $"IDX file '{path}' (gzipped) is truncated: the header declares {what}, so {length} bytes should follow " +
                $"the {headerLength}-byte header, but the decompressed data holds only {filled} ({length - filled} missing). Fetch it again.");
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(stream, probe, path) > 0)
            throw new InvalidDataException(
                $"IDX file '{path}' (gzipped) has bytes after the {what} its header declares; it is not a single IDX array.");
        return buffer;
    }

    /// <summary>Reads until the span is full or the stream ends; a corrupt gzip stream becomes a message naming the file.</summary>
    private static int ReadFully(Stream stream, Span<byte> destination, string path)
    {
        try
        {
            return stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                $"IDX file '{path}' starts like a gzip file but its compressed data is corrupt ({e.Message}). Fetch it again.", e);
        }
    }
}
