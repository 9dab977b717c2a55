using Workbench.Vae.IO;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workbench.Notebooks;

/// <summary>A <c>#r "nuget: ..."</c> package that could not be restored; the message says which and why.</summary>
public sealed class PackageRestoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Resolves <c>#r "nuget: Id, Version"</c> to assembly files. Each id and version is restored once, into a
/// cache folder, by a throwaway project that references only that package (<c>dotnet restore</c>);
/// the runtime assemblies of the package and its dependencies are then read from the restore's
/// project.assets.json, as <c>dotnet publish</c> would pick them, and listed in a file the next lookup
/// reads without restoring again.
/// </summary>
public sealed partial class PackageResolver
{
    /// <summary>Environment variable that overrides <see cref="DefaultCacheDirectory"/>.</summary>
    public const string CacheEnvironmentVariable = "WORKBENCH_NOTEBOOK_PACKAGES";

    private const string ResolvedFile = "resolved.txt";
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> KeyLocks = new(StringComparer.Ordinal);
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromMinutes(10);

    public PackageResolver(string? cacheDirectory = null)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory);
    }

    /// <summary>The cache folder: one subfolder per package id and version.</summary>
    public string CacheDirectory { get; }

    /// <summary>
    /// <c>$WORKBENCH_NOTEBOOK_PACKAGES</c> if set, else <c>$XDG_CACHE_HOME/workbench/notebook-packages</c>,
    /// else <c>~/.cache/workbench/notebook-packages</c>.
    /// </summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(env)) return env;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cacheRoot = !string.IsNullOrWhiteSpace(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cacheRoot, "workbench", "notebook-packages");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9.\-+*]+$")]
    private static partial Regex VersionPattern();

    /// <summary>
    /// The runtime assembly files of package <paramref name="id"/> at <paramref name="version"/> (null or "*":
    /// the newest served, fixed at the first restore) and its dependencies, restoring them on first use.
    /// </summary>
    public async Task<IReadOnlyList<string>> ResolveAsync(string id, string? version, CancellationToken cancellationToken = default)
    {
        string what = $"#r \"nuget: {id}{(version is null ? "" : ", " + version)}\"";
        if (!IdPattern().IsMatch(id))
            throw new PackageRestoreException($"{what}: '{id}' is not a package id (letters, digits, '.', '-' and '_').");
        version = string.IsNullOrWhiteSpace(version) ? "*" : version.Trim();
        if (!VersionPattern().IsMatch(version))
            throw new PackageRestoreException($"{what}: '{version}' is not a version; write e.g. 13.0.3, or leave it out for the newest.");

        var dir = Path.Combine(CacheDirectory, id.ToLowerInvariant(), version == "*" ? "newest" : version.ToLowerInvariant());
        var gate = KeyLocks.GetOrAdd(dir, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (ReadResolved(dir) is { } cached) return cached;
            Directory.CreateDirectory(dir);
            // Another process (a second notebook run, a parallel test) may restore the same package: a lock
            // file serialises them and the second one then reads the first one's list.
            using var fileLock = await AcquireFileLockAsync(Path.Combine(dir, ".lock"), cancellationToken).ConfigureAwait(false);
            if (ReadResolved(dir) is { } other) return other;
            var files = await RestoreAsync(dir, id, version, what, cancellationToken).ConfigureAwait(false);
            AtomicFile.WriteAllText(Path.Combine(dir, ResolvedFile), string.Join('\n', files) + "\n");
            return files;
        }
        finally
        {
            gate.Release();
        }
    }

    private static IReadOnlyList<string>? ReadResolved(string dir)
    {
        var path = Path.Combine(dir, ResolvedFile);
        if (!File.Exists(path)) return null;
        var files = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        return files.All(File.Exists) ? files : null; // a cleaned package folder means restoring again
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < RestoreTimeout)
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<IReadOnlyList<string>> RestoreAsync(string dir, string id, string version, string what, CancellationToken cancellationToken)
    {
        string tfm = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        // Empty Directory.Build.* and Directory.Packages.props stop MSBuild from picking up the settings of
        // a checkout the cache might sit in (central package versions, warnings as errors).
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />\n");
        var project = $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{tfm}</TargetFramework>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                <NuGetAudit>false</NuGetAudit>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{id}" Version="{version}" />
              </ItemGroup>
            </Project>

            """;
        var projectPath = Path.Combine(dir, "restore.csproj");
        File.WriteAllText(projectPath, project);

        var (exitCode, output) = await RunDotnetAsync(["restore", projectPath, "--nologo", "-v", "quiet"], dir, what, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            var errors = output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(6).ToList();
            string detail = errors.Count > 0 ? string.Join(" ", errors.Select(CleanRestoreLine)) : Tail(output);
            throw new PackageRestoreException(
                $"{what}: the package could not be restored: {detail} Check the id and version: the package must be served by " +
                "the NuGet sources configured for dotnet on this machine (dotnet nuget list source).");
        }
        return ReadAssets(Path.Combine(dir, "obj", "project.assets.json"), tfm, id, what);
    }

    /// <summary>Picks the runtime assemblies of every package in the restore graph (what publish would copy).</summary>
    internal static IReadOnlyList<string> ReadAssets(string assetsPath, string tfm, string id, string what)
    {
        if (!File.Exists(assetsPath))
            throw new PackageRestoreException($"{what}: dotnet restore succeeded but wrote no {assetsPath}.");
        using var doc = JsonDocument.Parse(File.ReadAllText(assetsPath));
        var root = doc.RootElement;
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(p => p.Name).ToList();
        var libraries = root.GetProperty("libraries");
        if (!root.GetProperty("targets").TryGetProperty(tfm, out var target))
            throw new PackageRestoreException($"{what}: the restore has no target {tfm}.");

        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var files = new List<string>();
        bool found = false;
        foreach (var package in target.EnumerateObject())
        {
            var name = package.Name.Split('/')[0];
            if (string.Equals(name, id, StringComparison.OrdinalIgnoreCase)) found = true;
            if (!package.Value.TryGetProperty("type", out var type) || type.GetString() != "package") continue;
            if (!package.Value.TryGetProperty("runtime", out var runtime)) continue;
            var libraryPath = libraries.GetProperty(package.Name).GetProperty("path").GetString()!;
            foreach (var asset in runtime.EnumerateObject())
            {
                if (Path.GetFileName(asset.Name) == "_._" || !asset.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) continue;
                // Assemblies the shared framework already has (System.* packages for older targets) load from the framework.
                if (File.Exists(Path.Combine(frameworkDir, Path.GetFileName(asset.Name)))) continue;
                var file = folders.Select(f => Path.GetFullPath(Path.Combine(f, libraryPath, asset.Name))).FirstOrDefault(File.Exists)
                    ?? throw new PackageRestoreException($"{what}: {asset.Name} of {package.Name} is missing from the package folders ({string.Join(", ", folders)}).");
                files.Add(file);
            }
        }
        if (!found)
            throw new PackageRestoreException($"{what}: the restore did not include the package {id}.");
        return files;
    }

    private static string CleanRestoreLine(string line)
    {
        // "/path/restore.csproj : error NU1101: Unable to find package X. ..." -> "error NU1101: Unable to find package X. ..."
        int i = line.IndexOf(": error ", StringComparison.Ordinal);
        var s = i >= 0 ? line[(i + 2)..] : line;
        int bracket = s.LastIndexOf(" [", StringComparison.Ordinal);
        return bracket > 0 && s.EndsWith(']') ? s[..bracket] : s;
    }

    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" ", lines.TakeLast(8));
    }

    /// <summary>The dotnet host running this process, else the one on PATH.</summary>
    internal static string FindDotnet()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet") return p;
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    private static async Task<(int ExitCode, string Output)> RunDotnetAsync(string[] args, string workingDirectory, string what, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(FindDotnet())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // A run under `dotnet test` or an IDE passes MSBuild's own settings down; the child restore must
        // resolve its SDK afresh.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "MSBUILD_EXE_PATH").ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new PackageRestoreException($"{what}: could not start '{start.FileName}' to restore the package ({e.Message}). The .NET SDK must be installed.", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RestoreTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (cancellationToken.IsCancellationRequested) throw;
            throw new PackageRestoreException($"{what}: dotnet restore did not finish within {RestoreTimeout.TotalMinutes} minutes.");
        }
        process.WaitForExit(); // drains the asynchronous output readers
        lock (output) return (process.ExitCode, output.ToString());
    }
}
