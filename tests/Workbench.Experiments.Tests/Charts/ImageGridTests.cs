using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

public class ImageGridTests
{
    [Fact]
    public void Size_follows_padding_and_tile_arithmetic()
    {
        // 10 MNIST tiles, 4 per row -> 3 rows; width 2 + 4 * (28 + 2) = 122, height 2 + 3 * 30 = 92.
        Assert.Equal((122, 92), ImageGrid.Size(10, 28, 28, 4));
        // Scale 2, padding 1: width 1 + 4 * (56 + 1) = 229, height 1 + 3 * 57 = 172.
        Assert.Equal((229, 172), ImageGrid.Size(10, 28, 28, 4, padding: 1, scale: 2));
        // More columns than images: the grid is only as wide as the images: 1 + 3 * (5 + 1) = 19.
        Assert.Equal((19, 7), ImageGrid.Size(3, 5, 5, 10, padding: 1));
    }

    [Fact]
    public void Tiles_land_at_their_row_major_positions_in_the_png()
    {
        // 10 tiles of 28 x 28, tile i filled with (i + 1) / 10, except one bright pixel in tile 0 at row 3, column 5.
        const int n = 10, h = 28, w = 28;
        var pixels = new float[n * h * w];
        for (int i = 0; i < n; i++)
            Array.Fill(pixels, (i + 1) / 10f, i * h * w, h * w);
        pixels[3 * w + 5] = 1f;
        pixels[3 * w + 4] = 0f;

        byte[] png = ImageGrid.Png(pixels, n, h, w, columns: 4, padding: 2, scale: 1, padValue: 0.2f);
        var img = PngDecoder.Decode(png);
        Assert.Equal((122, 92), (img.Width, img.Height));
        Assert.Equal(0, img.ColorType);

        // Tile i: column i % 4, row i / 4, top-left at (2 + col * 30, 2 + row * 30).
        // Tile 5 (row 1, column 1) starts at (32, 32); its value 0.6 -> 0.6 * 255 + 0.5 = 153.5 -> 153.
        Assert.Equal(153, img.At(32, 32));
        Assert.Equal(153, img.At(32 + 27, 32 + 27));
        // Tile 9 (row 2, column 1) starts at (32, 62): 1.0 -> 255.
        Assert.Equal(255, img.At(32, 62));
        // Padding between tiles and the border: 0.2 -> 51.5 -> 51.
        Assert.Equal(51, img.At(0, 0));
        Assert.Equal(51, img.At(31, 32));
        Assert.Equal(51, img.At(32, 31));
        // Empty slots of the last row (tiles 10 and 11 do not exist) are padding too.
        Assert.Equal(51, img.At(2 + 2 * 30 + 10, 62 + 10));
        // The marked pixels of tile 0: row 3, columns 4 and 5 -> image (2 + 4, 2 + 3) and (2 + 5, 2 + 3).
        Assert.Equal(0, img.At(6, 5));
        Assert.Equal(255, img.At(7, 5));
        // Tile 0's other pixels are 0.1 -> 26.
        Assert.Equal(26, img.At(8, 5));
    }

    [Fact]
    public void Scale_repeats_each_pixel_into_a_block()
    {
        // One 2 x 2 tile [[0, 1], [1, 0]] at scale 3 with padding 1: a 7 x 7 grid of 3 x 3 blocks inside a 1-px border.
        var (grid, gw, gh) = ImageGrid.Compose(new[] { 0f, 1f, 1f, 0f }, 1, 2, 2, columns: 1, padding: 1, scale: 3, padValue: 0.5f);
        Assert.Equal((8, 8), (gw, gh)); // 1 + 1 * (2 * 3 + 1)
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++)
                Assert.Equal((x / 3 + y / 3) % 2 == 1 ? 1f : 0f, grid[(1 + y) * gw + 1 + x]);
        Assert.Equal(0.5f, grid[0]);
        Assert.Equal(0.5f, grid[7 * gw + 7]);
    }

    [Fact]
    public void Span_and_array_overloads_agree()
    {
        var pixels = Enumerable.Range(0, 6 * 4 * 3).Select(i => (i % 7) / 6f).ToArray();
        Assert.Equal(ImageGrid.Png(pixels, 6, 4, 3, 4), ImageGrid.Png(pixels.AsSpan(), 6, 4, 3, 4));
    }

    [Fact]
    public void Bad_inputs_say_what_was_wrong()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageGrid.Png(new float[100], 2, 28, 28, 2));
        Assert.Contains("100 values but 2 images of 28 x 28 need 1568", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Png(new float[4], 0, 2, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Png(new float[4], 1, 2, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Png(new float[4], 1, 2, 2, 1, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Png(new float[4], 1, 2, 2, 1, scale: 0));
        Assert.Contains("beyond", Assert.Throws<ArgumentException>(() => ImageGrid.Size(100_000, 28, 28, 100_000)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => ImageGrid.Png(new[] { float.NaN }, 1, 1, 1, 1)).Message);
    }
}
