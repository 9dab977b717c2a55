using Workbench.Vae.IO;
using System.Globalization;
using System.Net;
using System.Text;

namespace Workbench.Experiments.Charts;

/// <summary>
/// The content of an exported page: a title, then headings, paragraphs and figures in order. Text is plain
/// (HTML-escaped, line breaks kept), not markdown.
/// <code>
/// var page = new HtmlPage("Activation ablation")
///     .Heading("Test ELBO").Paragraph("Mean over 5 seeds; bars are standard errors.")
///     .Add(elboFigure);
/// HtmlExport.Save("report.html", page);
/// </code>
/// </summary>
public sealed class HtmlPage
{
    internal abstract record Block;
    internal sealed record HeadingBlock(string Text, int Level) : Block;
    internal sealed record ParagraphBlock(string Text) : Block;
    internal sealed record FigureBlock(Figure Figure) : Block;

    private readonly List<Block> blocks = [];

    /// <summary>A page titled <paramref name="title"/> (the browser tab and the top heading).</summary>
    public HtmlPage(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        Title = title;
    }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>Number of figures on the page.</summary>
    public int FigureCount => blocks.Count(b => b is FigureBlock);

    internal IReadOnlyList<Block> Blocks => blocks;

    /// <summary>Appends a section heading; level 2 (default) to 4, the title being level 1.</summary>
    public HtmlPage Heading(string text, int level = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (level is < 2 or > 4)
            throw new ArgumentOutOfRangeException(nameof(level), level,
                "HtmlPage.Heading: level must be 2, 3 or 4; level 1 is the page title.");
        blocks.Add(new HeadingBlock(text, level));
        return this;
    }

    /// <summary>Appends a paragraph of plain text; line breaks in it are kept.</summary>
    public HtmlPage Paragraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        blocks.Add(new ParagraphBlock(text));
        return this;
    }

    /// <summary>Appends a figure; it is serialised when the page is rendered, so later edits to it show.</summary>
    public HtmlPage Add(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        blocks.Add(new FigureBlock(figure));
        return this;
    }
}

/// <summary>
/// Writes self-contained HTML pages with plotly.js embedded inline: the file opens offline, in any browser,
/// years later. No script or stylesheet is ever linked from the network.
/// </summary>
public static class HtmlExport
{
    /// <summary>A page holding one figure, with plotly.js from <see cref="PlotlyJs.Load"/>.</summary>
    public static string Render(Figure figure, string title = "Figure")
    {
        ArgumentNullException.ThrowIfNull(figure);
        return Render(new HtmlPage(title).Add(figure));
    }

    /// <summary>The page as HTML, with plotly.js from <see cref="PlotlyJs.Load"/> (fails with a clear message when it is missing).</summary>
    public static string Render(HtmlPage page) => Render(page, PlotlyJs.Load());

    /// <summary>The page as HTML, embedding the given plotly.js source (checked to be inlinable plotly.js).</summary>
    public static string Render(HtmlPage page, string plotlyJs)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(plotlyJs);
        PlotlyJs.CheckInlinable(plotlyJs, "the plotly.js source passed to HtmlExport.Render");

