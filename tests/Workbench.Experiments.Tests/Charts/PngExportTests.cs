using Plotly.NET;
using Plotly.NET.CSharp;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Plots;
using Chart = Plotly.NET.CSharp.Chart;

namespace Workbench.Experiments.Tests.Charts;

public class PngExportTests
{
    /// <summary>A two-panel chart: a blue curve with error bars, and an image grid of bright squares.</summary>
    internal static GenericChart SampleFigure()
    {
        var xs = Enumerable.Range(0, 40).Select(i => i / 4.0).ToArray();
        var blue = Color.fromHex("#1f77b4");
        var curve = Chart.Scatter<double, double, string>(xs, xs.Select(Math.Sin), StyleParam.Mode.Lines_Markers, Name: "sin",
            LineColor: blue, LineWidth: 3.0, MarkerColor: blue);
        curve = ChartKit.ErrorBars(curve, xs.Select(_ => 0.1));

        // Four 8 x 8 tiles: tile i is a bright square on black, at increasing size.
        var tiles = new float[4 * 8 * 8];
        for (int i = 0; i < 4; i++)
            for (int y = 0; y <= i + 2; y++)
                for (int x = 0; x <= i + 2; x++)
                    tiles[i * 64 + y * 8 + x] = 1f;
        var image = Chart.Image<string>(Source: Png.ToDataUri(ImageGrid.Png(tiles, 4, 8, 8, columns: 2, padding: 1, scale: 4)));
        var chart = Chart.Grid([curve, image], 1, 2, SubPlotTitles: new[] { "sin(x)", "tiles" });
        chart = ChartKit.HiddenAxes(chart, 2);
        return ChartKit.Finish(ChartKit.Axes(chart, "x", "y"), "Export check", 640, 400);
    }

    private static GenericChart Tiny() => Chart.Point<double, double, string>(new double[] { 1 }, new double[] { 1 });

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
            var e = Assert.Throws<InvalidOperationException>(() => PngExport.Render(Tiny()));
            Assert.Contains("apt-get install chromium", e.Message);
            return;
        }
        string dir = Path.Combine(Path.GetTempPath(), "wb-pngexport-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "bars.png");
            var bars = Chart.Column<double, string, string>(new[] { 3.0, 2.0, 2.5 }, Keys: new[] { "relu", "swish", "gelu" });
            var fig = ChartKit.ErrorBars(bars, [0.2, 0.1, 0.3]).WithSize(300, 200);
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
        var e = Assert.Throws<InvalidOperationException>(() => PngExport.Render(Tiny(), 100, 100, options));
        Assert.Contains("apt-get install chromium", e.Message);
        Assert.Contains("/nonexistent/bin/chromium", e.Message);
    }

    [Fact]
    public void Bad_sizes_and_options_are_rejected_before_starting_a_browser()
    {
        var fig = Tiny();
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
