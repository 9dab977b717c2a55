using System.Globalization;
using System.Text;

namespace Workbench.Experiments.Results;

public sealed partial class ResultsTable
{
    /// <summary>
    /// The table as CSV (RFC 4180): a header of column names, then one record per row, CRLF line ends.
    /// Text is always quoted (doubled quotes inside; commas and line breaks kept), so a reader can tell text
    /// from numbers and an empty string ("") from a missing one (an empty field). Longs in full; doubles in
    /// shortest round-trip form with the invariant culture, NaN (missing) as an empty field, infinities as
    /// Infinity and -Infinity.
    /// </summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        for (int i = 0; i < columns.Length; i++)
        {
            if (i > 0) csv.Append(',');
            AppendField(csv, columns[i].Name, alwaysQuote: false);
        }
        csv.Append("\r\n");
        for (int r = 0; r < RowCount; r++)
        {
            for (int i = 0; i < columns.Length; i++)
            {
                if (i > 0) csv.Append(',');
                switch (columns[i])
                {
                    case StringColumn s:
                        if (s[r] is { } text) AppendField(csv, text, alwaysQuote: true);
                        break;
                    case LongColumn l:
                        csv.Append(l[r].ToString(CultureInfo.InvariantCulture));
                        break;
                    case DoubleColumn d:
                        if (!double.IsNaN(d[r])) csv.Append(d[r].ToString("R", CultureInfo.InvariantCulture));
                        break;
                }
            }
            csv.Append("\r\n");
        }
        return csv.ToString();
    }

    private static void AppendField(StringBuilder csv, string text, bool alwaysQuote)
    {
        bool quote = alwaysQuote || text.Length == 0 || text.AsSpan().IndexOfAny(",\"\r\n") >= 0 || text.Trim() != text;
        if (!quote)
        {
            csv.Append(text);
            return;
        }
        csv.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    /// <summary>
    /// Reads CSV as written by <see cref="ToCsv"/> (any RFC 4180 CSV with a header works; CRLF or LF line ends).
    /// Column types come from <paramref name="types"/> when given, else are inferred: any quoted value makes a
    /// text column; otherwise a column whose fields are all whole numbers is Long, all numbers or empty is
    /// Double (empty = NaN), anything else is text. <paramref name="source"/> names the input in errors.
    /// </summary>
    public static ResultsTable FromCsv(string csv, IReadOnlyDictionary<string, ColumnType>? types = null, string source = "CSV")
    {
        ArgumentNullException.ThrowIfNull(csv);
        var records = ParseCsv(csv, source);
        if (records.Count == 0)
            throw new InvalidDataException($"{source}: the CSV is empty; it needs at least a header line of column names.");
        var header = records[0].Fields;
        var names = header.Select(f => f.Text).ToArray();
        for (int r = 1; r < records.Count; r++)
            if (records[r].Fields.Count != names.Length)
                throw new InvalidDataException(
                    $"{source}, line {records[r].Line}: expected {names.Length} fields (as in the header), found {records[r].Fields.Count}.");
        var result = new List<Column>();
        for (int c = 0; c < names.Length; c++)
        {
            var fields = records.Skip(1).Select(rec => (rec.Fields[c], rec.Line)).ToList();
            ColumnType type = types is not null && types.TryGetValue(names[c], out var given) ? given : Infer(fields.Select(f => f.Item1));
            result.Add(type switch
            {
                ColumnType.String => Column.Of(names[c], fields.Select(f => f.Item1.Quoted || f.Item1.Text.Length > 0 ? f.Item1.Text : null).ToArray()),
                ColumnType.Long => Column.Of(names[c], fields.Select(f => ParseLong(f.Item1, names[c], f.Line, source)).ToArray()),
                _ => Column.Of(names[c], fields.Select(f => ParseDouble(f.Item1, names[c], f.Line, source)).ToArray()),
            });
        }
        return new ResultsTable(result);
    }

    private static ColumnType Infer(IEnumerable<CsvField> fields)
    {
        bool allLong = true, allDouble = true, any = false;
        foreach (var f in fields)
        {
            if (f.Quoted) return ColumnType.String;
            if (f.Text.Length == 0)
            {
                allLong = false;
                continue;
            }
            any = true;
            if (!long.TryParse(f.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) allLong = false;
            if (!double.TryParse(f.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) allDouble = false;
        }
        return any && allLong ? ColumnType.Long : allDouble ? ColumnType.Double : ColumnType.String;
    }

    private static long ParseLong(CsvField f, string column, int line, string source) =>
        long.TryParse(f.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"{source}, line {line}, column '{column}': '{f.Text}' is not a whole number.");

    private static double ParseDouble(CsvField f, string column, int line, string source)
    {
        if (f.Text.Length == 0) return double.NaN;
        return double.TryParse(f.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new InvalidDataException($"{source}, line {line}, column '{column}': '{f.Text}' is not a number.");
    }

    private readonly record struct CsvField(string Text, bool Quoted);

    private sealed record CsvRecord(int Line, List<CsvField> Fields);

    /// <summary>RFC 4180 records; a record starts on line <c>Line</c> (1-based) and may span lines inside quotes.</summary>
    private static List<CsvRecord> ParseCsv(string csv, string source)
    {
        var records = new List<CsvRecord>();
        var fields = new List<CsvField>();
        var field = new StringBuilder();
        bool quoted = false, inQuotes = false, fieldStarted = false;
        int line = 1, recordLine = 1;
        int i = 0;

        void EndField()
        {
            fields.Add(new CsvField(field.ToString(), quoted));
            field.Clear();
            quoted = false;
            fieldStarted = false;
        }

        void EndRecord()
        {
            EndField();
            records.Add(new CsvRecord(recordLine, fields));
            fields = [];
        }

        while (i < csv.Length)
        {
            char ch = csv[i];
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (i + 1 < csv.Length && csv[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }
                    inQuotes = false;
                    i++;
                    if (i < csv.Length && csv[i] is not (',' or '\r' or '\n'))
                        throw new InvalidDataException($"{source}, line {line}: text after a closing quote; inside a quoted field write a quote as \"\".");
                    continue;
                }
                if (ch == '\n') line++;
                field.Append(ch);
                i++;
                continue;
            }
            switch (ch)
            {
                case '"' when !fieldStarted:
                    inQuotes = quoted = fieldStarted = true;
                    i++;
                    break;
                case '"':
                    throw new InvalidDataException($"{source}, line {line}: a quote inside an unquoted field; quote the whole field and double the quote.");
                case ',':
                    EndField();
                    i++;
                    break;
                case '\r' or '\n':
                    EndRecord();
                    i += ch == '\r' && i + 1 < csv.Length && csv[i + 1] == '\n' ? 2 : 1;
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    i++;
                    break;
            }
        }
        if (inQuotes)
            throw new InvalidDataException($"{source}, line {recordLine}: a quoted field is never closed (missing '\"').");
        // A final record without a line break.
        if (fieldStarted || field.Length > 0 || fields.Count > 0) EndRecord();
        return records;
    }
}
