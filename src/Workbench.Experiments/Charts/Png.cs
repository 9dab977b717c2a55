using Workbench.Vae.IO;
using System.Buffers.Binary;
using System.IO.Compression;

namespace Workbench.Experiments.Charts;

/// <summary>
/// A small PNG encoder for 8-bit greyscale and 8-bit RGB images (PNG specification, second edition,
/// W3C Recommendation / ISO/IEC 15948:2003; section numbers below refer to it): signature, IHDR, IDAT (zlib stream of filtered scanlines), IEND, each chunk
/// with its CRC-32. Non-interlaced; each scanline gets the filter (None, Sub, Up, Average, Paeth) whose
/// output has the smallest sum of absolute signed bytes, the heuristic of PNG spec section 12.8.
/// </summary>
public static class Png
{
    /// <summary>The 8-byte PNG signature (spec 5.2).</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>IHDR colour type 0: one grey sample per pixel.</summary>
    public const byte ColorTypeGray = 0;

    /// <summary>IHDR colour type 2: red, green, blue samples per pixel.</summary>
    public const byte ColorTypeRgb = 2;

    /// <summary>The largest width or height we write: PNG allows 2^31 - 1, but images this size are a bug upstream.</summary>
    public const int MaxDimension = 1 << 16;

    // Compressed data is cut into IDAT chunks of at most this many bytes, as common encoders do, so that a
    // reader can stream them; decoders must concatenate all IDAT chunks (spec 10.1).
    internal const int IdatChunkSize = 1 << 16;

    /// <summary>Encodes 8-bit grey pixels, row-major, <paramref name="width"/> per row.</summary>
    public static byte[] EncodeGray(ReadOnlySpan<byte> pixels, int width, int height) =>
        Encode(pixels, width, height, 1, "Png.EncodeGray");

    /// <summary>Encodes grey intensities in [0, 1] (values outside are clamped; 0 is black, 1 white).</summary>
    public static byte[] EncodeGray(ReadOnlySpan<float> pixels, int width, int height) =>
        Encode(ToBytes(pixels, "Png.EncodeGray"), width, height, 1, "Png.EncodeGray");

    /// <summary>Encodes interleaved 8-bit RGB pixels (r, g, b, r, g, b, ...), row-major.</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> pixels, int width, int height) =>
        Encode(pixels, width, height, 3, "Png.EncodeRgb");

    /// <summary>Encodes interleaved RGB intensities in [0, 1] (clamped).</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<float> pixels, int width, int height) =>
        Encode(ToBytes(pixels, "Png.EncodeRgb"), width, height, 3, "Png.EncodeRgb");

    /// <summary>"data:image/png;base64,...": for a plotly.js image trace or an HTML &lt;img&gt;.</summary>
    public static string ToDataUri(ReadOnlySpan<byte> png)
    {
        if (!png.StartsWith(Signature))
            throw new ArgumentException(
                "Png.ToDataUri: the bytes do not start with the PNG signature; pass the output of Png.Encode* or ImageGrid.Png.",
                nameof(png));
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }

    /// <summary>Writes PNG bytes to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public static void Save(string path, ReadOnlySpan<byte> png)
    {
        if (!png.StartsWith(Signature))
            throw new ArgumentException(
                $"Png.Save: the bytes for '{path}' do not start with the PNG signature; pass the output of a PNG encoder.",
                nameof(png));
        AtomicFile.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>Maps [0, 1] to 0..255 by rounding (x * 255 + 0.5); NaN is rejected because it would silently become black.</summary>
    internal static byte[] ToBytes(ReadOnlySpan<float> pixels, string where)
    {
        var bytes = new byte[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            float v = pixels[i];
            if (float.IsNaN(v))
                throw new ArgumentException(
                    $"{where}: pixel value {i} is NaN; images need numbers in [0, 1] (check the model output for divergence first).",
                    nameof(pixels));
            bytes[i] = ToByte(v);
        }
        return bytes;
    }

    internal static byte ToByte(float v)
    {
        float c = v < 0f ? 0f : v > 1f ? 1f : v;
        return (byte)(int)(c * 255f + 0.5f);
    }

    private static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels, string where)
    {
        if (width < 1 || height < 1 || width > MaxDimension || height > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(width), (width, height),
                $"{where}: image size {width} x {height} is not in 1..{MaxDimension} per side.");
        long expected = (long)width * height * channels;
        if (pixels.Length != expected)
            throw new ArgumentException(
                $"{where}: got {pixels.Length} samples but {width} x {height} x {channels} channel(s) needs {expected}; " +
                "check the width, height and pixel layout (row-major" + (channels == 3 ? ", interleaved r, g, b" : "") + ").",
                nameof(pixels));

        int stride = width * channels;
        byte[] filtered = Filter(pixels, stride, height, channels);

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            z.Write(filtered);

        using var png = new MemoryStream();
        png.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;                                             // bit depth
        ihdr[9] = channels == 1 ? ColorTypeGray : ColorTypeRgb;  // colour type
        ihdr[10] = 0;                                            // compression method: deflate
        ihdr[11] = 0;                                            // filter method: adaptive, five types
        ihdr[12] = 0;                                            // no interlace
        WriteChunk(png, "IHDR"u8, ihdr);

        ReadOnlySpan<byte> data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        do
        {
            int n = Math.Min(IdatChunkSize, data.Length);
            WriteChunk(png, "IDAT"u8, data[..n]);
            data = data[n..];
        } while (data.Length > 0);

        WriteChunk(png, "IEND"u8, ReadOnlySpan<byte>.Empty);
        return png.ToArray();
    }

