// Inside ImageGrid the simple name Png means the method ImageGrid.Png, so the encoder class goes by an alias.
using PngCodec = Workbench.Experiments.Charts.Png;

namespace Workbench.Experiments.Charts;

/// <summary>
/// Tiles many small greyscale images (e.g. reconstructions, a [N, 784] batch of 28 x 28 digits) into one
/// image, row-major from the top left, with <c>padding</c> pixels of <c>padValue</c> around and between tiles
/// (the layout of torchvision's make_grid): width = padding + cols * (width * scale + padding).
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Size in pixels of the grid for <paramref name="count"/> tiles of <paramref name="height"/> x
    /// <paramref name="width"/>, at most <paramref name="columns"/> per row.
    /// </summary>
    public static (int Width, int Height) Size(int count, int height, int width, int columns, int padding = 2, int scale = 1)
    {
        Check(count, height, width, columns, padding, scale);
        int cols = Math.Min(columns, count);
        int rows = (count + cols - 1) / cols;
        long w = padding + (long)cols * ((long)width * scale + padding);
        long h = padding + (long)rows * ((long)height * scale + padding);
        if (w > PngCodec.MaxDimension || h > PngCodec.MaxDimension)
            throw new ArgumentException(
                $"ImageGrid: {count} tiles of {height} x {width} at scale {scale} in {cols} columns make a {w} x {h} image, " +
                $"beyond {PngCodec.MaxDimension} px per side; show fewer images, fewer columns or a smaller scale.");
        return ((int)w, (int)h);
    }

    /// <summary>
    /// The grid as grey samples in [0, 1], row-major, plus its size. Tile i sits at column i % cols and row
    /// i / cols; each source pixel becomes a <paramref name="scale"/> x <paramref name="scale"/> block.
    /// </summary>
    public static (float[] Pixels, int Width, int Height) Compose(ReadOnlySpan<float> pixels, int count, int height, int width,
        int columns, int padding = 2, int scale = 1, float padValue = 0.5f)
    {
        var (gw, gh) = Size(count, height, width, columns, padding, scale);
        long perImage = (long)height * width;
        if (pixels.Length != count * perImage)
            throw new ArgumentException(
                $"ImageGrid: pixels has {pixels.Length} values but {count} images of {height} x {width} need {count * perImage}; " +
                "pass count, height and width that match the buffer (e.g. a [N, 784] batch is count N, 28, 28).",
                nameof(pixels));
        if (!float.IsFinite(padValue))
            throw new ArgumentOutOfRangeException(nameof(padValue), padValue, "ImageGrid: padValue must be a finite grey level in [0, 1].");

        int cols = Math.Min(columns, count);
        var grid = new float[gw * gh];
        Array.Fill(grid, padValue);
        for (int i = 0; i < count; i++)
        {
            int top = padding + i / cols * (height * scale + padding);
            int left = padding + i % cols * (width * scale + padding);
            var tile = pixels.Slice((int)(i * perImage), (int)perImage);
            for (int y = 0; y < height * scale; y++)
            {
                int srcRow = y / scale * width;
                int dst = (top + y) * gw + left;
                for (int x = 0; x < width * scale; x++)
                    grid[dst + x] = tile[srcRow + x / scale];
            }
        }
        return (grid, gw, gh);
    }

    /// <summary>The grid (see <see cref="Compose"/>) encoded as an 8-bit greyscale PNG.</summary>
    public static byte[] Png(float[] pixels, int count, int height, int width, int columns, int padding = 2, int scale = 1,
        float padValue = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        return Png(pixels.AsSpan(), count, height, width, columns, padding, scale, padValue);
    }

    /// <summary>The grid (see <see cref="Compose"/>) encoded as an 8-bit greyscale PNG, from a span (e.g. a tensor's elements).</summary>
    public static byte[] Png(ReadOnlySpan<float> pixels, int count, int height, int width, int columns, int padding = 2,
        int scale = 1, float padValue = 0.5f)
    {
        var (grid, w, h) = Compose(pixels, count, height, width, columns, padding, scale, padValue);
        return PngCodec.EncodeGray(grid, w, h);
    }

    private static void Check(int count, int height, int width, int columns, int padding, int scale)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "ImageGrid: count must be >= 1; there is nothing to tile.");
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), (height, width),
                $"ImageGrid: tile size {height} x {width} must be at least 1 x 1 (MNIST is 28 x 28).");
        if (columns < 1)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "ImageGrid: columns must be >= 1.");
        if (padding < 0 || padding > 1000)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "ImageGrid: padding must be in 0..1000 px.");
        if (scale < 1 || scale > 64)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "ImageGrid: scale must be in 1..64 (each pixel becomes scale x scale).");
    }
}
