using System.Text.Json.Nodes;
using Workbench.Notebooks;

namespace Workbench.Notebooks.Tests.Series;

/// <summary>
/// Executes the notebook series (notebooks/) in quick mode through the engine, in order (07 writes up 04's store).
/// The same series through the Jupyter kernel under nbconvert is <see cref="Kernel.KernelClientTests"/>; that run
/// works on a copy of the folder, so the two never share the artifacts/notebooks store even when they run at once.
/// </summary>
public class NotebookSeriesTests
{
    [Fact]
    public async Task EveryNotebookRunsInQuickModeAndShowsItsFigures()
    {
        string folder = NotebookSeries.Folder();
        foreach (var (name, figures) in NotebookSeries.Notebooks)
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
            NotebookSeries.AssertExecuted(name, figures, JsonNode.Parse(result.Notebook.ToJson())!);
        }
    }
}
