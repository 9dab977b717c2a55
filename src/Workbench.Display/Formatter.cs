using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using Plotly.NET;
using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Experiments.Results;
using Workbench.Vae.Activations;

namespace Workbench.Display;

/// <summary>
/// Turns values into MIME bundles for notebook outputs. Registered formatters come first (the one for the
/// value's own class or its nearest base class, else the most recently registered matching interface),
/// then the built-in ones: Plotly.NET's <see cref="GenericChart"/> (interactive HTML, plotly.js inlined by the
/// notebook's first chart, plus the plotly figure JSON), a <see cref="DataFrame"/> (an HTML table of at most
/// <see cref="MaxTableRows"/> rows plus text), <see cref="PngImage"/> and PNG byte arrays, <see cref="Latex"/> and <see cref="ActivationSpec"/>
/// formulas, <see cref="Html"/>, <see cref="torch.Tensor"/> (first values, shape and dtype as text, plus a small
/// table for 1-D and 2-D tensors), sequences of records or
/// anonymous objects (a table), other sequences (a bracketed list), and text/plain for anything else.
/// </summary>
public static class Formatter
{
    private static readonly Lock RegistryLock = new();
    private static readonly List<(Type Type, Func<object, FormatContext, MimeBundle> Format)> Registered = [];

    /// <summary>Rows shown in a table of records or a DataFrame before it is cut (the rest are counted).</summary>
    public static int MaxTableRows { get; set; } = 100;

    /// <summary>Rows and columns of a tensor shown in its table before "..." stands in for the rest.</summary>
    public static int MaxTensorCells { get; set; } = 20;

    /// <summary>Items of a sequence shown in its text form before "..." stands in for the rest.</summary>
    public static int MaxListItems { get; set; } = 20;

    /// <summary>Registers (or replaces) the formatter for values of type <typeparamref name="T"/>.</summary>
    public static void Register<T>(Func<T, MimeBundle> format)
    {
        ArgumentNullException.ThrowIfNull(format);
        Register<T>((value, _) => format(value));
    }

    /// <summary>Registers (or replaces) a formatter that also sees the notebook's <see cref="FormatContext"/>.</summary>
    public static void Register<T>(Func<T, FormatContext, MimeBundle> format)
    {
        ArgumentNullException.ThrowIfNull(format);
        lock (RegistryLock)
        {
            Registered.RemoveAll(r => r.Type == typeof(T));
            Registered.Add((typeof(T), (o, c) => format((T)o, c)));
        }
    }

    /// <summary>Removes the formatter registered for <typeparamref name="T"/>; true when there was one.</summary>
    public static bool Unregister<T>()
    {
        lock (RegistryLock) return Registered.RemoveAll(r => r.Type == typeof(T)) > 0;
    }

    /// <summary>The MIME bundle for <paramref name="value"/>. Without a context, charts carry plotly.js themselves.</summary>
    public static MimeBundle Format(object? value, FormatContext? context = null)
    {
        context ??= new FormatContext();
        if (value is null) return MimeBundle.FromText("null");
        var custom = FindRegistered(value);
        if (custom is not null)
        {
            var bundle = custom(value, context)
                ?? throw new InvalidOperationException($"The formatter registered for {TypeName(value.GetType())} returned null; it must return a MimeBundle.");
            return bundle;
        }
        return FormatBuiltIn(value, context);
    }

    private static Func<object, FormatContext, MimeBundle>? FindRegistered(object value)
    {
        lock (RegistryLock)
        {
            if (Registered.Count == 0) return null;
            for (var t = value.GetType(); t is not null; t = t.BaseType)
                foreach (var r in Registered)
                    if (r.Type == t) return r.Format;
            for (int i = Registered.Count - 1; i >= 0; i--)
                if (Registered[i].Type.IsInstanceOfType(value)) return Registered[i].Format;
            return null;
        }
    }

