using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

public class HtmlExportTests
{
    /// <summary>The pinned plotly.js, fetched into the checkout cache on first use.</summary>
    private static string PlotlySource() => PlotlyJs.LoadFrom(PlotlyJs.Ensure());

    private static int Count(string haystack, string needle)
    {
        int n = 0;
        for (int i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
            n++;
        return n;
    }

    [Fact]
    public void Cached_plotly_is_the_pinned_version()
    {
        string path = PlotlyJs.Ensure();
        Assert.Equal(path, PlotlyJs.Locate());
        Assert.Equal(PlotlyJs.Version, PlotlyJs.ReadVersion(path));
        Assert.Contains("window.Plotly", PlotlySource());
    }

    [Fact]
    public void Page_embeds_plotly_once_and_every_figure_json_and_links_nothing()
    {
        string plotly = PlotlySource();
        var loss = new Figure().Add(new Scatter { X = Values.Range(1, 3), Y = new[] { 3.5, 2.25, 2.0 }, Name = "relu" }).WithTitle("loss");
        var bars = new Figure().Add(new Bar { X = new[] { "relu", "swish" }, Y = new[] { 1.0, 2.0 }, ErrorY = new ErrorBars { Array = new[] { 0.1, 0.2 } } });
        var page = new HtmlPage("Ablation <1>")
            .Heading("Curves").Paragraph("Mean over 3 seeds & <b>not</b> bold.\nSecond line.")
            .Add(loss)
            .Heading("Finals", 3)
            .Add(bars);

        string html = HtmlExport.Render(page, plotly);

        Assert.Equal(1, Count(html, plotly));
        Assert.Contains(loss.ToJson(), html);
        Assert.Contains(bars.ToJson(), html);
        Assert.Equal(2, page.FigureCount);
        Assert.Contains("Plotly.newPlot(\"figure-1\"", html);
        Assert.Contains("Plotly.newPlot(\"figure-2\"", html);
        Assert.Contains("<div id=\"figure-1\" class=\"figure\"></div>", html);

        // Nothing is loaded from elsewhere: no script, stylesheet or image is referenced by URL, and outside the
        // embedded library the page holds no http(s) address at all.
        Assert.DoesNotMatch(new Regex(@"<script[^>]*\bsrc\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"<link\b", RegexOptions.IgnoreCase), html);
        string outsideLibrary = html.Replace(plotly, "", StringComparison.Ordinal);
        Assert.DoesNotContain("http://", outsideLibrary);
        Assert.DoesNotContain("https://", outsideLibrary);
        // One library script plus one per figure.
        Assert.Equal(3, Count(outsideLibrary, "<script>"));
        Assert.Equal(3, Count(outsideLibrary, "</script>"));

        // Text is escaped, not interpreted.
        Assert.Contains("<title>Ablation &lt;1&gt;</title>", html);
        Assert.Contains("<h1>Ablation &lt;1&gt;</h1>", html);
        Assert.Contains("<h2>Curves</h2>", html);
        Assert.Contains("<h3>Finals</h3>", html);
        Assert.Contains("<p>Mean over 3 seeds &amp; &lt;b&gt;not&lt;/b&gt; bold.\nSecond line.</p>", html);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
        // Blocks appear in the order they were added.
        Assert.True(html.IndexOf("<h2>Curves", StringComparison.Ordinal) < html.IndexOf("figure-1\" class", StringComparison.Ordinal));
        Assert.True(html.IndexOf("figure-1\" class", StringComparison.Ordinal) < html.IndexOf("<h3>Finals", StringComparison.Ordinal));
        Assert.True(html.IndexOf("<h3>Finals", StringComparison.Ordinal) < html.IndexOf("figure-2\" class", StringComparison.Ordinal));
    }

    [Fact]
    public void A_script_closing_tag_in_a_trace_name_cannot_end_the_script()
    {
        var fig = new Figure().Add(new Scatter { Y = new[] { 1.0 }, Name = "</script><script>alert(1)</script>" });
        string html = HtmlExport.Render(new HtmlPage("t").Add(fig), PlotlySource());
        string outsideLibrary = html.Replace(PlotlySource(), "", StringComparison.Ordinal);
        Assert.Equal(2, Count(outsideLibrary, "</script>"));
        Assert.DoesNotContain("alert(1)</script>", outsideLibrary);
    }

    [Fact]
    public void Save_writes_the_page_atomically_and_renders_from_the_cache()
    {
        PlotlyJs.Ensure();
        string dir = Path.Combine(Path.GetTempPath(), "wb-html-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "fig.html");
            var fig = new Figure().Add(new Heatmap { Z = new double[,] { { 1, 2 }, { 3, 4 } } });
            HtmlExport.Save(path, fig, "Heat");
            string html = File.ReadAllText(path, Encoding.UTF8);
            Assert.Contains(fig.ToJson(), html);
            Assert.Contains("<title>Heat</title>", html);
            Assert.Equal(1, Count(html, PlotlySource()));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Invalid_figures_fail_at_export_with_the_figure_number()
    {
        var good = new Figure().Add(new Scatter { Y = new[] { 1.0 } });
        var bad = new Figure().Add(new Scatter { X = new[] { 1.0, 2 }, Y = new[] { 1.0 } });
        var e = Assert.Throws<InvalidOperationException>(() =>
            HtmlExport.Render(new HtmlPage("p").Add(good).Add(bad), PlotlySource()));
        Assert.Contains("figure 2 of page 'p'", e.Message);
        Assert.Contains("X has 2 values but Y has 1", e.Message);
    }

    [Fact]
    public void Missing_or_wrong_plotly_fails_with_a_clear_message()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => PlotlyJs.LoadFrom("/nonexistent/dir/plotly.min.js"));
        Assert.Contains("PlotlyJs.Ensure()", missing.Message);
        Assert.Contains(PlotlyJs.EnvironmentVariable, missing.Message);

        var page = new HtmlPage("p").Add(new Figure());
        var notPlotly = Assert.Throws<InvalidDataException>(() => HtmlExport.Render(page, "console.log('hello');"));
        Assert.Contains("does not look like a plotly.js bundle", notPlotly.Message);

        var withTag = Assert.Throws<InvalidDataException>(() =>
            HtmlExport.Render(page, "/**\n* plotly.js v9.9.9\n*/ var Plotly = {}; var s = '</script>';"));
        Assert.Contains("cannot be embedded inline", withTag.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new HtmlPage("p").Heading("h", 1));
    }

    [Fact]
    public void Version_banner_is_parsed()
    {
        Assert.Equal("4.1.2", PlotlyJs.ParseVersion("/**\n* plotly.js v4.1.2\n* Copyright 2012-2026, Plotly, Inc."));
        Assert.Equal("3.0.0-rc.1", PlotlyJs.ParseVersion("/** plotly.js v3.0.0-rc.1 */"));
        Assert.Null(PlotlyJs.ParseVersion("/* some other library */"));
    }

    [Fact]
    public void Bundle_is_extracted_from_a_package_tarball()
    {
        byte[] Tarball(params (string Name, string Text)[] entries)
        {
            using var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
                foreach (var (name, text) in entries)
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            return ms.ToArray();
        }

        var tgz = Tarball(("package/README.md", "readme"), ("package/plotly.min.js", "/** plotly.js v1.2.3 */ window.Plotly = {};"));
        Assert.Equal("/** plotly.js v1.2.3 */ window.Plotly = {};", Encoding.UTF8.GetString(PlotlyJs.ExtractBundle(tgz)));

        var e = Assert.Throws<InvalidDataException>(() => PlotlyJs.ExtractBundle(Tarball(("package/index.js", "x"))));
        Assert.Contains("package/plotly.min.js", e.Message);
    }

    [Fact]
    public void Checkout_is_found_by_walking_up_to_the_solution()
    {
        string? root = PlotlyJs.FindCheckout();
        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "Workbench.sln")));
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PlotlyJs.EnvironmentVariable)))
            Assert.Equal(Path.Combine(root, "artifacts", "plotly", "plotly.min.js"), PlotlyJs.CachePath());
    }
}
