using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Workbench.Vae.IO;

namespace Workbench.Experiments.Results;

/// <summary>
/// CSV files of results tables through Microsoft.Data.Analysis (RFC 4180 quoting, invariant culture), written
/// atomically. A missing value (null) is an empty field; on reading, an empty text field is null again.
/// </summary>
public static class ResultsCsv
{
    /// <summary>
    /// The table as CSV text: a header of column names, then one line per row; doubles in shortest round-trip form
    /// (DataFrame.SaveCsv writes 17 significant digits: 92.372503124999994 for 92.372503125).
    /// </summary>
    public static string ToCsv(DataFrame table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var csv = new StringBuilder();
        csv.AppendJoin(',', table.Columns.Select(c => Field(c.Name))).Append('\n');
        for (long row = 0; row < table.Rows.Count; row++)
            csv.AppendJoin(',', table.Columns.Select(c => Field(c[row] switch
            {
                null => "",
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString() ?? "",
            }))).Append('\n');
        return csv.ToString();

        // RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
        static string Field(string text) =>
            text.AsSpan().IndexOfAny(",\"\r\n") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Writes the table as CSV to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public static void Write(DataFrame table, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllText(path, ToCsv(table));
    }

    /// <summary>
    /// Reads a CSV file written by <see cref="Write"/>. With <paramref name="types"/> (one per column, in order:
    /// typeof(string), typeof(long) or typeof(double); e.g. the columns' <c>DataType</c> of the table that was
    /// written) the table comes back with exactly those column types. Without, each column is long when every
    /// present field is a whole number, double when every one is a number, else text.
    /// </summary>
    public static DataFrame Read(string path, IReadOnlyList<Type>? types = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Results CSV '{path}' does not exist; write it with `workbench report` or ResultsCsv.Write first.", path);
        return FromCsv(File.ReadAllText(path, Encoding.UTF8), types, path);
    }

    /// <summary>Parses CSV text as <see cref="Read"/> does; <paramref name="source"/> names it in errors.</summary>
    public static DataFrame FromCsv(string csv, IReadOnlyList<Type>? types = null, string source = "CSV")
    {
        ArgumentNullException.ThrowIfNull(csv);
        string header = csv.Split('\n', 2)[0].TrimEnd('\r');
        if (header.Length == 0)
            throw new InvalidDataException($"{source}: the CSV is empty; it needs at least a header line of column names.");
        int columns = CountFields(header);
        if (types is not null && types.Count != columns)
            throw new ArgumentException($"{source}: {types.Count} column types given for {columns} columns ({header}); give one type per column.", nameof(types));
        foreach (var t in types ?? [])
            if (t != typeof(string) && t != typeof(long) && t != typeof(double))
                throw new ArgumentException($"{source}: column type {t.Name} is not supported; use string, long or double.", nameof(types));
        DataFrame text;
        try
        {
            text = DataFrame.LoadCsvFromString(csv, dataTypes: types?.ToArray() ?? Enumerable.Repeat(typeof(string), columns).ToArray(),
                cultureInfo: CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: not a results table of the expected shape ({e.Message}). Write it again with `workbench report`.", e);
        }
        var result = new DataFrame();
        foreach (var column in text.Columns)
            result.Columns.Add(column is StringDataFrameColumn s
                ? (types is null ? Infer(s) : NullForEmpty(s))
                : column);
        return result;
    }

    /// <summary>Fields in a header line (no quoted commas: our column names are plain words).</summary>
    private static int CountFields(string header) => header.Count(c => c == ',') + 1;

    private static StringDataFrameColumn NullForEmpty(StringDataFrameColumn column) =>
        RunTables.Text(column.Name, column.Select(v => string.IsNullOrEmpty(v) ? null : v));

    private static DataFrameColumn Infer(StringDataFrameColumn column)
    {
        var present = column.Where(v => !string.IsNullOrEmpty(v)).ToList();
        if (present.Count > 0 && present.All(v => long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            return RunTables.Long(column.Name, column.Select(v => string.IsNullOrEmpty(v) ? (long?)null : long.Parse(v, CultureInfo.InvariantCulture)));
        if (present.Count > 0 && present.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            return RunTables.Number(column.Name, column.Select(v => string.IsNullOrEmpty(v) ? (double?)null : double.Parse(v, CultureInfo.InvariantCulture)));
        return NullForEmpty(column);
    }
}
