using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Display;
using Workbench.Vae.Activations;
using Workbench.Vae.Training;

namespace Workbench.Interactive.Tests;

/// <summary>
/// What the extension writes for each MIME type .NET Interactive asks for, checked without the host (its Formatter is
/// the host's and is not in this output; the smoke notebook checks the registration inside the real kernel).
/// </summary>
public class InteractiveFormattersTests
{
    private static readonly FormatContext Context = new(() => "/* plotly.js */");

    private static string Show(object value, string mimeType) => InteractiveFormatters.Representation(value, mimeType, Context);

    [Fact]
    public void EveryTypeAsksOnlyForRepresentationsOurFormatterMakes()
    {
        string[] known = [MimeBundle.Html, MimeBundle.Png, MimeBundle.Latex, MimeBundle.PlainText];
        foreach (var (type, mimeTypes) in InteractiveFormatters.Types)
        {
            Assert.NotEmpty(mimeTypes);
            Assert.All(mimeTypes, m => Assert.Contains(m, known));
            Assert.Equal(MimeBundle.PlainText, mimeTypes[^1]);
            Assert.Equal(mimeTypes.Length, mimeTypes.Distinct().Count());
            Assert.Single(InteractiveFormatters.Types, t => t.Type == type);
        }
    }

    [Fact]
    public void PngImageIsSentAsBase64AndDescribedInText()
    {
        var png = new PngImage(ImageGrid.Png(new float[4 * 28 * 28], 4, 28, 28, columns: 2));
        Assert.Equal(Convert.ToBase64String(png.Bytes), Show(png, MimeBundle.Png));
        Assert.Equal(png.ToString(), Show(png, MimeBundle.PlainText));
    }

    [Fact]
    public void MatrixIsATableAndHigherRankTensorsFallBackToTheirText()
    {
        using var scope = torch.NewDisposeScope();
        var matrix = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        Assert.Contains("<table class=\"workbench-tensor\">", Show(matrix, MimeBundle.Html));
        Assert.Equal("tensor([0, 1, 2, 3, 4, 5], shape=[2, 3], dtype=float32)", Show(matrix, MimeBundle.PlainText));

        var cube = torch.zeros(2, 2, 2);
        Assert.Equal("<pre>tensor([0, 0, 0, 0, 0, 0, 0, 0], shape=[2, 2, 2], dtype=float32)</pre>", Show(cube, MimeBundle.Html));
    }

    [Fact]
    public void FormulasAreTypesetLatex()
    {
        Assert.Equal(@"$$f(x) = x \sigma(x)$$", Show(ActivationRegistry.Get("silu"), MimeBundle.Latex));
        Assert.Equal(@"$$\alpha$$", Show(new Latex(@"\alpha"), MimeBundle.Latex));
        Assert.Equal(@"\alpha", Show(new Latex(@"\alpha"), MimeBundle.PlainText));
    }

    [Fact]
    public void EpochMetricsAreARecordsTable()
    {
        IReadOnlyList<EpochMetrics> epochs = [new(1, 200, 190, 180, 10, 20, 1.5, 0.2), new(2, 150, 140, 130, 10, 20, 1.4, 0.2)];
        var html = Show(epochs, MimeBundle.Html);
        Assert.Contains("<table class=\"workbench-records\">", html);
        Assert.Contains("<th>TestLoss</th>", html);
        Assert.Equal(2, html.Split("<tr><td>").Length - 1);
    }

    [Fact]
    public void DataFramesShowAsOurTable()
    {
        var frame = new Microsoft.Data.Analysis.DataFrame(
            new Microsoft.Data.Analysis.Int32DataFrameColumn("epoch", [1, 2]),
            new Microsoft.Data.Analysis.DoubleDataFrameColumn("test_loss", [120.5, 110.25]));
        var html = Show(frame, MimeBundle.Html);
        Assert.Contains("<table", html);
        Assert.Contains("test_loss", html);
        Assert.Contains("110.25", html);
        Assert.Contains("test_loss", Show(frame, MimeBundle.PlainText));
    }

    [Fact]
    public void BundleWithoutTheAskedTypeFallsBackToItsText()
    {
        var markdown = new MimeBundle().Set(MimeBundle.Markdown, "**<b>**");
        Assert.Equal("<pre>**&lt;b&gt;**</pre>", Show(markdown, MimeBundle.Html));
        Assert.Equal("**<b>**", Show(markdown, MimeBundle.PlainText));

        var image = new MimeBundle().Set(MimeBundle.Png, "iVBORw0KGgo=").Set(MimeBundle.PlainText, "a \"grid\"");
        Assert.Equal("<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"a &quot;grid&quot;\" />", Show(image, MimeBundle.Html));
    }

    [Theory]
    [InlineData("LibTorchSharp", "libLibTorchSharp.so", "libLibTorchSharp.dylib", "LibTorchSharp.dll")]
    [InlineData("torch_cpu", "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll")]
    [InlineData("libc10", "libc10.so", "libc10.dylib", "libc10.dll")]
    [InlineData("libgomp-98b21ff3.so.1", "libgomp-98b21ff3.so.1", "libgomp-98b21ff3.so.1", "libgomp-98b21ff3.so.1")]
    public void NativeNamesMapToFileNames(string name, string linux, string macOs, string windows)
    {
        string expected = OperatingSystem.IsWindows() ? windows : OperatingSystem.IsMacOS() ? macOs : linux;
        Assert.Equal(expected, TorchNativeProbing.FileName(name));
    }
}
