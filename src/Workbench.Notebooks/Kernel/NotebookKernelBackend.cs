using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Workbench.Kernel;
using KernelBundle = Workbench.Kernel.MimeBundle;
using NotebookBundle = Workbench.Display.MimeBundle;

namespace Workbench.Notebooks.Kernel;

/// <summary>
/// The Jupyter kernel's backend: runs cells on a <see cref="CellExecutor"/> and turns its events into kernel
/// outputs (stream, display_data, update_display_data, execute_result; a failed cell becomes the reply's
/// ename / evalue / traceback). Interrupts arrive as the cancellation token, which the executor honours
/// between loop iterations of cell code. A Jupyter restart starts a new kernel process, so the restarted
/// kernel always begins with a fresh executor.
/// </summary>
public sealed class NotebookKernelBackend : IKernelBackend, IAsyncDisposable
{
    private readonly CellExecutor executor;
    private readonly CodeCompletion completion;
    private readonly Task warmUp;
    private bool disposed;

    /// <param name="options">Executor settings; the defaults (current directory, default imports) when null.</param>
    /// <param name="warmUp">Compile a sample cell in the background at once, so the first real cell is quick.</param>
    public NotebookKernelBackend(CellExecutorOptions? options = null, bool warmUp = true)
    {
        executor = new CellExecutor(options);
        completion = new CodeCompletion(executor);
        // Warming up holds the executor's gate, so a cell sent meanwhile simply waits for it; a failure
        // here would show again (with its message) in the first cell, so it is not reported twice.
        this.warmUp = warmUp ? Task.Run(() => executor.WarmUpAsync()).ContinueWith(t => _ = t.Exception, TaskScheduler.Default) : Task.CompletedTask;
        LanguageInfo = KernelLanguageInfo.CSharp(LanguageVersionFacts.ToDisplayString(LanguageVersion.Latest.MapSpecifiedToEffectiveVersion()));
    }

    /// <summary>The executor cells run on (its <see cref="CellExecutor.Variables"/> feed completion and inspection).</summary>
    public CellExecutor Executor => executor;

    public KernelLanguageInfo LanguageInfo { get; }

    public string Banner =>
        $"Workbench C# {LanguageInfo.Version}: TorchSharp tensors, autograd and VAEs in a notebook.\n" +
        "Cells are C# script; the last expression without a semicolon is the cell's value; display(x) shows a value " +
        "and returns a handle whose Update(y) replaces it.";

    public IReadOnlyList<KernelHelpLink> HelpLinks { get; } =
    [
        new("C# language reference", "https://learn.microsoft.com/dotnet/csharp/language-reference/"),
        new(".NET API browser", "https://learn.microsoft.com/dotnet/api/"),
    ];

    public async Task<ExecutionOutcome> ExecuteAsync(ExecuteRequest request, IExecutionOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(disposed, this);
        var result = await executor.ExecuteAsync(
            new CellRequest(request.Code, request.ExecutionCount, e => Forward(e, output)), cancellationToken).ConfigureAwait(false);
        if (result.Error is { } error) return ExecutionOutcome.Error(error.EName, error.EValue, error.Traceback);
        return ExecutionOutcome.Ok;
    }

    /// <summary>One executor event as kernel output; errors are left to the outcome, which the host publishes.</summary>
    private static void Forward(CellEvent e, IExecutionOutput output)
    {
        switch (e)
        {
            case OutputEvent { Output: StreamOutput stream }:
                output.WriteStream(stream.Name == "stderr" ? KernelStream.Stderr : KernelStream.Stdout, stream.Text);
                break;
            case OutputEvent { Output: DisplayDataOutput display }:
                output.Display(ToKernel(display.Data, display.Metadata), display.DisplayId);
                break;
            case OutputEvent { Output: ExecuteResultOutput result }:
                output.Result(ToKernel(result.Data, result.Metadata));
                break;
            case DisplayUpdateEvent update:
                output.UpdateDisplay(ToKernel(update.Data, null), update.DisplayId);
                break;
        }
    }

    /// <summary>
    /// Converts the notebook's bundle (text stored as nbformat lines) to the wire form: text as one string,
    /// JSON types as JSON. Metadata keyed by MIME type (e.g. an image's size) goes along.
    /// </summary>
    internal static KernelBundle ToKernel(NotebookBundle data, JsonObject? metadata)
    {
        var bundle = new KernelBundle();
        foreach (var (mime, node) in data)
        {
            if (NotebookBundle.IsJson(mime)) bundle.AddJson(mime, node);
            else bundle.Add(mime, NotebookBundle.TextOf(node));
        }
        if (metadata is not null)
            foreach (var (key, value) in metadata)
                if (value is not null && key.Contains('/', StringComparison.Ordinal) && data.Contains(key))
                    bundle.AddMetadata(key, value);
        return bundle;
    }

    public Task<CompletionResult> CompleteAsync(string code, int cursorPosition, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return Task.FromResult(completion.Complete(code, cursorPosition));
    }

    public Task<InspectionResult> InspectAsync(string code, int cursorPosition, int detailLevel, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return Task.FromResult(completion.Inspect(code, cursorPosition, detailLevel));
    }

    public IsCompleteResult IsComplete(string code) => IsCompleteSubmission(code);

    /// <summary>
    /// Whether a console should run <paramref name="code"/> now: Roslyn's script-submission test, which says
    /// incomplete while a brace, bracket, string or statement is still open. Directive lines (#r, #!csharp)
    /// are not C# syntax and are left out of the test. Complete code with syntax errors is invalid.
    /// </summary>
    internal static IsCompleteResult IsCompleteSubmission(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var lines = code.Replace("\r\n", "\n").Split('\n');
        var csharp = string.Join("\n", lines.Select(l => l.TrimStart().StartsWith("#!", StringComparison.Ordinal) || l.TrimStart().StartsWith("#r ", StringComparison.Ordinal) ? "" : l));
        if (string.IsNullOrWhiteSpace(csharp)) return new IsCompleteResult(IsCompleteStatus.Complete);
        var tree = CSharpSyntaxTree.ParseText(csharp, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        if (!SyntaxFactory.IsCompleteSubmission(tree))
        {
            var last = lines.LastOrDefault(l => l.Trim().Length > 0) ?? "";
            var indent = last[..(last.Length - last.TrimStart().Length)];
            var trimmed = last.TrimEnd();
            if (trimmed.EndsWith('{') || trimmed.EndsWith('(') || trimmed.EndsWith('[')) indent += "    ";
            return new IsCompleteResult(IsCompleteStatus.Incomplete, indent);
        }
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)
            ? new IsCompleteResult(IsCompleteStatus.Invalid)
            : new IsCompleteResult(IsCompleteStatus.Complete);
    }

    public async Task ShutdownAsync(bool restart)
    {
        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        await warmUp.ConfigureAwait(false);
        await executor.DisposeAsync().ConfigureAwait(false);
    }
}
