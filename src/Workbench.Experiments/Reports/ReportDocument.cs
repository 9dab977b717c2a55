using System.Text;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Results;

namespace Workbench.Experiments.Reports;

/// <summary>
/// The report's content as a list of blocks, rendered twice from the same list: as markdown (figures as image
/// links to their PNGs) and as a self-contained HTML page (figures interactive, plotly.js embedded by
/// <see cref="HtmlExport"/>), so that the two files always say the same thing.
/// </summary>
internal sealed class ReportDocument(string title)
{
    private abstract record Block;
    private sealed record HeadingBlock(string Text, int Level) : Block;
    private sealed record ParagraphBlock(string Text) : Block;
    private sealed record ListBlock(IReadOnlyList<string> Items) : Block;
    private sealed record TableBlock(ResultsTable Table) : Block;
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

    public ReportDocument Table(ResultsTable table)
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
                    md.Append(t.Table.ToMarkdown()).Append('\n');
                    break;
                case FigureBlock f when f.Figure.PngFile is { } png:
                    md.Append("![").Append(Text(f.Figure.Caption)).Append("](").Append(png).Append(")\n\n");
                    break;
            }
        }
        return md.ToString();
    }

    /// <summary>
    /// The HTML page: headings, paragraphs and figures through <see cref="HtmlPage"/>; lists and tables go in
    /// where unique placeholder paragraphs were rendered (HtmlPage holds only plain text and figures).
    /// </summary>
    public string ToHtml(string plotlyJs)
    {
        var page = new HtmlPage(Title);
        var inserts = new List<(string Token, string Html)>();
        string nonce = Guid.NewGuid().ToString("N");
        string Placeholder(string html)
        {
            string token = $"workbench-report-block-{nonce}-{inserts.Count}";
            inserts.Add((token, html));
            return token;
        }
        foreach (var block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    page.Heading(h.Text, Math.Clamp(h.Level, 2, 4));
                    break;
                case ParagraphBlock p:
                    page.Paragraph(p.Text);
                    break;
                case ListBlock l:
                    page.Paragraph(Placeholder("<ul>\n" + string.Concat(l.Items.Select(i => "<li>" + System.Net.WebUtility.HtmlEncode(i) + "</li>\n")) + "</ul>\n"));
                    break;
                case TableBlock t:
                    page.Paragraph(Placeholder(t.Table.ToHtml()));
                    break;
                case FigureBlock f:
                    page.Add(f.Figure.Figure);
                    break;
            }
        }
        string html = HtmlExport.Render(page, plotlyJs);
        foreach (var (token, insert) in inserts)
        {
            string paragraph = "<p>" + token + "</p>\n";
            int at = html.IndexOf(paragraph, StringComparison.Ordinal);
            if (at < 0 || html.IndexOf(paragraph, at + 1, StringComparison.Ordinal) >= 0)
                throw new InvalidOperationException("Report: a table placeholder was not rendered exactly once into the HTML page; the page layout changed.");
            html = string.Concat(html.AsSpan(0, at), insert, html.AsSpan(at + paragraph.Length));
        }
        return html;
    }

    /// <summary>Plain text made safe for markdown outside tables: '&lt;' and '&gt;' as entities so nothing renders as HTML.</summary>
    private static string Text(string text) =>
        text.Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>A figure of the report: file stem, caption, the figure, and the PNG written for it (relative path), if any.</summary>
internal sealed class ReportFigure(string stem, string caption, Figure figure)
{
    public string Stem { get; } = stem;
    public string Caption { get; } = caption;
    public Figure Figure { get; } = figure;
    public string? PngFile { get; set; }
}
