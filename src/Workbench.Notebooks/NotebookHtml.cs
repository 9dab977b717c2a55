using Workbench.Vae.IO;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Workbench.Notebooks;

/// <summary>
/// Renders an executed notebook as one self-contained HTML page: markdown cells through a small
/// markdown subset (headings, paragraphs, lists, code), code cells with their outputs (HTML inline, PNG as
/// images, LaTeX as its source in a pre block, text as preformatted text). Figures carry plotly.js in
/// their own output, so the page opens offline.
/// </summary>
public static partial class NotebookHtml
{
    /// <summary>The page for <paramref name="notebook"/>, titled <paramref name="title"/>.</summary>
    public static string Render(Notebook notebook, string title)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        ArgumentNullException.ThrowIfNull(title);
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape(title)).Append("</title>\n<style>\n")
            .Append("body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.45; }\n")
            .Append("pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; border-radius: 4px; margin: .3rem 0; }\n")
            .Append(".cell { margin: 1.2rem 0; }\n.prompt { color: #888; font-size: .8rem; font-family: monospace; }\n")
            .Append(".source { border-left: 3px solid #4a7bd0; }\n.output { margin: .3rem 0 .3rem 1rem; }\n")
            .Append(".stderr { background: #fff4e5; }\n.error { background: #fdecea; color: #8a1f11; }\n")
            .Append("table { border-collapse: collapse; margin: .4rem 0; }\ntd, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: right; }\n")
            .Append("</style>\n</head>\n<body>\n");
        for (int i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = notebook.Cells[i];
            switch (cell.Type)
            {
                case CellType.Markdown:
                    html.Append("<section class=\"markdown\">\n").Append(MarkdownToHtml(cell.Source)).Append("</section>\n");
                    break;
                case CellType.Raw:
                    html.Append("<pre class=\"raw\">").Append(Escape(cell.Source)).Append("</pre>\n");
                    break;
                default:
                    html.Append("<div class=\"cell\" id=\"cell-").Append(i + 1).Append("\">\n");
                    html.Append("<div class=\"prompt\">In [").Append(cell.ExecutionCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? " ")
                        .Append("]:</div>\n");
                    html.Append("<pre class=\"source\"><code>").Append(Escape(cell.Source)).Append("</code></pre>\n");
                    foreach (var output in cell.Outputs) AppendOutput(html, output);
                    html.Append("</div>\n");
                    break;
            }
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Notebook notebook, string title) => AtomicFile.WriteAllText(path, Render(notebook, title));

    private static void AppendOutput(StringBuilder html, CellOutput output)
    {
        switch (output)
        {
            case StreamOutput s:
                html.Append("<pre class=\"output ").Append(s.Name == "stderr" ? "stderr" : "stdout").Append("\">")
                    .Append(Escape(s.Text)).Append("</pre>\n");
                break;
            case ErrorOutput e:
                html.Append("<pre class=\"output error\">")
                    .Append(Escape(e.Traceback.Count > 0 ? string.Join('\n', e.Traceback) : $"{e.EName}: {e.EValue}")).Append("</pre>\n");
                break;
            case DisplayDataOutput d:
                AppendBundle(html, d.Data);
                break;
            case ExecuteResultOutput r:
                AppendBundle(html, r.Data);
                break;
        }
    }

    private static void AppendBundle(StringBuilder html, MimeBundle data)
    {
        html.Append("<div class=\"output\">");
        if (data.GetText(MimeBundle.Html) is { } h) html.Append(h);
        else if (data.GetText(MimeBundle.Png) is { } png) html.Append("<img alt=\"output image\" src=\"data:image/png;base64,").Append(png.Trim()).Append("\">");
        else if (data.GetText(MimeBundle.Latex) is { } latex) html.Append("<pre class=\"latex\">").Append(Escape(latex)).Append("</pre>");
        else if (data.GetText(MimeBundle.Markdown) is { } md) html.Append(MarkdownToHtml(md));
        else if (data.GetText(MimeBundle.PlainText) is { } text) html.Append("<pre>").Append(Escape(text)).Append("</pre>");
        else if (data.MimeTypes.FirstOrDefault() is { } mime) html.Append("<pre>(").Append(Escape(mime)).Append(" output)</pre>");
        html.Append("</div>\n");
    }

    /// <summary>
    /// A small markdown subset: ATX headings, paragraphs, "-"/"*"/"1." lists, fenced code blocks, and inline
    /// code, bold, italics and links. Everything is HTML-escaped first, so raw HTML in markdown shows as text.
    /// </summary>
    public static string MarkdownToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var html = new StringBuilder();
        var paragraph = new List<string>();
        string? list = null; // "ul" or "ol" while inside a list
        bool inCode = false;
        var code = new StringBuilder();

        void FlushParagraph()
        {
            if (paragraph.Count == 0) return;
            html.Append("<p>").Append(Inline(string.Join(" ", paragraph))).Append("</p>\n");
            paragraph.Clear();
        }
        void CloseList()
        {
            if (list is null) return;
            html.Append("</").Append(list).Append(">\n");
            list = null;
        }

        foreach (var raw in markdown.Replace("\r\n", "\n").Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                if (inCode)
                {
                    html.Append("<pre><code>").Append(Escape(code.ToString())).Append("</code></pre>\n");
                    code.Clear();
                    inCode = false;
                }
                else
                {
                    FlushParagraph();
                    CloseList();
                    inCode = true;
                }
                continue;
            }
            if (inCode)
            {
                code.Append(raw).Append('\n');
                continue;
            }
            if (line.Length == 0)
            {
                FlushParagraph();
                CloseList();
                continue;
            }
            var heading = HeadingPattern().Match(line);
            if (heading.Success)
            {
                FlushParagraph();
                CloseList();
                int level = heading.Groups[1].Value.Length;
                html.Append("<h").Append(level).Append('>').Append(Inline(heading.Groups[2].Value.Trim().TrimEnd('#').Trim()))
                    .Append("</h").Append(level).Append(">\n");
                continue;
            }
            var item = ListPattern().Match(line);
            if (item.Success)
            {
                FlushParagraph();
                string kind = char.IsAsciiDigit(item.Groups[1].Value[0]) ? "ol" : "ul";
                if (list != kind)
                {
                    CloseList();
                    html.Append('<').Append(kind).Append(">\n");
                    list = kind;
                }
                html.Append("<li>").Append(Inline(item.Groups[2].Value)).Append("</li>\n");
                continue;
            }
            if (list is not null && raw.StartsWith("  ", StringComparison.Ordinal))
            {
                // A continuation line of the last list item.
                int end = html.Length - "</li>\n".Length;
                html.Insert(end, " " + Inline(line.Trim()));
                continue;
            }
            CloseList();
            paragraph.Add(line.Trim());
        }
        if (inCode) html.Append("<pre><code>").Append(Escape(code.ToString())).Append("</code></pre>\n");
        FlushParagraph();
        CloseList();
        return html.ToString();
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\s{0,3}([-*+]|\d+[.)])\s+(.*)$")]
    private static partial Regex ListPattern();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex(@"(?<![\*\w])\*(?!\s)(.+?)(?<!\s)\*(?![\*\w])")]
    private static partial Regex Italic();

    [GeneratedRegex(@"\[([^\]]+)\]\(((?:https?://|\.{0,2}/|#|[\w\-]+\.)[^)\s]*)\)")]
    private static partial Regex Link();

    private static string Inline(string text)
    {
        // Code spans first, kept aside so that their contents are not read as bold, italics or links.
        var spans = new List<string>();
        var s = CodeSpan().Replace(text, m =>
        {
            spans.Add("<code>" + Escape(m.Groups[1].Value) + "</code>");
            return "\u0000" + (spans.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\u0000";
        });
        s = Escape(s);
        s = Link().Replace(s, m => $"<a href=\"{m.Groups[2].Value}\">{m.Groups[1].Value}</a>");
        s = Bold().Replace(s, "<strong>$1</strong>");
        s = Italic().Replace(s, "<em>$1</em>");
        for (int i = 0; i < spans.Count; i++)
            s = s.Replace("\u0000" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\u0000", spans[i], StringComparison.Ordinal);
        return s;
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
