using Workbench.Experiments.Results;

namespace Workbench.Experiments.Tests.Results;

public class ResultsTableTests
{
    private static ResultsTable Sample() => new(
        Column.Of("activation", ["relu", "tanh", "relu", "tanh", null]),
        Column.Of("seed", new long[] { 1, 1, 2, 2, 3 }),
        Column.Of("loss", [90.0, 95.0, 92.0, double.NaN, 91.0]));

    [Fact]
    public void Columns_are_named_typed_and_ordered()
    {
        var t = Sample();
        Assert.Equal(["activation", "seed", "loss"], t.ColumnNames);
        Assert.Equal([ColumnType.String, ColumnType.Long, ColumnType.Double], t.Columns.Select(c => c.Type));
        Assert.Equal(5, t.RowCount);
        Assert.Equal("tanh", t.Row(1).GetString("activation"));
        Assert.Equal(2L, t.Row(2).GetLong("seed"));
        Assert.Equal(2.0, t.Row(2).GetDouble("seed"));
        Assert.True(t["loss"].IsMissing(3));
        Assert.True(t["activation"].IsMissing(4));
        Assert.Contains("Columns: activation, seed, loss", Assert.Throws<ArgumentException>(() => t["nope"]).Message);
        Assert.Contains("not Long", Assert.Throws<InvalidOperationException>(() => t.Row(0).GetLong("loss")).Message);
    }

    [Fact]
    public void Construction_rejects_bad_shapes()
    {
        Assert.Contains("same length", Assert.Throws<ArgumentException>(() => new ResultsTable(Column.Of("a", [1.0]), Column.Of("b", [1.0, 2.0]))).Message);
        Assert.Contains("unique", Assert.Throws<ArgumentException>(() => new ResultsTable(Column.Of("a", [1.0]), Column.Of("a", [2.0]))).Message);
    }

    [Fact]
    public void Filter_select_sort()
    {
        var t = Sample();
        var relu = t.Filter(r => r.GetString("activation") == "relu");
        Assert.Equal([90.0, 92.0], ((DoubleColumn)relu["loss"]).Values);

        var narrow = t.Select("loss", "activation");
        Assert.Equal(["loss", "activation"], narrow.ColumnNames);

        // Ascending, missing (NaN) last; stable for the two 1-seeds.
        var byLoss = t.Sort("loss");
        Assert.Equal([90.0, 91, 92, 95, double.NaN], ((DoubleColumn)byLoss["loss"]).Values);
        var descending = t.Sort("loss", descending: true);
        Assert.Equal([95.0, 92, 91, 90, double.NaN], ((DoubleColumn)descending["loss"]).Values);
        // Text: ordinal, missing last even when descending.
        Assert.Equal(["tanh", "tanh", "relu", "relu", null], ((StringColumn)t.Sort("activation", true)["activation"]).Values);
        var stable = t.Sort("seed");
        Assert.Equal(["relu", "tanh", "relu", "tanh", null], ((StringColumn)stable["activation"]).Values);
    }

    [Fact]
    public void Group_by_keeps_first_appearance_order()
    {
        var groups = Sample().GroupBy("activation");
        Assert.Equal(["relu", "tanh", ""], groups.Select(g => g.KeyText));
        Assert.Equal([2, 2, 1], groups.Select(g => g.Rows.RowCount));
        Assert.Null(groups[2].Key[0]);
        var pairs = Sample().GroupBy("activation", "seed");
        Assert.Equal(5, pairs.Count);
        Assert.Equal("relu, 1", pairs[0].KeyText);
    }

