using Workbench.Vae.IO;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workbench.Notebooks;

/// <summary>
/// A notebook file that cannot be read: not JSON, not nbformat 4, or a required part missing or of the
/// wrong type. The message names the file and the problem.
/// </summary>
public sealed class NotebookFormatException : IOException
{
    public NotebookFormatException(string path, string problem, Exception? inner = null)
        : base($"Notebook '{path}': {problem}", inner)
    {
        NotebookPath = path;
        Problem = problem;
    }

    /// <summary>The file (or the name given to text that was parsed).</summary>
    public string NotebookPath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}

/// <summary>
/// A Jupyter notebook (nbformat 4.x): a list of cells and free-form metadata. Reading keeps every part
/// it does not model (unknown keys at every level, the list-or-string form of each multi-line string,
/// numbers' exact text), so load -> save gives back equal JSON; saving writes Jupyter's layout
/// (sorted keys, one-space indent, trailing newline) atomically.
/// </summary>
public sealed class Notebook
{
    /// <summary>The major format version this class reads and writes.</summary>
    public const int Format = 4;

    /// <summary>The minor version given to new notebooks (4.5 introduced cell ids).</summary>
    public const int LatestMinor = 5;

    /// <summary>nbformat_minor.</summary>
    public int FormatMinor { get; set; } = LatestMinor;

    /// <summary>Notebook metadata (kernelspec, language_info, anything else).</summary>
    public JsonObject Metadata { get; set; } = new();

    /// <summary>The cells, in order.</summary>
    public List<Cell> Cells { get; } = [];

    /// <summary>Top-level keys this class does not model; written back unchanged.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>True when cells carry ids (nbformat 4.5 and later).</summary>
    public bool UsesCellIds => FormatMinor >= 5;

    /// <summary>Reads a notebook file. Throws <see cref="NotebookFormatException"/> naming the file when it is not a valid nbformat 4 notebook.</summary>
    public static Notebook Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Notebook '{path}' does not exist.", path);
        string text;
        try
        {
            text = File.ReadAllText(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new NotebookFormatException(path, "is not UTF-8 text; Jupyter notebooks are UTF-8 JSON.", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses notebook JSON; <paramref name="source"/> names it in error messages.</summary>
    public static Notebook Parse(string json, string source = "(text)")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: NbformatText.DocumentOptions);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line
                ? $" at line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}"
                : "";
            throw new NotebookFormatException(source,
                $"is not valid JSON{where}: {FirstSentence(e.Message)} Fix the file in a text editor, or re-save it from Jupyter.", e);
        }
        try
        {
            return NotebookReader.Read(root, source);
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            // JsonObject reports a duplicate key only when it is first enumerated.
            throw new NotebookFormatException(source, $"is not valid notebook JSON: {e.Message}", e);
        }
    }

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var s = (cut < 0 ? message : message[..cut]).Trim();
        return s.EndsWith('.') ? s : s + ".";
    }

    /// <summary>The notebook as a JSON object (a fresh tree each call).</summary>
    public JsonObject ToJsonObject()
    {
        var obj = new JsonObject();
        foreach (var (k, v) in Extra) obj[k] = v?.DeepClone();
        obj["cells"] = new JsonArray(Cells.Select(c => (JsonNode)c.ToJson()).ToArray());
        obj["metadata"] = Metadata.DeepClone();
        obj["nbformat"] = Format;
        obj["nbformat_minor"] = FormatMinor;
        return obj;
    }

    /// <summary>The notebook as Jupyter writes it: sorted keys, one-space indent, trailing newline.</summary>
    public string ToJson() => JupyterJson.Serialize(ToJsonObject());

    /// <summary>Writes the notebook to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllText(path, ToJson());
    }

    /// <summary>A deep copy.</summary>
    public Notebook Clone() => NotebookReader.Read(ToJsonObject(), "(copy)");

    /// <summary>The first cell carrying <paramref name="tag"/> in metadata.tags, and its index; (-1, null) when none does.</summary>
    public (int Index, Cell? Cell) FindTagged(string tag)
    {
        for (int i = 0; i < Cells.Count; i++)
            if (Cells[i].HasTag(tag)) return (i, Cells[i]);
        return (-1, null);
    }
}

/// <summary>Kinds of notebook cell.</summary>
public enum CellType { Code, Markdown, Raw }

