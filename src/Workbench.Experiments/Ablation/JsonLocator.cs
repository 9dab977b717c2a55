using System.Text;
using System.Text.Json;

namespace Workbench.Experiments.Ablation;

/// <summary>
/// Where each value of a JSON document sits: the 1-based line of every property and array element, by path
/// ("model.latentDim", "axes.activation[2]", "axes.hidden[1][0]"). System.Text.Json reports lines only for syntax
/// and type errors; checks that happen after parsing (an unknown activation in an axis) use this to name the line too.
/// </summary>
internal sealed class JsonLocator
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
    private readonly List<(string Path, int Line)> _entries = [];
    private readonly List<(string Path, int Line, int FirstLine)> _duplicates = [];

    /// <summary>Every path in document order with its line.</summary>
    public IReadOnlyList<(string Path, int Line)> Entries => _entries;

    /// <summary>Properties that appear twice in the same object: the later occurrence and the first one's line.</summary>
    public IReadOnlyList<(string Path, int Line, int FirstLine)> Duplicates => _duplicates;

    /// <summary>The line of <paramref name="path"/>, or null when the document has no such value.</summary>
    public int? LineOf(string path) => _lines.TryGetValue(path, out int line) ? line : null;

    /// <summary>The direct properties of the object at <paramref name="path"/>, with their lines, in document order.</summary>
    public IEnumerable<(string Name, int Line)> PropertiesOf(string path)
    {
        string prefix = path.Length == 0 ? "" : path + ".";
        foreach (var (p, line) in _entries)
        {
            if (!p.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = p[prefix.Length..];
            if (rest.Length > 0 && rest.IndexOfAny(['.', '[']) < 0) yield return (rest, line);
        }
    }

    /// <summary>Scans <paramref name="json"/>; a syntax error surfaces as the reader's <see cref="JsonException"/> (with its line).</summary>
    public static JsonLocator Scan(string json)
    {
        var locator = new JsonLocator();
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        var newlines = new List<long>();
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n') newlines.Add(i);

        int LineAt(long offset)
        {
            int index = newlines.BinarySearch(offset);
            return (index < 0 ? ~index : index) + 1;
        }

        var reader = new Utf8JsonReader(bytes);
        var stack = new Stack<Frame>();
        string pendingProperty = "";
        while (reader.Read())
        {
            int line = LineAt(reader.TokenStartIndex);
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                {
                    var parent = stack.Peek();
                    string name = reader.GetString()!;
                    string path = parent.Path.Length == 0 ? name : $"{parent.Path}.{name}";
                    if (!parent.Names.Add(name)) locator._duplicates.Add((path, line, locator._lines[path]));
                    else locator.Add(path, line);
                    pendingProperty = path;
                    break;
                }
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    stack.Push(new Frame(locator.ValuePath(stack, pendingProperty, line), reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    stack.Pop();
                    break;
                case JsonTokenType.Comment:
                case JsonTokenType.None:
                    break;
                default:
                    locator.ValuePath(stack, pendingProperty, line);
                    break;
            }
        }
        return locator;
    }

    /// <summary>The path of the value starting now: the pending property's, or the next element of the enclosing array.</summary>
    private string ValuePath(Stack<Frame> stack, string pendingProperty, int line)
    {
        if (stack.Count == 0) return "";
        var top = stack.Peek();
        if (!top.IsArray) return pendingProperty;
        string path = $"{top.Path}[{top.Index++}]";
        Add(path, line);
        return path;
    }

    private void Add(string path, int line)
    {
        _lines.TryAdd(path, line);
        _entries.Add((path, line));
    }

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public int Index { get; set; }
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    }
}
