using Workbench.Vae.IO;
using System.ComponentModel;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Workbench.Experiments.Charts;

/// <summary>
/// Finds, fetches and loads plotly.js (the npm package <c>plotly.js-dist-min</c>, pinned to one version),
/// which the HTML and PNG exports embed inline so that pages open offline.
/// </summary>
/// <remarks>
/// Where it lives: the file named by the environment variable <c>WORKBENCH_PLOTLY_JS</c> if set, else
/// <c>&lt;checkout&gt;/artifacts/plotly/plotly.min.js</c>, the checkout being the nearest folder holding
/// Workbench.sln above the current directory or the application's base directory. <see cref="Ensure"/>
/// fills that cache once with <c>npm pack</c>, checks the tarball against its pinned SHA-512 integrity and
/// extracts <c>package/plotly.min.js</c>; nothing downloads at view time.
/// </remarks>
public static class PlotlyJs
{
    /// <summary>The npm package that carries the prebuilt, minified plotly.js bundle.</summary>
    public const string PackageName = "plotly.js-dist-min";

    /// <summary>The pinned plotly.js version.</summary>
    public const string Version = "4.1.2";

    /// <summary>npm's integrity string (SHA-512 of the package tarball) for <see cref="Version"/>.</summary>
    public const string Integrity =
        "sha512-VSmS9KVNun16S8qFYYp9LlL/XBby4ueeGqB+K9AqRCVsup8dSpGULap4UyR1f2mz4pV3qjWp1sR5chwLgIKPoQ==";

    /// <summary>Environment variable naming the plotly.min.js file to use (and to fetch into).</summary>
    public const string EnvironmentVariable = "WORKBENCH_PLOTLY_JS";

    private const string TarEntry = "package/plotly.min.js";
    private static readonly Lock CacheLock = new();
    private static (string Path, long Length, DateTime Modified, string Source)? cached;

