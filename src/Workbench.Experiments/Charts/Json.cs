using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workbench.Experiments.Charts;

/// <summary>
/// Small helpers the figure model writes itself with. The model writes every property by hand, in a fixed
/// order, instead of going through reflection-based serialisation: the order is then part of the code, the
/// output is byte-for-byte stable, and non-finite numbers become null as plotly.js expects.
/// </summary>
internal static partial class Json
{
    // Utf8JsonWriter formats doubles and floats in their shortest round-trip form with the invariant
    // culture. The relaxed encoder leaves '+' (in "lines+markers" and base64 data URIs) and non-ASCII text
    // readable; '<', '>' and '&' are escaped later, by ForScript, where the JSON goes into an HTML page.
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Makes JSON safe to paste inside an HTML &lt;script&gt; element: '&lt;', '&gt;' and '&amp;' can only occur
    /// inside JSON strings, where \u003C, \u003E and \u0026 mean the same characters, so "&lt;/script&gt;" or
    /// "&lt;!--" in a title cannot end or confuse the element. U+2028 and U+2029 are escaped because older
    /// JavaScript engines reject them inside string literals.
    /// </summary>
    internal static string ForScript(string json)
    {
        var sb = new System.Text.StringBuilder(json.Length + 16);
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

    internal static void Number(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }

    internal static void Number(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }

    internal static void Prop(Utf8JsonWriter w, string name, string? v)
    {
        if (v is not null) w.WriteString(name, v);
    }

    internal static void Prop(Utf8JsonWriter w, string name, double? v)
    {
        if (v is null) return;
        w.WritePropertyName(name);
        Number(w, v.Value);
    }

    internal static void Prop(Utf8JsonWriter w, string name, int? v)
    {
        if (v is not null) w.WriteNumber(name, v.Value);
    }

    internal static void Prop(Utf8JsonWriter w, string name, bool? v)
    {
        if (v is not null) w.WriteBoolean(name, v.Value);
    }

    internal static void Prop(Utf8JsonWriter w, string name, Values? v)
    {
        if (v is null) return;
        w.WritePropertyName(name);
        v.Write(w);
    }

    internal static void Prop(Utf8JsonWriter w, string name, ColorScale? v)
    {
        if (v is null) return;
        w.WritePropertyName(name);
        v.Write(w);
    }

    /// <summary>plotly.js titles are objects (<c>{"text": ...}</c>); the bare-string form was removed in plotly.js 3.</summary>
    internal static void Title(Utf8JsonWriter w, string name, string? text)
    {
        if (text is null) return;
        w.WriteStartObject(name);
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    internal static void Pair(Utf8JsonWriter w, string name, (double, double)? v)
    {
        if (v is null) return;
        w.WriteStartArray(name);
        Number(w, v.Value.Item1);
        Number(w, v.Value.Item2);
        w.WriteEndArray();
    }

    internal static string ToJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
            write(w);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Checks an enumerated plotly.js string (anchors, sides), which plotly.js would otherwise silently ignore.</summary>
    internal static void OneOf(string? value, string where, params string[] allowed)
    {
        if (value is not null && Array.IndexOf(allowed, value) < 0)
            throw new InvalidOperationException(
                $"{where} is '{value}'; plotly.js accepts {string.Join(", ", allowed.Select(a => "\"" + a + "\""))}.");
    }

    internal static readonly string[] XAnchors = ["auto", "left", "center", "right"];
    internal static readonly string[] YAnchors = ["auto", "top", "middle", "bottom"];

    /// <summary>
    /// Checks a cartesian axis reference as plotly.js spells it: "x", "x2", "x3", ... ("x1" is not a valid
    /// name in plotly.js; the first axis is plain "x").
    /// </summary>
    internal static string AxisRef(string? value, char letter, string where)
    {
        if (value is null || !AxisRefPattern().IsMatch(value) || value[0] != letter)
            throw new ArgumentException(
                $"{where}: '{value}' is not a {letter}-axis reference; use \"{letter}\", \"{letter}2\", \"{letter}3\", ... " +
                $"(plotly.js has no \"{letter}1\"), or Figure.Add(trace, row, col) on a figure made by Figure.Subplots.");
        return value;
    }

    [GeneratedRegex("^[xy]([2-9]|[1-9][0-9]+)?$", RegexOptions.CultureInvariant)]
    internal static partial Regex AxisRefPattern();
}
