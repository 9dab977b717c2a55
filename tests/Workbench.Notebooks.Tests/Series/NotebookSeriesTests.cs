using System.Text.Json.Nodes;
using Workbench.Notebooks;

namespace Workbench.Notebooks.Tests.Series;

/// <summary>Executes the notebook series (notebooks/) in quick mode through the engine, in order (07 writes up 04's store).</summary>
public class NotebookSeriesTests
{
    private static string NotebooksFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Workbench.sln"))) return Path.Combine(dir.FullName, "notebooks");
        throw new DirectoryNotFoundException("The checkout (Workbench.sln) was not found above the test folder.");
    }

    /// <summary>Per notebook: the figures (plotly outputs) it must show at least.</summary>
    private static readonly (string Name, int Figures)[] Series =
    [
        ("01-elbo-derivation", 1), ("02-activation-zoo", 2), ("03-train-a-vae", 3), ("04-activation-ablation", 3),
        ("05-latent-space", 4), ("06-compression", 2), ("07-write-up", 1),
    ];

    private static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    [Fact]
    public async Task EveryNotebookRunsInQuickModeAndShowsItsFigures()
    {
        string folder = NotebooksFolder();
        Assert.Equal(Series.Select(s => s.Name + ".ipynb").Order(), Directory.GetFiles(folder, "*.ipynb").Select(Path.GetFileName).Order());
        foreach (var (name, figures) in Series)
        {
            string path = Path.Combine(folder, name + ".ipynb");
            var notebook = Notebook.Load(path);
            Assert.Equal("workbench-csharp", notebook.Metadata["kernelspec"]?["name"]?.GetValue<string>());
            Assert.Contains(NotebookParameters.Declarations(notebook), d => d.Name == "Quick");
            var result = await NotebookRunner.RunAsync(notebook, path, new NotebookRunOptions
            {
                Parameters = [new("Quick", "true")],
                CellTimeout = TimeSpan.FromMinutes(5),
            });
            Assert.True(result.Succeeded, $"{name}: {NotebookRunner.Describe(result)}");
            Assert.Equal(result.CodeCells, result.CellsExecuted);
            var json = JsonNode.Parse(result.Notebook.ToJson())!;
            var outputs = json["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []).ToList();
            Assert.DoesNotContain(outputs, o => o!["output_type"]!.GetValue<string>() == "error");
            int plotly = outputs.Count(o => o!["data"]?["application/vnd.plotly.v1+json"] is not null);
            Assert.True(plotly >= figures, $"{name}: {plotly} figures, expected at least {figures}");
            // Every claim the notebook checks prints a tick; a notebook without checks would prove nothing.
            if (name is not "07-write-up")
                Assert.Contains(outputs, o => o!["output_type"]!.GetValue<string>() == "stream" && Text(o["text"]).Contains('✓'));
        }
    }
}
