using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Workbench.Notebooks;

/// <summary>Builds the error outputs of failed cells: what went wrong, in which cell, on which line, with the line itself.</summary>
internal static partial class ErrorReport
{
    /// <summary>The file name a cell's code is compiled under; stack frames in it give the cell's line numbers.</summary>
    internal static string CellPath(int cellNumber) => $"cell-{cellNumber.ToString(CultureInfo.InvariantCulture)}.csx";

    [GeneratedRegex(@"(?:^|[/\\])cell-(\d+)\.csx$")]
    private static partial Regex CellPathPattern();

    internal static (ErrorOutput Error, int Line) Compilation(int cellNumber, IReadOnlyList<Diagnostic> errors, string code)
    {
        var lines = code.Split('\n');
        var traceback = new List<string>();
        string? first = null;
        int firstLine = 0;
        foreach (var d in errors.OrderBy(d => d.Location.SourceSpan.Start))
        {
            var span = d.Location.GetLineSpan();
            int line = span.StartLinePosition.Line + 1, column = span.StartLinePosition.Character + 1;
            string where = d.Location.IsInSource ? $"cell {cellNumber}, line {line}, column {column}" : $"cell {cellNumber}";
            string text = $"{where}: error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
            if (first is null) { first = text; firstLine = line; }
            traceback.Add(text);
            if (d.Location.IsInSource && line >= 1 && line <= lines.Length)
            {
                traceback.Add("    " + lines[line - 1].TrimEnd('\r'));
                traceback.Add("    " + new string(' ', Math.Max(0, column - 1)) + "^");
            }
        }
        string evalue = errors.Count == 1 ? first! : $"{first} (and {errors.Count - 1} more error{(errors.Count == 2 ? "" : "s")})";
        return (new ErrorOutput("CompilationError", evalue, traceback), firstLine);
    }

    internal static (ErrorOutput Error, int? Line) Runtime(int cellNumber, Exception exception, string code)
    {
        int? line = FindCellLine(exception, cellNumber);
        string name = exception.GetType().Name;
        var traceback = new List<string> { $"{name}: {exception.Message}" };
        string where = line is int l ? $"cell {cellNumber}, line {l}" : $"cell {cellNumber}";
        if (line is int ln)
        {
            var lines = code.Split('\n');
            traceback.Add($"   at {where}: {(ln <= lines.Length ? lines[ln - 1].Trim() : "")}");
        }
        else
        {
            traceback.Add($"   in {where}");
        }
        // The innermost cell frame is the "at" line above; the rest show how the call got there.
        var frames = Frames(exception).ToList();
        if (line is int fl) frames.Remove($"   at cell {cellNumber}, line {fl}");
        traceback.AddRange(frames);
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
            traceback.Add($" ---> {inner.GetType().Name}: {inner.Message}");
        return (new ErrorOutput(name, exception.Message, traceback), line);
    }

    internal static ErrorOutput Stopped(int cellNumber, CellStatus status, TimeSpan? timeout, int? line, bool abandoned, TimeSpan grace, string code,
        bool beforeRunning = false)
    {
        string where = line is int l ? $"cell {cellNumber}, line {l}" : $"cell {cellNumber}";
        string what = status == CellStatus.TimedOut && timeout is { } t
            ? $"{where} timed out after {t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"
            : beforeRunning ? $"{where} was interrupted before it ran" : $"{where} was interrupted";
        if (abandoned)
            what += $" and did not stop within {grace.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; " +
                "it was abandoned (it may still be running in the background) and the notebook state is that from before the cell";
        var traceback = new List<string> { $"OperationCanceledException: {what}." };
        if (line is int ln && code.Split('\n') is var lines && ln <= lines.Length)
            traceback.Add($"   at {where}: {lines[ln - 1].Trim()}");
        return new ErrorOutput("OperationCanceledException", what + ".", traceback);
    }

    internal static ErrorOutput Directive(string kind, string message, string code, int? line)
    {
        var traceback = new List<string> { $"{kind}: {message}" };
        if (line is int ln && code.Split('\n') is var lines && ln >= 1 && ln <= lines.Length)
            traceback.Add("    " + lines[ln - 1].TrimEnd('\r'));
        return new ErrorOutput(kind, message, traceback);
    }

    /// <summary>One line for summaries: "cell 3, line 2: DivideByZeroException: Attempted to divide by zero."</summary>
    internal static string Summary(int cellNumber, ErrorOutput error, int? line) => error.EName switch
    {
        "CompilationError" or "OperationCanceledException" => error.EValue,
        _ when error.EValue.StartsWith($"cell {cellNumber}", StringComparison.Ordinal) => error.EValue,
        _ => $"{(line is int l ? $"cell {cellNumber}, line {l}" : $"cell {cellNumber}")}: {error.EName}: {error.EValue}",
    };

    internal static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    /// <summary>The line, in the given cell, of the innermost stack frame that is cell code.</summary>
    internal static int? FindCellLine(Exception exception, int cellNumber)
    {
        foreach (var frame in new StackTrace(exception, fNeedFileInfo: true).GetFrames())
        {
            if (frame.GetFileName() is not { } file) continue;
            var m = CellPathPattern().Match(file);
            if (m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == cellNumber && frame.GetFileLineNumber() > 0)
                return frame.GetFileLineNumber();
        }
        return null;
    }

    /// <summary>Stack frames worth showing: cell code as "cell N, line L", library code by method; the scripting and async plumbing left out.</summary>
    private static IEnumerable<string> Frames(Exception exception)
    {
        foreach (var frame in new StackTrace(exception, fNeedFileInfo: true).GetFrames())
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            var ns = type?.Namespace ?? "";
            var file = frame.GetFileName();
            if (file is not null && CellPathPattern().Match(file) is { Success: true } m)
            {
                yield return $"   at cell {m.Groups[1].Value}, line {frame.GetFileLineNumber()}";
                continue;
            }
            if (method is null || type is null) continue;
            if (ns.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || ns.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal)
                || ns.StartsWith("System.Threading", StringComparison.Ordinal) || ns.StartsWith("System.Runtime.ExceptionServices", StringComparison.Ordinal)
                || type.FullName?.StartsWith("Submission#", StringComparison.Ordinal) == true)
                continue;
            var name = DisplayTypeName(type) + "." + method.Name;
            yield return file is null || frame.GetFileLineNumber() == 0
                ? $"   at {name}"
                : $"   at {name} in {Path.GetFileName(file)}:line {frame.GetFileLineNumber()}";
        }
    }

    private static string DisplayTypeName(Type type)
    {
        // Compiler-generated closure and state-machine types: show the method they belong to.
        while (type.DeclaringType is not null && type.Name.StartsWith('<')) type = type.DeclaringType;
        return type.FullName?.Replace('+', '.') ?? type.Name;
    }
}