/// <summary>One notebook cell. Code cells also have outputs and an execution count.</summary>
public sealed class Cell
{
    private string source = "";
    private JsonArray? sourceLines; // the list as read, reused on write while Source is unchanged

    public Cell(CellType type, string source = "", string? id = null)
    {
        Type = type;
        Source = source;
        Id = id;
    }

    /// <summary>A new code cell with a fresh id.</summary>
    public static Cell Code(string source) => new(CellType.Code, source, NewId());

    /// <summary>A new markdown cell with a fresh id.</summary>
    public static Cell Markdown(string source) => new(CellType.Markdown, source, NewId());

    /// <summary>A fresh cell id: 8 hex digits, as Jupyter makes them (nbformat 4.5: [a-zA-Z0-9-_]{1,64}).</summary>
    public static string NewId() => Guid.NewGuid().ToString("N")[..8];

    public CellType Type { get; set; }

    /// <summary>The cell id (nbformat 4.5+), or null.</summary>
    public string? Id { get; set; }

    /// <summary>The cell's text.</summary>
    public string Source
    {
        get => source;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value != source) sourceLines = null;
            source = value;
        }
    }

    /// <summary>Whether the source is written as a list of lines (Jupyter's form) or as one string; kept from the file read.</summary>
    public bool SourceAsLines { get; set; } = true;

    /// <summary>Cell metadata (tags, collapsed, anything else).</summary>
    public JsonObject Metadata { get; set; } = new();

    /// <summary>Outputs of a code cell (always empty for markdown and raw cells).</summary>
    public List<CellOutput> Outputs { get; } = [];

    /// <summary>The execution count of a code cell: the N in In [N]; null when not run.</summary>
    public int? ExecutionCount { get; set; }

    /// <summary>Keys this class does not model (e.g. attachments); written back unchanged.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>The strings in metadata.tags (empty when there are none).</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags
            ? tags.Select(t => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList()
            : [];

    /// <summary>True when metadata.tags contains <paramref name="tag"/>.</summary>
    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    /// <summary>Adds <paramref name="tag"/> to metadata.tags unless it is there.</summary>
    public Cell AddTag(string tag)
    {
        if (HasTag(tag)) return this;
        if (Metadata["tags"] is not JsonArray tags)
        {
            tags = [];
            Metadata["tags"] = tags;
        }
        tags.Add(JsonValue.Create(tag));
        return this;
    }

    internal void SetSourceFromFile(string text, JsonArray? lines)
    {
        source = text;
        sourceLines = lines;
        SourceAsLines = lines is not null;
    }

    internal JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (k, v) in Extra) obj[k] = v?.DeepClone();
        obj["cell_type"] = Type switch
        {
            CellType.Code => "code",
            CellType.Markdown => "markdown",
            _ => "raw",
        };
        if (Id is not null) obj["id"] = Id;
        obj["metadata"] = Metadata.DeepClone();
        obj["source"] = SourceAsLines ? (sourceLines?.DeepClone() ?? NbformatText.SplitLines(source)) : JsonValue.Create(source);
        if (Type == CellType.Code)
        {
            obj["execution_count"] = ExecutionCount is int n ? JsonValue.Create(n) : null;
            obj["outputs"] = new JsonArray(Outputs.Select(o => (JsonNode)o.ToJson()).ToArray());
        }
        return obj;
    }

    public override string ToString() => $"{Type} cell{(Id is null ? "" : " " + Id)}: {(source.Length > 40 ? source[..40] + "..." : source)}";
}

/// <summary>One output of a code cell. The four nbformat 4 kinds derive from this.</summary>
public abstract class CellOutput
{
    /// <summary>"stream", "display_data", "execute_result" or "error".</summary>
    public abstract string OutputType { get; }

    /// <summary>Keys this class does not model; written back unchanged.</summary>
    public JsonObject Extra { get; } = new();

    internal JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (k, v) in Extra) obj[k] = v?.DeepClone();
        obj["output_type"] = OutputType;
        WriteFields(obj);
        return obj;
    }

    private protected abstract void WriteFields(JsonObject obj);
}

/// <summary>Text written to stdout or stderr while the cell ran.</summary>
public sealed class StreamOutput : CellOutput
{
    private string text;
    private JsonNode? textAsRead;

    public StreamOutput(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        Name = name;
        this.text = text;
    }