    private static MimeBundle FormatBuiltIn(object value, FormatContext context)
    {
        switch (value)
        {
            case MimeBundle bundle:
                return bundle;
            case GenericChart chart:
                return FormatChart(chart, context);
            case DataFrame table:
                return FormatDataFrame(table);
            case PngImage png:
                return PngBundle(png);
            case byte[] bytes when PngImage.IsPng(bytes):
                return PngBundle(new PngImage(bytes));
            case Latex latex:
                return new MimeBundle().Set(MimeBundle.Latex, latex.Delimited).Set(MimeBundle.PlainText, latex.Text);
            case ActivationSpec spec:
                return new MimeBundle()
                    .Set(MimeBundle.Latex, new Latex(spec.Formula).Delimited)
                    .Set(MimeBundle.PlainText, $"{spec.Name}: {spec.Formula}");
            case Html html:
                return new MimeBundle().Set(MimeBundle.Html, html.Content).Set(MimeBundle.PlainText, html.Content);
            case ProgressBar bar:
                return new MimeBundle()
                    .Set(MimeBundle.Html, string.Create(CultureInfo.InvariantCulture,
                        $"<div class=\"workbench-progress\"><progress value=\"{bar.Fraction:0.####}\" max=\"1\" style=\"width: 20em; vertical-align: middle\"></progress> " +
                        $"{WebUtility.HtmlEncode(bar.Label)} {bar.Fraction * 100:F0}%{(bar.Detail is null ? "" : " " + WebUtility.HtmlEncode(bar.Detail))}</div>"))
                    .Set(MimeBundle.PlainText, bar.ToString());
            case torch.Tensor tensor:
                return FormatTensor(tensor);
            case string s:
                return MimeBundle.FromText(s);
            case IEnumerable sequence when RecordElementType(value.GetType()) is { } elementType:
                return FormatRecords(sequence, elementType);
            case IEnumerable sequence when value is not IFormattable:
                return MimeBundle.FromText(ListText(sequence));
            default:
                return MimeBundle.FromText(PlainText(value));
        }
    }

    // ---- charts ----

