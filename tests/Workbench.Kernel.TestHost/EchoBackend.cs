using Workbench.Kernel;

namespace Workbench.Kernel.TestHost;

/// <summary>
/// A trivial kernel backend for exercising the protocol end to end. A cell is a list of commands, one per line:
/// <code>
/// echo TEXT          write TEXT and a newline to stdout
/// warn TEXT          write TEXT and a newline to stderr
/// value TEXT         make TEXT the cell's result (execute_result)
/// display ID TEXT    show TEXT as a display with id ID
/// update ID TEXT     replace the display with id ID by TEXT
/// sleep SECONDS      wait, stopping at once when interrupted
/// hang SECONDS       block the thread, deaf to interrupts (a cell stuck in native code)
/// error NAME MESSAGE fail the cell with exception NAME
/// throw MESSAGE      throw an InvalidOperationException out of the backend (a backend bug)
/// </code>
/// Blank lines are skipped; a line ending in a backslash continues on the next (is_complete says "incomplete").
/// </summary>
public sealed class EchoBackend : IKernelBackend
{
    private static readonly (string Name, string Usage, string Help)[] Commands =
    [
        ("echo", "echo TEXT", "writes TEXT and a newline to stdout"),
        ("warn", "warn TEXT", "writes TEXT and a newline to stderr"),
        ("value", "value TEXT", "makes TEXT the cell's result"),
        ("display", "display ID TEXT", "shows TEXT as a display with id ID"),
        ("update", "update ID TEXT", "replaces the display with id ID by TEXT"),
        ("sleep", "sleep SECONDS", "waits SECONDS seconds; an interrupt stops it"),
        ("hang", "hang SECONDS", "blocks SECONDS seconds and ignores interrupts"),
        ("error", "error NAME MESSAGE", "fails the cell with exception NAME"),
        ("throw", "throw MESSAGE", "throws an InvalidOperationException out of the backend"),
    ];

    private readonly List<ExecuteRequest> _requests = [];
    private readonly Lock _lock = new();

    public KernelLanguageInfo LanguageInfo { get; } = KernelLanguageInfo.CSharp("14.0");

    public string Banner => "Workbench echo backend: echo, warn, value, display, update, sleep, hang, error, throw.";

    public IReadOnlyList<KernelHelpLink> HelpLinks { get; } = [new("Echo backend commands", "https://example.invalid/echo")];

    /// <summary>Every request executed so far, in order.</summary>
    public IReadOnlyList<ExecuteRequest> Requests
    {
        get { lock (_lock) return _requests.ToArray(); }
    }

    /// <summary>The restart flag of each ShutdownAsync call.</summary>
    public List<bool> Shutdowns { get; } = [];

    public async Task<ExecutionOutcome> ExecuteAsync(ExecuteRequest request, IExecutionOutput output,
        CancellationToken cancellationToken)
    {
        lock (_lock) _requests.Add(request);
        var lines = request.Code.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var (command, rest) = SplitWord(line);
            switch (command)
            {
                case "echo": output.WriteStream(KernelStream.Stdout, rest + "\n"); break;
                case "warn": output.WriteStream(KernelStream.Stderr, rest + "\n"); break;
                case "value": output.Result(MimeBundle.PlainText(rest)); break;
                case "display":
                {
                    var (id, text) = SplitWord(rest);
                    output.Display(MimeBundle.PlainText(text).Add("text/html", $"<b>{text}</b>"), id);
                    break;
                }
                case "update":
                {
                    var (id, text) = SplitWord(rest);
                    output.UpdateDisplay(MimeBundle.PlainText(text).Add("text/html", $"<b>{text}</b>"), id);
                    break;
                }
                case "sleep" or "hang":
                    if (!double.TryParse(rest, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                        return ExecutionOutcome.Error("ArgumentException", $"line {i + 1}: {command} needs a non-negative number of seconds, not '{rest}'.");
                    if (command == "sleep") await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
                    else Thread.Sleep(TimeSpan.FromSeconds(seconds));
                    break;
                case "throw":
                    throw new InvalidOperationException(rest);
                case "error":
                {
                    var (name, message) = SplitWord(rest);
                    return ExecutionOutcome.Error(name.Length > 0 ? name : "Exception", message,
                        [$"{name}: {message}", $"   at line {i + 1} of the cell"]);
                }
                default:
                    return ExecutionOutcome.Error("UnknownCommand",
                        $"line {i + 1}: '{command}' is not a command; use {string.Join(", ", Commands.Select(c => c.Name))}.");
            }
        }
        return ExecutionOutcome.Ok;
    }

    public Task<CompletionResult> CompleteAsync(string code, int cursorPosition, CancellationToken cancellationToken)
    {
        var start = cursorPosition;
        while (start > 0 && char.IsLetter(code[start - 1])) start--;
        var lineStart = start == 0 ? 0 : code.LastIndexOf('\n', start - 1) + 1;
        // Only the first word of a line is a command.
        if (code[lineStart..start].Trim().Length > 0)
            return Task.FromResult(new CompletionResult([], cursorPosition, cursorPosition));
        var prefix = code[start..cursorPosition];
        var matches = Commands.Select(c => c.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
        return Task.FromResult(new CompletionResult(matches, start, cursorPosition, matches.Select(_ => "keyword").ToArray()));
    }

    public Task<InspectionResult> InspectAsync(string code, int cursorPosition, int detailLevel, CancellationToken cancellationToken)
    {
        int start = cursorPosition, end = cursorPosition;
        while (start > 0 && char.IsLetter(code[start - 1])) start--;
        while (end < code.Length && char.IsLetter(code[end])) end++;
        var word = code[start..end];
        foreach (var (name, usage, help) in Commands)
            if (name == word)
            {
                var text = detailLevel == 0 ? $"{usage}\n{help}" : $"{usage}\n{help}\n(an echo backend command)";
                return Task.FromResult(new InspectionResult(true, MimeBundle.PlainText(text)));
            }
        return Task.FromResult(InspectionResult.NotFound);
    }

    public IsCompleteResult IsComplete(string code)
    {
        if (code.TrimEnd(' ', '\t').EndsWith('\\')) return new IsCompleteResult(IsCompleteStatus.Incomplete, "    ");
        foreach (var raw in code.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length > 0 && !Commands.Any(c => c.Name == SplitWord(line).Word))
                return new IsCompleteResult(IsCompleteStatus.Invalid);
        }
        return new IsCompleteResult(IsCompleteStatus.Complete);
    }

    public Task ShutdownAsync(bool restart)
    {
        lock (_lock) Shutdowns.Add(restart);
        return Task.CompletedTask;
    }

    private static (string Word, string Tail) SplitWord(string text)
    {
        var space = text.IndexOf(' ');
        return space < 0 ? (text, "") : (text[..space], text[(space + 1)..].Trim());
    }
}
