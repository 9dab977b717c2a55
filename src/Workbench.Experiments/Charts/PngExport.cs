using System.Buffers.Binary;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using Plotly.NET;

namespace Workbench.Experiments.Charts;

/// <summary>Finds a headless-capable Chromium (Debian package <c>chromium</c>) for static PNG export.</summary>
public static class Chromium
{
    /// <summary>Environment variable naming the Chromium or Chrome executable to use.</summary>
    public const string EnvironmentVariable = "WORKBENCH_CHROMIUM";

    /// <summary>What to do when no browser is found; part of every "not found" message.</summary>
    public const string InstallHint =
        "Static PNG export needs Chromium: install it with `sudo apt-get install chromium` (Debian/Ubuntu), " +
        "or set " + EnvironmentVariable + " to a Chromium or Chrome executable.";

    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome"];

    /// <summary>
    /// The browser executable: <c>WORKBENCH_CHROMIUM</c> if set and present, else /usr/bin/chromium, else the
    /// first of chromium, chromium-browser, google-chrome-stable, google-chrome, chrome on PATH; null if none.
    /// </summary>
    public static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
            return File.Exists(env) ? Path.GetFullPath(env) : null;
        if (File.Exists("/usr/bin/chromium")) return "/usr/bin/chromium";
        foreach (var name in Names)
            if (ExternalProcess.FindOnPath(name) is { } found)
                return found;
        return null;
    }

    internal static string Require(string? explicitPath)
    {
        if (explicitPath is not null)
            return File.Exists(explicitPath)
                ? explicitPath
                : throw new InvalidOperationException($"Chromium was not found at '{explicitPath}'. {InstallHint}");
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env) && !File.Exists(env))
            throw new InvalidOperationException($"{EnvironmentVariable} is '{env}', which does not exist. {InstallHint}");
        return Locate() ?? throw new InvalidOperationException(
            $"Chromium was not found (looked at /usr/bin/chromium and for {string.Join(", ", Names)} on PATH). {InstallHint}");
    }
}

/// <summary>Settings of <see cref="PngExport"/>.</summary>
public sealed record PngExportOptions
{
    /// <summary>Browser executable; null finds one with <see cref="Chromium.Locate"/>.</summary>
    public string? ChromiumPath { get; init; }

    /// <summary>Wall-clock limit for the browser run; it is killed (with its children) after this.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Virtual time the page gets before the screenshot (Chromium <c>--virtual-time-budget</c>): timers and
    /// image decoding run to completion within it without waiting in real time.
    /// </summary>
    public int VirtualTimeBudgetMs { get; init; } = 5000;

    /// <summary>Pixels per CSS pixel: 2 gives a sharper image of twice the width and height.</summary>
    public int DeviceScaleFactor { get; init; } = 1;
}

/// <summary>
/// Static PNG of a Plotly.NET chart, drawn by plotly.js in headless Debian Chromium (Plotly.NET's own image
/// export downloads a browser, which we never do): the chart's figure JSON goes into a self-contained page in a fresh temp folder, Chromium screenshots it (no shell, argument list, time limit, throwaway
/// profile, no network), and the PNG is checked before the temp folder is deleted.
/// </summary>
public static class PngExport
{
    /// <summary>Default size when neither the arguments nor the chart's layout give one.</summary>
    public const int DefaultWidth = 800, DefaultHeight = 500;

