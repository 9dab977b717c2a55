using System.Buffers.Binary;
using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

public class PngTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_values()
    {
        // CRC-32 (ISO-HDLC) check value of "123456789" is 0xCBF43926.
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        // Every PNG ends with the same IEND chunk, whose CRC over "IEND" is AE 42 60 82.
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
        Assert.Equal(0u, Crc32.Compute(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Signature_ihdr_and_chunk_order()
    {
        byte[] png = Png.EncodeGray(new byte[] { 10, 20, 30, 10, 20, 30 }, 3, 2);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var chunks = PngDecoder.ReadChunks(png);
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type).ToArray());
        var ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(ihdr));        // width
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4))); // height
        Assert.Equal(8, ihdr[8]);  // bit depth
        Assert.Equal(0, ihdr[9]);  // colour type: greyscale
        Assert.Equal(0, ihdr[10]); // deflate
        Assert.Equal(0, ihdr[11]); // adaptive filtering
        Assert.Equal(0, ihdr[12]); // not interlaced
        Assert.Empty(chunks[2].Data);
        // The file ends with IEND's length 0, type and CRC.
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);

        byte[] rgb = Png.EncodeRgb(new byte[3 * 4 * 5], 4, 5);
        var rgbHeader = PngDecoder.ReadChunks(rgb)[0].Data;
        Assert.Equal(4, BinaryPrimitives.ReadInt32BigEndian(rgbHeader));
        Assert.Equal(5, BinaryPrimitives.ReadInt32BigEndian(rgbHeader.AsSpan(4)));
        Assert.Equal(2, rgbHeader[9]); // colour type: truecolour
    }

    [Fact]
    public void Every_chunk_crc_is_correct()
    {
        byte[] png = Png.EncodeRgb(Pattern(37 * 23 * 3, seed: 5), 37, 23);
        var chunks = PngDecoder.ReadChunks(png);
        Assert.All(chunks, c => Assert.Equal(c.ComputedCrc, c.StoredCrc));
        // And the table-driven CRC agrees with the bitwise reference on each chunk.
        foreach (var c in chunks)
        {
            var typeAndData = System.Text.Encoding.ASCII.GetBytes(c.Type).Concat(c.Data).ToArray();
            Assert.Equal(PngDecoder.ReferenceCrc(typeAndData), Crc32.Compute(typeAndData));
        }
        // A flipped bit in the IHDR data is caught by its CRC.
        png[16] ^= 1;
        var broken = PngDecoder.ReadChunks(png);
        Assert.NotEqual(broken[0].ComputedCrc, broken[0].StoredCrc);
    }

    [Fact]
    public void Idat_inflates_to_the_hand_computed_filtered_scanlines()
    {
        // 3 x 2 greyscale, both rows 10 20 30. Scores are sums of |signed byte| of each filter's output.
        // Row 0 (prior row is zeros): None 10+20+30 = 60; Sub 10,10,10 = 30; Up = None = 60;
        //   Average 10, 20-5, 30-10 = 45; Paeth predicts a (b = c = 0) so equals Sub = 30. Sub wins the tie (lower type).
        // Row 1: Up gives 0,0,0 = 0, the minimum (Paeth also predicts b here and ties at 0; Up is lower).
        byte[] png = Png.EncodeGray(new byte[] { 10, 20, 30, 10, 20, 30 }, 3, 2);
        var decoded = PngDecoder.Decode(png);
        Assert.Equal(new byte[] { 1, 10, 10, 10, 2, 0, 0, 0 }, decoded.Filtered);
        Assert.Equal(new byte[] { 10, 20, 30, 10, 20, 30 }, decoded.Pixels);
    }

    [Fact]
    public void Filter_choice_picks_none_sub_average_and_paeth_when_each_is_smallest()
    {
        // Rows are scored as sums of |signed byte|; a is the byte to the left, b above, c above-left.
        // 4 x 2: row 0 = 0 100 0 100 (prior zeros): None 200; Sub 0,100,-100,100 = 300; Up = None = 200;
        //   Average 0, 100, 0-50, 100 = 250; Paeth = Sub = 300 -> None (ties go to the lower type).
        // Row 1 = 50 50 50 50: None 200; Sub 50,0,0,0 = 50; Up 50,-50,50,-50 = 200;
        //   Average 50, 50-75, 50-25, 50-75 = 125; Paeth 50, 50-100, 50-0, 50-100 = 200 -> Sub.
        var a = PngDecoder.Decode(Png.EncodeGray(new byte[] { 0, 100, 0, 100, 50, 50, 50, 50 }, 4, 2));
        Assert.Equal(new byte[] { 0, 0, 100, 0, 100, 1, 50, 0, 0, 0 }, a.Filtered);

        // 3 x 3: row 0 = 0 40 20 (prior zeros): None 60; Sub 0,40,-20 = 60; Up 60;
        //   Average 0, 40-0, 20-20 = 40; Paeth = Sub = 60 -> Average.
        // Row 1 = 0 0 40 under 0 40 20: None 40; Sub 0,0,40 = 40; Up 0,-40,20 = 60;
        //   Average 0, 0-20, 40-10 = 50; Paeth 0, 0-40 (p=40 -> b), 40-0 (p=-20 -> a) = 80 -> None.
        // Row 2 = 20 20 40 under 0 0 40: None 80; Sub 20,0,20 = 40; Up 20,20,0 = 40;
        //   Average 20, 20-10, 40-30 = 40; Paeth 20-0, 20-20 (p=20 -> a), 40-40 (p=60: pa 40, pb 20 -> b) = 20 -> Paeth.
        var b = PngDecoder.Decode(Png.EncodeGray(new byte[] { 0, 40, 20, 0, 0, 40, 20, 20, 40 }, 3, 3));
        Assert.Equal(new byte[] { 3, 0, 40, 0, 0, 0, 0, 40, 4, 20, 0, 0 }, b.Filtered);
        Assert.Equal(new byte[] { 0, 40, 20, 0, 0, 40, 20, 20, 40 }, b.Pixels);

        // Paeth predictor cases from its definition: nearest of a, b, c to p = a + b - c, ties a, then b.
        Assert.Equal(15, Png.Paeth(10, 20, 15)); // p = 15: |p-c| = 0
        Assert.Equal(1, Png.Paeth(1, 2, 3));     // p = 0: pa = 1 < pb = 2 < pc = 3
        Assert.Equal(9, Png.Paeth(5, 9, 1));     // p = 13: pa = 8, pb = 4, pc = 12
        Assert.Equal(7, Png.Paeth(7, 7, 7));     // all tie: a
    }

    [Fact]
    public void Grey_and_rgb_round_trip_through_an_independent_decoder()
    {
        foreach (var (w, h) in new[] { (1, 1), (5, 3), (64, 48), (3, 100) })
        {
            var gray = Pattern(w * h, seed: w + h);
            var dg = PngDecoder.Decode(Png.EncodeGray(gray, w, h));
            Assert.Equal((w, h, 0), (dg.Width, dg.Height, dg.ColorType));
            Assert.Equal(gray, dg.Pixels);

            var rgb = Pattern(w * h * 3, seed: w * h);
            var dr = PngDecoder.Decode(Png.EncodeRgb(rgb, w, h));
            Assert.Equal((w, h, 2), (dr.Width, dr.Height, dr.ColorType));
            Assert.Equal(rgb, dr.Pixels);
        }
    }

    [Fact]
    public void Large_noisy_image_spans_several_idat_chunks_and_round_trips()
    {
        // 400 x 400 pseudo-random bytes barely compress, so the ~160 KB stream is cut into 64 KiB IDAT chunks.
        var noise = Pattern(400 * 400, seed: 99);
        byte[] png = Png.EncodeGray(noise, 400, 400);
        var decoded = PngDecoder.Decode(png);
        Assert.True(decoded.Chunks.Count(c => c.Type == "IDAT") >= 3);
        Assert.All(decoded.Chunks.Where(c => c.Type == "IDAT"), c => Assert.True(c.Data.Length <= 1 << 16));
        Assert.Equal(noise, decoded.Pixels);
    }

    [Fact]
    public void Float_samples_map_0_to_black_1_to_white_round_and_clamp()
    {
        // 0.5 * 255 + 0.5 = 128 -> 128; 0.2 * 255 + 0.5 = 51.5 -> 51; out-of-range values clamp.
        var decoded = PngDecoder.Decode(Png.EncodeGray(new[] { 0f, 1f, 0.5f, 0.2f, -0.3f, 1.7f }, 3, 2));
        Assert.Equal(new byte[] { 0, 255, 128, 51, 0, 255 }, decoded.Pixels);

        var rgb = PngDecoder.Decode(Png.EncodeRgb(new[] { 1f, 0f, 0f, 0f, 0.5f, 1f }, 2, 1));
        Assert.Equal(new byte[] { 255, 0, 0, 0, 128, 255 }, rgb.Pixels);
    }

    [Fact]
    public void Data_uri_and_save()
    {
        byte[] png = Png.EncodeGray(new byte[] { 1, 2, 3, 4 }, 2, 2);
        string uri = Png.ToDataUri(png);
        Assert.StartsWith("data:image/png;base64,", uri);
        Assert.Equal(png, Convert.FromBase64String(uri["data:image/png;base64,".Length..]));

        string dir = Path.Combine(Path.GetTempPath(), "wb-png-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "sub", "a.png");
            Png.Save(path, png);
            Assert.Equal(png, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(Path.Combine(dir, "sub"))); // no temp file left behind
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Bad_inputs_say_what_was_wrong()
    {
        Assert.Contains("needs 6", Assert.Throws<ArgumentException>(() => Png.EncodeGray(new byte[5], 3, 2)).Message);
        Assert.Contains("interleaved", Assert.Throws<ArgumentException>(() => Png.EncodeRgb(new byte[6], 3, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Png.EncodeGray(Array.Empty<byte>(), 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Png.EncodeGray(new byte[1], 1, Png.MaxDimension + 1));
        var nan = Assert.Throws<ArgumentException>(() => Png.EncodeGray(new[] { 0f, float.NaN }, 2, 1));
        Assert.Contains("pixel value 1 is NaN", nan.Message);
        Assert.Throws<ArgumentException>(() => Png.ToDataUri(new byte[] { 1, 2, 3 }));
        Assert.Throws<ArgumentException>(() => Png.Save(Path.Combine(Path.GetTempPath(), "never.png"), new byte[] { 1, 2, 3 }));
    }

    /// <summary>Deterministic pseudo-random bytes (a 32-bit LCG, Numerical Recipes constants).</summary>
    internal static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        uint state = (uint)seed * 2654435761u + 1;
        for (int i = 0; i < length; i++)
        {
            state = state * 1664525u + 1013904223u;
            bytes[i] = (byte)(state >> 24);
        }
        return bytes;
    }
}
