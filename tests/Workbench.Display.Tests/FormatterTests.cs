using Workbench.Tests.Shared;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using Plotly.NET;
using Plotly.NET.CSharp;
using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Results;
using Workbench.Vae.Activations;
using PngCodec = Workbench.Experiments.Charts.Png;

namespace Workbench.Display.Tests;

public class FormatterTests
{
    private static GenericChart LineFigure(string title) =>
        Plotly.NET.Chart.withTitle(title, null).Invoke(Plotly.NET.CSharp.Chart.Line<double, double, string>(new double[] { 1, 2, 3 }, new double[] { 3, 1, 2 }));

    [Fact]
    public void FiguresCarryPlotlyJsOnceAcrossANotebook()
    {
        var context = new FormatContext(() => TestTexts.FakePlotly);
        var first = Formatter.Format(LineFigure("first </script>"), context);
        var second = Formatter.Format(LineFigure("second"), context);
        string html1 = first.GetText(MimeBundle.Html)!, html2 = second.GetText(MimeBundle.Html)!;
        Assert.Equal(1, TestTexts.Count(html1, "plotly.js v4.1.2 fake") + TestTexts.Count(html2, "plotly.js v4.1.2 fake"));
        Assert.Equal(1, TestTexts.Count(html1, "plotly.js v4.1.2 fake"));
        Assert.True(context.PlotlyJsSent);
        // Both draw with window.Plotly into their own div; a title cannot close the script element.
        Assert.Contains("window.Plotly.newPlot(\"workbench-chart-", html1);
        Assert.Contains("window.Plotly.newPlot(\"workbench-chart-", html2);
        Assert.DoesNotContain("first </script>", html1);
        Assert.Contains("first \\u003C/script\\u003E", html1);
        Assert.DoesNotContain("cdn", html1 + html2, StringComparison.OrdinalIgnoreCase);
        // The plotly JSON travels as JSON for front ends with a plotly renderer.
        var plotly = Assert.IsType<JsonObject>(first[MimeBundle.Plotly]);
        Assert.Equal("scatter", (string)plotly["data"]![0]!["type"]!);
        Assert.Equal("GenericChart (1 trace, \"second\")", second.GetText(MimeBundle.PlainText));

        context.ResetPlotlyJs();
        Assert.Equal(1, TestTexts.Count(Formatter.Format(LineFigure("again"), context).GetText(MimeBundle.Html)!, "plotly.js v4.1.2 fake"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheDefaultContextEmbedsPlotlyNetsPlotlyJsOnce()
    {
        var context = new FormatContext(); // the plotly.js bundled inside Plotly.NET
        var html1 = Formatter.Format(LineFigure("a"), context).GetText(MimeBundle.Html)!;
        var html2 = Formatter.Format(LineFigure("b"), context).GetText(MimeBundle.Html)!;
        Assert.Equal(1, TestTexts.Count(html1, "plotly.js v" + ChartHtml.PlotlyJsVersion));
        Assert.Equal(1, TestTexts.Count(html1, ChartHtml.PlotlyJs));
        Assert.Equal(0, TestTexts.Count(html2, "plotly.js v"));
        Assert.True(html1.Length > 1_000_000, html1.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(html2.Length < 10_000);
    }

    [Fact]
    public void AMissingPlotlyJsIsExplainedAndTriedAgainLater()
    {
        int calls = 0;
        var context = new FormatContext(() => ++calls == 1 ? throw new InvalidOperationException("plotly.js is not available") : TestTexts.FakePlotly);
        var html1 = Formatter.Format(LineFigure("a"), context).GetText(MimeBundle.Html)!;
        Assert.Contains("plotly.js is not available", html1);
        Assert.False(context.PlotlyJsSent);
        Assert.Contains("plotly.js v4.1.2 fake", Formatter.Format(LineFigure("b"), context).GetText(MimeBundle.Html)!);
    }

    [Fact]
    public void DataFramesBecomeAnHtmlTableWithARowLimitAndText()
    {
        var table = new DataFrame(
            RunTables.Text("activation", Enumerable.Range(0, 150).Select(i => i % 2 == 0 ? "relu" : "<tanh>")),
            RunTables.Number("test_loss", Enumerable.Range(0, 150).Select(i => i == 3 ? (double?)null : 90 + i / 10.0)));
        var bundle = Formatter.Format(table);
        string html = bundle.GetText(MimeBundle.Html)!;
        string body = html[html.IndexOf("<tbody>", StringComparison.Ordinal)..html.IndexOf("</tbody>", StringComparison.Ordinal)];
        Assert.Equal(Formatter.MaxTableRows, TestTexts.Count(body, "<tr>"));
        Assert.Contains($"{Formatter.MaxTableRows} of 150 rows shown", html);
        Assert.Contains("&lt;tanh&gt;", html);
        Assert.Contains(">90.100<", html);
        Assert.Contains(">–<", html);              // the missing loss
        string text = bundle.GetText(MimeBundle.PlainText)!;
        Assert.Contains("activation", text);
        Assert.EndsWith("(150 rows x 2 columns)", text);
    }

    [Fact]
    public void PngBytesAndPngImagesBecomeBase64ImagePng()
    {
        byte[] png = PngCodec.EncodeGray(new byte[] { 0, 128, 255, 64, 32, 16 }, width: 3, height: 2);
        foreach (var value in new object[] { png, new PngImage(png) })
        {
            var bundle = Formatter.Format(value);
            Assert.Equal(png, Convert.FromBase64String(bundle.GetText(MimeBundle.Png)!));
            Assert.Equal($"PNG image 3x2 ({png.Length} bytes)", bundle.GetText(MimeBundle.PlainText));
        }
        // Other byte arrays are not images.
        Assert.False(Formatter.Format(new byte[] { 1, 2, 3 }).Contains(MimeBundle.Png));
        Assert.Contains("not a PNG file", Assert.Throws<ArgumentException>(() => new PngImage([1, 2, 3])).Message);
    }

    [Fact]
    public void LatexAndActivationFormulasBecomeTextLatex()
    {
        var bundle = Formatter.Format(new Latex(@"\mathcal{L}"));
        Assert.Equal(@"$$\mathcal{L}$$", bundle.GetText(MimeBundle.Latex));
        Assert.Equal(@"\mathcal{L}", bundle.GetText(MimeBundle.PlainText));
        Assert.Equal(@"$x^2$", Formatter.Format(new Latex(@"$x^2$")).GetText(MimeBundle.Latex)); // already delimited

        var relu = ActivationRegistry.All.First(s => s.Name == "relu");
        var spec = Formatter.Format(relu);
        Assert.Equal("$$" + relu.Formula + "$$", spec.GetText(MimeBundle.Latex));
        Assert.Equal(@"relu: f(x) = \max(0, x)", spec.GetText(MimeBundle.PlainText));
    }

    [Fact]
    public void TensorsGiveTheirTextAndATableForOneAndTwoDimensions()
    {
        using var matrix = torch.tensor(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var bundle = Formatter.Format(matrix);
        Assert.Equal("tensor([1, 2, 3, 4, 5, 6], shape=[2, 3], dtype=float32)", bundle.GetText(MimeBundle.PlainText));
        var html = bundle.GetText(MimeBundle.Html)!;
        Assert.Contains("shape [2, 3], float32", html);
        Assert.Equal(2, TestTexts.Count(html, "<tr>"));
        Assert.Equal(6, TestTexts.Count(html, "<td>"));
        Assert.Contains("<td>6</td>", html);

        using var doubles = torch.tensor(new double[] { 0.5, -1.25 });
        var vector = Formatter.Format(doubles);
        Assert.Contains("<td>-1.25</td>", vector.GetText(MimeBundle.Html)!);
        Assert.Contains("float64", vector.GetText(MimeBundle.Html)!);

        // Long dimensions are cut in the middle: 100 columns show 20 and one gap.
        using var zeros = torch.zeros(1, 100);
        var wide = Formatter.Format(zeros).GetText(MimeBundle.Html)!;
        Assert.Equal(21, TestTexts.Count(wide, "<td>"));
        Assert.Contains("&#8230;", wide);

        // Both ways at once, with the values of the shown corners where they belong.
        using var grid = torch.arange(10_000, torch.int64).reshape(100, 100);
        var big = Formatter.Format(grid);
        var bigHtml = big.GetText(MimeBundle.Html)!;
        Assert.Equal(21, TestTexts.Count(bigHtml, "<tr>"));
        Assert.Contains("<tr><td>0</td><td>1</td>", bigHtml);
        Assert.Contains("<td>9998</td><td>9999</td></tr>", bigHtml);
        Assert.Contains("&#8942;", bigHtml);
        Assert.Equal("tensor([0, 1, 2, 3, 4, 5, 6, 7, ...], shape=[100, 100], dtype=int64)", big.GetText(MimeBundle.PlainText));

        // A tensor that needs gradients says so; a 3-D one has text only.
        using var leaf = torch.ones(2, requires_grad: true);
        Assert.Equal("tensor([1, 1], shape=[2], dtype=float32, requires_grad=True)", Formatter.Format(leaf).GetText(MimeBundle.PlainText));
        using var cube = torch.zeros(2, 2, 2);
        Assert.False(Formatter.Format(cube).Contains(MimeBundle.Html));
        Assert.Equal("tensor([], shape=[0], dtype=float32)", Formatter.Format(torch.zeros(0)).GetText(MimeBundle.PlainText));

        // Formatting keeps none of its copies alive and leaves the tensor as it was.
        Assert.Equal([100L, 100L], grid.shape);
        var disposed = torch.zeros(3);
        disposed.Dispose();
        Assert.Equal("tensor (disposed)", Formatter.Format(disposed).GetText(MimeBundle.PlainText));
    }

    public sealed record Row(string Activation, double Elbo, int[] Hidden);

    [Fact]
    public void SequencesOfRecordsAndAnonymousObjectsBecomeTables()
    {
        var rows = new List<Row> { new("relu", -90.5, [400]), new("tanh <b>", -91.25, [200, 200]) };
        var bundle = Formatter.Format(rows);
        var html = bundle.GetText(MimeBundle.Html)!;
        Assert.Contains("<th>Activation</th><th>Elbo</th><th>Hidden</th>", html);
        Assert.Contains("<td>tanh &lt;b&gt;</td><td>-91.25</td><td>[200, 200]</td>", html);
        Assert.Equal(2, TestTexts.Count(html, "<tr><td>"));
        Assert.Contains("Row { Activation = relu", bundle.GetText(MimeBundle.PlainText));

        var anonymous = Formatter.Format(Enumerable.Range(1, 3).Select(i => new { N = i, Square = i * i }));
        Assert.Contains("<th>N</th><th>Square</th>", anonymous.GetText(MimeBundle.Html)!);
        Assert.Contains("<td>3</td><td>9</td>", anonymous.GetText(MimeBundle.Html)!);

        int saved = Formatter.MaxTableRows;
        try
        {
            Formatter.MaxTableRows = 1;
            Assert.Contains("1 more row (2 in all)", Formatter.Format(rows).GetText(MimeBundle.Html)!);
        }
        finally
        {
            Formatter.MaxTableRows = saved;
        }
    }

    [Fact]
    public void AnythingElseIsPlainText()
    {
        Assert.Equal("42", Formatter.Format(42).GetText(MimeBundle.PlainText));
        Assert.Equal("0.1", Formatter.Format(0.1).GetText(MimeBundle.PlainText));
        Assert.Equal("true", Formatter.Format(true).GetText(MimeBundle.PlainText));
        Assert.Equal("null", Formatter.Format(null).GetText(MimeBundle.PlainText));
        Assert.Equal("hello", Formatter.Format("hello").GetText(MimeBundle.PlainText));
        Assert.Equal("[1, 2, 3]", Formatter.Format(new[] { 1, 2, 3 }).GetText(MimeBundle.PlainText));
        Assert.Equal("[\"a\", \"b\"]", Formatter.Format(new List<string> { "a", "b" }).GetText(MimeBundle.PlainText));
        var plain = Formatter.Format(new Uri("http://localhost/x"));
        Assert.Equal(["text/plain"], plain.MimeTypes);
        Assert.Equal("http://localhost/x", plain.GetText(MimeBundle.PlainText));
    }

    private sealed class Special { public int Value { get; init; } }

    private interface IMarked;

    private sealed class Marked : IMarked;

    [Fact]
    public void RegisteredFormattersComeFirstAndCanBeRemoved()
    {
        Formatter.Register<Special>(s => new MimeBundle().Set(MimeBundle.Html, $"<b>{s.Value}</b>"));
        Formatter.Register<IMarked>(_ => MimeBundle.FromText("marked"));
        try
        {
            Assert.Equal("<b>7</b>", Formatter.Format(new Special { Value = 7 }).GetText(MimeBundle.Html));
            Assert.Equal("marked", Formatter.Format(new Marked()).GetText(MimeBundle.PlainText));
            // Registering again replaces.
            Formatter.Register<Special>(s => MimeBundle.FromText($"special {s.Value}"));
            Assert.Equal("special 8", Formatter.Format(new Special { Value = 8 }).GetText(MimeBundle.PlainText));
        }
        finally
        {
            Assert.True(Formatter.Unregister<Special>());
            Assert.True(Formatter.Unregister<IMarked>());
        }
        Assert.False(Formatter.Unregister<Special>());
        Assert.False(Formatter.Format(new Special { Value = 9 }).Contains(MimeBundle.Html));
    }
}
