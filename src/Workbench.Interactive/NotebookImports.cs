using System.Reflection;
using System.Text;
using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Notebooks;
using Workbench.Vae;

namespace Workbench.Interactive;

/// <summary>
/// The imports every cell of our own kernel starts with (<see cref="CellExecutorOptions.DefaultImports"/>), as C#
/// using directives for .NET Interactive, so that a cell reads the same in both hosts.
/// </summary>
internal static class NotebookImports
{
    /// <summary>
    /// One directive per import that exists: <c>using</c> for a namespace, <c>using static</c> for a class (torch and
    /// torch.nn, which our kernel imports as classes); System namespaces always exist.
    /// </summary>
    public static string UsingDirectives()
    {
        Assembly[] assemblies = [typeof(torch).Assembly, typeof(VaeConfig).Assembly, typeof(Figure).Assembly, typeof(MimeBundle).Assembly];
        var types = assemblies.SelectMany(ExportedTypes).ToList();
        var namespaces = types.Select(t => t.Namespace).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var classes = types.Where(t => t.IsClass && !t.IsGenericType && t.FullName is not null)
            .Select(t => t.FullName!.Replace('+', '.')).ToHashSet(StringComparer.Ordinal);
        var code = new StringBuilder();
        foreach (var name in CellExecutorOptions.DefaultImports)
        {
            if (name.StartsWith("System", StringComparison.Ordinal) || namespaces.Contains(name)) code.Append("using ").Append(name).Append(";\n");
            else if (classes.Contains(name)) code.Append("using static ").Append(name).Append(";\n");
        }
        return code.ToString();
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
