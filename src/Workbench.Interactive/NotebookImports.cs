using System.Reflection;
using System.Text;
using TorchSharp;
using Workbench.Display;
using Workbench.Vae;

namespace Workbench.Interactive;

/// <summary>
/// What every cell of our own kernel starts with, as C# for .NET Interactive, so that a cell reads the same in both
/// hosts: the imports (<see cref="CellImports.Default"/>) and the globals of <see cref="ScriptGlobals"/>
/// other than display, which .NET Interactive has itself.
/// </summary>
internal static class NotebookImports
{
    /// <summary>
    /// One directive per import that exists here: <c>using</c> for a namespace, <c>using static</c> for a class (torch and
    /// torch.nn, which our kernel imports as classes); System namespaces always exist. Plotly.NET is left out (it cannot
    /// load in .NET Interactive: docs/notebooks.md), and so is Workbench.Notebooks, our own kernel's engine.
    /// </summary>
    public static string UsingDirectives()
    {
        Assembly[] assemblies = [typeof(torch).Assembly, typeof(VaeConfig).Assembly, typeof(Workbench.Experiments.Plots.Plots).Assembly,
            typeof(MimeBundle).Assembly, typeof(Microsoft.Data.Analysis.DataFrame).Assembly];
        var types = assemblies.SelectMany(ExportedTypes).ToList();
        var namespaces = types.Select(t => t.Namespace).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var classes = types.Where(t => t.IsClass && !t.IsGenericType && t.FullName is not null)
            .Select(t => t.FullName!.Replace('+', '.')).ToHashSet(StringComparer.Ordinal);
        var code = new StringBuilder();
        foreach (var name in CellImports.Default)
        {
            if (name.StartsWith("System", StringComparison.Ordinal) || namespaces.Contains(name)) code.Append("using ").Append(name).Append(";\n");
            else if (classes.Contains(name)) code.Append("using static ").Append(name).Append(";\n");
        }
        return code.ToString();
    }

    /// <summary>
    /// The globals <c>CancellationToken</c> (that of the running .NET Interactive command) and <c>NotebookDirectory</c>
    /// (<paramref name="notebookDirectory"/>), as top-level properties.
    /// </summary>
    public static string Globals(string notebookDirectory) =>
        "System.Threading.CancellationToken CancellationToken => " +
        "Microsoft.DotNet.Interactive.KernelInvocationContext.Current?.CancellationToken ?? System.Threading.CancellationToken.None;\n" +
        $"string NotebookDirectory => {StringLiteral(notebookDirectory)};\n";

    /// <summary>A C# string literal of <paramref name="text"/>.</summary>
    internal static string StringLiteral(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': literal.Append("\\\""); break;
                case '\\': literal.Append("\\\\"); break;
                case '\n': literal.Append("\\n"); break;
                case '\r': literal.Append("\\r"); break;
                default:
                    if (char.IsControl(c)) literal.Append($"\\u{(int)c:x4}");
                    else literal.Append(c);
                    break;
            }
        }
        return literal.Append('"').ToString();
    }

    private static IEnumerable<Type> ExportedTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }
}
