using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Workbench.Notebooks;

namespace Workbench.Cli;

/// <summary>
/// `workbench notebook run NB.ipynb [NB2.ipynb ...] [-p NAME=VALUE]... [--out FILE|DIR] [--html] [--timeout SECONDS]
/// [--continue-on-error]`: executes C# notebooks headless, writes the executed copies (and optionally HTML),
/// prints one line per notebook and exits non-zero when any cell failed.
/// </summary>
public static class NotebookCommand
{
    /// <summary>Where executed notebooks go when --out is not given.</summary>
    public static readonly string DefaultOutputDirectory = Path.Combine("artifacts", "notebooks");

    public static Command Build(IAnsiConsole console)
    {
        var notebooks = new Argument<string[]>("NOTEBOOK") { Description = "Notebooks (.ipynb) to run, in order, each on a fresh engine.", Arity = ArgumentArity.OneOrMore };
        var parameters = new Option<string[]>("--parameter", "-p")
        {
            Description = "Override a variable of the cell tagged 'parameters', e.g. -p Epochs=1 -p Quick=true -p Name=\"x\" (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string?>("--out") { Description = $"Executed notebook file (one notebook) or folder (default {DefaultOutputDirectory}/)." };
        var html = new Option<bool>("--html") { Description = "Also write an HTML rendering beside each executed notebook." };
        var timeout = new Option<double?>("--timeout") { Description = "Stop a cell that runs longer than this many seconds (it fails)." };
        var continueOnError = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failing cell (default: stop at the first failure)." };
        var run = new Command("run", "Execute notebooks and write the executed copies.")
        {
            notebooks, parameters, output, html, timeout, continueOnError,
        };
        run.SetAction(parse => Run(console, parse.GetValue(notebooks) ?? [], parse.GetValue(parameters) ?? [], parse.GetValue(output),
            parse.GetValue(html), parse.GetValue(timeout), parse.GetValue(continueOnError)));
        return new Command("notebook", "Work with C# notebooks (.ipynb).") { run };
    }

    private static int Run(IAnsiConsole console, string[] paths, string[] parameterTexts, string? output, bool html, double? timeoutSeconds, bool continueOnError)
    {
        if (paths.Length == 0) throw new ArgumentException("Name at least one notebook to run.");
        if (timeoutSeconds is double t && !(t > 0 && double.IsFinite(t)))
            throw new ArgumentException($"--timeout must be a positive number of seconds, got {t.ToString(CultureInfo.InvariantCulture)}.");
        var parameters = parameterTexts.Select(NotebookParameters.ParseAssignment).ToList();

        // Everything a user can get wrong is checked before the first cell runs: files, formats, parameters, outputs.
        var jobs = new List<(string Path, Notebook Notebook, string Out)>();
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var notebook = Notebook.Load(path);
            NotebookParameters.Inject(notebook.Clone(), parameters, Path.GetFileName(path));
            var target = Path.GetFullPath(OutputPath(path, output, paths.Length));
            if (target == Path.GetFullPath(path))
                throw new ArgumentException($"--out would overwrite the input notebook '{path}'; write the executed copy somewhere else.");
            if (!targets.TryAdd(target, path))
                throw new ArgumentException($"'{targets[target]}' and '{path}' would both be written to '{target}'; run them with different --out folders.");
            jobs.Add((path, notebook, target));
        }

        int failed = 0;
        foreach (var (path, notebook, target) in jobs)
        {
            var result = NotebookRunner.RunAsync(notebook, path, new NotebookRunOptions
            {
                Parameters = parameters,
                ContinueOnError = continueOnError,
                CellTimeout = timeoutSeconds is double s ? TimeSpan.FromSeconds(s) : null,
            }).GetAwaiter().GetResult();
            result.Notebook.Save(target);
            string written = target;
            if (html)
            {
                var htmlPath = Path.ChangeExtension(target, ".html");
                NotebookHtml.Save(htmlPath, result.Notebook, Path.GetFileNameWithoutExtension(path));
                written += ", " + htmlPath;
            }
            var line = NotebookRunner.Describe(result);
            console.MarkupLine($"{Markup.Escape(Path.GetFileName(path))}: {(result.Succeeded ? "[green]" : "[red]")}{Markup.Escape(line)}[/] -> {Markup.Escape(written)}");
            if (!result.Succeeded) failed++;
        }
        if (failed > 0 && jobs.Count > 1)
            console.MarkupLine($"[red]{failed} of {jobs.Count} notebooks failed.[/]");
        return failed == 0 ? Cli.Ok : Cli.UserError;
    }

    /// <summary>
    /// --out naming a .ipynb file is the output of a single notebook; otherwise it is a folder that receives
    /// each executed notebook under its own name.
    /// </summary>
    private static string OutputPath(string input, string? output, int count)
    {
        if (output is not null && output.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(output))
        {
            if (count > 1)
                throw new ArgumentException($"--out '{output}' names one notebook file, but {count} notebooks are being run; give a folder instead.");
            return output;
        }
        return Path.Combine(output ?? DefaultOutputDirectory, Path.GetFileName(input));
    }
}
