namespace Workbench.Experiments.Store;

/// <summary>A key found in more than one store with the same result: one copy kept.</summary>
public sealed record MergeDuplicate(string Key, string Kept, string Dropped);

/// <summary>What a merge did.</summary>
/// <param name="Output">The merged store.</param>
/// <param name="Records">Records in the merged store.</param>
/// <param name="Duplicates">Keys met more than once with identical results (one kept).</param>
/// <param name="RunFoldersCopied">runs/&lt;key&gt;/ folders copied.</param>
/// <param name="MissingRunFolders">Keys whose run folder was in none of the stores (the record is kept; its checkpoint is not).</param>
public sealed record MergeResult(RunStore Output, int Records, IReadOnlyList<MergeDuplicate> Duplicates, int RunFoldersCopied,
    IReadOnlyList<string> MissingRunFolders);

/// <summary>Two stores hold different results for one key; the message names both places and what differs.</summary>
public sealed class StoreConflictException(string message) : IOException(message);

/// <summary>
/// Joins the stores that shards wrote into one: every record once (in the records/shard-0-of-1.jsonl an unsharded run
/// would write), and every run's folder. Nothing is written until every input has been read and checked.
/// </summary>
public static class StoreMerge
{
    public static MergeResult Merge(string output, IReadOnlyList<string> inputs, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("merge needs at least one store to read.");
        var target = new RunStore(output);
        var stores = inputs.Select(i => new RunStore(i)).ToArray();
        foreach (var group in stores.GroupBy(s => s.Root, StringComparer.Ordinal))
            if (group.Count() > 1) throw new ArgumentException($"the store '{group.Key}' is listed twice; list each store once.");
        foreach (var store in stores)
        {
            if (store.Root == target.Root)
                throw new ArgumentException($"the output '{target.Root}' is also an input; merge into a new directory.");
            if (!Directory.Exists(store.Root)) throw new DirectoryNotFoundException($"Store '{store.Root}' does not exist.");
            if (!store.Exists)
                throw new InvalidDataException($"'{store.Root}' is not a run store: it has no {RunStore.RecordsFolder}/ folder (written by `workbench ablate`).");
        }
        if (target.RecordFiles().Count > 0)
            throw new IOException($"'{target.Root}' already holds run records; merge into a new or empty directory " +
                "(to add to an existing merged store, list it as one of the inputs and merge all into a new directory).");

        // Read and check everything first.
        var kept = new List<(RunStore Store, StoredRecord Stored)>();
        var byKey = new Dictionary<string, (RunStore Store, StoredRecord Stored)>(StringComparer.Ordinal);
        var duplicates = new List<MergeDuplicate>();
        var conflicts = new List<string>();
        foreach (var store in stores)
        {
            var contents = store.ReadValid();
            foreach (var dup in contents.Duplicates)
                duplicates.Add(new MergeDuplicate(dup.Record.Key, contents.Records.First(r => r.Record.Key == dup.Record.Key).Where, dup.Where));
            foreach (var stored in contents.Records)
            {
                if (byKey.TryGetValue(stored.Record.Key, out var first))
                {
                    if (RecordComparison.Difference(first.Stored.Record, stored.Record) is string difference)
                        conflicts.Add($"key {stored.Record.Key}: {first.Stored.Where} and {stored.Where} disagree ({difference})");
                    else
                        duplicates.Add(new MergeDuplicate(stored.Record.Key, first.Stored.Where, stored.Where));
                    continue;
                }
                byKey[stored.Record.Key] = (store, stored);
                kept.Add((store, stored));
            }
            log?.Invoke($"{store.Root}: {contents.Records.Count} records");
        }
        if (conflicts.Count > 0)
            throw new StoreConflictException($"{conflicts.Count} run{(conflicts.Count == 1 ? "" : "s")} have different results in different stores:\n  " +
                string.Join("\n  ", conflicts.Take(10)) + (conflicts.Count > 10 ? $"\n  ... and {conflicts.Count - 10} more." : "") +
                "\nThe same key means the same configuration, so the results should agree; the stores were probably written by different " +
                "versions or machines. Remove the records you do not trust from one of the stores and merge again.");

        // Run folders first, records last: a merge killed halfway leaves no records, so it is simply run again.
        target.Create();
        int copied = 0;
        var missing = new List<string>();
        foreach (var (store, stored) in kept)
        {
            string key = stored.Record.Key;
            string source = store.RunFolder(key).Path;
            if (!Directory.Exists(source))
            {
                source = stores.Select(s => s.RunFolder(key).Path).FirstOrDefault(Directory.Exists) ?? "";
                if (source.Length == 0)
                {
                    missing.Add(key);
                    continue;
                }
            }
            CopyFolder(source, target.RunFolder(key).Path);
            copied++;
        }
        target.WriteRecords(RunStore.ShardFileName(Ablation.Shard.All), kept.Select(k => k.Stored.Record));
        return new MergeResult(target, kept.Count, duplicates, copied, missing);
    }

    /// <summary>Copies a run folder into a temporary sibling, then renames it into place (replacing an older copy).</summary>
    private static void CopyFolder(string source, string destination)
    {
        string temp = destination + ".merging";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (Path.GetFileName(file).StartsWith('.') && file.EndsWith(".tmp", StringComparison.Ordinal)) continue;   // a killed write's leftover
            string to = Path.Combine(temp, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
        Directory.Move(temp, destination);
    }
}