    /// <summary>
    /// Renders <paramref name="chart"/> to PNG bytes of <paramref name="width"/> x <paramref name="height"/> CSS
    /// px (default: the layout's size, else 800 x 500) times <see cref="PngExportOptions.DeviceScaleFactor"/>.
    /// </summary>
    public static byte[] Render(GenericChart chart, int? width = null, int? height = null, PngExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        options ??= new PngExportOptions();
        var size = ChartHtml.Size(chart);
        int w = width ?? size.Width ?? DefaultWidth;
        int h = height ?? size.Height ?? DefaultHeight;
        if (w < 10 || h < 10 || w > 8192 || h > 8192)
            throw new ArgumentOutOfRangeException(nameof(width), (w, h),
                $"PngExport: size {w} x {h} px must be within 10..8192 per side.");
        if (options.DeviceScaleFactor is < 1 or > 4)
            throw new ArgumentOutOfRangeException(nameof(options), options.DeviceScaleFactor,
                "PngExport: DeviceScaleFactor must be 1, 2, 3 or 4.");
        if (options.VirtualTimeBudgetMs is < 100 or > 120_000)
            throw new ArgumentOutOfRangeException(nameof(options), options.VirtualTimeBudgetMs,
                "PngExport: VirtualTimeBudgetMs must be within 100..120000.");
        if (options.Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, "PngExport: Timeout must be positive.");

        // Check everything that can fail cheaply before starting a browser.
        string chromium = Chromium.Require(options.ChromiumPath);
        string page = ChartHtml.ScreenshotPage(chart, w, h);

        string work = Path.Combine(Path.GetTempPath(), "workbench-png-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            string html = Path.Combine(work, "figure.html");
            string output = Path.Combine(work, "figure.png");
            string profile = Path.Combine(work, "profile");
            File.WriteAllText(html, page, new UTF8Encoding(false));

            var args = new List<string>
            {
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                // The page is self-contained; refusing every host name makes sure nothing is fetched.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--user-data-dir=" + profile,
                "--hide-scrollbars",
                "--window-size=" + w.ToString(CultureInfo.InvariantCulture) + "," + h.ToString(CultureInfo.InvariantCulture),
                "--force-device-scale-factor=" + options.DeviceScaleFactor.ToString(CultureInfo.InvariantCulture),
                "--virtual-time-budget=" + options.VirtualTimeBudgetMs.ToString(CultureInfo.InvariantCulture),
                // Console messages go to stderr, where the page's rendered/failed marker is read from.
                "--enable-logging=stderr",
                "--log-level=0",
                "--screenshot=" + output,
                new Uri(html).AbsoluteUri,
            };

            ExternalProcess.Result result;
            try
            {
                result = ExternalProcess.Run(chromium, args, options.Timeout, workingDirectory: work);
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException($"PngExport: could not start '{chromium}' ({e.Message}). {Chromium.InstallHint}", e);
            }

            string log = result.StdErr + "\n" + result.StdOut;
            if (result.TimedOut)
                throw new TimeoutException(
                    $"PngExport: Chromium did not finish within {options.Timeout.TotalSeconds:0} s and was stopped. " +
                    "Raise PngExportOptions.Timeout on a busy machine. Its last output:" + Environment.NewLine + ExternalProcess.Tail(log));
            int failed = log.IndexOf(ChartHtml.FailedMarker, StringComparison.Ordinal);
            if (failed >= 0)
            {
                int end = log.IndexOf('\n', failed);
                string detail = end < 0 ? log[failed..] : log[failed..end];
                throw new InvalidOperationException(
                    "PngExport: plotly.js could not draw the figure: " + detail.Trim() +
                    ". The figure JSON is probably not what plotly.js expects; save it with ChartHtml.Save and open it in a browser to see it.");
            }
            if (result.ExitCode != 0 || !File.Exists(output))
                throw new InvalidOperationException(
                    $"PngExport: Chromium exited with code {result.ExitCode} " +
                    (File.Exists(output) ? "" : "without writing a screenshot ") +
                    "(a browser too old for --headless --screenshot, or a crash). Its last output:" + Environment.NewLine + ExternalProcess.Tail(log));
            if (!log.Contains(ChartHtml.RenderedMarker, StringComparison.Ordinal))
                throw new InvalidOperationException(
                    $"PngExport: plotly.js did not report a finished drawing within the {options.VirtualTimeBudgetMs} ms virtual time " +
                    "budget, so the screenshot may be blank or partial. Raise PngExportOptions.VirtualTimeBudgetMs. Browser output:" +
                    Environment.NewLine + ExternalProcess.Tail(log));

            byte[] png = File.ReadAllBytes(output);
            CheckScreenshot(png, w * options.DeviceScaleFactor, h * options.DeviceScaleFactor);
            return png;
        }
        finally
        {
            ChartFiles.DeleteDirectory(work);
        }
    }

    /// <summary>Renders <paramref name="chart"/> (see <see cref="Render"/>) and writes the PNG to <paramref name="path"/> atomically.</summary>
    public static void Save(GenericChart chart, string path, int? width = null, int? height = null, PngExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Png.Save(path, Render(chart, width, height, options));
    }

    /// <summary>The screenshot must be a PNG of the requested pixel size; anything else means the browser did not honour the window size.</summary>
    internal static void CheckScreenshot(ReadOnlySpan<byte> png, int width, int height)
    {
        if (png.Length < 33 || !png.StartsWith(Png.Signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new InvalidDataException("PngExport: Chromium's screenshot is not a PNG file (missing signature or IHDR).");
        int actualW = BinaryPrimitives.ReadInt32BigEndian(png[16..]);
        int actualH = BinaryPrimitives.ReadInt32BigEndian(png[20..]);
        if (actualW != width || actualH != height)
            throw new InvalidDataException(
                $"PngExport: Chromium's screenshot is {actualW} x {actualH} px but {width} x {height} was requested; " +
                "this browser version sizes headless windows differently. Try another Chromium or set WORKBENCH_CHROMIUM.");
    }
}
