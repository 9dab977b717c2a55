using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Torch;

namespace Workbench.Cli;

/// <summary>`workbench ablate GRID|PRESET [--out DIR] [--shard i/n]`: trains a grid's runs into a resumable run store.</summary>
public static class AblateCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var grid = new Argument<string>("GRID") { Description = $"A grid file (.json) or a preset: {string.Join(", ", AblationGrid.PresetNames)}." };
        var output = new Option<string?>("--out") { Description = "Run store folder (default runs/ablations/<grid name>/). Rerun with the same folder to resume." };
        var shard = new Option<string?>("--shard") { Description = "Train only shard i of n, e.g. 3/8: the runs whose position in the grid is i modulo n." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Data folder (default: $WORKBENCH_DATA, else the checkout's data/)." };
        var device = new Option<string?>("--device") { Description = "Train on cpu or cuda (default: the grid's training.device, else cpu). Not part of the run keys: a sweep may resume on another device." };
        var jobs = new Option<int?>("--jobs") { Description = $"Runs trained at once (default {AblationRunner.DefaultJobs}, one per core), each on one libtorch thread, so the results do not depend on it." };
        var command = new Command("ablate",
            "Train every run of an ablation grid (or one shard of it) into a run store; runs already recorded are skipped, so an interrupted sweep resumes where it stopped.")
        {
            grid, output, shard, dataRoot, device, jobs,
        };
        command.SetAction((parse, cancellation) => Task.FromResult(Ablate(console, parse.GetValue(grid)!, parse.GetValue(output),
            parse.GetValue(shard), parse.GetValue(dataRoot), parse.GetValue(device), parse.GetValue(jobs), cancellation)));
        return command;
    }

    private static int Ablate(IAnsiConsole console, string gridName, string? output, string? shardText, string? dataRoot, string? device,
        int? jobs, CancellationToken cancellation)
    {
        var shard = shardText is null ? Shard.All : Shard.Parse(shardText);
        if (jobs is < 1) throw new ConfigException($"--jobs must be at least 1, got {jobs}.");
        var grid = AblationGrid.Load(gridName);
        // libtorch and the device are checked before anything is written: a missing library or GPU is one line.
        TorchRuntime.EnsureLoaded();
        if (device is not null) TorchRuntime.Device(device);
        string storeDir = Path.GetFullPath(output ?? Path.Combine("runs", "ablations", grid.Name));
        var plan = AblationRunner.Plan(grid, storeDir, shard);

        console.MarkupLine($"[bold]{Markup.Escape(grid.Name)}[/]: {Markup.Escape(grid.Description)}");
        string shardNote = shard.Count == 1 ? "" : $", shard {shard} holds {plan.Shard.Count}";
        console.MarkupLine($"{plan.All.Count} runs in the grid{shardNote}; {plan.AlreadyDone} already in the store, {plan.Pending.Count} to train.");
        console.MarkupLine($"[grey]Store: {Markup.Escape(storeDir)}[/]");

        var clock = Stopwatch.StartNew();
        SweepSummary? summary = null;
        try
        {
            if (plan.Pending.Count > 0)
                summary = RunWithProgress(console, grid, storeDir, shard, dataRoot, device, jobs, cancellation);
        }
        catch (OperationCanceledException e)
        {
            console.MarkupLine($"[yellow]cancelled:[/] {Markup.Escape(e.Message)}");
            PrintStatus(console, grid, storeDir);
            console.MarkupLine("Run the same command again to resume: finished runs are kept and not trained again.");
            return Cli.UserError;
        }
        if (summary is not null)
        {
            console.MarkupLine($"Trained {summary.Trained.Count} runs ({summary.Diverged} diverged) in {clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s.");
            foreach (var run in summary.ClaimedElsewhere)
                console.MarkupLine($"  {Markup.Escape(run.Label)} ({run.Key}) was being trained by another process; it records it when done.");
        }
        if (!PrintStatus(console, grid, storeDir))
        {
            console.MarkupLine("The report is written once every run of the grid is done (after the last shard, or after `workbench merge`).");
            return Cli.Ok;
        }
        return ReportCommand.Write(console, storeDir, outDir: null, baseline: null, title: $"Activation ablation: {grid.Name}", noPng: false);
    }

    private static SweepSummary RunWithProgress(IAnsiConsole console, AblationGrid grid, string storeDir, Shard shard, string? dataRoot,
        string? device, int? jobs, CancellationToken cancellation)
    {
        SweepSummary? summary = null;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                // The runner delivers events one at a time: no locking here. One progress line per worker.
                ProgressTask? overall = null;
                var current = new Dictionary<int, ProgressTask>();
                summary = AblationRunner.Run(grid, storeDir, shard, e =>
                {
                    overall ??= ctx.AddTask("runs", maxValue: e.Count);
                    if (!current.TryGetValue(e.Worker, out var task)) current[e.Worker] = task = ctx.AddTask("run", maxValue: 1);
                    int epochs = e.Run.Config.Training.Epochs;
                    switch (e.Kind)
                    {
                        case AblationEventKind.RunStarted:
                            task.MaxValue = epochs;
                            task.Value = e.ResumedAtEpoch;
                            task.Description = Markup.Escape($"{e.Run.Label} ({e.Run.Key})");
                            if (e.ResumedAtEpoch > 0)
                                console.MarkupLine(Markup.Escape($"  {e.Run.Label} ({e.Run.Key}): resumed after epoch {e.ResumedAtEpoch} of {epochs}, from its checkpoint"));
                            break;
                        case AblationEventKind.Step when e.Step is { } s:
                            task.Value = s.Epoch - 1 + (double)s.Step / s.StepsPerEpoch;
                            task.Description = Markup.Escape($"{e.Run.Label}  epoch {s.Epoch}/{epochs}  loss {s.Loss.ToString("F2", CultureInfo.InvariantCulture)}");
                            break;
                        case AblationEventKind.EpochFinished when e.Epoch is { } m:
                            console.MarkupLine(Markup.Escape($"  {e.Run.Label}  epoch {m.Epoch}/{epochs}  train {F(m.TrainLoss)}  test {F(m.TestLoss)}  " +
                                $"({m.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture)} s + {m.EvalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s)"));
                            break;
                        case AblationEventKind.RunFinished when e.Record is { } r:
                            overall.Increment(1);
                            overall.Description = $"runs done {overall.Value}/{e.Count}";
                            string result = r.Outcome == "completed"
                                ? $"[green]done[/] test loss {F(r.Final!.TestLoss)}" + (r.Final.TestNll is double nll ? $", NLL {F(nll)} (k = {r.Final.NllSamples})" : "")
                                : $"[red]{Markup.Escape(r.Outcome)}[/] {Markup.Escape(r.Message ?? "")}";
                            console.MarkupLine($"[bold]{e.Position}/{e.Count}[/] {Markup.Escape(e.Run.Label)} ({e.Run.Key}): {result} " +
                                $"[grey]{r.WallSeconds.ToString("F0", CultureInfo.InvariantCulture)} s[/]");
                            break;
                    }
                }, cancellation, dataRoot, line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]"), device, jobs);
            });
        return summary!;
    }

    /// <summary>Where the store is and what of the grid is done, diverged and missing (for every shard, not just this one).</summary>
    /// <returns>True when every run of the grid is done.</returns>
    private static bool PrintStatus(IAnsiConsole console, AblationGrid grid, string storeDir)
    {
        var status = AblationRunner.Status(grid, storeDir);
        var table = new Table().AddColumns("run", "outcome", "epochs", "test loss", "NLL", "s/epoch");
        foreach (var (run, record) in status.Done)
        {
            var f = record.Final;
            table.AddRow(Markup.Escape(run.Label), record.Outcome == "completed" ? "completed" : $"[red]{Markup.Escape(record.Outcome)}[/]",
                record.Epochs.Count.ToString(CultureInfo.InvariantCulture), f is null ? "" : F(f.TestLoss),
                f?.TestNll is double nll ? $"{F(nll)} (k={f.NllSamples})" : "",
                f is null ? "" : f.SecondsPerEpoch.ToString("F1", CultureInfo.InvariantCulture));
        }
        if (status.Done.Count > 0) console.Write(table);
        console.MarkupLine($"Store: {Markup.Escape(storeDir)}");
        console.MarkupLine($"{Markup.Escape(grid.Name)}: {status.Done.Count} of {status.Done.Count + status.Missing.Count} runs done " +
            $"({status.Diverged} diverged), {status.Missing.Count} missing.");
        if (status.Missing.Count > 0)
        {
            const int shown = 10;
            foreach (var run in status.Missing.Take(shown)) console.MarkupLine($"  missing: {Markup.Escape(run.Label)} ({run.Key})");
            if (status.Missing.Count > shown) console.MarkupLine($"  ... and {status.Missing.Count - shown} more.");
        }
        return status.Missing.Count == 0;
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
