using System.Globalization;
using Microsoft.Data.Analysis;
using Plotly.NET;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Results;
using Workbench.Experiments.Statistics;
using Workbench.Experiments.Store;
using Workbench.Vae.Activations;
using Workbench.Vae.IO;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Reports;

using Figures = Workbench.Experiments.Plots.Plots;

/// <summary>Settings of <see cref="Report.Write"/>.</summary>
public sealed record ReportOptions
{
    /// <summary>Title of report.md and report.html.</summary>
    public string Title { get; init; } = "Activation ablation";

    /// <summary>The activation every other one is compared with.</summary>
    public string Baseline { get; init; } = "relu";

    /// <summary>When true, a baseline without runs is an error; when false, the comparison section says so instead.</summary>
    public bool RequireBaseline { get; init; }

    /// <summary>Seed of the bootstrap intervals.</summary>
    public ulong BootstrapSeed { get; init; } = PairedComparison.DefaultSeed;

    /// <summary>Bootstrap resamples per comparison.</summary>
    public int BootstrapResamples { get; init; } = Bootstrap.DefaultResamples;

    /// <summary>Write PNG figures through headless Chromium (skipped, with a note, when Chromium is missing).</summary>
    public bool Png { get; init; } = true;

    /// <summary>PNG export settings (browser path, time limit).</summary>
    public PngExportOptions? PngOptions { get; init; }

    /// <summary>The store the records came from, for the "run this again" hint; null when not from a store.</summary>
    public string? StoreDir { get; init; }

    /// <summary>Where the records came from, for the first progress line; null to leave it out.</summary>
    public string? Source { get; init; }

    /// <summary>Receives progress lines (PNG export takes a few seconds per figure).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>One file the report wrote.</summary>
/// <param name="Kind">"summary", "runs", "epochs", "markdown", "html" or "png".</param>
/// <param name="Path">Full path.</param>
public sealed record ReportFile(string Kind, string Path);

/// <summary>What <see cref="Report.Write"/> wrote and computed.</summary>
/// <param name="OutDir">The report folder.</param>
/// <param name="Files">Every file written, in order.</param>
/// <param name="PngSkipped">Why PNG figures were not written and how to get them; null when they were.</param>
/// <param name="Notes">Everything else the reader should know (a figure that failed, a missing baseline).</param>
public sealed record ReportResult(string OutDir, IReadOnlyList<ReportFile> Files, string? PngSkipped, IReadOnlyList<string> Notes,
    IReadOnlyList<ActivationSummary> Summary, IReadOnlyList<Comparison> Comparisons, IReadOnlyList<RankEntry> Ranking)
{
    /// <summary>True when every figure was written as PNG.</summary>
    public bool PngWritten => PngSkipped is null && Files.Any(f => f.Kind == "png");
}

/// <summary>
/// The write-up of an ablation: summary.csv, runs.csv, epochs.csv (DataFrames of the run store), report.md
/// (ready to paste), report.html (self-contained, interactive Plotly.NET charts, plotly.js inlined once) and PNG
/// figures, all written atomically into one folder.
/// </summary>
public static class Report
{
    public const string SummaryFile = "summary.csv", RunsFile = "runs.csv", EpochsFile = "epochs.csv",
        MarkdownFile = "report.md", HtmlFile = "report.html", FiguresFolder = "figures";