    [Fact]
    public void Summarize_by_hand()
    {
        var t = new ResultsTable(
            Column.Of("act", ["a", "a", "a", "b", "b"]),
            Column.Of("loss", [1.0, 2.0, 3.0, 10.0, double.NaN]),
            Column.Of("units", new long[] { 4, 4, 7, 1, 2 }));
        var s = t.Summarize(["act"], ["loss", "units"]);
        Assert.Equal(["act", "n", "loss_n", "loss_mean", "loss_std", "loss_ci_low", "loss_ci_high", "units_n", "units_mean", "units_std", "units_ci_low", "units_ci_high"], s.ColumnNames);
        Assert.Equal(["a", "b"], ((StringColumn)s["act"]).Values);
        Assert.Equal([3L, 2], ((LongColumn)s["n"]).Values);
        // a: loss {1, 2, 3}: mean 2, s = 1, CI = 2 ± t_(0.975, 2) / sqrt 3 = 2 ± 4.302652730 · 0.5773502692 = 2 ± 2.4841377.
        var a = s.Row(0);
        Assert.Equal(2.0, a.GetDouble("loss_mean"), 1e-12);
        Assert.Equal(1.0, a.GetDouble("loss_std"), 1e-12);
        Assert.Equal(2 - 4.302652730 / Math.Sqrt(3), a.GetDouble("loss_ci_low"), 1e-8);
        // b: the NaN is missing, so loss_n = 1 and nothing but the mean is known.
        var b = s.Row(1);
        Assert.Equal(1L, b.GetLong("loss_n"));
        Assert.Equal(10.0, b.GetDouble("loss_mean"));
        Assert.True(double.IsNaN(b.GetDouble("loss_std")));
        // units for a: {4, 4, 7}: mean 5, s² = (1 + 1 + 4) / 2 = 3.
        Assert.Equal(5.0, a.GetDouble("units_mean"), 1e-12);
        Assert.Equal(Math.Sqrt(3), a.GetDouble("units_std"), 1e-12);
        Assert.Contains("holds text", Assert.Throws<ArgumentException>(() => t.Summarize(["act"], ["act"])).Message);
        // No group columns: one row over everything.
        Assert.Equal(5L, t.Summarize([], ["loss"]).Row(0).GetLong("n"));
    }

    [Fact]
    public void Csv_round_trips_quotes_commas_newlines_and_missing_values()
    {
        var t = new ResultsTable(
            Column.Of("text", ["plain", "with, comma", "say \"hi\"", "two\nlines", "", null, "  padded ", "123"]),
            Column.Of("n", new long[] { 0, -1, long.MaxValue, long.MinValue, 5, 6, 7, 8 }),
            Column.Of("x", [0.1 + 0.2, double.NaN, 1e-300, double.Epsilon, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity, -0.0]));
        string csv = t.ToCsv();
        Assert.StartsWith("text,n,x\r\n\"plain\",0,0.30000000000000004\r\n", csv);
        Assert.Contains("\"with, comma\",-1,\r\n", csv);
        Assert.Contains("\"say \"\"hi\"\"\"", csv);
        Assert.Contains("\"two\nlines\"", csv);
        Assert.Contains("\r\n\"\",5,", csv);   // empty string: quoted
        Assert.Contains("\r\n,6,Infinity\r\n", csv); // missing string: empty field

        var back = ResultsTable.FromCsv(csv);
        Assert.Equal(t.ColumnNames, back.ColumnNames);
        Assert.Equal([ColumnType.String, ColumnType.Long, ColumnType.Double], back.Columns.Select(c => c.Type));
        Assert.Equal(((StringColumn)t["text"]).Values, ((StringColumn)back["text"]).Values);
        Assert.Equal(((LongColumn)t["n"]).Values, ((LongColumn)back["n"]).Values);
        var x = ((DoubleColumn)t["x"]).Values;
        var y = ((DoubleColumn)back["x"]).Values;
        for (int i = 0; i < x.Count; i++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(x[i]), BitConverter.DoubleToInt64Bits(y[i]));
        Assert.Equal(csv, back.ToCsv());
    }

