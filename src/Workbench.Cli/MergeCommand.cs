using System.CommandLine;
using Spectre.Console;
using Workbench.Experiments.Store;

namespace Workbench.Cli;

/// <summary>`workbench merge OUT STORE1 STORE2 ...`: joins the stores of a sharded sweep into one.</summary>
public static class MergeCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var output = new Argument<string>("OUT") { Description = "The merged store (a new or empty folder)." };
        var stores = new Argument<string[]>("STORES") { Description = "Run stores written by `workbench ablate` (e.g. one per shard).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("merge",
            "Join run stores (e.g. the shards of a cluster sweep) into one: every record once, with its run folder. " +
            "A run found twice with the same result is kept once; different results for one run are an error.")
        {
            output, stores,
        };
        command.SetAction(parse =>
        {
            // What each store held is printed after the merge succeeded, so that an error is the only thing a failed merge prints.
            var read = new List<string>();
            var result = StoreMerge.Merge(parse.GetValue(output)!, parse.GetValue(stores)!, read.Add);
            foreach (var line in read) console.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
            foreach (var d in result.Duplicates)
                console.MarkupLine($"[yellow]duplicate:[/] {d.Key} at {Markup.Escape(d.Dropped)} has the same result as at {Markup.Escape(d.Kept)}; kept one.");
            foreach (var key in result.MissingRunFolders)
                console.MarkupLine($"[yellow]no run folder:[/] {key} has a record but no runs/{key}/ in any store; the record is kept without its checkpoint.");
            console.MarkupLine($"Merged {result.Records} records ({result.Duplicates.Count} duplicates dropped, {result.RunFoldersCopied} run folders copied) into {Markup.Escape(result.Output.Root)}.");
            return Cli.Ok;
        });
        return command;
    }
}