    /// <summary>
    /// Writes the report of <paramref name="records"/> into <paramref name="outDir"/>: the per-activation summary
    /// (summary.csv), every run (runs.csv) and epoch (epochs.csv), report.md and report.html with the summary
    /// table and its intervals, the findings, the paired comparison against the baseline (Holm-corrected), the
    /// ranking, the divergences and the figures (loss curves, summary bars, NLL by activation when evaluated,
    /// rate–distortion, activation curves, learned activation parameters when present). PNGs need Chromium: without it everything else is written, and report.md and the result
    /// say that PNGs were skipped and how to get them.
    /// </summary>
    public static ReportResult Write(IReadOnlyList<RunRecord> records, string outDir, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        options ??= new ReportOptions();
        if (records.Count == 0)
            throw new ArgumentException("Report.Write: there are no run records to report on; run an ablation first (`workbench ablate`).", nameof(records));
        if (options.BootstrapResamples < 100)
            throw new ArgumentOutOfRangeException(nameof(options), options.BootstrapResamples, "Report.Write: BootstrapResamples must be at least 100.");
        var activations = records.Select(r => r.Config.Model.Activation).Distinct().Order(StringComparer.Ordinal).ToList();
        bool hasBaseline = activations.Any(a => RunAxes.SameActivation(a, options.Baseline));
        if (!hasBaseline && options.RequireBaseline)
            throw new ArgumentException(
                $"The baseline activation '{options.Baseline}' has no runs in these records. Activations present: {string.Join(", ", activations)}; pass one of them as the baseline.");

        string dir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(dir);
        var files = new List<ReportFile>();
        var notes = new List<string>();
        void Log(string line) => options.Log?.Invoke(line);
        Log($"Reporting {records.Count} runs" + (options.Source is null ? "" : $" from {options.Source}") + $" into {dir}");

        // Numbers.
        var summary = Summary.PerActivation(records);
        var comparisons = hasBaseline
            ? PairedComparison.Compare(records, options.Baseline, options.BootstrapSeed, options.BootstrapResamples)
            : [];
        var ranking = Ranking.Rank(summary);

        WriteCsv(Path.Combine(dir, SummaryFile), Summary.ToDataFrame(summary), "summary", files);
        WriteCsv(Path.Combine(dir, RunsFile), RunTables.Runs(records), "runs", files);
        WriteCsv(Path.Combine(dir, EpochsFile), RunTables.Epochs(records), "epochs", files);

        // Figures.
        var figures = BuildFigures(records, summary, activations, notes);
        string? pngSkipped = options.Png ? null : "PNG figures were not requested.";
        if (options.Png && figures.Count > 0)
        {
            string? chromium = options.PngOptions?.ChromiumPath is { } explicitPath
                ? (File.Exists(explicitPath) ? explicitPath : null)
                : Chromium.Locate();
            string again = options.StoreDir is null ? "`workbench report STORE_DIR`" : $"`workbench report {options.StoreDir}`";
            if (chromium is null)
                pngSkipped = "PNG figures were skipped: Chromium was not found" +
                             (options.PngOptions?.ChromiumPath is { } p ? $" at '{p}'" : "") +
                             $". Install it with `sudo apt-get install chromium` (or set {Chromium.EnvironmentVariable} to a Chromium or Chrome executable), " +
                             $"then run {again} again. The interactive charts are in {HtmlFile}.";
            else
            {
                var pngOptions = (options.PngOptions ?? new PngExportOptions()) with { ChromiumPath = chromium };
                foreach (var f in figures)
                {
                    string relative = FiguresFolder + "/" + f.Stem + ".png";
                    string path = Path.Combine(dir, FiguresFolder, f.Stem + ".png");
                    Log($"rendering {relative}");
                    try
                    {
                        PngExport.Save(f.Chart, path, options: pngOptions);
                        f.PngFile = relative;
                        files.Add(new ReportFile("png", path));
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException or InvalidDataException or IOException)
                    {
                        notes.Add($"The PNG of '{f.Caption}' could not be written: {e.Message}");
                    }
                }
            }
        }

        // The document, once, rendered as markdown and HTML.
        var doc = Compose(records, summary, comparisons, ranking, figures, options, hasBaseline, activations, pngSkipped, notes);
        WriteText(Path.Combine(dir, MarkdownFile), doc.ToMarkdown(), "markdown", files);
        WriteText(Path.Combine(dir, HtmlFile), doc.ToHtml(), "html", files);

        return new ReportResult(dir, files, pngSkipped, notes, summary, comparisons, ranking);
    }

    private static void WriteText(string path, string text, string kind, List<ReportFile> files)
    {
        AtomicFile.WriteAllText(path, text);
        files.Add(new ReportFile(kind, path));
    }

    private static void WriteCsv(string path, DataFrame table, string kind, List<ReportFile> files)
    {
        ResultsCsv.Write(table, path);
        files.Add(new ReportFile(kind, path));
    }

