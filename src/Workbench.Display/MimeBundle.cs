using System.Collections;
using System.Text;
using System.Text.Json.Nodes;

namespace Workbench.Display;

/// <summary>
/// One value in several representations, keyed by MIME type ("text/plain", "text/html", "image/png", ...),
/// as Jupyter's display_data and execute_result outputs carry it. The front end shows the richest one it
/// understands. Values are stored as nbformat stores them: text types as a list of lines, JSON types
/// ("application/json", "application/*+json") as JSON, everything else (base64 images) as one string.
/// </summary>
public sealed class MimeBundle : IEnumerable<KeyValuePair<string, JsonNode>>
{
    public const string PlainText = "text/plain";
    public const string Html = "text/html";
    public const string Latex = "text/latex";
    public const string Markdown = "text/markdown";
    public const string Png = "image/png";
    public const string Json = "application/json";
    public const string Plotly = "application/vnd.plotly.v1+json";

    private readonly OrderedDictionary<string, JsonNode> items = new(StringComparer.Ordinal);

    /// <summary>Number of representations.</summary>
    public int Count => items.Count;

    /// <summary>The MIME types held, in the order they were added.</summary>
    public IEnumerable<string> MimeTypes => items.Keys;

    /// <summary>The stored JSON for <paramref name="mimeType"/>, or null.</summary>
    public JsonNode? this[string mimeType] => items.TryGetValue(mimeType, out var v) ? v : null;

    /// <summary>True when the bundle has a representation of <paramref name="mimeType"/>.</summary>
    public bool Contains(string mimeType) => items.ContainsKey(mimeType);

    /// <summary>A bundle with only text/plain.</summary>
    public static MimeBundle FromText(string text) => new MimeBundle().Set(PlainText, text);

    /// <summary>
    /// Sets a representation from text. Text types are stored as lines (as Jupyter writes them); JSON types
    /// are parsed, so <paramref name="text"/> must then be valid JSON; other types keep the string whole.
    /// </summary>
    public MimeBundle Set(string mimeType, string text)
    {
        CheckMimeType(mimeType);
        ArgumentNullException.ThrowIfNull(text);
        if (IsJson(mimeType))
        {
            JsonNode? node;
            try { node = JsonNode.Parse(text, documentOptions: NbformatText.DocumentOptions); }
            catch (System.Text.Json.JsonException e)
            {
                throw new ArgumentException($"MimeBundle.Set: the value for '{mimeType}' must be JSON: {e.Message}", nameof(text), e);
            }
            items[mimeType] = node ?? throw new ArgumentException($"MimeBundle.Set: the value for '{mimeType}' is JSON null.", nameof(text));
        }
        else
        {
            items[mimeType] = IsSplitIntoLines(mimeType) ? NbformatText.SplitLines(text) : JsonValue.Create(text);
        }
        return this;
    }

    /// <summary>Sets a representation from JSON as it is (used for JSON MIME types and when reading a notebook).</summary>
    public MimeBundle Set(string mimeType, JsonNode value)
    {
        CheckMimeType(mimeType);
        ArgumentNullException.ThrowIfNull(value);
        items[mimeType] = value.Parent is null ? value : value.DeepClone();
        return this;
    }

    /// <summary>Removes a representation; true when it was there.</summary>
    public bool Remove(string mimeType) => items.Remove(mimeType);

    /// <summary>
    /// The representation as text: a string as is, a list of lines joined, JSON (objects, numbers) as
    /// compact JSON; null when absent.
    /// </summary>
    public string? GetText(string mimeType)
    {
        if (!items.TryGetValue(mimeType, out var node)) return null;
        return TextOf(node);
    }

    internal static string TextOf(JsonNode node)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is JsonArray a && a.All(x => x is JsonValue xv && xv.TryGetValue<string>(out _)))
        {
            var sb = new StringBuilder();
            foreach (var line in a) sb.Append(line!.GetValue<string>());
            return sb.ToString();
        }
        return node.ToJsonString();
    }

    /// <summary>A deep copy.</summary>
    public MimeBundle Clone()
    {
        var copy = new MimeBundle();
        foreach (var (k, v) in items) copy.items[k] = v.DeepClone();
        return copy;
    }

    internal JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (k, v) in items) obj[k] = v.DeepClone();
        return obj;
    }

    /// <summary>True for "application/json" and "application/*+json", which nbformat stores as JSON, not as text.</summary>
    public static bool IsJson(string mimeType) =>
        mimeType == Json || (mimeType.StartsWith("application/", StringComparison.Ordinal) && mimeType.EndsWith("+json", StringComparison.Ordinal));

    /// <summary>nbformat splits text/* plus JavaScript and SVG into lines; base64 binaries stay one string.</summary>
    private static bool IsSplitIntoLines(string mimeType) =>
        mimeType.StartsWith("text/", StringComparison.Ordinal) || mimeType is "application/javascript" or "image/svg+xml";

    private static void CheckMimeType(string mimeType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mimeType);
        int slash = mimeType.IndexOf('/');
        if (slash <= 0 || slash == mimeType.Length - 1 || mimeType.Any(char.IsWhiteSpace))
            throw new ArgumentException(
                $"'{mimeType}' is not a MIME type; use the form type/subtype, e.g. text/plain or image/png.", nameof(mimeType));
    }

    public IEnumerator<KeyValuePair<string, JsonNode>> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"MimeBundle({string.Join(", ", items.Keys)})";
}
