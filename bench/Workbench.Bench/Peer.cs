using System.Diagnostics;
using System.Text.Json;

namespace Workbench.Bench;

/// <summary>
/// Runs a PyTorch peer script (bench/peer/*.py, copied next to the binary) in a python3 that can import torch,
/// with OPENBLAS_NUM_THREADS=1 (the project's standard for the peer), and reads its JSON-lines output.
/// </summary>
public sealed class Peer
{
    /// <summary>Exit code when no usable PyTorch is found.</summary>
    public const int MissingPeerExitCode = 3;

    private const string InstallHint =
        "Install the Debian packages python3-torch and libopenblas0-pthread (apt-get install python3-torch libopenblas0-pthread), " +
        "or set WORKBENCH_PYTHON to a python3 that can 'import torch'.";

    public string Python { get; }

    /// <summary>The peer's torch version, from the header line of its last run (empty before the first).</summary>
    public static string TorchVersion { get; private set; } = "";

    private Peer(string python) => Python = python;

    /// <summary>
    /// $WORKBENCH_PYTHON when it is set (and then only it); otherwise the first of /usr/bin/python3 (where
    /// Debian's python3-torch lives) and python3 on PATH that imports torch.
    /// </summary>
    public static Peer Find()
    {
        var candidates = new List<string>();
        var configured = Environment.GetEnvironmentVariable("WORKBENCH_PYTHON");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            candidates.Add(configured);
        }
        else
        {
            if (File.Exists("/usr/bin/python3")) candidates.Add("/usr/bin/python3");
            candidates.Add("python3");
        }

        var tried = new List<string>();
        foreach (var python in candidates.Distinct())
        {
            var (exit, _, error) = Execute(python, ["-c", "import torch"], TimeSpan.FromMinutes(2));
            if (exit == 0) return new Peer(python);
            tried.Add(exit is null ? $"{python}: not found" : $"{python}: {LastLine(error)}");
        }
        throw new BenchmarkException(
            $"The PyTorch peer cannot run: no python3 here can import torch ({string.Join("; ", tried)}). {InstallHint}",
            MissingPeerExitCode);
    }

    /// <summary>Runs bench/peer/<paramref name="script"/> and returns its stdout lines parsed as JSON.</summary>
    public List<JsonElement> Run(string script, IEnumerable<string> args, TimeSpan timeout)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "peer", script);
        if (!File.Exists(path))
            throw new BenchmarkException($"The peer script {path} is missing; rebuild bench/Workbench.Bench (it copies bench/peer/*.py next to the binary).");
        var (exit, output, error) = Execute(Python, [path, .. args], timeout);
        if (exit != 0)
            throw new BenchmarkException($"The PyTorch peer {script} failed (exit code {exit?.ToString() ?? "none"}):{Environment.NewLine}{error.Trim()}");
        var lines = new List<JsonElement>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                lines.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new BenchmarkException($"The PyTorch peer {script} printed a line that is not JSON ({e.Message}): {line}");
            }
        }
        if (lines.Count > 0 && lines[0].TryGetProperty("torch", out var version)) TorchVersion = version.GetString() ?? "";
        return lines;
    }

    /// <summary>Warns (on stderr) when torch is not calling OpenBLAS: the reference BLAS would make the peer ~11x slower.</summary>
    public static void WarnUnlessOpenBlas(JsonElement header)
    {
        var libraries = header.TryGetProperty("blas", out var blas) ? blas.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
        if (!libraries.Any(l => l.Contains("openblas", StringComparison.OrdinalIgnoreCase)))
            Console.Error.WriteLine(
                $"warning: the peer's torch is not using OpenBLAS (BLAS libraries loaded: {(libraries.Count == 0 ? "none found" : string.Join(", ", libraries))}); " +
                "its numbers are not representative. " + InstallHint);
    }

    private static (int? Exit, string Output, string Error) Execute(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "", "");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new BenchmarkException($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s and was stopped.");
            }
            return (process.ExitCode, output.Result, error.Result);
        }
    }

    private static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "failed" : lines[^1];
    }
}