    private static List<ReportFigure> BuildFigures(IReadOnlyList<RunRecord> records, IReadOnlyList<ActivationSummary> summary,
        IReadOnlyList<string> activations, List<string> notes)
    {
        var figures = new List<ReportFigure>();
        bool anyCompleted = records.Any(Metric.IsCompleted);
        if (anyCompleted)
        {
            if (records.Any(r => Metric.IsCompleted(r) && r.Epochs.Count > 0))
                figures.Add(new ReportFigure("loss_curves", "Training and test loss per epoch, mean over seeds with 95% t-interval band", Figures.LossCurves(records)));
            // With an NLL the bars show the ELBO and the NLL gets its own chart of seeds and intervals; without, the bars show the ELBO.
            figures.Add(new ReportFigure("summary_bars", "Final test negative ELBO by activation with 95% t-intervals", Figures.SummaryBars(summary, "test_loss")));
            if (records.Where(Metric.IsCompleted).All(r => r.Final!.TestNll is not null))
                figures.Add(new ReportFigure("nll_by_activation", "Importance-sampled test NLL by activation: seeds and mean with 95% t-interval", Figures.NllByActivation(records)));
            figures.Add(new ReportFigure("rate_distortion", "Rate–distortion: KL against reconstruction per run", Figures.RateDistortion(records)));
        }
        else notes.Add("No run completed, so there are no loss figures.");

        var curves = activations.Where(a => ActivationRegistry.Contains(a) && ActivationRegistry.Get(a).WidthFactor == 1).ToList();
        var skipped = activations.Except(curves).ToList();
        if (skipped.Count > 0)
            notes.Add($"Not in the activation-curve figure (no scalar curve f(x)): {string.Join(", ", skipped)}.");
        if (curves.Count > 0)
            figures.Add(new ReportFigure("activation_curves", "The activations and their derivatives (learnable ones at initialisation)", Figures.ActivationCurves(curves)));
        if (Figures.HasAdaptiveWeights(records))
            figures.Add(new ReportFigure("adaptive_weights", "Learned adaptive-mixture weights per layer", Figures.AdaptiveWeights(records)));
        if (Figures.HasLearnedParameters(records))
            figures.Add(new ReportFigure("learned_parameters", "Learned activation parameters", Figures.LearnedParameters(records)));
        return figures;
    }

    private static string F(double v) => NumberFormat.Format(v);

    private static string PlusMinus(Estimate e) =>
        e.N == 0 ? "–" : double.IsNaN(e.HalfWidth) ? F(e.Mean) : $"{F(e.Mean)} ± {F(e.HalfWidth)}";

    private static string Interval(double low, double high) => double.IsNaN(low) ? "–" : $"[{F(low)}, {F(high)}]";

