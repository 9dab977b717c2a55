using System.Text.RegularExpressions;
using Plotly.NET;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Plots;
using Workbench.Experiments.Reports;
using Workbench.Experiments.Tests.Results;

namespace Workbench.Experiments.Tests.Reports;

/// <summary>
/// The written pages open in headless Debian Chromium with networking off and every chart is drawn: plotly.js
/// builds a plot container with its SVG in each chart's div, and the console reports no error.
/// </summary>
public class ReportBrowserTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-report-browser-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>The DOM after scripts ran, and Chromium's log (console messages included), of a page opened offline.</summary>
    internal static (string Dom, string Log) DumpDom(string chromium, string page, string profile)
    {
        var result = ExternalProcess.Run(chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage",
            // No name resolves and no proxy answers: any request for the network fails instead of loading.
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--user-data-dir=" + profile,
            "--enable-logging=stderr", "--log-level=0", "--virtual-time-budget=15000", "--dump-dom", new Uri(page).AbsoluteUri,
        ], TimeSpan.FromMinutes(3));
        Assert.False(result.TimedOut, "Chromium did not finish within 3 minutes");
        Assert.True(result.ExitCode == 0, $"Chromium exited with {result.ExitCode}: {ExternalProcess.Tail(result.StdErr)}");
        return (result.StdOut, result.StdErr);
    }

    /// <summary>Console lines that report a script error or a failed load.</summary>
    internal static IReadOnlyList<string> ConsoleErrors(string log) =>
        log.Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal) &&
                                   (l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal)) ||
                                   l.Contains("net::ERR_", StringComparison.Ordinal)).ToList();

    [Fact]
    [Trait("Category", "Slow")]
    public void The_report_and_a_saved_chart_draw_every_chart_offline()
    {
        string? chromium = Chromium.Locate();
        if (chromium is null)
        {
            // Without a browser the report still writes its page; this test then checks only that.
            Assert.True(File.Exists(Report.Write(ReportTests.Study(), dir, new ReportOptions { Png = false }).Files.Single(f => f.Kind == "html").Path));
            return;
        }
        var records = ReportTests.Study().Concat([
            SyntheticRuns.Run("adaptive", 1, 91, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.1, 0.4, 0.2, 0.2, 0.1] }),
        ]).ToList();
        Report.Write(records, dir, new ReportOptions { Png = false });
        string report = Path.Combine(dir, Report.HtmlFile);
        var (dom, log) = DumpDom(chromium, report, Path.Combine(dir, "profile-report"));
        // Loss curves, summary bars, rate–distortion, activation curves, adaptive weights: each div filled by plotly.js.
        for (int f = 1; f <= 5; f++)
        {
            var div = Regex.Match(dom, $"<div id=\"figure-{f}\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
            Assert.True(div.Success, $"figure-{f} was not drawn");
            Assert.Contains("main-svg", div.Groups[1].Value);
        }
        Assert.Equal(5, ReportTests.Count(dom, "class=\"plot-container plotly\""));
        Assert.Empty(ConsoleErrors(log));

        // A chart saved on its own through Plotly.NET's self-contained page.
        string page = Path.Combine(dir, "chart.html");
        ChartHtml.Save(Workbench.Experiments.Plots.Plots.SummaryBars(Workbench.Experiments.Statistics.Summary.PerActivation(records)), page, "bars");
        ReportTests.AssertOffline(File.ReadAllText(page));
        var (chartDom, chartLog) = DumpDom(chromium, page, Path.Combine(dir, "profile-chart"));
        Assert.Equal(1, ReportTests.Count(chartDom, "class=\"plot-container plotly\""));
        Assert.Contains("main-svg", chartDom);
        Assert.Empty(ConsoleErrors(chartLog));
    }

    [Fact]
    public void Chart_pages_carry_plotly_js_and_script_safe_json()
    {
        var chart = Plotly.NET.CSharp.Chart.Point<double, double, string>(new double[] { 1, 2 }, new double[] { 3, 4 }, Name: "a </script> b");
        string fragment = ChartHtml.Fragment(chart, "c1");
        Assert.DoesNotContain("</script> b", fragment);
        Assert.Contains("a \\u003C/script\\u003E b", fragment);
        Assert.StartsWith("/**\n* plotly.js v" + ChartHtml.PlotlyJsVersion, ChartHtml.PlotlyJs);
        string page = ChartHtml.Page(chart, "t");
        Assert.Equal(1, ReportTests.Count(page, ChartHtml.PlotlyJs));
        Assert.Contains("<title>t</title>", page);
        // Plotly.NET's defaults give every chart a 600 x 600 layout.
        Assert.Equal(((int?)600, (int?)600), ChartHtml.Size(chart));
        Assert.Equal(((int?)300, (int?)200), ChartHtml.Size(Plotly.NET.CSharp.GenericChartExtensions.WithSize(chart, 300, 200)));
    }
}
