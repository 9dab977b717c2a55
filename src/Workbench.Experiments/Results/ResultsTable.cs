using System.Globalization;
using System.Net;
using System.Text;
using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Results;

/// <summary>One row of a <see cref="ResultsTable"/>: a view, valid while the table lives.</summary>
public readonly struct ResultsRow
{
    internal ResultsRow(ResultsTable table, int index)
    {
        Table = table;
        Index = index;
    }

    /// <summary>The table this row belongs to.</summary>
    public ResultsTable Table { get; }

    /// <summary>Row number within the table.</summary>
    public int Index { get; }

    /// <summary>The value in <paramref name="column"/>: string (or null), long, or double.</summary>
    public object? this[string column] => Table[column].GetValue(Index);

    /// <summary>The text in a string column (null when missing).</summary>
    public string? GetString(string column) => Table[column] is StringColumn s
        ? s[Index]
        : throw new InvalidOperationException($"Column '{column}' is {Table[column].Type}, not String; use GetLong or GetDouble.");

    /// <summary>The number in a long column.</summary>
    public long GetLong(string column) => Table[column] is LongColumn l
        ? l[Index]
        : throw new InvalidOperationException($"Column '{column}' is {Table[column].Type}, not Long; use GetDouble or GetString.");

    /// <summary>The number in a numeric column as a double (NaN when missing).</summary>
    public double GetDouble(string column) => Table[column].GetDouble(Index);
}

/// <summary>A group of rows sharing the values of the grouping columns.</summary>
/// <param name="Key">The shared values, one per grouping column (string, long or double).</param>
/// <param name="Rows">The rows of the group, in their original order.</param>
public sealed record ResultsGroup(IReadOnlyList<object?> Key, ResultsTable Rows)
{
    /// <summary>The key as "a, b" text.</summary>
    public string KeyText => string.Join(", ", Key.Select(k => k switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => k.ToString(),
    }));
}

/// <summary>
/// A small tidy results table: named, ordered, typed columns (string, long, double with NaN for missing) of
/// equal length. Every operation returns a new table. It reads and writes CSV (RFC 4180) and renders as an
/// HTML table or a GitHub markdown table.
/// </summary>
public sealed partial class ResultsTable
{
    private readonly Column[] columns;
    private readonly Dictionary<string, int> index = new(StringComparer.Ordinal);

    /// <summary>A table of the given columns, which must have distinct names and equal lengths.</summary>
    public ResultsTable(IEnumerable<Column> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        this.columns = columns.ToArray();
        for (int i = 0; i < this.columns.Length; i++)
        {
            var c = this.columns[i] ?? throw new ArgumentException($"ResultsTable: column {i} is null.", nameof(columns));
            if (!index.TryAdd(c.Name, i))
                throw new ArgumentException($"ResultsTable: two columns are named '{c.Name}'; column names must be unique.", nameof(columns));
            if (c.Length != this.columns[0].Length)
                throw new ArgumentException(
                    $"ResultsTable: column '{c.Name}' has {c.Length} rows but '{this.columns[0].Name}' has {this.columns[0].Length}; all columns need the same length.",
                    nameof(columns));
        }
    }

    /// <summary>A table of the given columns.</summary>
    public ResultsTable(params Column[] columns) : this((IEnumerable<Column>)columns) { }

    /// <summary>The columns in order.</summary>
    public IReadOnlyList<Column> Columns => columns;

    /// <summary>The column names in order.</summary>
    public IReadOnlyList<string> ColumnNames => columns.Select(c => c.Name).ToArray();

    /// <summary>Number of rows.</summary>
    public int RowCount => columns.Length == 0 ? 0 : columns[0].Length;

    /// <summary>True when a column of that name exists.</summary>
    public bool Contains(string column) => index.ContainsKey(column);

    /// <summary>The column named <paramref name="column"/>; an unknown name lists the known ones.</summary>
    public Column this[string column] =>
        index.TryGetValue(column, out int i)
            ? columns[i]
            : throw new ArgumentException($"ResultsTable: no column '{column}'. Columns: {string.Join(", ", ColumnNames)}.", nameof(column));

