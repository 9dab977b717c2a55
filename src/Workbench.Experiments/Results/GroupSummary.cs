using Microsoft.Data.Analysis;
using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Results;

/// <summary>Group-by summaries of a results DataFrame with Student-t intervals (DataFrame's own GroupBy takes one key column and no intervals).</summary>
public static class GroupSummary
{
    /// <summary>
    /// One row per group of equal values in <paramref name="groupColumns"/> (in order of first appearance; nulls
    /// form their own group): the group's values, n (rows in the group), then for each numeric value column v:
    /// v_n (present values), v_mean, v_std (sample), v_ci_low and v_ci_high (the Student-t interval at
    /// <paramref name="level"/>). Missing values are skipped; a statistic that cannot be computed is null.
    /// </summary>
    public static DataFrame Summarize(DataFrame table, IReadOnlyList<string> groupColumns, IReadOnlyList<string> valueColumns, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(groupColumns);
        ArgumentNullException.ThrowIfNull(valueColumns);
        var names = table.Columns.Select(c => c.Name).ToList();
        foreach (var name in groupColumns.Concat(valueColumns))
            if (!names.Contains(name))
                throw new ArgumentException($"GroupSummary: no column '{name}'. Columns: {string.Join(", ", names)}.");
        foreach (var v in valueColumns)
            if (table.Columns[v].DataType == typeof(string))
                throw new ArgumentException($"GroupSummary: column '{v}' holds text; only numeric columns can be summarised.", nameof(valueColumns));

        // Row indices per group key, keys in order of first appearance.
        var groups = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (long r = 0; r < table.Rows.Count; r++)
        {
            // A key of the values' text with a separator no value holds.
            string key = string.Join("\u001f", groupColumns.Select(g => table.Columns[g][r] is { } v ? "=" + NumberFormat.Cell(v) + ":" + v : "null"));
            if (!groups.TryGetValue(key, out var rows))
            {
                groups[key] = rows = [];
                order.Add(key);
            }
            rows.Add(r);
        }
        var result = new DataFrame();
        foreach (var g in groupColumns)
        {
            var column = table.Columns[g].Clone(new Int64DataFrameColumn("rows", order.Select(k => (long?)groups[k][0])));
            column.SetName(g);
            result.Columns.Add(column);
        }
        result.Columns.Add(RunTables.Long("n", order.Select(k => (long?)groups[k].Count)));
        foreach (var v in valueColumns)
        {
            var column = table.Columns[v];
            var estimates = order.Select(k => Estimate.Of(groups[k].Select(r => column[r] is { } x ? Convert.ToDouble(x, System.Globalization.CultureInfo.InvariantCulture) : double.NaN), level)).ToList();
            result.Columns.Add(RunTables.Long(v + "_n", estimates.Select(e => (long?)e.N)));
            result.Columns.Add(RunTables.Number(v + "_mean", estimates.Select(e => e.Mean)));
            result.Columns.Add(RunTables.Number(v + "_std", estimates.Select(e => e.StdDev)));
            result.Columns.Add(RunTables.Number(v + "_ci_low", estimates.Select(e => e.Low)));
            result.Columns.Add(RunTables.Number(v + "_ci_high", estimates.Select(e => e.High)));
        }
        return result;
    }
}
