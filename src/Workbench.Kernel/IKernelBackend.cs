using System.Text.Json.Nodes;

namespace Workbench.Kernel;

/// <summary>
/// What the Jupyter kernel runs code with. <see cref="KernelHost"/> owns the protocol (sockets, signing,
/// status, execution counts, replies); a backend only evaluates. The host calls the backend from one thread,
/// one request at a time, in the order requests arrive, so a backend need not be thread-safe.
/// Cursor positions given to and returned by a backend are UTF-16 indices into the code string; the host
/// converts to and from the protocol's code-point offsets.
/// </summary>
public interface IKernelBackend
{
    /// <summary>The language_info block of kernel_info_reply.</summary>
    KernelLanguageInfo LanguageInfo { get; }

    /// <summary>Text a console frontend prints when it connects.</summary>
    string Banner { get; }

    /// <summary>Links a frontend lists in its help menu.</summary>
    IReadOnlyList<KernelHelpLink> HelpLinks { get; }

    /// <summary>
    /// Runs one cell. Outputs go to <paramref name="output"/> as they happen (from any thread). The token is
    /// cancelled when the user interrupts (interrupt_request or SIGINT) or the kernel shuts down: honour it
    /// promptly, by returning <see cref="ExecutionOutcome.Error"/> or throwing <see cref="OperationCanceledException"/>.
    /// Any other exception is reported to the user as an error of this cell.
    /// </summary>
    Task<ExecutionOutcome> ExecuteAsync(ExecuteRequest request, IExecutionOutput output, CancellationToken cancellationToken);

    /// <summary>Completions for the code at <paramref name="cursorPosition"/>.</summary>
    Task<CompletionResult> CompleteAsync(string code, int cursorPosition, CancellationToken cancellationToken);

    /// <summary>Help for the object at <paramref name="cursorPosition"/>; <paramref name="detailLevel"/> is 0 or 1.</summary>
    Task<InspectionResult> InspectAsync(string code, int cursorPosition, int detailLevel, CancellationToken cancellationToken);

    /// <summary>Whether a console should run the code now or let the user keep typing.</summary>
    IsCompleteResult IsComplete(string code);

    /// <summary>
    /// The kernel is going away: release resources. With <paramref name="restart"/> the client starts a fresh
    /// kernel process right after this one exits, so state that should survive a restart can be saved here.
    /// </summary>
    Task ShutdownAsync(bool restart);
}

/// <summary>One execute_request as the backend sees it.</summary>
/// <param name="Code">The cell's source.</param>
/// <param name="Silent">Run as quietly as possible: the host publishes no outputs for a silent cell.</param>
/// <param name="StoreHistory">Whether the cell counts towards the execution count (false when silent).</param>
/// <param name="ExecutionCount">The cell's number ("In [n]"); unchanged from the previous cell when not stored.</param>
public sealed record ExecuteRequest(string Code, bool Silent, bool StoreHistory, int ExecutionCount);

/// <summary>Where a running cell sends its outputs; each call becomes one IOPub message parented to the cell.</summary>
public interface IExecutionOutput
{
    /// <summary>Text written to stdout or stderr (stream message).</summary>
    void WriteStream(KernelStream stream, string text);

    /// <summary>A rich display (display_data); give a <paramref name="displayId"/> to update it later.</summary>
    void Display(MimeBundle bundle, string? displayId = null);

    /// <summary>Replaces every display shown with <paramref name="displayId"/> (update_display_data).</summary>
    void UpdateDisplay(MimeBundle bundle, string displayId);

    /// <summary>The cell's value (execute_result, numbered with the cell's execution count).</summary>
    void Result(MimeBundle bundle);
}

/// <summary>The two output streams of the stream message.</summary>
public enum KernelStream
{
    Stdout,
    Stderr,
}

/// <summary>How a cell ended: ok, or an error the user sees as ename / evalue / traceback.</summary>
public sealed record ExecutionOutcome
{
    private ExecutionOutcome(bool isError, string errorName, string errorValue, IReadOnlyList<string> traceback)
    {
        IsError = isError;
        ErrorName = errorName;
        ErrorValue = errorValue;
        Traceback = traceback;
    }

    public bool IsError { get; }
    public string ErrorName { get; }
    public string ErrorValue { get; }
    public IReadOnlyList<string> Traceback { get; }

    public static ExecutionOutcome Ok { get; } = new(false, "", "", []);

