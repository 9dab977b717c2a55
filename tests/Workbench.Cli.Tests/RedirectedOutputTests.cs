using System.Diagnostics;

namespace Workbench.Cli.Tests;

/// <summary>`workbench` writing to a file or pipe (a log, a cluster job) prints plain text, even where TERM says colour.</summary>
public sealed class RedirectedOutputTests
{
    private static (int ExitCode, string Text) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "workbench.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        start.Environment.Remove("NO_COLOR");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "workbench did not finish within 2 minutes");
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void ATableAndAnErrorCarryNoEscapeCodes()
    {
        var (code, text) = Run("activations");
        Assert.Equal(0, code);
        Assert.Contains("swish", text);
        Assert.DoesNotContain('\u001b', text);

        (code, text) = Run("train", "--activation", "no-such-activation", "--epochs", "1");
        Assert.Equal(Cli.UserError, code);
        Assert.Contains("error:", text);
        Assert.Contains("no-such-activation", text);
        Assert.DoesNotContain('\u001b', text);
    }
}