    private static MimeBundle FormatChart(GenericChart chart, FormatContext context)
    {
        string json = ChartHtml.FigureJson(chart);
        var html = new StringBuilder(json.Length + 1024);
        var (library, problem) = context.TakePlotlyJs();
        // The notebook's first chart carries plotly.js; later ones draw with the window.Plotly it defined.
        if (library is not null)
            html.Append("<script type=\"text/javascript\" charset=\"utf-8\">\n").Append(library).Append("\n</script>\n");
        else if (problem is not null)
            html.Append("<div style=\"color:#a00\">").Append(WebUtility.HtmlEncode(problem)).Append("</div>\n");
        html.Append(ChartHtml.Fragment(chart, "workbench-chart-" + Guid.NewGuid().ToString("N")[..12]));
        var figure = JsonNode.Parse(json)!;
        int traces = figure["data"]?.AsArray().Count ?? 0;
        string? title = figure["layout"]?["title"]?["text"]?.GetValue<string>();
        return new MimeBundle()
            .Set(MimeBundle.Html, html.ToString())
            .Set(MimeBundle.Plotly, figure)
            .Set(MimeBundle.PlainText, $"GenericChart ({traces} trace{(traces == 1 ? "" : "s")}{(title is null ? "" : ", \"" + title + "\"")})");
    }

    // ---- DataFrames ----

    private static MimeBundle FormatDataFrame(DataFrame table)
    {
        long rows = table.Rows.Count;
        int max = Math.Max(1, MaxTableRows);
        // DataFrame.ToString prints its first rows padded into columns; say how many there are in all.
        string text = table.ToString().TrimEnd() + (rows > 0 ? $"\n({rows} row{(rows == 1 ? "" : "s")} x {table.Columns.Count} columns)" : "\n(empty DataFrame)");
        return new MimeBundle()
            .Set(MimeBundle.Html, TableFormat.ToHtml(table, max))
            .Set(MimeBundle.PlainText, text);
    }

    // ---- images ----

    private static MimeBundle PngBundle(PngImage png) =>
        new MimeBundle().Set(MimeBundle.Png, Convert.ToBase64String(png.Bytes)).Set(MimeBundle.PlainText, png.ToString());

    // ---- tensors ----

    /// <summary>Values shown in a tensor's text form before "..." stands in for the rest.</summary>
    private const int TextValues = 8;

    private static MimeBundle FormatTensor(torch.Tensor tensor)
    {
        if (tensor.IsInvalid) return MimeBundle.FromText("tensor (disposed)");
        // The copies made here (a few values, as float64 on the CPU) die with this scope, not with the cell's.
        using var scope = torch.NewDisposeScope();
        var bundle = MimeBundle.FromText(TensorText(tensor));
        if (HasRealValues(tensor.dtype) && tensor.numel() > 0 && ImageTensors.ImageShape(tensor) is var (height, width))
            return bundle.Set(MimeBundle.Png, Convert.ToBase64String(ImageTensors.Grid(tensor, height, width).Bytes));
        if (tensor.dim() is 1 or 2 && tensor.numel() > 0 && HasRealValues(tensor.dtype))
            bundle.Set(MimeBundle.Html, TensorTable(tensor));
        return bundle;
    }

    /// <summary>"tensor([1, 2, 3, 4, 5, 6], shape=[2, 3], dtype=float32)": the first values, the shape and the dtype.</summary>
    private static string TensorText(torch.Tensor tensor)
    {
        var sb = new StringBuilder("tensor(");
        long numel = tensor.numel();
        if (HasRealValues(tensor.dtype))
        {
            int shown = (int)Math.Min(numel, TextValues);
            var values = shown == 0 ? Array.Empty<double>() : ReadDoubles(tensor.detach().reshape(-1).narrow(0, 0, shown));
            sb.Append('[').Append(string.Join(", ", values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
            if (shown < numel) sb.Append(", ...");
            sb.Append("], ");
        }
        sb.Append("shape=[").Append(string.Join(", ", tensor.shape)).Append("], dtype=").Append(DTypeName(tensor.dtype));
        if (tensor.device_type != DeviceType.CPU) sb.Append(", device=").Append(tensor.device);
        if (tensor.requires_grad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private static string TensorTable(torch.Tensor tensor)
    {
        var shape = tensor.shape;
        long rows = tensor.dim() == 1 ? 1 : shape[0];
        long cols = tensor.dim() == 1 ? shape[0] : shape[1];
        int max = Math.Max(2, MaxTensorCells);
        var shownRows = Shown(rows, max);
        var shownCols = Shown(cols, max);
        // Only the shown rows and columns are copied out: [shownRows, shownCols] as float64.
        var matrix = tensor.detach().reshape(rows, cols);
        matrix = matrix.index_select(0, torch.tensor(shownRows.Where(r => r >= 0).ToArray(), device: matrix.device))
                       .index_select(1, torch.tensor(shownCols.Where(c => c >= 0).ToArray(), device: matrix.device));
        var values = ReadDoubles(matrix);
        int width = shownCols.Count(c => c >= 0);
        var sb = new StringBuilder();
        sb.Append("<table class=\"workbench-tensor\">\n<caption>tensor, shape [")
          .Append(string.Join(", ", shape)).Append("], ").Append(DTypeName(tensor.dtype)).Append("</caption>\n");
        int row = 0;
        foreach (long r in shownRows)
        {
            sb.Append("<tr>");
            if (r < 0) { foreach (long _ in shownCols) sb.Append("<td>&#8942;</td>"); sb.Append("</tr>\n"); continue; }
            int col = 0;
            foreach (long c in shownCols)
            {
                if (c < 0) { sb.Append("<td>&#8230;</td>"); continue; }
                sb.Append("<td>").Append(values[row * width + col].ToString("G6", CultureInfo.InvariantCulture)).Append("</td>");
                col++;
            }
            row++;
            sb.Append("</tr>\n");
        }
        sb.Append("</table>");
        return sb.ToString();
    }

    /// <summary>The values of a small tensor as doubles, in row-major order (copied to the CPU as float64).</summary>
    private static double[] ReadDoubles(torch.Tensor tensor) =>
        tensor.cpu().to_type(torch.ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>Real numbers and booleans can be shown as doubles; complex and quantised values only by shape.</summary>
    private static bool HasRealValues(torch.ScalarType dtype) =>
        dtype is not (torch.ScalarType.ComplexFloat32 or torch.ScalarType.ComplexFloat64 or torch.ScalarType.QInt8 or torch.ScalarType.QUInt8 or torch.ScalarType.QInt32);

    /// <summary>The dtype as PyTorch names it: float32, float64, int64, uint8, bool, bfloat16.</summary>
    internal static string DTypeName(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Byte => "uint8",
        torch.ScalarType.ComplexFloat32 => "complex64",
        torch.ScalarType.ComplexFloat64 => "complex128",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>Indices to show out of <paramref name="n"/>: all when n &lt;= max, else the first and last halves with -1 for the gap.</summary>
    private static List<long> Shown(long n, int max)
    {
        var list = new List<long>();
        if (n <= max) { for (long i = 0; i < n; i++) list.Add(i); return list; }
        int head = max / 2, tail = max - head;
        for (long i = 0; i < head; i++) list.Add(i);
        list.Add(-1);
        for (long i = n - tail; i < n; i++) list.Add(i);
        return list;
    }

    // ---- sequences of records ----

    /// <summary>The element type when <paramref name="type"/> is an IEnumerable&lt;T&gt; of records or anonymous objects.</summary>
    internal static Type? RecordElementType(Type type)
    {
        if (type == typeof(string)) return null;
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is null) return null;
        var element = enumerable.GetGenericArguments()[0];
        return IsRecordLike(element) ? element : null;
    }

    private static bool IsRecordLike(Type t)
    {
        // Record classes have a compiler-generated <Clone>$ method; record structs and record classes a
        // compiler-generated PrintMembers; anonymous types are compiler-generated classes named <>f__AnonymousType.
        if (t.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null) return true;
        var print = t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance, [typeof(StringBuilder)]);
        if (print is not null && print.IsDefined(typeof(CompilerGeneratedAttribute))) return true;
        return t.IsDefined(typeof(CompilerGeneratedAttribute)) && t.Name.Contains("AnonymousType", StringComparison.Ordinal);
    }

    private static MimeBundle FormatRecords(IEnumerable sequence, Type elementType)
    {
        var columns = elementType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod!.IsPublic)
            .OrderBy(p => p.MetadataToken)
            .ToArray();
        var html = new StringBuilder("<table class=\"workbench-records\">\n<thead><tr>");
        foreach (var c in columns) html.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        var text = new StringBuilder();
        int count = 0;
        foreach (var item in sequence)
        {
            count++;
            if (count > MaxTableRows) continue;
            html.Append("<tr>");
            foreach (var c in columns)
            {
                object? cell = item is null ? null : c.GetValue(item);
                html.Append("<td>").Append(WebUtility.HtmlEncode(CellText(cell))).Append("</td>");
            }
            html.Append("</tr>\n");
            text.Append(item?.ToString() ?? "null").Append('\n');
        }
        html.Append("</tbody>\n</table>");
        if (count > MaxTableRows)
        {
            string more = $"... {count - MaxTableRows} more row{(count - MaxTableRows == 1 ? "" : "s")} ({count} in all)";
            html.Append("\n<p>").Append(WebUtility.HtmlEncode(more)).Append("</p>");
            text.Append(more).Append('\n');
        }
        if (count == 0) text.Append($"(no {TypeName(elementType)} items)\n");
        return new MimeBundle().Set(MimeBundle.Html, html.ToString()).Set(MimeBundle.PlainText, text.ToString().TrimEnd('\n'));
    }

    private static string CellText(object? value) => value switch
    {
        null => "",
        Delegate => "(function)",
        string s => s,
        IEnumerable e and not IFormattable => ListText(e),
        _ => PlainText(value),
    };

    // ---- plain text ----

    private static string ListText(IEnumerable sequence)
    {
        var sb = new StringBuilder("[");
        int i = 0;
        foreach (var item in sequence)
        {
            if (i == MaxListItems) { sb.Append(", ..."); break; }
            if (i > 0) sb.Append(", ");
            sb.Append(item is string s ? "\"" + s + "\"" : CellText(item));
            i++;
        }
        return sb.Append(']').ToString();
    }

    private static string PlainText(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? TypeName(value.GetType()),
    };

    internal static string TypeName(Type t)
    {
        if (!t.IsGenericType) return t.Name;
        var name = t.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        return name + "<" + string.Join(", ", t.GetGenericArguments().Select(TypeName)) + ">";
    }
}

/// <summary>
/// What formatting remembers within one notebook: whether plotly.js has been sent yet (the first chart
/// carries the library, later ones use it), and where plotly.js comes from.
/// </summary>
public sealed class FormatContext
{
    private readonly Func<string> loadPlotlyJs;
    private readonly Lock gate = new();
    private bool plotlySent;

    /// <summary>
    /// A context for one notebook. <paramref name="loadPlotlyJs"/> returns the plotly.js source; by default the
    /// bundle Plotly.NET ships (<see cref="ChartHtml.PlotlyJs"/>), never a CDN.
    /// </summary>
    public FormatContext(Func<string>? loadPlotlyJs = null)
    {
        this.loadPlotlyJs = loadPlotlyJs ?? (() => ChartHtml.PlotlyJs);
    }

    /// <summary>True once a chart output has carried plotly.js.</summary>
    public bool PlotlyJsSent
    {
        get { lock (gate) return plotlySent; }
    }

    /// <summary>Forget that plotly.js was sent (e.g. when the front end reloads the page); the next chart carries it again.</summary>
    public void ResetPlotlyJs()
    {
        lock (gate) plotlySent = false;
    }

    /// <summary>
    /// The plotly.js source the first time (marking it sent), null later. When it cannot be loaded the
    /// problem is returned instead and the next chart tries again.
    /// </summary>
    internal (string? Library, string? Problem) TakePlotlyJs()
    {
        lock (gate)
        {
            if (plotlySent) return (null, null);
            try
            {
                var source = loadPlotlyJs();
                plotlySent = true;
                return (source, null);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return (null, "This chart cannot be drawn here: " + e.Message);
            }
        }
    }
}
