using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Workbench.Tests.Shared;

/// <summary>
/// The real Jupyter client for the kernel tests: finds a python3 that has the needed modules, and runs client scripts
/// against a private Jupyter folder (kernelspec prefix, runtime, data and config), so nothing leaks into the user's
/// Jupyter. Linked into both kernel test projects.
/// </summary>
internal static class JupyterPython
{
    private static readonly ConcurrentDictionary<string, string?> Found = new();

    /// <summary>The python3 that can import <paramref name="modules"/>, or a failure saying what to install.</summary>
    public static string Require(string modules, string install) =>
        Found.GetOrAdd(modules, Find) ?? throw new Xunit.Sdk.XunitException(
            $"No python3 that imports {modules} was found (tried /usr/bin/python3 and python3 on PATH). Install them: {install}.");

    private static string? Find(string modules)
    {
        // Debian's Jupyter packages install into the system interpreter, which a python3 earlier on PATH may not be.
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(candidate)
                {
                    ArgumentList = { "-c", "import " + modules },
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                })!;
                probe.WaitForExit(TimeSpan.FromSeconds(30));
                if (probe.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name; try the next.
            }
        }
        return null;
    }

    /// <summary>Creates the private runtime, data and config folders under <paramref name="root"/>.</summary>
    public static void CreateFolders(string root)
    {
        foreach (var sub in new[] { "runtime", "data", "config" }) Directory.CreateDirectory(Path.Combine(root, sub));
    }

    /// <summary>The environment that points Jupyter at <paramref name="root"/> (kernelspecs under share/jupyter).</summary>
    public static IReadOnlyDictionary<string, string> Variables(string root) => new Dictionary<string, string>
    {
        ["JUPYTER_PATH"] = Path.Combine(root, "share", "jupyter"),
        ["JUPYTER_RUNTIME_DIR"] = Path.Combine(root, "runtime"),
        ["JUPYTER_DATA_DIR"] = Path.Combine(root, "data"),
        ["JUPYTER_CONFIG_DIR"] = Path.Combine(root, "config"),
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    /// <summary>Removes the folder; a kernel that is still exiting may hold its runtime folder a moment (the OS cleans temp).</summary>
    public static void DeleteQuietly(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs python with <paramref name="arguments"/>; fails the test on a timeout or a non-zero exit; returns stdout.</summary>
    public static string Run(string python, IReadOnlyList<string> arguments, string workingDirectory, string jupyterRoot,
        TimeSpan limit, ITestOutputHelper output)
    {
        var start = new ProcessStartInfo(python) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (name, value) in Variables(jupyterRoot)) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        string command = string.Join(' ', arguments.Select(Path.GetFileName));
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{command} did not finish within {limit.TotalMinutes} minutes.\n{stderr.Result}");
        }
        if (stderr.Result.Length > 0) output.WriteLine(stderr.Result);
        Assert.True(process.ExitCode == 0, $"{command} failed (exit {process.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>Runs a client script from the output folder's clients/; it prints its measurements as JSON on the last line.</summary>
    public static JsonObject RunClient(string python, string script, string argument, string jupyterRoot, TimeSpan limit, ITestOutputHelper output)
    {
        var clients = Path.Combine(AppContext.BaseDirectory, "clients");
        var stdout = Run(python, [Path.Combine(clients, script), argument], clients, jupyterRoot, limit, output);
        return JsonNode.Parse(stdout.TrimEnd().Split('\n')[^1])!.AsObject();
    }
}