    /// <summary>
    /// Chunk layout (spec 5.3): 4-byte big-endian data length, 4-byte type, data, CRC-32 of type and data.
    /// </summary>
    private static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        uint crc = Crc32.Update(Crc32.Update(Crc32.Initial, type), data) ^ Crc32.Initial;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        s.Write(word);
    }

    /// <summary>
    /// Filters each scanline (spec section 9): output row = filter type byte + filtered bytes. Filter
    /// arithmetic is modulo 256 on the byte a pixel's sample sits at (x), the byte one pixel to the left
    /// (a), the byte above (b) and the byte above-left (c); a and c are 0 at the left edge, b and c on the first row.
    /// </summary>
    internal static byte[] Filter(ReadOnlySpan<byte> pixels, int stride, int height, int bpp)
    {
        var output = new byte[(long)height * (stride + 1) > int.MaxValue
            ? throw new ArgumentException($"Png: {height} rows of {stride} bytes exceed the 2 GiB a single buffer can hold.")
            : height * (stride + 1)];
        var candidate = new byte[stride];
        var best = new byte[stride];
        var zeros = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * stride, stride);
            ReadOnlySpan<byte> prior = y == 0 ? zeros : pixels.Slice((y - 1) * stride, stride);
            long bestScore = long.MaxValue;
            byte bestType = 0;
            for (byte type = 0; type <= 4; type++)
            {
                FilterRow(type, row, prior, bpp, candidate);
                long score = 0;
                foreach (byte v in candidate)
                    score += v < 128 ? v : 256 - v; // |signed byte|
                // Strictly lower wins, so ties keep the lowest filter type: the choice is deterministic.
                if (score < bestScore)
                {
                    bestScore = score;
                    bestType = type;
                    candidate.CopyTo(best, 0);
                }
            }
            int o = y * (stride + 1);
            output[o] = bestType;
            best.CopyTo(output, o + 1);
        }
        return output;
    }

    private static void FilterRow(byte type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> dst)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int x = row[i];
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prior[i];
            int c = i >= bpp ? prior[i - bpp] : 0;
            int predicted = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,  // floor((a + b) / 2), spec 9.2 Average
                _ => Paeth(a, b, c),
            };
            dst[i] = (byte)(x - predicted);
        }
    }

    /// <summary>Paeth predictor (spec 9.4): of a, b, c the one nearest a + b - c, ties in the order a, b, c.</summary>
    internal static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a);
        int pb = Math.Abs(p - b);
        int pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        if (pb <= pc) return b;
        return c;
    }
}

/// <summary>
/// CRC-32 as PNG uses it (spec annex D; the same CRC as zlib and Ethernet): reflected polynomial 0xEDB88320,
/// register initialised to all ones and complemented at the end.
/// </summary>
public static class Crc32
{
    internal const uint Initial = 0xFFFFFFFFu;

    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC-32 of <paramref name="data"/>; "123456789" gives 0xCBF43926.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Update(Initial, data) ^ Initial;

    /// <summary>Feeds bytes into a running (not yet complemented) CRC register.</summary>
    internal static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
