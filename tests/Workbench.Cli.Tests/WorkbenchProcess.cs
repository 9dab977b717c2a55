using System.Diagnostics;

namespace Workbench.Cli.Tests;

/// <summary>The built `workbench` command as a real child process, its output redirected (as in a log or a cluster job).</summary>
internal static class WorkbenchProcess
{
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "workbench.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        return Process.Start(start)!;
    }

    /// <summary>Waits for the process and returns its exit code with its standard output and error, in that order.</summary>
    public static (int ExitCode, string Text) Finish(Process process, TimeSpan timeout)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeout), $"workbench did not finish within {timeout.TotalMinutes:0} minutes");
        return (process.ExitCode, output.Result + error.Result);
    }
}
