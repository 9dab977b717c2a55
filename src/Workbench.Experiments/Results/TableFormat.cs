using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace Workbench.Experiments.Results;

/// <summary>A DataFrame as an HTML table (reports, notebooks) or a GitHub markdown table (report.md).</summary>
public static class TableFormat
{
    /// <summary>Rows an HTML table shows before it is cut, unless told otherwise.</summary>
    public const int DefaultMaxRows = 50;

    private static bool IsNumeric(DataFrameColumn c) => c.DataType != typeof(string) && c.DataType != typeof(bool) && c.DataType != typeof(char);

    /// <summary>
    /// A styled HTML &lt;table&gt; (inline styles, so it looks the same pasted anywhere): header row, numbers
    /// right-aligned at display precision (<see cref="NumberFormat"/>), text HTML-escaped, missing values as "–".
    /// Beyond <paramref name="maxRows"/> rows the table is cut and a last line says how many rows were left out.
    /// </summary>
    public static string ToHtml(DataFrame table, int maxRows = DefaultMaxRows)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "TableFormat.ToHtml: show at least one row.");
        const string cell = "padding: 4px 10px; border-bottom: 1px solid #ddd;";
        var columns = table.Columns.ToList();
        long shown = Math.Min(table.Rows.Count, maxRows);
        var html = new StringBuilder();
        html.Append("<table class=\"workbench-results\" style=\"border-collapse: collapse; font-size: 0.92em; margin: 0.5rem 0 1.5rem;\">\n<thead>\n<tr>");
        foreach (var c in columns)
            html.Append("<th style=\"").Append(cell).Append(" border-bottom: 2px solid #444; text-align: ")
                .Append(IsNumeric(c) ? "right" : "left").Append(";\">").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        for (long r = 0; r < shown; r++)
        {
            html.Append("<tr>");
            foreach (var c in columns)
                html.Append("<td style=\"").Append(cell).Append(IsNumeric(c) ? " text-align: right; font-variant-numeric: tabular-nums;" : " text-align: left;")
                    .Append("\">").Append(WebUtility.HtmlEncode(NumberFormat.Cell(c[r])).Replace("\n", "<br>", StringComparison.Ordinal)).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n");
        if (shown < table.Rows.Count)
            html.Append("<tfoot><tr><td colspan=\"").Append(Math.Max(1, columns.Count)).Append("\" style=\"").Append(cell).Append(" color: #666;\">")
                .Append(shown).Append(" of ").Append(table.Rows.Count).Append(" rows shown</td></tr></tfoot>\n");
        html.Append("</table>\n");
        return html.ToString();
    }

    /// <summary>
    /// A GitHub markdown table: numbers right-aligned at display precision, text with '|' escaped, '&lt;', '&gt;'
    /// and '&amp;' as entities and line breaks as &lt;br&gt;, so any cell stays one cell. Every row is written.
    /// </summary>
    public static string ToMarkdown(DataFrame table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = table.Columns.ToList();
        if (columns.Count == 0) return "";
        var md = new StringBuilder();
        md.Append('|');
        foreach (var c in columns) md.Append(' ').Append(MarkdownCell(c.Name)).Append(" |");
        md.Append("\n|");
        foreach (var c in columns) md.Append(IsNumeric(c) ? " ---: |" : " --- |");
        md.Append('\n');
        for (long r = 0; r < table.Rows.Count; r++)
        {
            md.Append('|');
            foreach (var c in columns) md.Append(' ').Append(MarkdownCell(NumberFormat.Cell(c[r]))).Append(" |");
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
}