    private static ReportDocument Compose(IReadOnlyList<RunRecord> records, IReadOnlyList<ActivationSummary> summary,
        IReadOnlyList<Comparison> comparisons, IReadOnlyList<RankEntry> ranking, IReadOnlyList<ReportFigure> figures,
        ReportOptions options, bool hasBaseline, IReadOnlyList<string> activations, string? pngSkipped, IReadOnlyList<string> notes)
    {
        var doc = new ReportDocument(options.Title);
        int completed = records.Count(Metric.IsCompleted), diverged = records.Count(r => r.Outcome == "diverged"),
            cancelled = records.Count(r => r.Outcome == "cancelled");
        var grids = records.Select(r => r.Grid).Distinct().Order(StringComparer.Ordinal).ToList();
        doc.Paragraph(
            $"{records.Count} runs of grid {string.Join(", ", grids)}: {completed} completed, {diverged} diverged, {cancelled} cancelled. " +
            $"Written {DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC.\n" +
            "Losses are negative ELBO (or importance-sampled NLL where stated) per test example, in nats: lower is better. " +
            "\"mean ± h\" is the mean over the completed seeds with h the half-width of the 95% Student-t interval; " +
            "diverged and cancelled runs are counted but not averaged.");

        // What was run.
        doc.Heading("What was run");
        doc.Table(Setup(records, activations));

        // Summary.
        doc.Heading("Summary");
        var groups = summary.GroupBy(s => s.Group).ToList();
        foreach (var g in groups)
        {
            if (groups.Count > 1) doc.Heading(g.Key.Label, 3);
            bool nll = g.Any(s => s.TestNll is not null);
            var rows = g.ToList();
            var table = new DataFrame(
                RunTables.Text("activation", rows.Select(s => s.Activation)),
                RunTables.Long("n", rows.Select(s => (long?)s.Completed)),
                RunTables.Long("diverged", rows.Select(s => (long?)s.Diverged)),
                RunTables.Text("test loss (nats)", rows.Select(s => PlusMinus(s.TestLoss))));
            if (nll) table.Columns.Add(RunTables.Text("test NLL (nats)", rows.Select(s => s.TestNll is { } e ? PlusMinus(e) : "–")));
            table.Columns.Add(RunTables.Text("reconstruction (nats)", rows.Select(s => PlusMinus(s.TestRecon))));
            table.Columns.Add(RunTables.Text("KL (nats)", rows.Select(s => PlusMinus(s.TestKl))));
            table.Columns.Add(RunTables.Text("active units", rows.Select(s => PlusMinus(s.ActiveUnits))));
            table.Columns.Add(RunTables.Text("bits/dim", rows.Select(s => PlusMinus(s.BitsPerDim))));
            table.Columns.Add(RunTables.Text("s/epoch", rows.Select(s => PlusMinus(s.SecondsPerEpoch))));
            doc.Table(table);
        }

        // Findings.
        doc.Heading("Findings");
        if (!hasBaseline)
            doc.Paragraph($"Nothing was compared: the baseline '{options.Baseline}' has no runs here.");
        else if (comparisons.Count == 0)
            doc.Paragraph($"Only the baseline '{options.Baseline}' was run; there is nothing to compare with it.");
        else
        {
            doc.Paragraph($"Each activation against {options.Baseline} on the same seeds and configuration: Δ = activation − {options.Baseline} " +
                          $"(negative = lower loss = better), its 95% t-interval, and the paired t-test's p-value after Holm's correction " +
                          $"across the activations compared. With fewer than {Findings.MinimumPairs} seed pairs no difference is called.");
            doc.List(Findings.Describe(comparisons));
        }

        // Paired comparison.
        doc.Heading($"Paired comparison against {options.Baseline}");
        if (!hasBaseline)
            doc.Paragraph($"The baseline '{options.Baseline}' has no runs here, so nothing was compared. Activations present: {string.Join(", ", activations)}; " +
                          "choose one with --baseline.");
        else if (comparisons.Count == 0)
            doc.Paragraph($"Only the baseline '{options.Baseline}' was run; there is nothing to compare with it.");
        else
        {
            doc.Paragraph(
                $"Δ = activation − {options.Baseline} on the same configuration and seed; negative means lower loss than {options.Baseline}. " +
                "The t-interval and two-sided p-value come from the paired t-test (n − 1 degrees of freedom); p (Holm) corrects p for the " +
                "number of activations compared (Holm 1979); the bootstrap interval is the " +
                $"percentile interval of the mean difference over {options.BootstrapResamples.ToString("N0", CultureInfo.InvariantCulture)} resamples " +
                $"(seed {options.BootstrapSeed.ToString(CultureInfo.InvariantCulture)}). Runs whose partner did not complete are left out (unmatched).");
            var byGroup = comparisons.GroupBy(c => c.Group).ToList();
            foreach (var g in byGroup)
            {
                if (byGroup.Count > 1) doc.Heading(g.Key.Label, 3);
                var rows = g.ToList();
                doc.Paragraph($"Metric: {rows[0].Metric.Label}.");
                doc.Table(new DataFrame(
                    RunTables.Text("activation", rows.Select(c => c.Activation)),
                    RunTables.Long("pairs", rows.Select(c => (long?)(c.Test?.Pairs ?? 0))),
                    RunTables.Number("Δ mean", rows.Select(c => c.Test?.MeanDifference ?? double.NaN)),
                    RunTables.Text("95% t-interval", rows.Select(c => c.Test is { } t ? Interval(t.Difference.Low, t.Difference.High) : "–")),
                    RunTables.Text("95% bootstrap", rows.Select(c => c.Test is { } t ? Interval(t.BootstrapLow, t.BootstrapHigh) : "–")),
                    RunTables.Number("t", rows.Select(c => c.Test?.T ?? double.NaN)),
                    RunTables.Number("p", rows.Select(c => c.Test?.P ?? double.NaN)),
                    RunTables.Number("p (Holm)", rows.Select(c => c.HolmP)),
                    RunTables.Long("unmatched", rows.Select(c => (long?)c.Unmatched))));
            }
        }

        // Ranking.
        doc.Heading("Ranking");
        doc.Paragraph("Activations by mean final loss over completed seeds, best first; equal means share a rank (1, 2, 2, 4). " +
                      "A rank alone says nothing about significance: read it with the intervals and the paired comparison.");
        var rankGroups = ranking.GroupBy(r => r.Group).ToList();
        foreach (var g in rankGroups)
        {
            if (rankGroups.Count > 1) doc.Heading(g.Key.Label, 3);
            var rows = g.ToList();
            doc.Table(new DataFrame(
                RunTables.Text("rank", rows.Select(r => r.Rank is int k ? k.ToString(CultureInfo.InvariantCulture) + (r.Tied ? "=" : "") : "–")),
                RunTables.Text("activation", rows.Select(r => r.Activation)),
                RunTables.Text("metric", rows.Select(r => r.Metric.Name)),
                RunTables.Text("mean ± h", rows.Select(r => PlusMinus(r.Estimate))),
                RunTables.Long("n", rows.Select(r => (long?)r.Estimate.N)),
                RunTables.Long("diverged", rows.Select(r => (long?)r.Diverged))));
        }

        // Divergences.
        doc.Heading("Divergences");
        var failed = records.Where(r => r.Outcome != "completed").OrderBy(r => r.Config.Model.Activation, StringComparer.Ordinal)
            .ThenBy(r => r.Config.Training.Seed).ToList();
        if (failed.Count == 0) doc.Paragraph("No run diverged or was cancelled.");
        else
            doc.List(failed.Select(r =>
                $"{r.Config.Model.Activation}, seed {r.Config.Training.Seed} ({r.Config.Training.Dataset}, run {r.Key}) {r.Outcome} after {r.Epochs.Count} good epoch(s): " +
                (r.Message ?? "no message recorded.")).ToList());

        // Figures.
        doc.Heading("Figures");
        if (pngSkipped is not null) doc.Paragraph(pngSkipped);
        foreach (var f in figures)
        {
            doc.Heading(f.Caption, 3);
            doc.Figure(f);
        }

        if (notes.Count > 0)
        {
            doc.Heading("Notes");
            doc.List(notes);
        }

        doc.Heading("Files");
        doc.List([
            $"{SummaryFile}: the per-activation summary with every interval bound, full precision.",
            $"{RunsFile}: one row per run (configuration, outcome, final metrics, message).",
            $"{EpochsFile}: one row per run and epoch.",
            $"{HtmlFile}: this report with interactive charts (self-contained, opens offline).",
        ]);
        return doc;
    }

