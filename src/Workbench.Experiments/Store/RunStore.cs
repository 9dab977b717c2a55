using Workbench.Vae.IO;
using System.Globalization;
using System.Text.Json;
using Workbench.Experiments.Ablation;
using Workbench.Vae;
using Workbench.Vae.Training;

namespace Workbench.Experiments.Store;

/// <summary>A record as found in a store: which file and line it came from.</summary>
public sealed record StoredRecord(RunRecord Record, string File, int Line)
{
    public string Where => $"{File}, line {Line}";
}

/// <summary>Something wrong with one line of a store.</summary>
public sealed record StoreProblem(string File, int Line, string Message)
{
    public override string ToString() => $"{File}, line {Line}: {Message}";
}

/// <summary>Everything read from a store: the records (one per key), the problems found, and repeated keys.</summary>
/// <param name="Records">One record per key, the first found (files in name order, lines in order).</param>
/// <param name="Problems">Lines that are not valid records of this format; never skipped silently.</param>
/// <param name="Duplicates">Later records of a key already seen, with the same result (kept out of <see cref="Records"/>).</param>
public sealed record StoreContents(IReadOnlyList<StoredRecord> Records, IReadOnlyList<StoreProblem> Problems, IReadOnlyList<StoredRecord> Duplicates);

/// <summary>A run store's records are unreadable or inconsistent; the message lists every bad line with its file and number.</summary>
public sealed class RunStoreException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The run store of an ablation: <c>records/shard-&lt;i&gt;-of-&lt;n&gt;.jsonl</c> (one <see cref="RunRecord"/> per line, one
/// file per shard so processes never write the same file) and <c>runs/&lt;key&gt;/</c> (each run's
/// <see cref="RunDirectory"/>: config, metrics.csv, checkpoint). Appending rewrites the shard file through a temporary
/// file and a rename, so a killed process leaves either the old file or the new one, never a torn line.
/// </summary>
public sealed class RunStore
{
    public const string RecordsFolder = "records", RunsFolder = "runs", ClaimsFolder = "claims";

    public RunStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    /// <summary>The store's folder (absolute).</summary>
    public string Root { get; }

    public string RecordsDirectory => Path.Combine(Root, RecordsFolder);

    public string RunsDirectory => Path.Combine(Root, RunsFolder);

    /// <summary>True when the folder exists and has a records/ folder.</summary>
    public bool Exists => Directory.Exists(RecordsDirectory);

    public string ClaimsDirectory => Path.Combine(Root, ClaimsFolder);

    /// <summary>
    /// Claims a run for this process, or returns null when another process (or another worker of this one) holds it.
    /// A claim is an exclusive lock on claims/&lt;key&gt;.lock, held until the claim is disposed. The operating system
    /// drops the lock when its process dies, however it dies (kill -9 included), so a dead process's claim is taken
    /// over by the next one that asks; there is no stale claim to clean up. On a shared file system the lock is the
    /// file system's (NFS: the lock manager's), so processes on different hosts exclude each other too.
    /// </summary>
    public RunClaim? TryClaim(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        Directory.CreateDirectory(ClaimsDirectory);
        return RunClaim.TryAcquire(Path.Combine(ClaimsDirectory, key + ".lock"));
    }

    /// <summary>The training folder of a run.</summary>
    public RunDirectory RunFolder(string key) => new(Path.Combine(RunsDirectory, key));

    /// <summary>"shard-3-of-8.jsonl".</summary>
    public static string ShardFileName(Shard shard) =>
        string.Create(CultureInfo.InvariantCulture, $"shard-{shard.Index}-of-{shard.Count}.jsonl");

    public string ShardFile(Shard shard) => Path.Combine(RecordsDirectory, ShardFileName(shard));

    /// <summary>Creates records/ and runs/ if missing.</summary>
    public RunStore Create()
    {
        Directory.CreateDirectory(RecordsDirectory);
        Directory.CreateDirectory(RunsDirectory);
        return this;
    }

    /// <summary>The record files, in ordinal name order (temporary and lock files, which start with '.', excluded).</summary>
    public IReadOnlyList<string> RecordFiles() =>
        Directory.Exists(RecordsDirectory)
            ? [.. Directory.GetFiles(RecordsDirectory, "*.jsonl").Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>
    /// Reads every line of every record file. Nothing is skipped silently: a line that is not JSON, a JSON value that
    /// is not a run record, an unknown format version, an invalid config, or a key that is not its config's hash becomes a
    /// <see cref="StoreProblem"/> with its file and line. A second record of a key with the same result is a duplicate;
    /// with a different result it is a problem.
    /// </summary>
    public StoreContents Read()
    {
        var records = new List<StoredRecord>();
        var byKey = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        var problems = new List<StoreProblem>();
        var duplicates = new List<StoredRecord>();
        foreach (string file in RecordFiles())
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(lines[i])) continue;
                if (!TryParse(lines[i], out var record, out string? error))
                {
                    problems.Add(new StoreProblem(file, i + 1, error!));
                    continue;
                }
                var stored = new StoredRecord(record!, file, i + 1);
                if (byKey.TryGetValue(record!.Key, out var first))
                {
                    if (RecordComparison.Difference(first.Record, record) is string difference)
                        problems.Add(new StoreProblem(file, i + 1, $"key {record.Key} was already recorded at {first.Where} with a different result ({difference})."));
                    else
                        duplicates.Add(stored);
                    continue;
                }
                byKey[record.Key] = stored;
                records.Add(stored);
            }
        }
        return new StoreContents(records, problems, duplicates);
    }

    /// <summary><see cref="Read"/>, throwing a <see cref="RunStoreException"/> that lists every problem when there is any.</summary>
    public StoreContents ReadValid()
    {
        var contents = Read();
        if (contents.Problems.Count > 0)
            throw new RunStoreException(DescribeProblems(Root, contents.Problems));
        return contents;
    }

    /// <summary>The records of a valid store (see <see cref="ReadValid"/>).</summary>
    public IReadOnlyList<RunRecord> ReadAll() => [.. ReadValid().Records.Select(r => r.Record)];

    /// <summary>Keys that have a record: completed and diverged runs alike (a divergence is an outcome; re-running repeats it).</summary>
    public IReadOnlySet<string> Completed() => ReadValid().Records.Select(r => r.Record.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>A multi-line message: how many problems, the first ones with file and line, and what to do.</summary>
    public static string DescribeProblems(string root, IReadOnlyList<StoreProblem> problems)
    {
        const int shown = 10;
        var lines = problems.Take(shown).Select(p => "  " + p);
        string more = problems.Count > shown ? $"\n  ... and {problems.Count - shown} more." : "";
        return $"The run store '{root}' has {problems.Count} bad record line{(problems.Count == 1 ? "" : "s")}:\n{string.Join("\n", lines)}{more}\n" +
            "Fix or remove those lines (each line is one JSON run record), or start a new store with --out.";
    }

    /// <summary>Appends one record to this shard's file: the file is rewritten whole through a temp file and a rename.</summary>
    public void Append(RunRecord record, Shard shard)
    {
        ArgumentNullException.ThrowIfNull(record);
        shard.Validate();
        Create();
        string path = ShardFile(shard);
        using var _ = LockFile.Acquire(Path.Combine(RecordsDirectory, "." + Path.GetFileName(path) + ".lock"));
        string existing = File.Exists(path) ? File.ReadAllText(path) : "";
        if (existing.Length > 0 && existing[^1] != '\n') existing += "\n";
        AtomicFile.WriteAllText(path, existing + Serialize(record) + "\n");
    }

    /// <summary>Writes a whole record file at once (used by merge); the lines are in the order given.</summary>
    public void WriteRecords(string fileName, IEnumerable<RunRecord> records)
    {
        Create();
        AtomicFile.WriteAllText(Path.Combine(RecordsDirectory, fileName), string.Concat(records.Select(r => Serialize(r) + "\n")));
    }

    private static readonly JsonSerializerOptions WriteOptions = new(VaeConfig.JsonOptions) { WriteIndented = false };

    private static readonly JsonSerializerOptions ReadOptions = new(VaeConfig.JsonOptions)
    {
        WriteIndented = false,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>One record as one line of JSON (no line breaks inside).</summary>
    public static string Serialize(RunRecord record) => JsonSerializer.Serialize(record, WriteOptions);

    /// <summary>Parses one line; on failure <paramref name="error"/> says why (not JSON, not a record, unknown format, bad key).</summary>
    public static bool TryParse(string line, out RunRecord? record, out string? error)
    {
        record = null;
        error = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            error = $"not valid JSON (a torn or hand-edited line?): {e.Message}";
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not a run record object.";
                return false;
            }
            if (!root.TryGetProperty("format", out var format))
            {
                var names = root.EnumerateObject().Select(p => p.Name).Take(8).ToArray();
                error = $"a JSON object that is not a run record: it has no \"format\" field (its fields: {(names.Length == 0 ? "none" : string.Join(", ", names))}).";
                return false;
            }
            if (format.ValueKind != JsonValueKind.Number || !format.TryGetInt32(out int version))
            {
                error = $"\"format\" must be a whole number, found {format.GetRawText()}.";
                return false;
            }
            if (version != RunRecord.CurrentFormat)
            {
                error = $"record format {version} is not known to this version of the workbench, which reads format {RunRecord.CurrentFormat}. " +
                    "Read this store with the workbench version that wrote it.";
                return false;
            }
            try
            {
                record = root.Deserialize<RunRecord>(ReadOptions);
            }
            catch (JsonException e)
            {
                error = $"not a valid run record: {e.Message}";
                return false;
            }
        }
        if (record is null)
        {
            error = "not a valid run record (null).";
            return false;
        }
        error = Check(record);
        if (error is not null) record = null;
        return error is null;
    }

    /// <summary>What is inconsistent in a record that parsed, or null.</summary>
    private static string? Check(RunRecord record)
    {
        if (record.Outcome is not ("completed" or "diverged" or "cancelled"))
            return $"outcome '{record.Outcome}' is not one of completed, diverged, cancelled.";
        if (record.Outcome == "completed" && record.Final is null)
            return $"run {record.Key} completed but has no final metrics.";
        try
        {
            record.Config.Model.Validate();
            record.Config.Training.Validate();
            record.Evaluation?.Validate();
        }
        catch (ConfigException e)
        {
            return $"the record's configuration is invalid: {e.Message}";
        }
        string expected = RunKey.Compute(record.Config, record.Evaluation ?? new EvaluationSettings());
        if (!string.Equals(record.Key, expected, StringComparison.Ordinal))
            return $"key {record.Key} is not the hash of the record's configuration ({expected}): the record was edited, or written by a version " +
                "that computed keys differently; it cannot be matched to a grid's run.";
        return null;
    }
}

