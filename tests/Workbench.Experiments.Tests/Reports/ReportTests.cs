using System.Text.RegularExpressions;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Reports;
using Workbench.Experiments.Results;
using Workbench.Experiments.Store;
using Workbench.Experiments.Tests.Results;

namespace Workbench.Experiments.Tests.Reports;

public class ReportTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    internal static int Count(string haystack, string needle)
    {
        int n = 0;
        for (int i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    internal static List<RunRecord> Study() =>
    [
        SyntheticRuns.Run("relu", 1, 90), SyntheticRuns.Run("relu", 2, 92), SyntheticRuns.Run("relu", 3, 94),
        SyntheticRuns.Run("tanh", 1, 95), SyntheticRuns.Run("tanh", 2, 96),
        SyntheticRuns.Run("tanh", 3, 0, outcome: "diverged", message: "Training diverged in epoch 2, step 17: the loss became NaN (activation 'tanh')."),
        SyntheticRuns.Run("silu", 1, 89), SyntheticRuns.Run("silu", 2, 90.5), SyntheticRuns.Run("silu", 3, 93),
    ];

    [Fact]
    public void Writes_csv_markdown_and_html_with_the_same_content()
    {
        var result = Report.Write(Study(), dir, new ReportOptions { Png = false, Title = "Activations on MNIST" });
        Assert.Equal(["summary", "runs", "epochs", "markdown", "html"], result.Files.Select(f => f.Kind));
        Assert.All(result.Files, f => Assert.True(File.Exists(f.Path), f.Path));
        Assert.Equal("PNG figures were not requested.", result.PngSkipped);
        Assert.False(result.PngWritten);

        // summary.csv reads back into one row per activation with the numbers of the summary.
        var summary = ResultsCsv.Read(Path.Combine(dir, Report.SummaryFile));
        Assert.Equal(["relu", "silu", "tanh"], summary["activation"].Cast<string>());
        Assert.Equal(92.0, (double)summary["test_loss_mean"][0]!, 1e-12);
        Assert.Equal([3L, 3, 2], summary["n"].Cast<long?>().Select(v => v!.Value));
        Assert.Equal(1L, summary["diverged"][2]);
        var runs = ResultsCsv.Read(Path.Combine(dir, Report.RunsFile));
        Assert.Equal(9, runs.Rows.Count);
        Assert.Equal(9 * 3 - 1, ResultsCsv.Read(Path.Combine(dir, Report.EpochsFile)).Rows.Count);

        string md = File.ReadAllText(Path.Combine(dir, Report.MarkdownFile));
        Assert.StartsWith("# Activations on MNIST\n", md);
        Assert.Contains("## What was run", md);
        Assert.Contains("| seeds | 1, 2, 3 (3) |", md);
        Assert.Contains("| activation | n | diverged | test loss (nats) | reconstruction (nats) | KL (nats) | active units | bits/dim | s/epoch |", md);
        // relu: {90, 92, 94} -> 92 ± t_(0.975, 2) · 2 / sqrt 3 = 92 ± 4.968.
        Assert.Contains("| relu | 3 | 0 | 92.000 ± 4.968 |", md);
        Assert.Contains("## Paired comparison against relu", md);
        Assert.Contains("| activation | pairs | Δ mean | 95% t-interval | 95% bootstrap | t | p | p (Holm) | unmatched |", md);
        // silu - relu = {-1, -1.5, -1}: mean -1.1667; tanh has 2 pairs.
        Assert.Contains("| silu | 3 | -1.167 |", md);
        Assert.Contains("| tanh | 2 | 4.500 |", md);
        // Findings: silu - relu = {-1, -1.5, -1}, t = -7 with 2 degrees of freedom: p = 2 F(-7) = 0.019804, and Holm's
        // correction over the two comparisons doubles the smaller p-value: 0.0396. tanh has only 2 pairs: not called.
        Assert.Contains("## Findings", md);
        Assert.Contains("- silu vs relu: lower (better) test negative ELBO (nats) by 1.167 nats (Δ = -1.167; 95% CI [-1.884, -0.4496], Holm-corrected p = 0.0396 over 2 comparison(s), n = 3 pairs).", md);
        Assert.Contains("- tanh vs relu: Δ = +4.500 nats over 2 seed pair(s) — too few seeds to tell", md);
        Assert.Contains("## Ranking", md);
        Assert.Contains("| 1 | silu | test_loss |", md);
        Assert.Contains("## Divergences", md);
        string divergedKey = SyntheticRuns.Run("tanh", 3, 0).Key;
        Assert.Contains($"tanh, seed 3 (mnist, run {divergedKey}) diverged after 2 good epoch(s): Training diverged in epoch 2, step 17", md);
        Assert.Contains("PNG figures were not requested.", md);
        Assert.DoesNotContain("![", md);

        string html = File.ReadAllText(Path.Combine(dir, Report.HtmlFile));
        Assert.Equal(1, Count(html, ChartHtml.PlotlyJs));
        // Loss curves, summary bars, rate–distortion, activation curves.
        Assert.Equal(4, Count(html, "window.Plotly.newPlot(\"figure-"));
        AssertOffline(html);
        Assert.Contains("<title>Activations on MNIST</title>", html);
        Assert.Contains("<table class=\"workbench-results\"", html);
        Assert.Contains("92.000 &#177; 4.968", html); // ± as the entity WebUtility.HtmlEncode writes
        Assert.Contains("<li>tanh, seed 3", html);
        // Atomic writes leave no temporary files behind.
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>
    /// Nothing in the page reaches the network: no script has a source, no link points outside the page, and outside the inlined
    /// plotly.js (whose defaults name map-tile servers that our charts never use) no text names a CDN or an https address.
    /// </summary>
    internal static void AssertOffline(string html)
    {
        Assert.DoesNotMatch(new Regex("<script[^>]*\\ssrc\\s*=", RegexOptions.IgnoreCase), html);
        // A link may only carry its content inline (Plotly.NET's pages have a data: favicon).
        Assert.DoesNotMatch(new Regex("<link[^>]*href\\s*=\\s*\"(?!data:)", RegexOptions.IgnoreCase), html);
        string rest = html.Replace(ChartHtml.PlotlyJs, "", StringComparison.Ordinal);
        Assert.True(rest.Length < html.Length, "plotly.js is not inlined");
        Assert.DoesNotContain("cdn", rest, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", rest, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Without_chromium_everything_else_is_written_and_the_report_says_how_to_get_pngs()
    {
        var options = new ReportOptions { PngOptions = new PngExportOptions { ChromiumPath = "/no/such/chromium" }, StoreDir = "runs/act" };
        var result = Report.Write(Study(), dir, options);
        Assert.NotNull(result.PngSkipped);
        Assert.Contains("Chromium was not found at '/no/such/chromium'", result.PngSkipped);
        Assert.Contains("apt-get install chromium", result.PngSkipped);
        Assert.Contains("`workbench report runs/act`", result.PngSkipped);
        Assert.DoesNotContain(result.Files, f => f.Kind == "png");
        Assert.Contains(result.Files, f => f.Kind == "html");
        string md = File.ReadAllText(Path.Combine(dir, Report.MarkdownFile));
        Assert.Contains("apt-get install chromium", md);
        Assert.False(Directory.Exists(Path.Combine(dir, Report.FiguresFolder)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Png_figures_are_written_and_linked()
    {
        var records = Study().Concat([
            SyntheticRuns.Run("adaptive", 1, 91, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.1, 0.4, 0.2, 0.2, 0.1] }),
        ]).ToList();
        var result = Report.Write(records, dir, new ReportOptions { StoreDir = "store" });
        string md = File.ReadAllText(Path.Combine(dir, Report.MarkdownFile));
        if (Chromium.Locate() is null)
        {
            Assert.Contains("apt-get install chromium", result.PngSkipped);
            Assert.Contains("apt-get install chromium", md);
            return;
        }
        Assert.Null(result.PngSkipped);
        Assert.Empty(result.Notes);
        var stems = new[] { "loss_curves", "summary_bars", "rate_distortion", "activation_curves", "adaptive_weights" };
        foreach (var stem in stems)
        {
            string path = Path.Combine(dir, Report.FiguresFolder, stem + ".png");
            Assert.True(File.Exists(path), path);
            Assert.True(File.ReadAllBytes(path).AsSpan().StartsWith(Png.Signature));
            Assert.Contains($"](figures/{stem}.png)", md);
        }
        Assert.Equal(stems.Length, result.Files.Count(f => f.Kind == "png"));
        Assert.True(result.PngWritten);
    }

    [Fact]
    public void Learned_parameters_add_their_figures()
    {
        var records = Study().Concat([
            SyntheticRuns.Run("adaptive", 1, 91, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.1, 0.4, 0.2, 0.2, 0.1] }),
            SyntheticRuns.Run("prelu", 1, 91, parameters: new Dictionary<string, double[]> { ["encoder.1"] = [0.2] }),
            SyntheticRuns.Run("maxout", 1, 91),
        ]).ToList();
        var result = Report.Write(records, dir, new ReportOptions { Png = false });
        string html = File.ReadAllText(Path.Combine(dir, Report.HtmlFile));
        Assert.Equal(6, Count(html, "window.Plotly.newPlot(\"figure-"));
        Assert.Contains("Learned adaptive-mixture weights", html);
        Assert.Contains("Learned activation parameters", html);
        // maxout has no scalar curve: it is left out of the activation-curve figure, and the notes say so.
        Assert.Contains(result.Notes, n => n.Contains("maxout", StringComparison.Ordinal));
    }

    [Fact]
    public void An_evaluated_nll_gets_its_own_chart_and_becomes_the_compared_metric()
    {
        var records = new List<RunRecord>
        {
            SyntheticRuns.Run("relu", 1, 90, nll: 86), SyntheticRuns.Run("relu", 2, 92, nll: 88), SyntheticRuns.Run("relu", 3, 91, nll: 87),
            SyntheticRuns.Run("silu", 1, 89, nll: 85), SyntheticRuns.Run("silu", 2, 91, nll: 87.5), SyntheticRuns.Run("silu", 3, 90, nll: 86.4),
        };
        var result = Report.Write(records, dir, new ReportOptions { Png = false });
        string html = File.ReadAllText(Path.Combine(dir, Report.HtmlFile));
        // Bars of the ELBO, and the NLL as seeds with their mean and interval: five charts in all.
        Assert.Equal(5, Count(html, "window.Plotly.newPlot(\"figure-"));
        Assert.Contains("Test negative ELBO by activation", html);
        Assert.Contains("Test NLL by activation", html);
        // silu - relu NLL = {-1, -0.5, -0.6}: mean -0.7, s = 0.2646, interval -0.7 ± 4.302653 · 0.1528 = [-1.357, -0.04276].
        var silu = Assert.Single(result.Comparisons);
        Assert.Equal(Workbench.Experiments.Statistics.Metric.TestNll, silu.Metric);
        Assert.Equal(-0.7, silu.Test!.MeanDifference, 1e-12);
        string md = File.ReadAllText(Path.Combine(dir, Report.MarkdownFile));
        Assert.Contains("- silu vs relu: lower (better) test NLL, importance sampled (nats) by 0.7 nats (Δ = -0.7; 95% CI [-1.357, -0.04276]", md);
    }

    [Fact]
    public void A_missing_baseline_is_an_error_only_when_required()
    {
        var records = Study().Where(r => r.Config.Model.Activation != "relu").ToList();
        var e = Assert.Throws<ArgumentException>(() => Report.Write(records, dir, new ReportOptions { Png = false, Baseline = "relu", RequireBaseline = true }));
        Assert.Contains("'relu' has no runs", e.Message);
        Assert.Contains("silu, tanh", e.Message);
        var result = Report.Write(records, dir, new ReportOptions { Png = false });
        Assert.Empty(result.Comparisons);
        Assert.Contains("The baseline 'relu' has no runs here", File.ReadAllText(Path.Combine(dir, Report.MarkdownFile)));
        var other = Report.Write(records, dir, new ReportOptions { Png = false, Baseline = "tanh", RequireBaseline = true });
        Assert.Equal("silu", Assert.Single(other.Comparisons).Activation);
    }

    [Fact]
    public void Nothing_to_report_is_an_error()
    {
        Assert.Contains("no run records", Assert.Throws<ArgumentException>(() => Report.Write([], dir)).Message);
        // Only diverged runs: the report still writes, without loss figures.
        var result = Report.Write([SyntheticRuns.Run("exp", 1, 0, outcome: "diverged")], dir, new ReportOptions { Png = false, Baseline = "exp" });
        Assert.Contains(result.Notes, n => n.Contains("No run completed", StringComparison.Ordinal));
    }
}
