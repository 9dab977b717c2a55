using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.FSharp.Core;
using Plotly.NET;
using Workbench.Vae.IO;

namespace Workbench.Experiments.Charts;

/// <summary>
/// Plotly.NET charts in HTML that works offline: plotly.js is the bundle Plotly.NET ships inside its assembly
/// (<see cref="PlotlyJsVersion"/>), inlined in a &lt;script&gt; element; nothing is ever linked from the network.
/// </summary>
public static class ChartHtml
{
    private static readonly Lazy<string> Source = new(LoadPlotlyJs);

    /// <summary>The plotly.js version Plotly.NET bundles.</summary>
    public static string PlotlyJsVersion => Globals.PLOTLYJS_VERSION;

    /// <summary>
    /// The plotly.js source Plotly.NET embeds (what its <c>PlotlyJSReference.Full</c> inlines), checked to be
    /// safe inside a &lt;script&gt; element.
    /// </summary>
    public static string PlotlyJs => Source.Value;

    private static string LoadPlotlyJs()
    {
        // Plotly.NET's PlotlyJSReference.Full reads this resource for its self-contained pages; a report inlines it
        // once for many charts, which Plotly.NET's one-chart pages do not offer.
        string name = $"Plotly.NET.plotly-{Globals.PLOTLYJS_VERSION}.min.js";
        using var stream = typeof(GenericChart).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Plotly.NET carries no resource '{name}'; the Plotly.NET package is not the pinned 6.0.0 build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string source = reader.ReadToEnd();
        // A <script> element ends at the first "</script"; a bundle containing it could not be inlined unchanged.
        if (source.Contains("</script", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"The plotly.js bundled with Plotly.NET contains \"</script\", so it cannot be inlined in a page.");
        return source;
    }

    /// <summary>The chart as plotly.js figure JSON ({"data": [...], "layout": {...}, "frames": []}), as Plotly.NET writes it.</summary>
    public static string FigureJson(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return GenericChart.toFigureJson(chart);
    }

    /// <summary>The chart's layout width and height in CSS pixels, when set.</summary>
    public static (int? Width, int? Height) Size(GenericChart chart)
    {
        var layout = JsonNode.Parse(FigureJson(chart))?["layout"];
        static int? Read(JsonNode? n) => n is null ? null : (int)Math.Round(n.GetValue<double>());
        return (Read(layout?["width"]), Read(layout?["height"]));
    }

    /// <summary>
    /// A div and the script that draws the chart into it with the page's plotly.js: interactive, resizing with the
    /// window. The script waits briefly for window.Plotly, for front ends that render outputs out of order.
    /// </summary>
    public static string Fragment(GenericChart chart, string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        string json = ForScript(FigureJson(chart));
        return new StringBuilder(json.Length + 512)
            .Append("<div id=\"").Append(WebUtility.HtmlEncode(id)).Append("\" class=\"workbench-chart\"></div>\n")
            .Append("<script type=\"text/javascript\">\n(function () {\n")
            .Append("  var figure = ").Append(json).Append(";\n")
            .Append("  var tries = 0;\n")
            .Append("  function draw() {\n")
            .Append("    if (window.Plotly) { window.Plotly.newPlot(\"").Append(id)
            .Append("\", figure.data, figure.layout, {\"responsive\": true, \"displaylogo\": false}); }\n")
            .Append("    else if (tries++ < 200) { setTimeout(draw, 50); }\n")
            .Append("  }\n  draw();\n})();\n</script>\n")
            .ToString();
    }

    /// <summary>A &lt;script&gt; element holding plotly.js, for the head of a page or the first chart of a notebook.</summary>
    public static string PlotlyJsScript() => "<script type=\"text/javascript\" charset=\"utf-8\">\n" + PlotlyJs + "\n</script>\n";

    /// <summary>
    /// A self-contained page of one chart, written by Plotly.NET itself with <c>PlotlyJSReference.Full</c>
    /// (plotly.js inlined): it opens offline in any browser.
    /// </summary>
    public static string Page(GenericChart chart, string title = "Chart")
    {
        ArgumentNullException.ThrowIfNull(chart);
        var options = DisplayOptions.init(FSharpOption<string>.Some(title), null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.Full));
        return GenericChart.toEmbeddedHTML(Plotly.NET.Chart.withDisplayOptions(options).Invoke(chart));
    }

    /// <summary>Writes <see cref="Page"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(GenericChart chart, string path, string title = "Chart")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllText(path, Page(chart, title));
    }

    /// <summary>Console marker the screenshot page prints once plotly.js has finished drawing.</summary>
    internal const string RenderedMarker = "workbench-plot-rendered";

    /// <summary>Console marker the screenshot page prints, followed by the error, when drawing fails.</summary>
    internal const string FailedMarker = "workbench-plot-failed:";

    /// <summary>
    /// A page for a static screenshot: no margins, the chart drawn at exactly <paramref name="width"/> x
    /// <paramref name="height"/> px with hover and the mode bar off, reporting success or failure on the console so
    /// the exporter can tell a drawn chart from a blank page.
    /// </summary>
    internal static string ScreenshotPage(GenericChart chart, int width, int height)
    {
        string json = ForScript(FigureJson(chart));
        string w = width.ToString(CultureInfo.InvariantCulture), h = height.ToString(CultureInfo.InvariantCulture);
        return new StringBuilder(PlotlyJs.Length + json.Length + 2048)
            .Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<style>html, body { margin: 0; padding: 0; overflow: hidden; background: #fff; }</style>\n")
            .Append(PlotlyJsScript())
            .Append("</head>\n<body>\n")
            .Append("<div id=\"figure\" style=\"width: ").Append(w).Append("px; height: ").Append(h).Append("px;\"></div>\n")
            .Append("<script>\n(function () {\n")
            .Append("  function fail(e) { console.error(\"").Append(FailedMarker).Append(" \" + (e && e.stack ? e.stack : e)); }\n")
            .Append("  window.addEventListener(\"error\", function (ev) { fail(ev.error || ev.message); });\n")
            .Append("  try {\n")
            .Append("    var figure = ").Append(json).Append(";\n")
            .Append("    figure.layout.width = ").Append(w).Append(";\n")
            .Append("    figure.layout.height = ").Append(h).Append(";\n")
            .Append("    Plotly.newPlot(\"figure\", figure.data, figure.layout, {\"staticPlot\": true, \"displayModeBar\": false})\n")
            .Append("      .then(function () { console.log(\"").Append(RenderedMarker).Append("\"); }, fail);\n")
            .Append("  } catch (e) { fail(e); }\n")
            .Append("})();\n</script>\n</body>\n</html>\n")
            .ToString();
    }

    /// <summary>
    /// JSON made safe inside a &lt;script&gt; element: '&lt;', '&gt;' and '&amp;' only occur inside JSON strings,
    /// where \u003C, \u003E and \u0026 mean the same, so a title holding "&lt;/script&gt;" cannot end the element.
    /// </summary>
    public static string ForScript(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var sb = new StringBuilder(json.Length + 16);
        foreach (char ch in json)
        {
            switch (ch)
            {
                case '<': sb.Append("\\u003C"); break;
                case '>': sb.Append("\\u003E"); break;
                case '&': sb.Append("\\u0026"); break;
                case '\u2028': sb.Append("\\u2028"); break;
                case '\u2029': sb.Append("\\u2029"); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.ToString();
    }
}