    /// <summary>An error; without a traceback the user sees "name: value".</summary>
    public static ExecutionOutcome Error(string name, string value, IReadOnlyList<string>? traceback = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(true, name, value, traceback ?? [$"{name}: {value}"]);
    }
}

/// <summary>A MIME bundle: one representation of a value per MIME type, plus per-type metadata.</summary>
public sealed class MimeBundle
{
    private readonly Dictionary<string, JsonNode> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _metadata = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, JsonNode> Data => _data;
    public IReadOnlyDictionary<string, JsonNode> Metadata => _metadata;

    /// <summary>A bundle holding only text/plain.</summary>
    public static MimeBundle PlainText(string text) => new MimeBundle().Add("text/plain", text);

    /// <summary>Adds a textual representation (text/plain, text/html, image/png as base64, ...).</summary>
    public MimeBundle Add(string mimeType, string text)
    {
        _data[CheckMimeType(mimeType)] = JsonValue.Create(text);
        return this;
    }

    /// <summary>Adds a JSON representation (application/json, application/vnd.plotly.v1+json, ...).</summary>
    public MimeBundle AddJson(string mimeType, JsonNode json)
    {
        _data[CheckMimeType(mimeType)] = json.DeepClone();
        return this;
    }

    /// <summary>Metadata for one MIME type, e.g. {"width": 280} for an image.</summary>
    public MimeBundle AddMetadata(string mimeType, JsonNode metadata)
    {
        _metadata[CheckMimeType(mimeType)] = metadata.DeepClone();
        return this;
    }

    internal JsonObject DataJson() => ToObject(_data);
    internal JsonObject MetadataJson() => ToObject(_metadata);

    private static JsonObject ToObject(Dictionary<string, JsonNode> entries)
    {
        var result = new JsonObject();
        foreach (var (key, value) in entries) result[key] = value.DeepClone();
        return result;
    }

    private static string CheckMimeType(string mimeType)
    {
        var slash = mimeType.IndexOf('/');
        if (slash <= 0 || slash == mimeType.Length - 1)
            throw new ArgumentException(
                $"'{mimeType}' is not a MIME type; use the form type/subtype, e.g. \"text/plain\" or \"image/png\".",
                nameof(mimeType));
        return mimeType;
    }
}

/// <summary>Completions replacing code[CursorStart..CursorEnd] (UTF-16 indices).</summary>
/// <param name="Types">Optional kind of each match ("method", "class", ...), parallel to Matches.</param>
public sealed record CompletionResult(IReadOnlyList<string> Matches, int CursorStart, int CursorEnd,
    IReadOnlyList<string>? Types = null);

/// <summary>Inspection (tooltip / help) for the object under the cursor.</summary>
public sealed record InspectionResult(bool Found, MimeBundle? Bundle)
{
    public static InspectionResult NotFound { get; } = new(false, null);
}

/// <summary>Status values of is_complete_reply.</summary>
public enum IsCompleteStatus
{
    Complete,
    Incomplete,
    Invalid,
    Unknown,
}

/// <summary>is_complete_reply: with <see cref="IsCompleteStatus.Incomplete"/>, <see cref="Indent"/> starts the next line.</summary>
public sealed record IsCompleteResult(IsCompleteStatus Status, string Indent = "");

/// <summary>A help-menu entry.</summary>
public sealed record KernelHelpLink(string Text, string Url);

/// <summary>The language_info block of kernel_info_reply.</summary>
/// <param name="Name">Language name, e.g. "csharp".</param>
/// <param name="Version">Language version, e.g. "14.0".</param>
/// <param name="MimeType">MIME type of a script, e.g. "text/x-csharp".</param>
/// <param name="FileExtension">Extension of a script, with its dot, e.g. ".cs".</param>
/// <param name="PygmentsLexer">Pygments lexer nbconvert highlights with.</param>
/// <param name="CodeMirrorMode">CodeMirror mode the notebook editor highlights with.</param>
public sealed record KernelLanguageInfo(string Name, string Version, string MimeType, string FileExtension,
    string PygmentsLexer, string CodeMirrorMode)
{
    /// <summary>C# as Jupyter frontends know it.</summary>
    public static KernelLanguageInfo CSharp(string version) =>
        new("csharp", version, "text/x-csharp", ".cs", "csharp", "text/x-csharp");
}
