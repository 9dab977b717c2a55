using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Workbench.Notebooks;

/// <summary>Settings of a whole-notebook run.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Values for the parameters cell (NAME -> value as typed on the command line); later entries win.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>Run the remaining cells after a failing one (the default stops at the first failure).</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Per-cell time limit; none when null.</summary>
    public TimeSpan? CellTimeout { get; init; }

    /// <summary>Where <c>#r "nuget: ..."</c> packages are cached (see <see cref="CellExecutorOptions.PackageCacheDirectory"/>).</summary>
    public string? PackageCacheDirectory { get; init; }

    /// <summary>Source of plotly.js (see <see cref="CellExecutorOptions.LoadPlotlyJs"/>).</summary>
    public Func<string>? LoadPlotlyJs { get; init; }

    /// <summary>Called after each code cell with its 1-based position in the notebook and its result.</summary>
    public Action<int, CellResult>? CellFinished { get; init; }
}

/// <summary>A failed cell of a run: its 1-based position in the notebook and what went wrong.</summary>
public sealed record CellFailure(int Cell, string Message);

/// <summary>The outcome of running a notebook: the executed copy and what happened.</summary>
public sealed record NotebookRunResult
{
    /// <summary>The executed notebook: outputs and execution counts filled in, parameters injected.</summary>
    public required Notebook Notebook { get; init; }

    /// <summary>Number of code cells in the notebook (including an injected parameters cell).</summary>
    public required int CodeCells { get; init; }

    /// <summary>Number of code cells executed.</summary>
    public required int CellsExecuted { get; init; }

    public required TimeSpan Elapsed { get; init; }

    /// <summary>Failed cells in order (with --continue-on-error there may be several).</summary>
    public required IReadOnlyList<CellFailure> Failures { get; init; }

    public bool Succeeded => Failures.Count == 0;

    /// <summary>The first failed cell's position (1-based), or null.</summary>
    public int? FailedCell => Failures.Count > 0 ? Failures[0].Cell : null;
}

/// <summary>
/// Runs every code cell of a notebook in order on a fresh <see cref="CellExecutor"/> and returns the executed
/// copy. Cells are numbered by their position in the notebook (1 = first cell, markdown included), which
/// is what messages such as "failed at cell 5" refer to.
/// </summary>
public static class NotebookRunner
{
    /// <summary>Kernel languages that are certainly not C#; a notebook declaring one is refused up front.</summary>
    private static readonly HashSet<string> OtherKernelLanguages = new(StringComparer.OrdinalIgnoreCase)
    {
        "python", "r", "julia", "f#", "fsharp", "powershell", "pwsh", "javascript", "typescript", "scala", "java", "go", "rust", "sql",
    };

    /// <summary>
    /// Executes <paramref name="notebook"/> (which is not modified). <paramref name="notebookPath"/> names it in
    /// messages and gives the folder relative <c>#r</c> paths resolve against. Bad parameters and
    /// notebooks in another language throw before any cell runs; failures of cells are in the result.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(Notebook notebook, string? notebookPath, NotebookRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        options ??= new NotebookRunOptions();
        string name = notebookPath is null ? "the notebook" : Path.GetFileName(notebookPath);
        var nb = notebook.Clone();

        if (nb.Metadata["kernelspec"]?["language"] is JsonValue lang && lang.TryGetValue<string>(out var language) && OtherKernelLanguages.Contains(language))
            throw new NotebookFormatException(notebookPath ?? name,
                $"is a {language} notebook (metadata.kernelspec.language), but Workbench runs C# notebooks only.");
        NotebookParameters.Inject(nb, options.Parameters, name);

        string directory = notebookPath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(notebookPath))!;
        var clock = Stopwatch.StartNew();
        var failures = new List<CellFailure>();
        int codeCells = nb.Cells.Count(c => c.Type == CellType.Code), executed = 0;
        foreach (var cell in nb.Cells.Where(c => c.Type == CellType.Code))
        {
            cell.Outputs.Clear();
            cell.ExecutionCount = null;
        }

        await using (var executor = new CellExecutor(new CellExecutorOptions
        {
            BaseDirectory = directory,
            PackageCacheDirectory = options.PackageCacheDirectory,
            LoadPlotlyJs = options.LoadPlotlyJs,
        }))
        {
            for (int i = 0; i < nb.Cells.Count; i++)
            {
                var cell = nb.Cells[i];
                int number = i + 1;
                if (cell.Type != CellType.Code) continue;
                if (failures.Count > 0 && !options.ContinueOnError) break;

                if (CellLanguage(cell) is { } other)
                {
                    if (other is "markdown") continue;
                    var message = $"cell {number} is {other} code (cell metadata), but Workbench notebooks run C# only.";
                    cell.Outputs.Add(new ErrorOutput("UnsupportedLanguage", message, [message]));
                    failures.Add(new CellFailure(number, message));
                    continue;
                }

                var result = await executor.ExecuteAsync(new CellRequest(cell.Source, number, Timeout: options.CellTimeout), cancellationToken)
                    .ConfigureAwait(false);
                if (result.Status == CellStatus.Skipped) continue;
                executed++;
                cell.ExecutionCount = result.ExecutionCount;
                cell.Outputs.AddRange(result.Outputs);
                if (!result.Succeeded) failures.Add(new CellFailure(number, result.Failure ?? $"cell {number} failed"));
                options.CellFinished?.Invoke(number, result);
                if (result.Status == CellStatus.Cancelled) break;
            }
        }

        var workbench = nb.Metadata["workbench"] as JsonObject ?? new JsonObject();
        nb.Metadata["workbench"] = workbench;
        var run = new JsonObject
        {
            ["status"] = failures.Count == 0 ? "ok" : "failed",
            ["duration_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            ["cells_executed"] = executed,
        };
        if (failures.Count > 0) run["failed_cells"] = new JsonArray(failures.Select(f => (JsonNode)JsonValue.Create(f.Cell)!).ToArray());
        if (options.Parameters.Count > 0)
        {
            var p = new JsonObject();
            foreach (var (k, v) in options.Parameters) p[k] = v;
            run["parameters"] = p;
        }
        workbench["run"] = run;

        return new NotebookRunResult
        {
            Notebook = nb,
            CodeCells = codeCells,
            CellsExecuted = executed,
            Elapsed = clock.Elapsed,
            Failures = failures,
        };
    }

    /// <summary>
    /// The language a Polyglot (.NET Interactive) notebook records for a code cell, when it is not C#
    /// ("fsharp", "pwsh", "markdown", ...); null for C# or no record.
    /// </summary>
    internal static string? CellLanguage(Cell cell)
    {
        string? language = Text(cell.Metadata["dotnet_interactive"]?["language"])
            ?? Text(cell.Metadata["polyglot_notebook"]?["kernelName"]);
        if (language is null) return null;
        return language.ToLowerInvariant() is "csharp" or "c#" or "cs" ? null : language.ToLowerInvariant();

        static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
    }

    /// <summary>"12 cells, 3.4 s, ok" or "12 cells, 3.4 s, failed at cell 5: ...": the per-notebook summary line.</summary>
    public static string Describe(NotebookRunResult result)
    {
        var seconds = result.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var head = $"{result.CellsExecuted}/{result.CodeCells} code cells, {seconds} s";
        if (result.Succeeded) return head + ", ok";
        var first = result.Failures[0];
        var more = result.Failures.Count > 1 ? $" (and {result.Failures.Count - 1} more failed cell{(result.Failures.Count == 2 ? "" : "s")})" : "";
        return $"{head}, failed at cell {first.Cell}: {first.Message}{more}";
    }
}
