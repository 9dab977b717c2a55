using Spectre.Console;

namespace Workbench.Tests.Shared;

/// <summary>Runs the workbench CLI in-process against a plain console (no colour, no prompts) of a given width.</summary>
internal static class InProcessCli
{
    /// <summary>The exit code and everything printed.</summary>
    public static (int Code, string Output) Run(string[] args, int width = 400)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        int code = Workbench.Cli.Cli.Run(args, console);
        return (code, writer.ToString());
    }
}
