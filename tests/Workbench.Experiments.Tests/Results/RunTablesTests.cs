using Microsoft.Data.Analysis;
using Workbench.Experiments.Results;
using Workbench.Experiments.Store;

namespace Workbench.Experiments.Tests.Results;

public class RunTablesTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-records-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static List<RunRecord> Records() =>
    [
        SyntheticRuns.Run("relu", 1, 90, nll: 86.5),
        SyntheticRuns.Run("tanh", 2, 95, beta: 4, latent: 2),
        SyntheticRuns.Run("exp", 3, 0, outcome: "diverged", epochs: 3, epochsDone: 0, final: false, message: "Training diverged in epoch 1, step 3: the loss became NaN, \"exp\".\nSee the log."),
    ];

    /// <summary>Every cell of two tables equal, column names and element types included.</summary>
    private static void AssertSameTable(DataFrame expected, DataFrame actual)
    {
        Assert.Equal(expected.Columns.Select(c => (c.Name, c.DataType)), actual.Columns.Select(c => (c.Name, c.DataType)));
        Assert.Equal(expected.Rows.Count, actual.Rows.Count);
        foreach (var c in expected.Columns)
            for (long r = 0; r < expected.Rows.Count; r++)
                Assert.Equal(c[r], actual[c.Name][r]);
    }

    [Fact]
    public void Runs_has_one_row_per_run_with_final_metrics()
    {
        var t = RunTables.Runs(Records());
        Assert.Equal(3, t.Rows.Count);
        Assert.Equal(["key", "grid", "dataset", "architecture", "activation", "seed", "latent_dim", "hidden", "beta", "learning_rate", "binarization", "epochs",
            "epochs_done", "outcome", "test_loss", "test_recon", "test_kl", "active_units", "test_nll", "bits_per_dim", "seconds_per_epoch", "wall_seconds", "message"],
            t.Columns.Select(c => c.Name));
        Assert.Equal("relu", t["activation"][0]);
        Assert.Equal(1L, t["seed"][0]);
        Assert.Equal(typeof(long), t["seed"].DataType);
        Assert.Equal("400", t["hidden"][0]);
        Assert.Equal("none", t["binarization"][0]);
        Assert.Equal(90.0, t["test_loss"][0]);
        Assert.Equal(65.0, t["test_recon"][0]);
        Assert.Equal(86.5, t["test_nll"][0]);
        Assert.Equal(86.5 / (784 * Math.Log(2)), (double)t["bits_per_dim"][0]!, 1e-15);
        // Missing values are nulls: no NLL for tanh, no final metrics and no message where there are none.
        Assert.Null(t["test_nll"][1]);
        Assert.Null(t["message"][0]);
        Assert.Equal(4.0, t["beta"][1]);
        Assert.Equal("diverged", t["outcome"][2]);
        Assert.Equal(0L, t["epochs_done"][2]);
        Assert.Null(t["test_loss"][2]);
        Assert.Contains("became NaN", (string)t["message"][2]!);
    }

    [Fact]
    public void Csv_round_trips_with_the_same_columns_and_types()
    {
        foreach (var table in new[] { RunTables.Runs(Records()), RunTables.Epochs(Records()) })
        {
            string path = Path.Combine(dir, "t.csv");
            Directory.CreateDirectory(dir);
            ResultsCsv.Write(table, path);
            // With the written table's types: exactly the same table, quotes, commas and line breaks in text included.
            AssertSameTable(table, ResultsCsv.Read(path, table.Columns.Select(c => c.DataType).ToList()));
        }
        // Without types, whole numbers come back as long, other numbers as double, the rest as text.
        var runs = RunTables.Runs(Records());
        var inferred = ResultsCsv.FromCsv(ResultsCsv.ToCsv(runs));
        Assert.Equal(typeof(long), inferred["seed"].DataType);
        Assert.Equal(typeof(double), inferred["bits_per_dim"].DataType);
        // 90 and 95 are written as whole numbers, so without types they come back as long: pass types for an exact round trip.
        Assert.Equal(typeof(long), inferred["test_loss"].DataType);
        Assert.Equal(typeof(string), inferred["activation"].DataType);
        Assert.Equal(runs["bits_per_dim"][0], inferred["bits_per_dim"][0]);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void CsvNumbersAreWrittenInTheirShortestRoundTripForm()
    {
        var table = new DataFrame(
            new DoubleDataFrameColumn("loss", [92.372503125, 0.1, null]),
            new Int64DataFrameColumn("seed", [1, 2, 3]),
            new StringDataFrameColumn("note", ["a, \"quoted\" one", "plain", null]));
        Assert.Equal("loss,seed,note\n92.372503125,1,\"a, \"\"quoted\"\" one\"\n0.1,2,plain\n,3,\n", ResultsCsv.ToCsv(table));
        var back = ResultsCsv.FromCsv(ResultsCsv.ToCsv(table), [typeof(double), typeof(long), typeof(string)]);
        Assert.Equal(92.372503125, back["loss"][0]);
        Assert.Equal("a, \"quoted\" one", back["note"][0]);
        Assert.Null(back["note"][2]);
    }

    [Fact]
    public void Epochs_has_one_row_per_run_and_epoch()
    {
        var t = RunTables.Epochs(Records());
        // relu and tanh ran 3 epochs each; the diverged exp run finished none.
        Assert.Equal(6, t.Rows.Count);
        Assert.Equal([1L, 2, 3, 1, 2, 3], t["epoch"].Cast<long?>().Select(v => v!.Value));
        // loss_e = final + 2 (3 - e).
        Assert.Equal([94.0, 92, 90], t["test_loss"].Cast<double?>().Take(3).Select(v => v!.Value));
        Assert.Equal(typeof(long), t["active_units"].DataType);
    }

    [Fact]
    public void Bad_csv_input_is_named()
    {
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => ResultsCsv.Read(Path.Combine(dir, "none.csv"))).Message);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => ResultsCsv.FromCsv("")).Message);
        Assert.Contains("one type per column", Assert.Throws<ArgumentException>(() => ResultsCsv.FromCsv("a,b\n1,2\n", [typeof(long)])).Message);
        Assert.Contains("not supported", Assert.Throws<ArgumentException>(() => ResultsCsv.FromCsv("a\n1\n", [typeof(int)])).Message);
        var e = Assert.Throws<InvalidDataException>(() => ResultsCsv.FromCsv("a,b\n1,x\n", [typeof(long), typeof(double)], "runs.csv"));
        Assert.Contains("runs.csv", e.Message);
    }

    [Fact]
    public void Group_by_summary_gives_t_intervals_per_group()
    {
        var runs = RunTables.Runs([
            SyntheticRuns.Run("relu", 1, 90), SyntheticRuns.Run("relu", 2, 92), SyntheticRuns.Run("relu", 3, 94),
            SyntheticRuns.Run("tanh", 1, 95), SyntheticRuns.Run("tanh", 2, 0, outcome: "diverged", final: false),
        ]);
        var s = GroupSummary.Summarize(runs, ["activation"], ["test_loss"]);
        Assert.Equal(["activation", "n", "test_loss_n", "test_loss_mean", "test_loss_std", "test_loss_ci_low", "test_loss_ci_high"], s.Columns.Select(c => c.Name));
        Assert.Equal(["relu", "tanh"], s["activation"].Cast<string>());
        Assert.Equal([3L, 2], s["n"].Cast<long?>().Select(v => v!.Value));
        // relu {90, 92, 94}: mean 92, s = 2, half-width t_(0.975, 2) · 2 / sqrt 3 = 4.302653 · 1.154701 = 4.968275.
        Assert.Equal(92.0, (double)s["test_loss_mean"][0]!, 1e-12);
        Assert.Equal(92 - 4.968275, (double)s["test_loss_ci_low"][0]!, 1e-5);
        // tanh: the diverged run has no final loss, so one value: a mean without spread or interval.
        Assert.Equal(1L, s["test_loss_n"][1]);
        Assert.Null(s["test_loss_std"][1]);
        Assert.Contains("no column 'nope'", Assert.Throws<ArgumentException>(() => GroupSummary.Summarize(runs, ["nope"], ["test_loss"])).Message);
        Assert.Contains("holds text", Assert.Throws<ArgumentException>(() => GroupSummary.Summarize(runs, ["seed"], ["activation"])).Message);
    }

    [Fact]
    public void Html_and_markdown_renderings()
    {
        var runs = RunTables.Runs(Records());
        string html = TableFormat.ToHtml(runs, maxRows: 2);
        string body = html[html.IndexOf("<tbody>", StringComparison.Ordinal)..html.IndexOf("</tbody>", StringComparison.Ordinal)];
        Assert.Equal(2, body.Split("<tr>").Length - 1);
        Assert.Contains("2 of 3 rows shown", html);
        Assert.Contains("&quot;exp&quot;", TableFormat.ToHtml(runs));
        Assert.Contains("<br>See the log.", TableFormat.ToHtml(runs));
        string md = TableFormat.ToMarkdown(new DataFrame(runs["activation"], runs["test_loss"]));
        Assert.Equal("| activation | test_loss |\n| --- | ---: |\n| relu | 90.000 |\n| tanh | 95.000 |\n| exp | – |\n", md);
        Assert.Equal("a \\| b &lt;br&gt;", TableFormat.MarkdownCell("a | b <br>"));
    }
}
