using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;

namespace Workbench.Vae.Data;

/// <summary>
/// Runs a command-line tool from an argument list (never through a shell, so no argument is ever re-parsed),
/// with a time limit, collecting its error output for messages.
/// </summary>
internal static class ExternalTool
{
    private const int MaxErrorChars = 8000;

    /// <summary>
    /// Runs <paramref name="fileName"/> and returns its standard output, or hands the output stream to
    /// <paramref name="consumeOutput"/> (anything it leaves unread is drained so the tool can exit).
    /// </summary>
    /// <param name="fileName">Program to run, looked up on PATH.</param>
    /// <param name="arguments">Arguments, passed as they are.</param>
    /// <param name="workingDirectory">Folder to run in.</param>
    /// <param name="timeout">Time limit; the tool and its children are stopped when it is reached.</param>
    /// <param name="installHint">What to install when the program is missing, e.g. "Install the Debian package npm".</param>
    /// <param name="consumeOutput">Reads standard output as a stream (for large binary output); null collects it as text.</param>
    /// <exception cref="DataFetchException">The program is missing or exits with a non-zero code.</exception>
    /// 
    public static string Run(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout,
        string installHint, Action<Stream>? consumeOutput = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments) psi.ArgumentList.Add(argument);
        string commandLine = string.Join(' ', [fileName, .. arguments]);

        Process process;
        try
        {
            process = Process.Start(psi)
                ?? throw new DataFetchException($"`{commandLine}` could not be started. {installHint}");
        }
        catch (Win32Exception e)
        {
            throw new DataFetchException(
                $"`{fileName}` is needed but could not be started ({e.Message}). {installHint}", e);
        }

        using (process)
        {
            // Nothing should wait for keyboard input.
            process.StandardInput.Close();

            var errors = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                    if (errors.Length > MaxErrorChars) errors.Remove(0, errors.Length - MaxErrorChars);
                }
            };
            process.BeginErrorReadLine();

            int timedOut = 0;
            using var timer = new Timer(_ =>
            {
                Interlocked.Exchange(ref timedOut, 1);
                Stop(process);
            }, null, timeout, Timeout.InfiniteTimeSpan);

            string output = "";
            ExceptionDispatchInfo? consumerError = null;
            try
            {
                if (consumeOutput is null)
                {
                    output = process.StandardOutput.ReadToEnd();
                }
                else
                {
                    var stream = process.StandardOutput.BaseStream;
                    consumeOutput(stream);
                    stream.CopyTo(Stream.Null);
                }
            }
            catch (Exception e)
            {
                // Stop the tool before reporting, so no orphan keeps writing into a pipe nobody reads.
                consumerError = ExceptionDispatchInfo.Capture(e);
                Stop(process);
            }
            process.WaitForExit();
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

            string errorText;
            lock (errors) errorText = errors.ToString().Trim();
            if (Volatile.Read(ref timedOut) == 1)
                throw new DataFetchException(
                    $"`{commandLine}` did not finish within {timeout.TotalSeconds:0.###} s and was stopped. " +
                    "Check the network connection and try again." + Tail(errorText));
            if (process.ExitCode != 0)
                throw new DataFetchException(
                    $"`{commandLine}` failed with exit code {process.ExitCode}." + Tail(errorText),
                    consumerError?.SourceException);
            consumerError?.Throw();
            return output;
        }
    }

    private static string Tail(string errorText) =>
        errorText.Length == 0 ? "" : $" Its error output ends with:{Environment.NewLine}{errorText}";

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }
}
