using System.Buffers.Binary;
using System.IO.Compression;

namespace Workbench.Vae.Tests.Data;

/// <summary>A folder of scratch files, deleted when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "workbench-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Writes IDX files byte by byte (independently of the reader under test).</summary>
public static class IdxBytes
{
    /// <summary>Header (magic, count, rows, cols, big-endian) then pixels.</summary>
    public static byte[] Images(int count, int rows, int cols, byte[] pixels, int magic = 2051)
    {
        var bytes = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        pixels.CopyTo(bytes, 16);
        return bytes;
    }

    /// <summary>Header (magic, count, big-endian) then labels.</summary>
    public static byte[] Labels(byte[] labels, int magic = 2049, int? count = null)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count ?? labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }

    /// <summary>Pixels where image i, pixel j holds (7 i + 3 j) mod 256: every image differs and every grey level occurs.</summary>
    public static byte[] Pattern(int count, int dim)
    {
        var pixels = new byte[count * dim];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < dim; j++) pixels[i * dim + j] = (byte)((7 * i + 3 * j) % 256);
        return pixels;
    }

    /// <summary>Writes a data set folder as <see cref="Workbench.Vae.Data.ImageDataset.Load"/> expects it.</summary>
    public static void WriteSplit(string folder, string prefix, int count, int rows, int cols, bool gzip)
    {
        Directory.CreateDirectory(folder);
        var images = Images(count, rows, cols, Pattern(count, rows * cols));
        var labels = Labels(Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());
        string suffix = gzip ? ".gz" : "";
        System.IO.File.WriteAllBytes(System.IO.Path.Combine(folder, $"{prefix}-images-idx3-ubyte{suffix}"), gzip ? Gzip(images) : images);
        System.IO.File.WriteAllBytes(System.IO.Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{suffix}"), gzip ? Gzip(labels) : labels);
    }
}