    public override string OutputType => "stream";

    /// <summary>"stdout" or "stderr".</summary>
    public string Name { get; }

    /// <summary>The text.</summary>
    public string Text
    {
        get => text;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value != text) textAsRead = null;
            text = value;
        }
    }

    internal void SetTextFromFile(JsonNode node)
    {
        text = MimeBundle.TextOf(node);
        textAsRead = node.DeepClone();
    }

    private protected override void WriteFields(JsonObject obj)
    {
        obj["name"] = Name;
        obj["text"] = textAsRead?.DeepClone() ?? NbformatText.SplitLines(text);
    }
}

/// <summary>A value shown with display(): a MIME bundle and its metadata.</summary>
public sealed class DisplayDataOutput : CellOutput
{
    public DisplayDataOutput(MimeBundle data, JsonObject? metadata = null, string? displayId = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        Metadata = metadata ?? new JsonObject();
        DisplayId = displayId;
    }

    public override string OutputType => "display_data";

    /// <summary>The representations; replaced in place when the display is updated.</summary>
    public MimeBundle Data { get; set; }

    public JsonObject Metadata { get; set; }

    /// <summary>
    /// The display id that update_display_data messages refer to. A run-time property: nbformat does not
    /// store it, so it is null for outputs read from a file.
    /// </summary>
    public string? DisplayId { get; }

    private protected override void WriteFields(JsonObject obj)
    {
        obj["data"] = Data.ToJson();
        obj["metadata"] = Metadata.DeepClone();
    }
}

/// <summary>The value of the cell's trailing expression.</summary>
public sealed class ExecuteResultOutput : CellOutput
{
    public ExecuteResultOutput(MimeBundle data, int? executionCount, JsonObject? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Data = data;
        ExecutionCount = executionCount;
        Metadata = metadata ?? new JsonObject();
    }

    public override string OutputType => "execute_result";

    public MimeBundle Data { get; set; }

    public int? ExecutionCount { get; set; }

    public JsonObject Metadata { get; set; }

    private protected override void WriteFields(JsonObject obj)
    {
        obj["data"] = Data.ToJson();
        obj["execution_count"] = ExecutionCount is int n ? JsonValue.Create(n) : null;
        obj["metadata"] = Metadata.DeepClone();
    }
}

/// <summary>A failure: exception (or error) name, message and traceback lines.</summary>
public sealed class ErrorOutput : CellOutput
{
    public ErrorOutput(string ename, string evalue, IEnumerable<string> traceback)
    {
        ArgumentNullException.ThrowIfNull(ename);
        ArgumentNullException.ThrowIfNull(evalue);
        ArgumentNullException.ThrowIfNull(traceback);
        EName = ename;
        EValue = evalue;
        Traceback = traceback.ToList();
    }

    public override string OutputType => "error";

    /// <summary>The error's name, e.g. "DivideByZeroException" or "CompilationError".</summary>
    public string EName { get; }

    /// <summary>The error's message.</summary>
    public string EValue { get; }

    /// <summary>Lines describing where it happened.</summary>
    public List<string> Traceback { get; }

