namespace Workbench.Display;

/// <summary>What a notebook cell imports in either host, so that a cell reads the same in our kernel and in .NET Interactive.</summary>
public static class CellImports
{
    /// <summary>
    /// The default imports: the common System namespaces, TorchSharp (<c>torch.*</c>, and <c>using static</c> of
    /// <c>torch</c> and <c>torch.nn</c>), Plotly.NET.CSharp (<c>Chart.Line</c>, <c>Chart.Combine</c>, <c>WithXAxisStyle</c>;
    /// Plotly.NET's own types by their full name, as its F# <c>Chart</c> would clash), Microsoft.Data.Analysis
    /// (<c>DataFrame</c>) and the Workbench libraries.
    /// </summary>
    public static IReadOnlyList<string> Default { get; } =
    [
        "System", "System.Collections.Generic", "System.Globalization", "System.IO", "System.Linq", "System.Text",
        "System.Threading", "System.Threading.Tasks",
        "TorchSharp", "TorchSharp.torch", "TorchSharp.torch.nn",
        "Plotly.NET.CSharp", "Microsoft.Data.Analysis",
        "Workbench.Vae", "Workbench.Vae.Activations", "Workbench.Vae.Data", "Workbench.Vae.Evaluation", "Workbench.Vae.Models",
        "Workbench.Vae.Objectives", "Workbench.Vae.Training", "Workbench.Vae.IO", "Workbench.Vae.Torch",
        "Workbench.Experiments.Ablation", "Workbench.Experiments.Charts", "Workbench.Experiments.Plots", "Workbench.Experiments.Reports",
        "Workbench.Experiments.Results", "Workbench.Experiments.Statistics", "Workbench.Experiments.Store",
        "Workbench.Display", "Workbench.Notebooks",
    ];
}
