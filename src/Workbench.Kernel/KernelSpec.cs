using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Workbench.Kernel;

/// <summary>
/// Installs the kernelspec (kernels/workbench-csharp/kernel.json) Jupyter frontends discover the kernel by:
/// the command to launch it, its display name and language, and interrupt_mode "message" so frontends
/// interrupt through an interrupt_request on the control channel (which works on every platform) rather
/// than a signal.
/// </summary>
public static class KernelSpec
{
    /// <summary>The kernel's name: its folder under kernels/ and what <c>--kernel</c> options select.</summary>
    public const string Name = "workbench-csharp";

    public const string DisplayName = "C# (Workbench)";

    public const string Language = "csharp";

    /// <summary>The argv placeholder Jupyter replaces with the connection file's path.</summary>
    public const string ConnectionFilePlaceholder = "{connection_file}";

    /// <summary>
    /// Writes kernel.json and returns the kernelspec folder. <paramref name="prefix"/> installs under
    /// PREFIX/share/jupyter/kernels (e.g. a virtual environment); otherwise the user's Jupyter data folder
    /// (~/.local/share/jupyter/kernels on Linux). <paramref name="user"/> asks for the user folder explicitly.
    /// </summary>
    public static string Install(string? prefix, bool user, string[] argv) =>
        Install(prefix, user, argv, Environment.GetEnvironmentVariable, HomeDirectory());

    /// <summary>Removes the kernelspec folder; false if it was not installed there.</summary>
    public static bool Uninstall(string? prefix, bool user) =>
        Uninstall(prefix, user, Environment.GetEnvironmentVariable, HomeDirectory());

    /// <summary>The folder <see cref="Install(string?, bool, string[])"/> writes to for these options.</summary>
    public static string Directory(string? prefix, bool user) =>
        Directory(prefix, user, Environment.GetEnvironmentVariable, HomeDirectory());

    /// <summary>The kernel.json text for a launch command.</summary>
    public static string ToJson(IReadOnlyList<string> argv)
    {
        CheckArgv(argv);
        var args = new JsonArray();
        foreach (var a in argv) args.Add(a);
        var spec = new JsonObject
        {
            ["argv"] = args,
            ["display_name"] = DisplayName,
            ["language"] = Language,
            ["interrupt_mode"] = "message",
            ["metadata"] = new JsonObject { ["debugger"] = false },
        };
        return spec.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    internal static string Install(string? prefix, bool user, string[] argv, Func<string, string?> env, string home)
    {
        var json = ToJson(argv);
        var folder = Directory(prefix, user, env, home);
        System.IO.Directory.CreateDirectory(folder);
        // Atomic: a frontend scanning kernels/ never reads half a kernel.json.
        var target = Path.Combine(folder, "kernel.json");
        var temp = target + ".tmp";
        File.WriteAllText(temp, json);
        File.Move(temp, target, overwrite: true);
        return folder;
    }

    internal static bool Uninstall(string? prefix, bool user, Func<string, string?> env, string home)
    {
        var folder = Directory(prefix, user, env, home);
        if (!System.IO.Directory.Exists(folder)) return false;
        System.IO.Directory.Delete(folder, recursive: true);
        return true;
    }

    internal static string Directory(string? prefix, bool user, Func<string, string?> env, string home)
    {
        if (prefix is not null && user)
            throw new ArgumentException(
                "Both --prefix and --user were given; choose one: --user for your own Jupyter, --prefix DIR for an environment.");
        if (prefix is not null)
        {
            if (string.IsNullOrWhiteSpace(prefix))
                throw new ArgumentException("The --prefix folder is empty; give the environment's folder, e.g. --prefix ./.venv.");
            return Path.Combine(Path.GetFullPath(prefix), "share", "jupyter", "kernels", Name);
        }
        return Path.Combine(UserDataDirectory(env, home), "kernels", Name);
    }

    /// <summary>
    /// The user's Jupyter data folder, found the way Jupyter finds it: JUPYTER_DATA_DIR if set; otherwise
    /// $XDG_DATA_HOME/jupyter (default ~/.local/share/jupyter) on Linux, ~/Library/Jupyter on macOS,
    /// %APPDATA%\jupyter on Windows.
    /// </summary>
    internal static string UserDataDirectory(Func<string, string?> env, string home)
    {
        if (env("JUPYTER_DATA_DIR") is { Length: > 0 } explicitDir) return Path.GetFullPath(explicitDir);
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            return Path.Combine(env("APPDATA") is { Length: > 0 } appData ? appData : Path.Combine(home, "AppData", "Roaming"), "jupyter");
        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return Path.Combine(home, "Library", "Jupyter");
        var xdg = env("XDG_DATA_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".local", "share");
        return Path.Combine(xdg, "jupyter");
    }

    private static void CheckArgv(IReadOnlyList<string> argv)
    {
        if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0]))
            throw new ArgumentException("The kernel command is empty; give the program that starts the kernel, e.g. [\"workbench\", \"kernel\", \"start\", \"{connection_file}\"].");
        if (!argv.Any(a => a.Contains(ConnectionFilePlaceholder, StringComparison.Ordinal)))
            throw new ArgumentException(
                $"The kernel command [{string.Join(", ", argv)}] never mentions {ConnectionFilePlaceholder}; Jupyter passes the " +
                "connection file through it, so add it where the program expects the file's path.");
    }

    private static string HomeDirectory() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}
