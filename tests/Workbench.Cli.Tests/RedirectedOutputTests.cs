namespace Workbench.Cli.Tests;

/// <summary>`workbench` writing to a file or pipe (a log, a cluster job) prints plain text, even where TERM says colour.</summary>
public sealed class RedirectedOutputTests
{
    private static (int ExitCode, string Text) Run(params string[] args)
    {
        using var process = WorkbenchProcess.Start(args, new Dictionary<string, string?> { ["TERM"] = "xterm-256color", ["NO_COLOR"] = null });
        return WorkbenchProcess.Finish(process, TimeSpan.FromMinutes(2));
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
