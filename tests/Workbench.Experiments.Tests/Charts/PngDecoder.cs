using System.Buffers.Binary;
using System.IO.Compression;
using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

/// <summary>
/// A minimal PNG reader for the tests, written from the specification independently of the encoder's
/// filter code: walks the chunks checking every CRC, inflates the concatenated IDAT data and undoes the
/// five scanline filters. Handles 8-bit greyscale, RGB and RGBA, non-interlaced: what our encoder and
/// Chromium's screenshots produce.
/// </summary>
internal static class PngDecoder
{
    internal sealed record Chunk(string Type, byte[] Data, uint StoredCrc, uint ComputedCrc);

    internal sealed record Decoded(int Width, int Height, int BitDepth, int ColorType, int Channels,
        byte[] Filtered, byte[] Pixels, IReadOnlyList<Chunk> Chunks)
    {
        internal byte At(int x, int y, int channel = 0) => Pixels[(y * Width + x) * Channels + channel];
    }

    internal static IReadOnlyList<Chunk> ReadChunks(byte[] png)
    {
        Assert.True(png.AsSpan().StartsWith(Png.Signature), "PNG signature missing");
        var chunks = new List<Chunk>();
        int p = 8;
        while (p < png.Length)
        {
            Assert.True(p + 12 <= png.Length, $"truncated chunk header at byte {p}");
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(p));
            string type = System.Text.Encoding.ASCII.GetString(png, p + 4, 4);
            Assert.True(length >= 0 && p + 12 + length <= png.Length, $"chunk {type} at {p} overruns the file");
            var data = png.AsSpan(p + 8, length).ToArray();
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p + 8 + length));
            uint computed = ReferenceCrc(png.AsSpan(p + 4, 4 + length));
            chunks.Add(new Chunk(type, data, stored, computed));
            p += 12 + length;
        }
        return chunks;
    }

    internal static Decoded Decode(byte[] png)
    {
        var chunks = ReadChunks(png);
        foreach (var c in chunks)
            Assert.True(c.StoredCrc == c.ComputedCrc, $"chunk {c.Type}: stored CRC {c.StoredCrc:X8} != computed {c.ComputedCrc:X8}");
        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        var ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        int width = BinaryPrimitives.ReadInt32BigEndian(ihdr);
        int height = BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4));
        int depth = ihdr[8], colorType = ihdr[9];
        Assert.Equal(8, depth);
        Assert.Equal(0, ihdr[10]);
        Assert.Equal(0, ihdr[11]);
        Assert.Equal(0, ihdr[12]);
        int channels = colorType switch { 0 => 1, 2 => 3, 6 => 4, _ => throw new NotSupportedException($"colour type {colorType}") };

        using var idat = new MemoryStream();
        foreach (var c in chunks.Where(c => c.Type == "IDAT")) idat.Write(c.Data);
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        var filtered = inflated.ToArray();

        int stride = width * channels;
        Assert.Equal(height * (stride + 1), filtered.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            int type = filtered[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int x = filtered[y * (stride + 1) + 1 + i];
                int a = i >= channels ? pixels[y * stride + i - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
                int c = i >= channels && y > 0 ? pixels[(y - 1) * stride + i - channels] : 0;
                int pred = type switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => PaethReference(a, b, c),
                    _ => throw new InvalidDataException($"row {y}: filter type {type} is not 0..4"),
                };
                pixels[y * stride + i] = (byte)(x + pred);
            }
        }
        return new Decoded(width, height, depth, colorType, channels, filtered, pixels, chunks);
    }

    /// <summary>Bitwise CRC-32 (no table), the straight definition, to cross-check the encoder's table version.</summary>
    internal static uint ReferenceCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>Paeth predictor exactly as written in the PNG specification's pseudocode.</summary>
    private static int PaethReference(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        else if (pb <= pc) return b;
        else return c;
    }
}