    /// <summary>Row <paramref name="row"/>.</summary>
    public ResultsRow Row(int row)
    {
        if ((uint)row >= (uint)RowCount)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"ResultsTable: row {row} is outside 0..{RowCount - 1}.");
        return new ResultsRow(this, row);
    }

    /// <summary>The rows in order.</summary>
    public IEnumerable<ResultsRow> Rows
    {
        get
        {
            for (int i = 0; i < RowCount; i++) yield return new ResultsRow(this, i);
        }
    }

    /// <summary>The rows for which <paramref name="predicate"/> holds, in order.</summary>
    public ResultsTable Filter(Func<ResultsRow, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Take(Rows.Where(predicate).Select(r => r.Index).ToArray());
    }

    /// <summary>Only the named columns, in the order given.</summary>
    public ResultsTable Select(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return new ResultsTable(names.Select(n => this[n]));
    }

    /// <summary>
    /// Rows ordered by <paramref name="column"/> (stable: equal values keep their order; text by ordinal);
    /// missing values come last in either direction.
    /// </summary>
    public ResultsTable Sort(string column, bool descending = false)
    {
        var c = this[column];
        var order = Enumerable.Range(0, RowCount).ToArray();
        // A stable sort: ties broken by the original position.
        Array.Sort(order, (a, b) =>
        {
            bool ma = c.IsMissing(a), mb = c.IsMissing(b);
            int cmp = ma || mb ? c.Compare(a, b) : descending ? c.Compare(b, a) : c.Compare(a, b);
            return cmp != 0 ? cmp : a.CompareTo(b);
        });
        return Take(order);
    }

    /// <summary>Groups of rows with equal values in <paramref name="columns"/>, in order of first appearance.</summary>
    public IReadOnlyList<ResultsGroup> GroupBy(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("ResultsTable.GroupBy: name at least one column to group by.", nameof(columns));
        var keyColumns = columns.Select(n => this[n]).ToArray();
        var groups = new Dictionary<GroupKey, List<int>>();
        var order = new List<GroupKey>();
        for (int r = 0; r < RowCount; r++)
        {
            var key = new GroupKey(keyColumns.Select(c => c.GetValue(r)).ToArray());
            if (!groups.TryGetValue(key, out var rows))
            {
                groups[key] = rows = [];
                order.Add(key);
            }
            rows.Add(r);
        }
        return order.Select(k => new ResultsGroup(k.Values, Take(groups[k]))).ToList();
    }

    /// <summary>
    /// One row per group of <paramref name="groupColumns"/>: the group's values, n (rows in the group), then for
    /// each numeric value column v: v_n (present values), v_mean, v_std (sample), v_ci_low and v_ci_high (the
    /// Student-t interval at <paramref name="level"/>). Missing values (NaN) are skipped.
    /// </summary>
    public ResultsTable Summarize(IReadOnlyList<string> groupColumns, IReadOnlyList<string> valueColumns, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(groupColumns);
        ArgumentNullException.ThrowIfNull(valueColumns);
        foreach (var v in valueColumns)
            if (!this[v].IsNumeric)
                throw new ArgumentException($"ResultsTable.Summarize: column '{v}' holds text; only numeric columns can be summarised.", nameof(valueColumns));
        var groups = groupColumns.Count == 0
            ? [new ResultsGroup([], this)]
            : GroupBy([.. groupColumns]);
        var result = new List<Column>();
        foreach (var g in groupColumns)
            result.Add(FirstRows(this[g], groups));
        result.Add(Column.Of("n", groups.Select(g => (long)g.Rows.RowCount).ToArray()));
        foreach (var v in valueColumns)
        {
            var estimates = groups.Select(g => Estimate.Of(Enumerable.Range(0, g.Rows.RowCount).Select(r => g.Rows[v].GetDouble(r)), level)).ToArray();
            result.Add(Column.Of(v + "_n", estimates.Select(e => (long)e.N).ToArray()));
            result.Add(Column.Of(v + "_mean", estimates.Select(e => e.Mean).ToArray()));
            result.Add(Column.Of(v + "_std", estimates.Select(e => e.StdDev).ToArray()));
            result.Add(Column.Of(v + "_ci_low", estimates.Select(e => e.Low).ToArray()));
            result.Add(Column.Of(v + "_ci_high", estimates.Select(e => e.High).ToArray()));
        }
        return new ResultsTable(result);
    }

    /// <summary>The grouping column's value in each group (all rows of a group share it).</summary>
    private static Column FirstRows(Column column, IReadOnlyList<ResultsGroup> groups) => column switch
    {
        StringColumn => Column.Of(column.Name, groups.Select(g => ((StringColumn)g.Rows[column.Name])[0]).ToArray()),
        LongColumn => Column.Of(column.Name, groups.Select(g => ((LongColumn)g.Rows[column.Name])[0]).ToArray()),
        _ => Column.Of(column.Name, groups.Select(g => ((DoubleColumn)g.Rows[column.Name])[0]).ToArray()),
    };

    /// <summary>This table with <paramref name="column"/> appended (or replacing the column of the same name).</summary>
    public ResultsTable With(Column column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (columns.Length > 0 && column.Length != RowCount)
            throw new ArgumentException($"ResultsTable.With: column '{column.Name}' has {column.Length} rows but the table has {RowCount}.", nameof(column));
        return new ResultsTable(index.ContainsKey(column.Name)
            ? columns.Select(c => c.Name == column.Name ? column : c)
            : columns.Append(column));
    }

    /// <summary>Rows concatenated from tables with the same column names and types.</summary>
    public static ResultsTable Concat(IReadOnlyList<ResultsTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (tables.Count == 0) return new ResultsTable();
        var first = tables[0];
        foreach (var t in tables)
            if (!t.ColumnNames.SequenceEqual(first.ColumnNames) || !t.columns.Select(c => c.Type).SequenceEqual(first.columns.Select(c => c.Type)))
                throw new ArgumentException("ResultsTable.Concat: the tables have different columns; concatenate tables of the same shape.", nameof(tables));
        var result = new List<Column>();
        for (int i = 0; i < first.columns.Length; i++)
        {
            string name = first.columns[i].Name;
            result.Add(first.columns[i] switch
            {
                StringColumn => Column.Of(name, tables.SelectMany(t => ((StringColumn)t.columns[i]).Values).ToArray()),
                LongColumn => Column.Of(name, tables.SelectMany(t => ((LongColumn)t.columns[i]).Values).ToArray()),
                _ => Column.Of(name, tables.SelectMany(t => ((DoubleColumn)t.columns[i]).Values).ToArray()),
            });
        }
        return new ResultsTable(result);
    }

    private ResultsTable Take(IReadOnlyList<int> rows) => new(columns.Select(c => c.Take(rows)));

    /// <summary>
    /// A styled HTML &lt;table&gt; (inline styles, so it looks the same pasted anywhere): header row, numbers
    /// right-aligned at display precision, every text HTML-escaped, missing values as "–".
    /// </summary>
    public string ToHtml()
    {
        const string cell = "padding: 4px 10px; border-bottom: 1px solid #ddd;";
        var html = new StringBuilder();
        html.Append("<table class=\"workbench-results\" style=\"border-collapse: collapse; font-size: 0.92em; margin: 0.5rem 0 1.5rem;\">\n<thead>\n<tr>");
        foreach (var c in columns)
            html.Append("<th style=\"").Append(cell).Append(" border-bottom: 2px solid #444; text-align: ")
                .Append(c.IsNumeric ? "right" : "left").Append(";\">").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        for (int r = 0; r < RowCount; r++)
        {
            html.Append("<tr>");
            foreach (var c in columns)
            {
                string text = c is StringColumn s && s[r] is null ? "–" : NumberFormat.Cell(c, r);
                html.Append("<td style=\"").Append(cell).Append(c.IsNumeric ? " text-align: right; font-variant-numeric: tabular-nums;" : " text-align: left;")
                    .Append("\">").Append(WebUtility.HtmlEncode(text).Replace("\n", "<br>", StringComparison.Ordinal)).Append("</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
        return html.ToString();
    }

    /// <summary>
    /// A GitHub markdown table: numbers right-aligned at display precision (<see cref="NumberFormat"/>), text
    /// with '|' escaped, '&lt;', '&gt;' and '&amp;' as entities and line breaks as &lt;br&gt;, so any cell stays one cell.
    /// </summary>
    public string ToMarkdown()
    {
        if (columns.Length == 0) return "";
        var md = new StringBuilder();
        md.Append('|');
        foreach (var c in columns) md.Append(' ').Append(MarkdownCell(c.Name)).Append(" |");
        md.Append("\n|");
        foreach (var c in columns) md.Append(c.IsNumeric ? " ---: |" : " --- |");
        md.Append('\n');
        for (int r = 0; r < RowCount; r++)
        {
            md.Append('|');
            foreach (var c in columns)
                md.Append(' ').Append(MarkdownCell(c is StringColumn s && s[r] is null ? "–" : NumberFormat.Cell(c, r))).Append(" |");
            md.Append('\n');
        }
        return md.ToString();
    }

    /// <summary>Escapes text for one markdown table cell.</summary>
    public static string MarkdownCell(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r\n", "<br>", StringComparison.Ordinal)
            .Replace("\n", "<br>", StringComparison.Ordinal)
            .Replace("\r", "<br>", StringComparison.Ordinal);
    }

    /// <summary>The table as markdown.</summary>
    public override string ToString() => ToMarkdown();

    private sealed class GroupKey(object?[] values) : IEquatable<GroupKey>
    {
        public object?[] Values { get; } = values;

        public bool Equals(GroupKey? other)
        {
            if (other is null || other.Values.Length != Values.Length) return false;
            for (int i = 0; i < Values.Length; i++)
                if (!Same(Values[i], other.Values[i])) return false;
            return true;
        }

        // NaN groups with NaN (a missing value is one group), unlike the IEEE comparison.
        private static bool Same(object? a, object? b) => a switch
        {
            null => b is null,
            double x => b is double y && (x.Equals(y)),
            _ => a.Equals(b),
        };

        public override bool Equals(object? obj) => Equals(obj as GroupKey);

        public override int GetHashCode()
        {
            var h = new HashCode();
            foreach (var v in Values) h.Add(v);
            return h.ToHashCode();
        }
    }
}