        var html = new StringBuilder(plotlyJs.Length + 16 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(Escape(page.Title)).Append("</title>\n");
        html.Append("<style>\n")
            .Append("body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }\n")
            .Append("p { white-space: pre-wrap; line-height: 1.45; }\n")
            .Append(".figure { margin: 1rem 0 2rem; }\n")
            .Append("</style>\n");
        AppendPlotly(html, plotlyJs);
        html.Append("</head>\n<body>\n");
        html.Append("<h1>").Append(Escape(page.Title)).Append("</h1>\n");

        int figureNumber = 0;
        foreach (var block in page.Blocks)
        {
            switch (block)
            {
                case HtmlPage.HeadingBlock h:
                    html.Append("<h").Append(h.Level).Append('>').Append(Escape(h.Text))
                        .Append("</h").Append(h.Level).Append(">\n");
                    break;
                case HtmlPage.ParagraphBlock p:
                    html.Append("<p>").Append(Escape(p.Text)).Append("</p>\n");
                    break;
                case HtmlPage.FigureBlock f:
                    figureNumber++;
                    string id = "figure-" + figureNumber.ToString(CultureInfo.InvariantCulture);
                    string json;
                    try
                    {
                        json = Json.ForScript(f.Figure.ToJson());
                    }
                    catch (InvalidOperationException e)
                    {
                        throw new InvalidOperationException($"HtmlExport: figure {figureNumber} of page '{page.Title}': {e.Message}", e);
                    }
                    html.Append("<div id=\"").Append(id).Append("\" class=\"figure\"></div>\n");
                    html.Append("<script>\n(function () {\n  var figure = ").Append(json).Append(";\n")
                        .Append("  Plotly.newPlot(\"").Append(id).Append("\", figure.data, figure.layout, ")
                        .Append(ConfigJson(staticPlot: false)).Append(");\n})();\n</script>\n");
                    break;
            }
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="Render(HtmlPage)"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, HtmlPage page) =>
        AtomicFile.WriteAllText(path, Render(page));

    /// <summary>Writes a one-figure page to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Figure figure, string title = "Figure") =>
        AtomicFile.WriteAllText(path, Render(figure, title));

    /// <summary>Console marker the screenshot page prints once plotly.js has finished drawing.</summary>
    internal const string RenderedMarker = "workbench-plot-rendered";

    /// <summary>Console marker the screenshot page prints, followed by the error, when drawing fails.</summary>
    internal const string FailedMarker = "workbench-plot-failed:";

    /// <summary>
    /// A page for a static screenshot: no margins, the figure drawn at exactly
    /// <paramref name="width"/> x <paramref name="height"/> px with hover and the mode bar off, reporting
    /// success or failure on the console so the exporter can tell a drawn chart from a blank page.
    /// </summary>
    internal static string RenderForScreenshot(Figure figure, int width, int height, string plotlyJs)
    {
        PlotlyJs.CheckInlinable(plotlyJs, "the plotly.js source");
        string json = Json.ForScript(figure.ToJson());
        string w = width.ToString(CultureInfo.InvariantCulture);
        string h = height.ToString(CultureInfo.InvariantCulture);
        var html = new StringBuilder(plotlyJs.Length + json.Length + 2048);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<style>html, body { margin: 0; padding: 0; overflow: hidden; background: #fff; }</style>\n");
        AppendPlotly(html, plotlyJs);
        html.Append("</head>\n<body>\n");
        html.Append("<div id=\"figure\" style=\"width: ").Append(w).Append("px; height: ").Append(h).Append("px;\"></div>\n");
        html.Append("<script>\n(function () {\n")
            .Append("  function fail(e) { console.error(\"").Append(FailedMarker).Append(" \" + (e && e.stack ? e.stack : e)); }\n")
            .Append("  window.addEventListener(\"error\", function (ev) { fail(ev.error || ev.message); });\n")
            .Append("  try {\n")
            .Append("    var figure = ").Append(json).Append(";\n")
            .Append("    figure.layout.width = ").Append(w).Append(";\n")
            .Append("    figure.layout.height = ").Append(h).Append(";\n")
            .Append("    Plotly.newPlot(\"figure\", figure.data, figure.layout, ").Append(ConfigJson(staticPlot: true)).Append(")\n")
            .Append("      .then(function () { console.log(\"").Append(RenderedMarker).Append("\"); }, fail);\n")
            .Append("  } catch (e) { fail(e); }\n")
            .Append("})();\n</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendPlotly(StringBuilder html, string plotlyJs) =>
        html.Append("<script>\n").Append(plotlyJs).Append("\n</script>\n");

    /// <summary>plotly.js config: interactive pages resize with the window; screenshots are static, without the mode bar.</summary>
    private static string ConfigJson(bool staticPlot) => Json.ToJson(w =>
    {
        w.WriteStartObject();
        if (staticPlot)
        {
            w.WriteBoolean("staticPlot", true);
            w.WriteBoolean("displayModeBar", false);
        }
        else
        {
            w.WriteBoolean("responsive", true);
            w.WriteBoolean("displaylogo", false);
        }
        w.WriteEndObject();
    });

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
