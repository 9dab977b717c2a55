using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Analysis;
using Plotly.NET;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Results;

namespace Workbench.Experiments.Reports;

/// <summary>
/// The report's content as a list of blocks, rendered twice from the same list: as markdown (figures as image
/// links to their PNGs) and as a self-contained HTML page (Plotly.NET charts, interactive, with the plotly.js
/// Plotly.NET bundles inlined once by <see cref="ChartHtml"/>), so that the two files always say the same thing.
/// </summary>
internal sealed class ReportDocument(string title)
{
    private abstract record Block;
    private sealed record HeadingBlock(string Text, int Level) : Block;
    private sealed record ParagraphBlock(string Text) : Block;
    private sealed record ListBlock(IReadOnlyList<string> Items) : Block;
    private sealed record TableBlock(DataFrame Table) : Block;
    private sealed record FigureBlock(ReportFigure Figure) : Block;

    private readonly List<Block> blocks = [];

    public string Title { get; } = title;

    public ReportDocument Heading(string text, int level = 2)
    {
        blocks.Add(new HeadingBlock(text, level));
        return this;
    }

    public ReportDocument Paragraph(string text)
    {
        blocks.Add(new ParagraphBlock(text));
        return this;
    }

    public ReportDocument List(IReadOnlyList<string> items)
    {
        blocks.Add(new ListBlock(items));
        return this;
    }

    public ReportDocument Table(DataFrame table)
    {
        blocks.Add(new TableBlock(table));
        return this;
    }

    public ReportDocument Figure(ReportFigure figure)
    {
        blocks.Add(new FigureBlock(figure));
        return this;
    }

    /// <summary>GitHub markdown; a figure is an image link when its PNG was written, else left out.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.Append("# ").Append(Text(Title)).Append("\n\n");
        foreach (var block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    md.Append('#', h.Level).Append(' ').Append(Text(h.Text)).Append("\n\n");
                    break;
                case ParagraphBlock p:
                    md.Append(Text(p.Text).Replace("\n", "  \n", StringComparison.Ordinal)).Append("\n\n");
                    break;
                case ListBlock l:
                    foreach (var item in l.Items) md.Append("- ").Append(Text(item).Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
                    md.Append('\n');
                    break;
                case TableBlock t:
                    md.Append(TableFormat.ToMarkdown(t.Table)).Append('\n');
                    break;
                case FigureBlock f when f.Figure.PngFile is { } png:
                    md.Append("![").Append(Text(f.Figure.Caption)).Append("](").Append(png).Append(")\n\n");
                    break;
            }
        }
        return md.ToString();
    }

    /// <summary>
    /// The HTML page: plotly.js once in the head, then headings, paragraphs, lists, tables and one interactive chart
    /// per figure; every text HTML-escaped. It links nothing: it opens offline.
    /// </summary>
    public string ToHtml()
    {
        var html = new StringBuilder(ChartHtml.PlotlyJs.Length + 256 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape(Title)).Append("</title>\n<style>\n")
            .Append("body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 2rem auto; max-width: 1150px; padding: 0 1rem; color: #222; }\n")
            .Append("p, li { line-height: 1.45; }\np { white-space: pre-wrap; }\n.workbench-chart { margin: 1rem 0 2rem; }\n")
            .Append("</style>\n")
            .Append(ChartHtml.PlotlyJsScript())
            .Append("</head>\n<body>\n<h1>").Append(Escape(Title)).Append("</h1>\n");
        int figure = 0;
        foreach (var block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    int level = Math.Clamp(h.Level, 2, 4);
                    html.Append("<h").Append(level).Append('>').Append(Escape(h.Text)).Append("</h").Append(level).Append(">\n");
                    break;
                case ParagraphBlock p:
                    html.Append("<p>").Append(Escape(p.Text)).Append("</p>\n");
                    break;
                case ListBlock l:
                    html.Append("<ul>\n");
                    foreach (var item in l.Items) html.Append("<li>").Append(Escape(item)).Append("</li>\n");
                    html.Append("</ul>\n");
                    break;
                case TableBlock t:
                    html.Append(TableFormat.ToHtml(t.Table, maxRows: int.MaxValue));
                    break;
                case FigureBlock f:
                    html.Append(ChartHtml.Fragment(f.Figure.Chart, "figure-" + (++figure).ToString(CultureInfo.InvariantCulture)));
                    break;
            }
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Plain text made safe for markdown outside tables: '&lt;' and '&gt;' as entities so nothing renders as HTML.</summary>
    private static string Text(string text) =>
        text.Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>A figure of the report: file stem, caption, the chart, and the PNG written for it (relative path), if any.</summary>
internal sealed class ReportFigure(string stem, string caption, GenericChart chart)
{
    public string Stem { get; } = stem;
    public string Caption { get; } = caption;
    public GenericChart Chart { get; } = chart;
    public string? PngFile { get; set; }
}