    private protected override void WriteFields(JsonObject obj)
    {
        obj["ename"] = EName;
        obj["evalue"] = EValue;
        obj["traceback"] = new JsonArray(Traceback.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
    }

    public override string ToString() => $"{EName}: {EValue}";
}

/// <summary>Turns parsed JSON into the model, checking what nbformat 4 requires and naming what is wrong.</summary>
internal static class NotebookReader
{
    internal static Notebook Read(JsonNode? root, string source)
    {
        if (root is not JsonObject obj)
            throw new NotebookFormatException(source, $"the top level must be a JSON object with 'cells', 'metadata', 'nbformat' and 'nbformat_minor', but it is {Kind(root)}.");

        var nbformat = obj["nbformat"];
        if (nbformat is null)
            throw new NotebookFormatException(source, "has no 'nbformat' field, so it is not a Jupyter notebook (expected nbformat 4).");
        if (!TryInt(nbformat, out int major))
            throw new NotebookFormatException(source, $"'nbformat' must be a whole number, but it is {Kind(nbformat)}.");
        if (major != Notebook.Format)
            throw new NotebookFormatException(source,
                $"is nbformat {major}, but only nbformat 4 is supported. Re-save it with a current Jupyter (File > Save), which writes nbformat 4.");

        int minor = 0;
        if (obj["nbformat_minor"] is { } minorNode && !TryInt(minorNode, out minor))
            throw new NotebookFormatException(source, $"'nbformat_minor' must be a whole number, but it is {Kind(minorNode)}.");

        if (!obj.ContainsKey("cells"))
            throw new NotebookFormatException(source, "has no 'cells' list. A notebook needs \"cells\": [...] at the top level, even when empty.");
        if (obj["cells"] is not JsonArray cells)
            throw new NotebookFormatException(source, $"'cells' must be a list, but it is {Kind(obj["cells"])}.");

        var notebook = new Notebook { FormatMinor = minor };
        if (obj.ContainsKey("metadata"))
        {
            notebook.Metadata = obj["metadata"] as JsonObject
                ?? throw new NotebookFormatException(source, $"'metadata' must be an object, but it is {Kind(obj["metadata"])}.");
            notebook.Metadata = (JsonObject)notebook.Metadata.DeepClone();
        }
        foreach (var (k, v) in obj)
            if (k is not ("cells" or "metadata" or "nbformat" or "nbformat_minor"))
                notebook.Extra[k] = v?.DeepClone();

        for (int i = 0; i < cells.Count; i++)
            notebook.Cells.Add(ReadCell(cells[i], $"cell {i + 1}", source));
        return notebook;
    }

    private static Cell ReadCell(JsonNode? node, string where, string source)
    {
        if (node is not JsonObject obj)
            throw new NotebookFormatException(source, $"{where} must be an object, but it is {Kind(node)}.");
        var typeText = RequireString(obj, "cell_type", where, source);
        var type = typeText switch
        {
            "code" => CellType.Code,
            "markdown" => CellType.Markdown,
            "raw" => CellType.Raw,
            _ => throw new NotebookFormatException(source, $"{where} has cell_type '{typeText}'; expected code, markdown or raw."),
        };
        var cell = new Cell(type);
        if (obj["id"] is { } id)
            cell.Id = id is JsonValue idv && idv.TryGetValue<string>(out var ids)
                ? ids
                : throw new NotebookFormatException(source, $"{where}: 'id' must be a string, but it is {Kind(id)}.");

        if (!obj.ContainsKey("source"))
            throw new NotebookFormatException(source, $"{where} has no 'source'.");
        var src = obj["source"];
        var (text, lines) = ReadMultiline(src, $"{where}: 'source'", source);
        cell.SetSourceFromFile(text, lines);

        if (obj.ContainsKey("metadata"))
            cell.Metadata = obj["metadata"]?.DeepClone() as JsonObject
                ?? throw new NotebookFormatException(source, $"{where}: 'metadata' must be an object, but it is {Kind(obj["metadata"])}.");

        var known = new HashSet<string>(StringComparer.Ordinal) { "cell_type", "id", "source", "metadata" };
        if (type == CellType.Code)
        {
            known.Add("outputs");
            known.Add("execution_count");
            if (obj["execution_count"] is { } count)
                cell.ExecutionCount = TryInt(count, out int n) ? n
                    : throw new NotebookFormatException(source, $"{where}: 'execution_count' must be a whole number or null, but it is {Kind(count)}.");
            if (obj.ContainsKey("outputs"))
            {
                if (obj["outputs"] is not JsonArray outputs)
                    throw new NotebookFormatException(source, $"{where}: 'outputs' must be a list, but it is {Kind(obj["outputs"])}.");
                for (int j = 0; j < outputs.Count; j++)
                    cell.Outputs.Add(ReadOutput(outputs[j], $"{where}, output {j + 1}", source));
            }
        }
        foreach (var (k, v) in obj)
            if (!known.Contains(k)) cell.Extra[k] = v?.DeepClone();
        return cell;
    }