    [Fact]
    public void Csv_reading_accepts_lf_and_explicit_types_and_names_bad_lines()
    {
        var t = ResultsTable.FromCsv("a,b\n1,x\n2,y\n");
        Assert.Equal(ColumnType.Long, t["a"].Type);
        Assert.Equal(ColumnType.String, t["b"].Type);
        var typed = ResultsTable.FromCsv("a,b\n1,x\n2,y\n", new Dictionary<string, ColumnType> { ["a"] = ColumnType.Double });
        Assert.Equal(ColumnType.Double, typed["a"].Type);
        Assert.Equal(ColumnType.Double, ResultsTable.FromCsv("a\n1\n\n2.5\n")["a"].Type);

        Assert.Contains("summary.csv, line 3: expected 2 fields", Assert.Throws<InvalidDataException>(() => ResultsTable.FromCsv("a,b\n1,2\n3\n", source: "summary.csv")).Message);
        Assert.Contains("line 2, column 'a': 'x' is not a whole number",
            Assert.Throws<InvalidDataException>(() => ResultsTable.FromCsv("a\nx\n", new Dictionary<string, ColumnType> { ["a"] = ColumnType.Long })).Message);
        Assert.Contains("never closed", Assert.Throws<InvalidDataException>(() => ResultsTable.FromCsv("a\n\"open\n")).Message);
        Assert.Contains("quote inside an unquoted field", Assert.Throws<InvalidDataException>(() => ResultsTable.FromCsv("a\nab\"c\n")).Message);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => ResultsTable.FromCsv("")).Message);
    }

    [Fact]
    public void Html_escapes_every_text()
    {
        var t = new ResultsTable(
            Column.Of("name <b>", ["<script>alert(1)</script>", "a & b", null]),
            Column.Of("v", [1.23456, double.NaN, 1234.5678]));
        string html = t.ToHtml();
        Assert.StartsWith("<table", html);
        Assert.EndsWith("</table>\n", html);
        Assert.Contains("name &lt;b&gt;", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("a &amp; b", html);
        Assert.Contains(">1.235</td>", html);
        Assert.Contains(">1234.57</td>", html);
        Assert.Contains("text-align: right", html);
        Assert.Equal(3, html.Split("<tr>").Length - 2); // three body rows after the header row
    }

    [Fact]
    public void Markdown_is_a_github_table_with_sensible_numbers()
    {
        var t = new ResultsTable(
            Column.Of("activation", ["relu", "a|b", "x\ny"]),
            Column.Of("n", new long[] { 5, 12, 1234567 }),
            Column.Of("loss", [87.123456, 0.0123456, double.NaN]));
        string md = t.ToMarkdown();
        var lines = md.TrimEnd('\n').Split('\n');
        Assert.Equal("| activation | n | loss |", lines[0]);
        Assert.Equal("| --- | ---: | ---: |", lines[1]);
        Assert.Equal("| relu | 5 | 87.123 |", lines[2]);
        Assert.Equal("| a\\|b | 12 | 0.01235 |", lines[3]);
        Assert.Equal("| x<br>y | 1234567 | – |", lines[4]);
    }

    [Theory]
    [InlineData(87.123456, "87.123")]
    [InlineData(103.45678, "103.46")]
    [InlineData(0.5, "0.5")]
    [InlineData(0.012345, "0.01235")]
    [InlineData(0.0001234, "1.234e-4")]
    [InlineData(12345678.0, "1.235e+7")]
    [InlineData(-2.5, "-2.500")]
    [InlineData(0.0, "0")]
    public void Numbers_print_to_sensible_precision(double v, string expected) => Assert.Equal(expected, NumberFormat.Format(v));

    [Fact]
    public void With_and_concat()
    {
        var t = Sample();
        var more = t.With(Column.Of("flag", new long[] { 1, 0, 1, 0, 1 }));
        Assert.Equal(4, more.Columns.Count);
        var replaced = more.With(Column.Of("flag", new long[] { 9, 9, 9, 9, 9 }));
        Assert.Equal(9L, replaced.Row(0).GetLong("flag"));
        Assert.Equal(4, replaced.Columns.Count);
        var twice = ResultsTable.Concat([t, t]);
        Assert.Equal(10, twice.RowCount);
        Assert.Throws<ArgumentException>(() => ResultsTable.Concat([t, more]));
    }
}
