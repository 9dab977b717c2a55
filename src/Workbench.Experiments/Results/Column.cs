using System.Globalization;

namespace Workbench.Experiments.Results;

/// <summary>The element type of a <see cref="Column"/>.</summary>
public enum ColumnType
{
    /// <summary>Text; null is missing.</summary>
    String,
    /// <summary>64-bit integers; never missing (use a double column when values can be absent).</summary>
    Long,
    /// <summary>Doubles; NaN is missing.</summary>
    Double,
}

/// <summary>A named, typed column of a <see cref="ResultsTable"/>. Columns are immutable once built.</summary>
public abstract class Column
{
    private protected Column(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The column's name (unique within a table).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public abstract ColumnType Type { get; }

    /// <summary>Number of rows.</summary>
    public abstract int Length { get; }

    /// <summary>True for long and double columns.</summary>
    public bool IsNumeric => Type != ColumnType.String;

    /// <summary>The value of a row as object: string (or null), long, or double.</summary>
    public abstract object? GetValue(int row);

    /// <summary>True when the row's value is missing (null string, NaN double; never for long).</summary>
    public abstract bool IsMissing(int row);

    /// <summary>The value as a double: the number of a numeric column; NaN when missing. A string column throws.</summary>
    public abstract double GetDouble(int row);

    /// <summary>A column with the rows at <paramref name="rows"/>, in that order.</summary>
    internal abstract Column Take(IReadOnlyList<int> rows);

    /// <summary>The same values under another name.</summary>
    public abstract Column Rename(string name);

    /// <summary>Orders two rows ascending (ordinal for text); a missing value compares after any present one.</summary>
    internal abstract int Compare(int a, int b);

    /// <summary>A column of text values (null = missing).</summary>
    public static StringColumn Of(string name, string?[] values) => new(name, values);

    /// <summary>A column of whole numbers.</summary>
    public static LongColumn Of(string name, long[] values) => new(name, values);

    /// <summary>A column of whole numbers (stored as long).</summary>
    public static LongColumn Of(string name, int[] values) => new(name, values?.Select(v => (long)v).ToArray() ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A column of doubles (NaN = missing).</summary>
    public static DoubleColumn Of(string name, double[] values) => new(name, values);

    public override string ToString() => $"{Name} ({Type}, {Length} rows)";
}

/// <summary>A text column; null is missing.</summary>
public sealed class StringColumn : Column
{
    private readonly string?[] values;

    public StringColumn(string name, string?[] values) : base(name) =>
        this.values = (string?[])(values ?? throw new ArgumentNullException(nameof(values))).Clone();

    public override ColumnType Type => ColumnType.String;
    public override int Length => values.Length;
    public string? this[int row] => values[row];
    public IReadOnlyList<string?> Values => values;
    public override object? GetValue(int row) => values[row];
    public override bool IsMissing(int row) => values[row] is null;
    public override double GetDouble(int row) =>
        throw new InvalidOperationException($"Column '{Name}' holds text, not numbers; use a numeric column or parse the text yourself.");
    internal override Column Take(IReadOnlyList<int> rows) => new StringColumn(Name, rows.Select(r => values[r]).ToArray());
    public override Column Rename(string name) => new StringColumn(name, values);
    internal override int Compare(int a, int b) =>
        values[a] is null ? (values[b] is null ? 0 : 1) : values[b] is null ? -1 : string.CompareOrdinal(values[a], values[b]);
}

/// <summary>A 64-bit integer column.</summary>
public sealed class LongColumn : Column
{
    private readonly long[] values;

    public LongColumn(string name, long[] values) : base(name) =>
        this.values = (long[])(values ?? throw new ArgumentNullException(nameof(values))).Clone();

    public override ColumnType Type => ColumnType.Long;
    public override int Length => values.Length;
    public long this[int row] => values[row];
    public IReadOnlyList<long> Values => values;
    public override object? GetValue(int row) => values[row];
    public override bool IsMissing(int row) => false;
    public override double GetDouble(int row) => values[row];
    internal override Column Take(IReadOnlyList<int> rows) => new LongColumn(Name, rows.Select(r => values[r]).ToArray());
    public override Column Rename(string name) => new LongColumn(name, values);
    internal override int Compare(int a, int b) => values[a].CompareTo(values[b]);
}

/// <summary>A double column; NaN is missing.</summary>
public sealed class DoubleColumn : Column
{
    private readonly double[] values;

    public DoubleColumn(string name, double[] values) : base(name) =>
        this.values = (double[])(values ?? throw new ArgumentNullException(nameof(values))).Clone();

    public override ColumnType Type => ColumnType.Double;
    public override int Length => values.Length;
    public double this[int row] => values[row];
    public IReadOnlyList<double> Values => values;
    public override object? GetValue(int row) => values[row];
    public override bool IsMissing(int row) => double.IsNaN(values[row]);
    public override double GetDouble(int row) => values[row];
    internal override Column Take(IReadOnlyList<int> rows) => new DoubleColumn(Name, rows.Select(r => values[r]).ToArray());
    public override Column Rename(string name) => new DoubleColumn(name, values);
    internal override int Compare(int a, int b)
    {
        double x = values[a], y = values[b];
        if (double.IsNaN(x)) return double.IsNaN(y) ? 0 : 1;
        if (double.IsNaN(y)) return -1;
        return x.CompareTo(y);
    }
}

/// <summary>How the tables print numbers for people (CSV keeps every digit instead).</summary>
public static class NumberFormat
{
    /// <summary>
    /// A double to sensible precision: 2 decimals from 100 up (losses in nats differ in the first decimal),
    /// 3 decimals from 1, 4 significant digits below 1, scientific beyond 1e6 or below 1e-3; "–" for missing.
    /// </summary>
    public static string Format(double v)
    {
        if (double.IsNaN(v)) return "–";
        if (double.IsPositiveInfinity(v)) return "∞";
        if (double.IsNegativeInfinity(v)) return "-∞";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e6 || a < 1e-3) return v.ToString("0.###e+0", CultureInfo.InvariantCulture);
        if (a >= 100) return v.ToString("F2", CultureInfo.InvariantCulture);
        if (a >= 1) return v.ToString("F3", CultureInfo.InvariantCulture);
        return v.ToString("G4", CultureInfo.InvariantCulture);
    }

    /// <summary>A cell for display: text as is ("" when missing), longs in full, doubles through <see cref="Format(double)"/>.</summary>
    public static string Cell(Column column, int row) => column switch
    {
        StringColumn s => s[row] ?? "",
        LongColumn l => l[row].ToString(CultureInfo.InvariantCulture),
        DoubleColumn d => Format(d[row]),
        _ => throw new ArgumentException($"NumberFormat.Cell: unknown column type {column.GetType().Name}."),
    };
}