    private static CellOutput ReadOutput(JsonNode? node, string where, string source)
    {
        if (node is not JsonObject obj)
            throw new NotebookFormatException(source, $"{where} must be an object, but it is {Kind(node)}.");
        var type = RequireString(obj, "output_type", where, source);
        CellOutput output;
        string[] known;
        switch (type)
        {
            case "stream":
            {
                var name = RequireString(obj, "name", where, source);
                if (!obj.ContainsKey("text")) throw new NotebookFormatException(source, $"{where} (stream) has no 'text'.");
                var stream = new StreamOutput(name, "");
                ReadMultiline(obj["text"], $"{where}: 'text'", source);
                stream.SetTextFromFile(obj["text"]!);
                output = stream;
                known = ["output_type", "name", "text"];
                break;
            }
            case "display_data":
                output = new DisplayDataOutput(ReadBundle(obj, where, source), ReadMetadata(obj, where, source));
                known = ["output_type", "data", "metadata"];
                break;
            case "execute_result":
            {
                int? count = null;
                if (obj["execution_count"] is { } c)
                    count = TryInt(c, out int n) ? n
                        : throw new NotebookFormatException(source, $"{where}: 'execution_count' must be a whole number or null, but it is {Kind(c)}.");
                output = new ExecuteResultOutput(ReadBundle(obj, where, source), count, ReadMetadata(obj, where, source));
                known = ["output_type", "data", "metadata", "execution_count"];
                break;
            }
            case "error":
            {
                var ename = RequireString(obj, "ename", where, source);
                var evalue = RequireString(obj, "evalue", where, source);
                var traceback = new List<string>();
                if (obj["traceback"] is { } tb)
                {
                    if (tb is not JsonArray tba || tba.Any(t => t is not JsonValue tv || !tv.TryGetValue<string>(out _)))
                        throw new NotebookFormatException(source, $"{where}: 'traceback' must be a list of strings.");
                    traceback.AddRange(tba.Select(t => t!.GetValue<string>()));
                }
                output = new ErrorOutput(ename, evalue, traceback);
                known = ["output_type", "ename", "evalue", "traceback"];
                break;
            }
            default:
                throw new NotebookFormatException(source,
                    $"{where} has output_type '{type}'; expected stream, display_data, execute_result or error.");
        }
        foreach (var (k, v) in obj)
            if (Array.IndexOf(known, k) < 0) output.Extra[k] = v?.DeepClone();
        return output;
    }

    private static MimeBundle ReadBundle(JsonObject obj, string where, string source)
    {
        var bundle = new MimeBundle();
        if (!obj.ContainsKey("data")) return bundle;
        if (obj["data"] is not JsonObject data)
            throw new NotebookFormatException(source, $"{where}: 'data' must be an object of MIME type -> value, but it is {Kind(obj["data"])}.");
        foreach (var (mime, value) in data)
        {
            if (value is null)
                throw new NotebookFormatException(source, $"{where}: the value for '{mime}' is null.");
            try
            {
                bundle.Set(mime, value.DeepClone());
            }
            catch (ArgumentException e)
            {
                throw new NotebookFormatException(source, $"{where}: {e.Message}", e);
            }
        }
        return bundle;
    }

    private static JsonObject ReadMetadata(JsonObject obj, string where, string source)
    {
        if (!obj.ContainsKey("metadata")) return new JsonObject();
        return obj["metadata"]?.DeepClone() as JsonObject
            ?? throw new NotebookFormatException(source, $"{where}: 'metadata' must be an object, but it is {Kind(obj["metadata"])}.");
    }

    /// <summary>nbformat's multiline_string: one string, or a list of strings to concatenate.</summary>
    private static (string Text, JsonArray? Lines) ReadMultiline(JsonNode? node, string where, string source)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return (s, null);
        if (node is JsonArray a)
        {
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < a.Count; i++)
            {
                if (a[i] is not JsonValue lv || !lv.TryGetValue<string>(out var line))
                    throw new NotebookFormatException(source, $"{where}: item {i + 1} must be a string, but it is {Kind(a[i])}.");
                sb.Append(line);
            }
            return (sb.ToString(), (JsonArray)a.DeepClone());
        }
        throw new NotebookFormatException(source, $"{where} must be a string or a list of strings, but it is {Kind(node)}.");
    }

    private static string RequireString(JsonObject obj, string key, string where, string source)
    {
        if (!obj.ContainsKey(key)) throw new NotebookFormatException(source, $"{where} has no '{key}'.");
        return obj[key] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new NotebookFormatException(source, $"{where}: '{key}' must be a string, but it is {Kind(obj[key])}.");
    }

    private static bool TryInt(JsonNode node, out int value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string \"{Shorten(v.GetValue<string>())}\"",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => node.GetType().Name,
    };

    private static string Shorten(string s) => s.Length <= 30 ? s : s[..30] + "...";
}
