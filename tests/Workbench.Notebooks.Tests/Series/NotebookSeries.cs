using System.Text.Json.Nodes;

namespace Workbench.Notebooks.Tests.Series;

/// <summary>
/// The notebook series (notebooks/) and what each executed notebook must show, whether it ran on the engine
/// (<see cref="NotebookSeriesTests"/>) or through the Jupyter kernel under nbconvert
/// (<see cref="Kernel.KernelClientTests"/>): both runs are held to the same expectations.
/// </summary>
internal static class NotebookSeries
{
    /// <summary>The notebooks in the order they must run (07 writes up the store 04 trains), with the figures (plotly outputs) each must show at least.</summary>
    public static readonly IReadOnlyList<(string Name, int Figures)> Notebooks =
    [
        ("01-elbo-derivation", 1), ("02-activation-zoo", 2), ("03-train-a-vae", 3), ("04-activation-ablation", 3),
        ("05-latent-space", 4), ("06-compression", 2), ("07-write-up", 1),
    ];

    /// <summary>The checkout's notebooks/ folder, found above the test folder; fails unless it holds exactly the series.</summary>
    public static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Workbench.sln"))) continue;
            var folder = Path.Combine(dir.FullName, "notebooks");
            // A notebook added to the folder but not to the list above would silently go untested.
            Assert.Equal(Notebooks.Select(s => s.Name + ".ipynb").Order(), Directory.GetFiles(folder, "*.ipynb").Select(Path.GetFileName).Order());
            return folder;
        }
        throw new DirectoryNotFoundException("The checkout (Workbench.sln) was not found above the test folder.");
    }

    /// <summary>
    /// Checks an executed notebook: every non-empty code cell ran (has an execution count), no output is an
    /// error, it shows at least <paramref name="figures"/> plotly figures, and (except the write-up, which
    /// only reports) it printed the ticks of the claims it checks.
    /// </summary>
    public static void AssertExecuted(string name, int figures, JsonNode notebook)
    {
        var code = notebook["cells"]!.AsArray()
            .Where(c => c!["cell_type"]!.GetValue<string>() == "code" && Text(c["source"]).Trim().Length > 0).ToList();
        Assert.NotEmpty(code);
        var unexecuted = code.Count(c => c!["execution_count"] is null);
        Assert.True(unexecuted == 0, $"{name}: {unexecuted} of {code.Count} code cells have no execution_count");
        var outputs = code.SelectMany(c => c!["outputs"]?.AsArray() ?? []).ToList();
        var errors = outputs.Where(o => OutputType(o) == "error").Select(o => $"{o!["ename"]}: {o["evalue"]}").ToList();
        Assert.True(errors.Count == 0, $"{name}: error outputs: {string.Join("; ", errors)}");
        int plotly = outputs.Count(o => o!["data"]?["application/vnd.plotly.v1+json"] is not null);
        Assert.True(plotly >= figures, $"{name}: {plotly} figures, expected at least {figures}");
        // Every claim the notebook checks prints a tick; a notebook without checks would prove nothing.
        if (name is not "07-write-up")
            Assert.True(outputs.Any(o => OutputType(o) == "stream" && Text(o!["text"]).Contains('✓')), $"{name}: no '✓' check was printed");
    }

    private static string OutputType(JsonNode? output) => output!["output_type"]!.GetValue<string>();

    /// <summary>nbformat text: a string, or a list of lines.</summary>
    private static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };
}
