using System.ComponentModel;
using System.Diagnostics;

namespace Workbench.Experiments.Charts;

/// <summary>Runs a helper program (chromium) directly, without a shell, with an argument list and a time limit.</summary>
internal static class ExternalProcess
{
    internal sealed record Result(int ExitCode, string StdOut, string StdErr, bool TimedOut);

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> passed as separate argv entries
    /// (nothing is parsed by a shell, so paths with spaces or quotes are safe). On timeout the whole process
    /// tree is killed. Throws <see cref="Win32Exception"/> when the program cannot be started.
    /// </summary>
    internal static Result Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);

        using var process = new Process { StartInfo = psi };
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the wait and the kill.
            }
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        // A browser's helper processes can inherit the pipes and keep them open briefly after the main
        // process exits; give the readers a bounded time rather than waiting on them forever.
        Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
        return new Result(
            exited ? process.ExitCode : -1,
            stdout.IsCompletedSuccessfully ? stdout.Result : "",
            stderr.IsCompletedSuccessfully ? stderr.Result : "",
            !exited);
    }

    /// <summary>The full path of <paramref name="name"/> found on PATH (with Windows extensions), or null.</summary>
    internal static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat", ""] : [""];
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, name + ext);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The last <paramref name="lines"/> non-empty lines of a program's output, for error messages.</summary>
    internal static string Tail(string text, int lines = 12)
    {
        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }
}