    /// <summary>The "what was run" table: every configuration field with the values it takes.</summary>
    private static DataFrame Setup(IReadOnlyList<RunRecord> records, IReadOnlyList<string> activations)
    {
        var fields = new List<(string Field, string Value)>
        {
            ("grid", Values(records.Select(r => r.Grid))),
            ("runs", records.Count.ToString(CultureInfo.InvariantCulture)),
            ("activations", string.Join(", ", activations)),
        };
        foreach (var axis in RunAxes.All)
            fields.Add((axis.Name, Values(records.Select(r => axis.Value(r.Config)))));
        var seeds = records.Select(r => r.Config.Training.Seed).Distinct().Order().ToList();
        fields.Add(("seeds", $"{string.Join(", ", seeds)} ({seeds.Count})"));
        var perActivation = records.GroupBy(r => r.Config.Model.Activation).Select(g => g.Count()).Distinct().ToList();
        fields.Add(("runs per activation", string.Join(", ", perActivation.Order())));
        fields.Add(("optimiser", "Adam"));
        var nll = records.Where(r => r.Final?.NllSamples is not null).Select(r => r.Final!.NllSamples!.Value).Distinct().Order().ToList();
        fields.Add(("NLL importance samples", nll.Count == 0 ? "not evaluated" : string.Join(", ", nll)));
        fields.Add(("total wall time", TimeSpan.FromSeconds(records.Sum(r => r.WallSeconds)).ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture)));
        return new DataFrame(
            RunTables.Text("setting", fields.Select(f => f.Field)),
            RunTables.Text("value", fields.Select(f => f.Value)));
    }

    private static string Values(IEnumerable<string> values)
    {
        var distinct = values.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : string.Join(", ", distinct) + " (varies)";
    }
}
