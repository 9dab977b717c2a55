namespace Workbench.Vae.Data;

/// <summary>Finds the folder that holds the fetched data sets.</summary>
public static class DataRoot
{
    /// <summary>Environment variable that overrides every other rule.</summary>
    public const string EnvironmentVariable = "WORKBENCH_DATA";

    /// <summary>The file that marks the root of a workbench checkout.</summary>
    public const string SolutionFile = "Workbench.sln";

    /// <summary>
    /// The data folder: <c>$WORKBENCH_DATA</c> if set; else the <c>data/</c> folder of the enclosing checkout,
    /// found by walking up from the current directory and then from this assembly's directory to the folder that
    /// holds <c>Workbench.sln</c> (so notebooks, tests and the CLI run anywhere inside the checkout share one cache);
    /// else <c>./data</c>. The folder need not exist yet.
    /// </summary>
    public static string Resolve() =>
        Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.CurrentDirectory, AssemblyDirectory);

    // Where this library was loaded from, not the host's base directory: in .NET Interactive that is the tool's own
    // folder, while the library comes from a build output inside the checkout.
    private static string? AssemblyDirectory => Path.GetDirectoryName(typeof(DataRoot).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;

    /// <summary>The rule of <see cref="Resolve()"/> with its inputs made explicit (for tests).</summary>
    internal static string Resolve(string? environmentValue, string currentDirectory, string? assemblyDirectory)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue)) return Path.GetFullPath(environmentValue);
        var checkout = FindCheckout(currentDirectory) ?? (assemblyDirectory is null ? null : FindCheckout(assemblyDirectory));
        return checkout is not null ? Path.Combine(checkout, "data") : Path.GetFullPath(Path.Combine(currentDirectory, "data"));
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> holding <c>Workbench.sln</c>, or null.</summary>
    internal static string? FindCheckout(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile))) return dir.FullName;
        return null;
    }

    /// <summary>Folder of one data set under <paramref name="root"/>, e.g. <c>data/fashion-mnist</c>.</summary>
    public static string DatasetDirectory(string root, DatasetName name) => Path.Combine(root, DatasetCatalog.Get(name).Slug);
}
