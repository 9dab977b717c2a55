using System.CommandLine;
using Spectre.Console;
using Workbench.Experiments.Reports;
using Workbench.Experiments.Store;

namespace Workbench.Cli;

/// <summary>`workbench report STORE_DIR`: the summary, comparison, ranking, figures and write-up of a run store.</summary>
public static class ReportCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var store = new Argument<string>("STORE_DIR") { Description = "A run store written by `workbench ablate` (it holds records/*.jsonl)." };
        var output = new Option<string?>("--out") { Description = "Report folder (default STORE_DIR/report)." };
        var baseline = new Option<string?>("--baseline") { Description = "Activation every other one is compared with (default relu)." };
        var title = new Option<string?>("--title") { Description = "Title of report.md and report.html." };
        var noPng = new Option<bool>("--no-png") { Description = "Do not render PNG figures (they need Chromium)." };
        var command = new Command("report",
            "Summarise a run store: summary.csv, runs.csv, report.md, a self-contained report.html and PNG figures.")
        {
            store, output, baseline, title, noPng,
        };
        command.SetAction(parse => Write(console, parse.GetValue(store)!, parse.GetValue(output), parse.GetValue(baseline),
            parse.GetValue(title), parse.GetValue(noPng)));
        return command;
    }

    internal static int Write(IAnsiConsole console, string storeDir, string? outDir, string? baseline, string? title, bool noPng)
    {
        string full = Path.GetFullPath(storeDir);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"Run store '{full}' does not exist; pass the folder `workbench ablate` wrote (it holds {RunStore.RecordsFolder}/*.jsonl).");
        var store = new RunStore(full);
        var records = store.ReadAll();
        if (records.Count == 0)
            throw new InvalidDataException(
                $"Run store '{full}' holds no run records (looked for {Path.Combine(store.RecordsDirectory, "*.jsonl")}); " +
                "run `workbench ablate` into it first, or point at the folder it wrote.");
        var options = new ReportOptions
        {
            Baseline = baseline ?? "relu",
            // A baseline the user named must exist; the default may be absent (the report then says so).
            RequireBaseline = baseline is not null,
            Title = title ?? new ReportOptions().Title,
            Png = !noPng,
            StoreDir = storeDir,
            Source = full,
            Log = line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]"),
        };
        var result = Report.Write(records, outDir ?? Path.Combine(storeDir, "report"), options);
        var table = new Table().AddColumns("file", "written to");
        foreach (var f in result.Files)
            table.AddRow(Markup.Escape(f.Kind), Markup.Escape(f.Path));
        console.Write(table);
        if (result.PngSkipped is { } skipped) console.MarkupLine($"[yellow]note:[/] {Markup.Escape(skipped)}");
        foreach (var note in result.Notes) console.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
        console.MarkupLine($"Report written to {Markup.Escape(result.OutDir)}");
        return Cli.Ok;
    }
}