    /// <summary>
    /// Where plotly.min.js is expected: <c>WORKBENCH_PLOTLY_JS</c> if set, else
    /// <c>&lt;checkout&gt;/artifacts/plotly/plotly.min.js</c>; null when neither applies (no variable, no checkout).
    /// </summary>
    public static string? CachePath()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        var root = FindCheckout();
        return root is null ? null : Path.Combine(root, "artifacts", "plotly", "plotly.min.js");
    }

    /// <summary>The path of an existing plotly.min.js in the cache, or null when it has not been fetched.</summary>
    public static string? Locate()
    {
        var path = CachePath();
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Returns the cached plotly.min.js, fetching plotly.js-dist-min@<see cref="Version"/> with npm first if it
    /// is missing (or, in the checkout cache, is another version). <paramref name="log"/> receives progress lines.
    /// </summary>
    public static string Ensure(Action<string>? log = null)
    {
        var path = CachePath() ?? throw new InvalidOperationException(
            $"plotly.js: no place to cache it: {EnvironmentVariable} is not set and no Workbench.sln was found above " +
            $"'{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}'. Set {EnvironmentVariable} to the path " +
            "where plotly.min.js should live (it is fetched there once), or run from inside a Workbench checkout.");
        bool overridden = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));
        return EnsureAt(path, acceptAnyVersion: overridden, log, () => ExternalProcess.FindOnPath("npm"));
    }

    /// <summary>
    /// Makes sure <paramref name="path"/> holds plotly.js: an existing file is kept when
    /// <paramref name="acceptAnyVersion"/> (a file the user named is used as is) or when it is the pinned
    /// version; otherwise the pinned package is fetched with the npm that <paramref name="findNpm"/> finds.
    /// </summary>
    internal static string EnsureAt(string path, bool acceptAnyVersion, Action<string>? log, Func<string?> findNpm)
    {
        if (File.Exists(path))
        {
            var version = ReadVersion(path);
            if (acceptAnyVersion || version == Version) return path;
            log?.Invoke($"plotly.js: {path} holds version {version ?? "(unknown)"}, the pin is {Version}; fetching the pinned version.");
        }
        Fetch(path, log, findNpm);
        return path;
    }

    /// <summary>
    /// The plotly.js source from the cache, checked to be a plotly.js bundle that can be inlined in a
    /// &lt;script&gt; element. Does not fetch: when missing, the message says how to get it.
    /// </summary>
    public static string Load()
    {
        var path = Locate();
        if (path is null)
        {
            var where = CachePath();
            throw new InvalidOperationException(
                "plotly.js is not available" + (where is null ? "" : $" (looked for {where})") + ". " +
                $"Fetch it once with PlotlyJs.Ensure() (runs `npm pack {PackageName}@{Version}`), or download that " +
                $"package yourself and set {EnvironmentVariable} to its package/plotly.min.js. The exported pages embed " +
                "plotly.js inline and never link to the network, so the file must be present.");
        }
        return LoadFrom(path);
    }

    /// <summary>Loads and checks plotly.js from an explicit file (see <see cref="Load"/>); cached while the file is unchanged.</summary>
    public static string LoadFrom(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException(
                $"plotly.js: '{path}' does not exist. Fetch it with PlotlyJs.Ensure() or point {EnvironmentVariable} at a plotly.min.js file.",
                path);
        lock (CacheLock)
        {
            if (cached is { } c && c.Path == info.FullName && c.Length == info.Length && c.Modified == info.LastWriteTimeUtc)
                return c.Source;
            var source = File.ReadAllText(info.FullName, Encoding.UTF8);
            CheckInlinable(source, info.FullName);
            cached = (info.FullName, info.Length, info.LastWriteTimeUtc, source);
            return source;
        }
    }

    /// <summary>
    /// The version in a plotly.js bundle's banner comment ("/** * plotly.js v4.1.2 ..."), or null when the
    /// file has no such banner.
    /// </summary>
    public static string? ReadVersion(string path)
    {
        Span<char> head = stackalloc char[256];
        using var reader = new StreamReader(path, Encoding.UTF8);
        int n = reader.ReadBlock(head);
        return ParseVersion(head[..n]);
    }

    internal static string? ParseVersion(ReadOnlySpan<char> head)
    {
        int i = head.IndexOf("plotly.js v", StringComparison.Ordinal);
        if (i < 0) return null;
        var rest = head[(i + "plotly.js v".Length)..];
        int end = 0;
        while (end < rest.Length && (char.IsAsciiDigit(rest[end]) || rest[end] is '.' or '-' || char.IsAsciiLetter(rest[end]))) end++;
        return end == 0 ? null : rest[..end].ToString();
    }

    /// <summary>
    /// A &lt;script&gt; element ends at the first "&lt;/script" and HTML's script-data escape rules turn a
    /// "&lt;!--" followed by "&lt;script" into a state where "&lt;/script&gt;" no longer ends it; a bundle containing
    /// either tag text cannot be pasted between script tags unchanged, so it is refused rather than altered.
    /// </summary>
    internal static void CheckInlinable(string source, string where)
    {
        if (ParseVersion(source.AsSpan(0, Math.Min(256, source.Length))) is null || !source.Contains("Plotly", StringComparison.Ordinal))
            throw new InvalidDataException(
                $"plotly.js: '{where}' does not look like a plotly.js bundle (no \"plotly.js vX.Y.Z\" banner at its start). " +
                $"Use package/plotly.min.js from {PackageName}, e.g. via PlotlyJs.Ensure().");
        if (source.Contains("</script", StringComparison.OrdinalIgnoreCase) || source.Contains("<script", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"plotly.js: '{where}' contains script tag text, so it cannot be embedded inline in an HTML page unchanged. " +
                $"Use {PackageName}@{Version}, which has none.");
    }

    private static void Fetch(string target, Action<string>? log, Func<string?> findNpm)
    {
        var npm = findNpm() ?? throw new InvalidOperationException(
            $"plotly.js is missing at {target} and npm was not found on PATH to fetch it. Install Node.js with npm " +
            $"(Debian: apt-get install npm) and retry, or download {PackageName}@{Version} yourself and set " +
            $"{EnvironmentVariable} to its package/plotly.min.js.");

        var dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        var work = Path.Combine(dir, ".fetch-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"plotly.js: fetching {PackageName}@{Version} with npm pack into {dir} ...");
            ExternalProcess.Result result;
            try
            {
                result = ExternalProcess.Run(npm,
                    ["pack", $"{PackageName}@{Version}", "--pack-destination", work, "--json", "--ignore-scripts"],
                    TimeSpan.FromMinutes(5), workingDirectory: work);
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException(
                    $"plotly.js: could not start npm at {npm} ({e.Message}). Install Node.js with npm (Debian: apt-get install npm), " +
                    $"or set {EnvironmentVariable} to a plotly.min.js you downloaded.", e);
            }
            if (result.TimedOut || result.ExitCode != 0)
                throw new InvalidOperationException(
                    $"plotly.js: `npm pack {PackageName}@{Version}` " +
                    (result.TimedOut ? "did not finish within 5 minutes" : $"failed with exit code {result.ExitCode}") +
                    ". Check that npm can reach its package registry (npm config get registry) and retry. npm said:" +
                    Environment.NewLine + ExternalProcess.Tail(result.StdErr + "\n" + result.StdOut));

            var tarballs = Directory.GetFiles(work, "*.tgz");
            if (tarballs.Length != 1)
                throw new InvalidOperationException(
                    $"plotly.js: npm pack reported success but left {tarballs.Length} tarballs in {work}; expected exactly one.");
            var bytes = File.ReadAllBytes(tarballs[0]);
            var actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));
            if (actual != Integrity)
                throw new InvalidDataException(
                    $"plotly.js: the downloaded {PackageName}@{Version} tarball has integrity {actual}, but the pinned value is " +
                    $"{Integrity}. The file is not the package this code was tested with; it was not installed.");

            var bundle = ExtractBundle(bytes);
            CheckInlinable(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bundle), $"{PackageName}@{Version}:{TarEntry}");
            AtomicFile.WriteAllBytes(target, bundle);
            log?.Invoke($"plotly.js: {PackageName}@{Version} saved to {target} ({new FileInfo(target).Length} bytes).");
        }
        finally
        {
            ChartFiles.DeleteDirectory(work);
        }
    }

    /// <summary>Reads <c>package/plotly.min.js</c> out of an npm package tarball (gzip-compressed tar).</summary>
    internal static byte[] ExtractBundle(byte[] tgz)
    {
        using var gz = new GZipStream(new MemoryStream(tgz), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name != TarEntry || entry.DataStream is null) continue;
            using var copy = new MemoryStream();
            entry.DataStream.CopyTo(copy);
            return copy.ToArray();
        }
        throw new InvalidDataException($"plotly.js: the {PackageName} tarball has no {TarEntry}; the package layout changed.");
    }

    /// <summary>The nearest folder holding Workbench.sln above the current directory or the application base directory.</summary>
    internal static string? FindCheckout()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Workbench.sln")))
                    return dir.FullName;
        }
        return null;
    }
}
