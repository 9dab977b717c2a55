using System.Text.Json;
using Workbench.Experiments.Store;
using Workbench.Vae;

namespace Workbench.Experiments.Results;

/// <summary>
/// Reads the run store's records: <c>STORE/records/*.jsonl</c>, one <see cref="RunRecord"/> JSON object per line
/// (camelCase, enums as camelCase strings, NaN and infinities as named literals, as every Workbench JSON file).
/// Every problem names the file and the line.
/// </summary>
public static class RunRecordReader
{
    /// <summary>The folder of record files inside a store.</summary>
    public const string RecordsFolder = "records";

    /// <summary>JSON settings of a record line: the shared config settings, on one line.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(VaeConfig.JsonOptions) { WriteIndented = false };

    /// <summary>
    /// Every record of the store at <paramref name="storeDir"/>, files in ordinal name order, lines in order.
    /// A key seen twice (a run recorded by two shards, or re-run) keeps the record that finished last. Blank
    /// lines are skipped; anything else that is not a valid record is an <see cref="InvalidDataException"/>
    /// naming the file and line. A missing store is a <see cref="DirectoryNotFoundException"/>; a store without
    /// records gives an empty list.
    /// </summary>
    public static IReadOnlyList<RunRecord> ReadStore(string storeDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeDir);
        string full = Path.GetFullPath(storeDir);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"Run store '{full}' does not exist; pass the folder `workbench ablate` wrote (it holds {RecordsFolder}/*.jsonl).");
        string records = Path.Combine(full, RecordsFolder);
        if (!Directory.Exists(records)) return [];
        var byKey = new Dictionary<string, RunRecord>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var file in Directory.GetFiles(records, "*.jsonl").OrderBy(f => f, StringComparer.Ordinal))
            foreach (var record in ReadFile(file))
            {
                if (byKey.TryGetValue(record.Key, out var seen))
                {
                    if (record.FinishedAt >= seen.FinishedAt) byKey[record.Key] = record;
                }
                else
                {
                    byKey[record.Key] = record;
                    order.Add(record.Key);
                }
            }
        return order.Select(k => byKey[k]).ToList();
    }

    /// <summary>The records of one .jsonl file, in order.</summary>
    public static IReadOnlyList<RunRecord> ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Record file '{path}' does not exist.", path);
        var result = new List<RunRecord>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            result.Add(Parse(line, path, lineNumber));
        }
        return result;
    }

    /// <summary>One record from one line; <paramref name="source"/> and <paramref name="line"/> go into error messages.</summary>
    public static RunRecord Parse(string json, string source = "record", int line = 1)
    {
        ArgumentNullException.ThrowIfNull(json);
        string where = $"{source}, line {line}";
        RunRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<RunRecord>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            string position = e.BytePositionInLine is long p ? $" (position {p + 1})" : "";
            throw new InvalidDataException(
                $"{where}: not a valid run record{position}: {e.Message} The line may be cut short by a killed writer; " +
                "remove it (the run will be redone on resume) or restore the file.", e);
        }
        if (record is null) throw new InvalidDataException($"{where}: the line holds JSON null, not a run record.");
        if (record.Format != RunRecord.CurrentFormat)
            throw new InvalidDataException(
                $"{where}: record format {record.Format} is not known (this version reads format {RunRecord.CurrentFormat}); use the Workbench version that wrote it.");
        string? missing = record.Key is null ? "key" : record.Grid is null ? "grid" : record.Config is null ? "config"
            : record.Config.Model is null ? "config.model" : record.Config.Training is null ? "config.training"
            : record.Outcome is null ? "outcome" : record.Epochs is null ? "epochs" : record.ActivationParameters is null ? "activationParameters" : null;
        if (missing is not null) throw new InvalidDataException($"{where}: the record has no '{missing}'.");
        if (record.Outcome is not ("completed" or "diverged" or "cancelled"))
            throw new InvalidDataException($"{where}: outcome '{record.Outcome}' is not one of completed, diverged, cancelled.");
        if (record.Outcome == "completed" && record.Final is null)
            throw new InvalidDataException($"{where}: run {record.Key} completed but has no final metrics.");
        try
        {
            record.Config!.Model!.Validate();
            record.Config.Training!.Validate();
        }
        catch (ConfigException e)
        {
            throw new InvalidDataException($"{where}: run {record.Key} has an invalid configuration: {e.Message}", e);
        }
        return record;
    }

    /// <summary>A record as one JSON line (no line break), in the format <see cref="Parse"/> reads.</summary>
    public static string ToJsonLine(RunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return JsonSerializer.Serialize(record, JsonOptions);
    }
}
