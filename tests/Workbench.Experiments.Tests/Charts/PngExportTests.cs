using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

public class PngExportTests
{
    /// <summary>A two-panel figure: a blue curve with error bars, and an image grid of bright squares.</summary>
    internal static Figure SampleFigure()
    {
        var xs = Enumerable.Range(0, 40).Select(i => i / 4.0).ToArray();
        var fig = Figure.Subplots(1, 2, titles: ["sin(x)", "tiles"])
            .Add(new Scatter
            {
                X = xs,
                Y = xs.Select(Math.Sin).ToArray(),
                Name = "sin",
                Mode = ScatterMode.LinesMarkers,
                Line = new Line { Color = "#1f77b4", Width = 3 },
                ErrorY = new ErrorBars { Array = xs.Select(_ => 0.1).ToArray() },
            }, 1, 1)
            .WithTitle("Export check")
            .WithAxes(1, 1, "x", "y");

        // Four 8 x 8 tiles: tile i is a bright square on black, at increasing size.
        var tiles = new float[4 * 8 * 8];
        for (int i = 0; i < 4; i++)
            for (int y = 0; y <= i + 2; y++)
                for (int x = 0; x <= i + 2; x++)
                    tiles[i * 64 + y * 8 + x] = 1f;
        fig.Add(Image.FromPng(ImageGrid.Png(tiles, 4, 8, 8, columns: 2, padding: 1, scale: 4)), 1, 2);
        fig.XAxis(1, 2).Hidden();
        fig.YAxis(1, 2).Hidden();
        return fig;
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Figure_exports_to_a_png_of_the_requested_size_showing_the_chart()
    {
        var figure = SampleFigure();
        if (Chromium.Locate() is null)
        {
            // Without a browser the export must say how to get one (and this test checks exactly that).
            var e = Assert.Throws<InvalidOperationException>(() => PngExport.Render(figure, 640, 400));
            Assert.Contains("apt-get install chromium", e.Message);
            return;
        }

        PlotlyJs.Ensure();
        byte[] png = PngExport.Render(figure, 640, 400);
        var img = PngDecoder.Decode(png);
        Assert.Equal((640, 400), (img.Width, img.Height));

        // Non-uniform: many distinct colours (white background, text, grid, curve, antialiasing).
        var colours = new HashSet<int>();
        int blue = 0;
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
            {
                int r = img.At(x, y, 0), g = img.At(x, y, Math.Min(1, img.Channels - 1)), b = img.At(x, y, Math.Min(2, img.Channels - 1));
                colours.Add(r << 16 | g << 8 | b);
                // The curve's colour #1f77b4 = (31, 119, 180), allowing for antialiasing.
                if (Math.Abs(r - 31) < 20 && Math.Abs(g - 119) < 20 && Math.Abs(b - 180) < 20) blue++;
            }
        Assert.True(colours.Count > 20, $"only {colours.Count} distinct colours: the chart was not drawn");
        Assert.True(blue > 200, $"only {blue} pixels in the curve colour: the scatter trace was not drawn");

        // The image grid is drawn in the right half: it has pure white pixels (tiles) and black ones, while
        // the left half's plot area has no black at all besides text.
        int rightBlack = 0, rightWhite = 0;
        for (int y = 60; y < 380; y++)
            for (int x = 340; x < 630; x++)
            {
                int r = img.At(x, y, 0);
                int b = img.At(x, y, Math.Min(2, img.Channels - 1));
                if (r == 0 && b == 0) rightBlack++;
                if (r == 255 && b == 255) rightWhite++;
            }
        Assert.True(rightBlack > 1000, $"only {rightBlack} black pixels in the right panel: the image trace was not drawn");
        Assert.True(rightWhite > 1000, $"only {rightWhite} white pixels in the right panel");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Save_writes_a_valid_png_file_and_scale_factor_multiplies_the_size()
    {
        if (Chromium.Locate() is null)
        {
            var e = Assert.Throws<InvalidOperationException>(() => PngExport.Render(new Figure()));
            Assert.Contains("apt-get install chromium", e.Message);
            return;
        }
        PlotlyJs.Ensure();
        string dir = Path.Combine(Path.GetTempPath(), "wb-pngexport-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "bars.png");
            var fig = new Figure()
                .Add(new Bar { X = new[] { "relu", "swish", "gelu" }, Y = new[] { 3.0, 2.0, 2.5 }, ErrorY = new ErrorBars { Array = new[] { 0.2, 0.1, 0.3 } } })
                .WithSize(300, 200);
            PngExport.Save(fig, path, options: new PngExportOptions { DeviceScaleFactor = 2 });
            var img = PngDecoder.Decode(File.ReadAllBytes(path));
            Assert.Equal((600, 400), (img.Width, img.Height)); // the layout's 300 x 200 at 2 device pixels per px
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Missing_browser_says_how_to_install_it()
    {
        var options = new PngExportOptions { ChromiumPath = "/nonexistent/bin/chromium" };
        var e = Assert.Throws<InvalidOperationException>(() => PngExport.Render(new Figure(), 100, 100, options));
        Assert.Contains("apt-get install chromium", e.Message);
        Assert.Contains("/nonexistent/bin/chromium", e.Message);
    }

    [Fact]
    public void Bad_sizes_and_options_are_rejected_before_starting_a_browser()
    {
        var fig = new Figure();
        var noBrowser = new PngExportOptions { ChromiumPath = "/nonexistent/bin/chromium" };
        Assert.Throws<ArgumentOutOfRangeException>(() => PngExport.Render(fig, 5, 100, noBrowser));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngExport.Render(fig, 100, 9000, noBrowser));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngExport.Render(fig, 100, 100, noBrowser with { DeviceScaleFactor = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngExport.Render(fig, 100, 100, noBrowser with { VirtualTimeBudgetMs = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngExport.Render(fig, 100, 100, noBrowser with { Timeout = TimeSpan.Zero }));
    }

    [Fact]
    public void Screenshot_check_rejects_wrong_size_and_non_png()
    {
        byte[] png = Png.EncodeGray(new byte[12], 4, 3);
        PngExport.CheckScreenshot(png, 4, 3);
        Assert.Contains("4 x 3 px but 5 x 3", Assert.Throws<InvalidDataException>(() => PngExport.CheckScreenshot(png, 5, 3)).Message);
        Assert.Throws<InvalidDataException>(() => PngExport.CheckScreenshot(new byte[40], 4, 3));
    }
}
