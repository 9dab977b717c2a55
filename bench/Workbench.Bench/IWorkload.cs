namespace Workbench.Bench;

/// <summary>One benchmark subcommand: times a piece of Workbench and its PyTorch peer side by side.</summary>
public interface IWorkload
{
    /// <summary>The subcommand name (first command-line argument).</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs the workload with the remaining arguments; returns the process exit code.</summary>
    int Run(string[] args);
}

/// <summary>A failure the user can fix (missing peer, bad option): printed without a stack trace.</summary>
public sealed class BenchmarkException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
