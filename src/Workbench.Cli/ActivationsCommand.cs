using System.CommandLine;
using Spectre.Console;
using Workbench.Vae.Activations;

namespace Workbench.Cli;

/// <summary>`workbench activations`: the registry as a table.</summary>
public static class ActivationsCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var command = new Command("activations", "List the registered activation functions.");
        command.SetAction(_ =>
        {
            var table = new Table().AddColumns("name", "learnable", "note");
            foreach (var spec in ActivationRegistry.All)
                table.AddRow(Markup.Escape(spec.Name), spec.Learnable ? "yes" : "", Markup.Escape(spec.Note));
            console.Write(table);
            return Cli.Ok;
        });
        return command;
    }
}