/// <summary>Whether two records of the same key report the same result (configuration, outcome, metrics, learned parameters).</summary>
public static class RecordComparison
{
    /// <summary>
    /// Null when equal; else the first difference. Timings (seconds per epoch, wall time, finish time) and the grid name
    /// are not compared: they differ between machines and grids without the result differing. Numbers compare bit for bit.
    /// </summary>
    public static string? Difference(RunRecord a, RunRecord b)
    {
        if (a.Key != b.Key) return $"keys {a.Key} and {b.Key}";
        string ca = RunKey.CanonicalJson(a.Config, a.Evaluation ?? new EvaluationSettings());
        string cb = RunKey.CanonicalJson(b.Config, b.Evaluation ?? new EvaluationSettings());
        if (ca != cb) return "configurations differ";
        if (a.Outcome != b.Outcome) return $"outcome {a.Outcome} vs {b.Outcome}";
        if (a.Epochs.Count != b.Epochs.Count) return $"{a.Epochs.Count} vs {b.Epochs.Count} epochs";
        for (int i = 0; i < a.Epochs.Count; i++)
        {
            var (x, y) = (a.Epochs[i], b.Epochs[i]);
            if (x.Epoch != y.Epoch || !Same(x.TrainLoss, y.TrainLoss) || !Same(x.TestLoss, y.TestLoss) || !Same(x.TestRecon, y.TestRecon)
                || !Same(x.TestKl, y.TestKl) || x.ActiveUnits != y.ActiveUnits)
                return $"epoch {x.Epoch}: train {R(x.TrainLoss)} vs {R(y.TrainLoss)}, test {R(x.TestLoss)} vs {R(y.TestLoss)}";
        }
        if ((a.Final is null) != (b.Final is null)) return "final metrics present in one only";
        if (a.Final is { } f && b.Final is { } g
            && (!Same(f.TestLoss, g.TestLoss) || !Same(f.TestRecon, g.TestRecon) || !Same(f.TestKl, g.TestKl) || f.ActiveUnits != g.ActiveUnits
                || !Same(f.TestNll, g.TestNll) || f.NllSamples != g.NllSamples || !Same(f.BitsPerDim, g.BitsPerDim)))
            return $"final test loss {R(f.TestLoss)} vs {R(g.TestLoss)}, NLL {R(f.TestNll)} vs {R(g.TestNll)}";
        var keys = a.ActivationParameters.Keys.Order(StringComparer.Ordinal).ToArray();
        if (!keys.SequenceEqual(b.ActivationParameters.Keys.Order(StringComparer.Ordinal)))
            return "different learned activation parameters";
        foreach (string k in keys)
        {
            var (p, q) = (a.ActivationParameters[k], b.ActivationParameters[k]);
            if (p.Length != q.Length || p.Where((v, i) => !Same(v, q[i])).Any()) return $"learned activation parameters of {k}";
        }
        return null;
    }

    private static bool Same(double? x, double? y) => x.HasValue == y.HasValue && (!x.HasValue || x.Value.Equals(y!.Value));

    private static string R(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "none";
}

/// <summary>A run claimed by this process (see <see cref="RunStore.TryClaim"/>); disposing it releases the claim.</summary>
public sealed class RunClaim : IDisposable
{
    private readonly FileStream _lock;

    private RunClaim(FileStream stream) => _lock = stream;

    internal static RunClaim? TryAcquire(string path)
    {
        try
        {
            // FileShare.None takes an exclusive advisory lock on the open file (flock on Unix), released by the kernel
            // when the process exits.
            return new RunClaim(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;   // held by another process or worker
        }
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>An exclusive lock on a file, so two processes of the same shard on one machine do not interleave appends.</summary>
internal sealed class LockFile : IDisposable
{
    private readonly FileStream _stream;

    private LockFile(FileStream stream) => _stream = stream;

    public static LockFile Acquire(string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                return new LockFile(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException e)
            {
                throw new IOException($"Could not lock '{path}' within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s: is another process " +
                    "writing the same shard of this store? Give each process its own --shard, or wait for the other to finish.", e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
