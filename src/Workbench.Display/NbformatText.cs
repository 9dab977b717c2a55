using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workbench.Display;

/// <summary>How nbformat writes text: strict JSON, multi-line strings as arrays of lines (shared with Workbench.Notebooks).</summary>
internal static class NbformatText
{
    /// <summary>Parse options: strict JSON (no comments, no trailing commas), as Jupyter writes it.</summary>
    internal static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 256,
    };

    /// <summary>
    /// Splits text into lines that keep their "\n", as nbformat stores multi-line strings
    /// ("a\nb" -> ["a\n", "b"]; "a\n" -> ["a\n"]; "" -> []).
    /// </summary>
    internal static JsonArray SplitLines(string text)
    {
        var lines = new JsonArray();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(JsonValue.Create(text[start..(i + 1)]));
            start = i + 1;
        }
        if (start < text.Length) lines.Add(JsonValue.Create(text[start..]));
        return lines;
    }
}
