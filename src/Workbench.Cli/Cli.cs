using System.CommandLine;
using Spectre.Console;
using Workbench.Vae;

namespace Workbench.Cli;

/// <summary>The `workbench` command: builds the command tree and turns user errors into one clear line and a non-zero exit.</summary>
public static class Cli
{
    /// <summary>Exit codes: 0 success, 1 a user error (bad input, missing file), 2 usage error, 3 a run diverged, 4 an internal error.</summary>
    public const int Ok = 0, UserError = 1, UsageError = 2, Diverged = 3, InternalError = 4;

    public static RootCommand BuildRoot(IAnsiConsole console)
    {
        var root = new RootCommand("Workbench: variational autoencoders and their activation functions, trained and compared on real data.");
        root.Add(TrainCommand.Build(console));
        root.Add(EvalCommand.Build(console));
        root.Add(DataCommand.Build(console));
        root.Add(ActivationsCommand.Build(console));
        root.Add(AblateCommand.Build(console));
        root.Add(MergeCommand.Build(console));
        root.Add(NotebookCommand.Build(console));
        root.Add(ReportCommand.Build(console));
        root.Add(KernelCommand.Build(console));
        return root;
    }

    public static int Run(string[] args, IAnsiConsole? console = null)
    {
        console ??= Console.IsOutputRedirected ? PlainConsole() : AnsiConsole.Console;
        var root = BuildRoot(console);
        var parse = root.Parse(args);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(Unwrap(e).Message)}");
            return UserError;
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            console.MarkupLine($"[red]internal error:[/] {Markup.Escape(inner.GetType().Name)}: {Markup.Escape(inner.Message)}");
            if (Environment.GetEnvironmentVariable("WORKBENCH_DEBUG") == "1") console.WriteLine(inner.ToString());
            else console.MarkupLine("[grey]Set WORKBENCH_DEBUG=1 to see the stack trace.[/]");
            return InternalError;
        }
    }

    /// <summary>Output to a file or pipe (a log, a cluster job) gets plain text: no colour codes, no redrawn progress.</summary>
    private static IAnsiConsole PlainConsole() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });

    private static Exception Unwrap(Exception e) =>
        e is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0])
        : e is System.Reflection.TargetInvocationException { InnerException: { } t } ? Unwrap(t) : e;

    /// <summary>
    /// Errors a user can cause and fix: bad configs (an unavailable --device included), files, data, arguments, and a
    /// libtorch that does not load (the message names the library and what to do).
    /// </summary>
    public static bool IsUserError(Exception e) => Unwrap(e) is ConfigException or InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or UnauthorizedAccessException or IOException or ArgumentException or Vae.Data.DataFetchException
        or Vae.Torch.TorchLoadException;
}
