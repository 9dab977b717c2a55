using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workbench.Notebooks;

/// <summary>
/// Writes JSON the way Jupyter saves notebooks (Python's <c>json.dumps(nb, indent=1, sort_keys=True,
/// ensure_ascii=False, separators=(",", ": "))</c> plus a trailing newline), so a notebook saved here and
/// one saved by Jupyter or VS Code differ only where their content differs and diffs stay small.
/// </summary>
internal static class JupyterJson
{
    /// <summary>The node as Jupyter-style text, with the trailing newline that nbformat adds on write.</summary>
    internal static string Serialize(JsonNode? node)
    {
        var sb = new StringBuilder(4096);
        Write(sb, node, 0);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0) { sb.Append("{}"); break; }
                sb.Append("{\n");
                // sort_keys=True compares Python str, i.e. code points; ordinal UTF-16 order agrees except
                // between surrogate pairs and U+E000..U+FFFF, which no notebook key uses.
                var keys = obj.Select(p => p.Key).ToArray();
                Array.Sort(keys, StringComparer.Ordinal);
                for (int i = 0; i < keys.Length; i++)
                {
                    Indent(sb, depth + 1);
                    WriteString(sb, keys[i]);
                    sb.Append(": ");
                    Write(sb, obj[keys[i]], depth + 1);
                    if (i < keys.Length - 1) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, depth);
                sb.Append('}');
                break;
            case JsonArray array:
                if (array.Count == 0) { sb.Append("[]"); break; }
                sb.Append("[\n");
                for (int i = 0; i < array.Count; i++)
                {
                    Indent(sb, depth + 1);
                    Write(sb, array[i], depth + 1);
                    if (i < array.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, depth);
                sb.Append(']');
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String: WriteString(sb, value.GetValue<string>()); break;
                    case JsonValueKind.True: sb.Append("true"); break;
                    case JsonValueKind.False: sb.Append("false"); break;
                    case JsonValueKind.Null: sb.Append("null"); break;
                    // A parsed number keeps its source text (ToJsonString writes the raw token), so 1e-05
                    // stays 1e-05 and 0.10 stays 0.10 through a round trip.
                    case JsonValueKind.Number: sb.Append(value.ToJsonString()); break;
                    default:
                        throw new InvalidOperationException($"A JSON value of kind {value.GetValueKind()} cannot be written into a notebook.");
                }
                break;
            default:
                throw new InvalidOperationException($"Unexpected JSON node type {node.GetType().Name}.");
        }
    }

    private static void Indent(StringBuilder sb, int depth) => sb.Append(' ', depth);

    /// <summary>Python's json string escaping with ensure_ascii=False: only '"', '\\' and control characters are escaped.</summary>
    internal static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
