using System.Net;
using TorchSharp;
using Microsoft.Data.Analysis;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Store;
using Workbench.Display;
using Workbench.Vae.Activations;
using Workbench.Vae.Training;
using InteractiveFormatter = Microsoft.DotNet.Interactive.Formatting.Formatter;
using NotebookFormatter = Workbench.Display.Formatter;

namespace Workbench.Interactive;

/// <summary>
/// Registers .NET Interactive formatters that show Workbench's values the way our own kernel does: each one asks
/// <see cref="NotebookFormatter"/> for the value's MIME bundle and writes the representation .NET Interactive asks for.
/// </summary>
/// <remarks>
/// .NET Interactive picks the MIME types to send per type, not per value, so each type below names the ones our
/// formatter gives it. When a value's bundle lacks the type asked for (a 3-D tensor has only text), the HTML is its
/// PNG as an image or its text in a &lt;pre&gt; block, and the text is its first text representation. Plotly JSON
/// (application/vnd.plotly.v1+json) is left out: .NET Interactive sends every representation as a string, and Jupyter
/// wants JSON types as JSON objects.
/// </remarks>
public static class InteractiveFormatters
{
    /// <summary>The types shown through our formatter, each with the MIME types .NET Interactive sends for it, richest first.</summary>
    public static IReadOnlyList<(Type Type, string[] MimeTypes)> Types { get; } =
    [
        (typeof(torch.Tensor), [MimeBundle.Html, MimeBundle.PlainText]),
        (typeof(PngImage), [MimeBundle.Png, MimeBundle.PlainText]),
        (typeof(Latex), [MimeBundle.Latex, MimeBundle.PlainText]),
        (typeof(ActivationSpec), [MimeBundle.Latex, MimeBundle.PlainText]),
        (typeof(Html), [MimeBundle.Html, MimeBundle.PlainText]),
        (typeof(MimeBundle), [MimeBundle.Html, MimeBundle.PlainText]),
        // Our table with a row limit, not .NET Interactive's walk through the frame's properties.
        (typeof(DataFrame), [MimeBundle.Html, MimeBundle.PlainText]),
        (typeof(IEnumerable<EpochMetrics>), [MimeBundle.Html, MimeBundle.PlainText]),
        (typeof(IEnumerable<RunRecord>), [MimeBundle.Html, MimeBundle.PlainText]),
        // Our text, not .NET Interactive's HTML walk through the model's modules and parameters.
        (typeof(TrainingResult), [MimeBundle.PlainText]),
    ];

    /// <summary>
    /// Registers the formatters with .NET Interactive, figures sharing <paramref name="context"/> (the first one
    /// carries plotly.js). Registering again is harmless: the later registration wins.
    /// </summary>
    public static void Register(FormatContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var (type, mimeTypes) in Types)
        {
            foreach (var mimeType in mimeTypes)
                InteractiveFormatter.Register(type, (value, writer) => writer.Write(Representation(value, mimeType, context)), mimeType);
            InteractiveFormatter.SetPreferredMimeTypesFor(type, mimeTypes);
        }
    }

    /// <summary>The text .NET Interactive sends as <paramref name="mimeType"/> for <paramref name="value"/>.</summary>
    public static string Representation(object? value, string mimeType, FormatContext context)
    {
        var bundle = NotebookFormatter.Format(value, context);
        if (bundle.GetText(mimeType) is { } text) return text;
        if (mimeType == MimeBundle.Html && bundle.GetText(MimeBundle.Png) is { } png)
            return $"<img src=\"data:image/png;base64,{png}\" alt=\"{WebUtility.HtmlEncode(bundle.GetText(MimeBundle.PlainText) ?? "")}\" />";
        // A bundle without the type asked for (a 3-D tensor has no table, a MimeBundle may hold only Markdown): its text.
        string fallback = bundle.GetText(MimeBundle.PlainText)
            ?? bundle.MimeTypes.Where(m => m.StartsWith("text/", StringComparison.Ordinal)).Select(bundle.GetText).FirstOrDefault()
            ?? "";
        return mimeType == MimeBundle.Html ? $"<pre>{WebUtility.HtmlEncode(fallback)}</pre>" : fallback;
    }
}
