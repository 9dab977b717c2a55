using System.Buffers.Binary;
using System.Globalization;
using TorchSharp;
using Workbench.Experiments.Charts;
using Workbench.Vae.Training;
using PngCodec = Workbench.Experiments.Charts.Png;

namespace Workbench.Display;

/// <summary>
/// LaTeX to show as typeset maths (text/latex). Text without its own delimiters is shown as display
/// maths (wrapped in $$...$$); text that already starts with $, \[ or \begin is passed on as written.
/// <code>display(new Latex(@"\mathcal{L}(x) = \mathbb{E}_q[\log p(x|z)] - \mathrm{KL}(q \| p)"));</code>
/// </summary>
public sealed record Latex
{
    public Latex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
    }

    /// <summary>The LaTeX as given.</summary>
    public string Text { get; }

    /// <summary>The LaTeX with maths delimiters, as text/latex expects it.</summary>
    public string Delimited
    {
        get
        {
            var t = Text.Trim();
            return t.StartsWith('$') || t.StartsWith(@"\[", StringComparison.Ordinal) || t.StartsWith(@"\begin", StringComparison.Ordinal)
                ? t
                : "$$" + t + "$$";
        }
    }

    public override string ToString() => Text;
}

/// <summary>An HTML fragment to show as is (text/html).</summary>
public sealed record Html
{
    public Html(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        Content = content;
    }

    /// <summary>The HTML.</summary>
    public string Content { get; }

    public override string ToString() => Content;
}

/// <summary>
/// A PNG image to show (image/png). The bytes are checked to start with the PNG signature and an IHDR
/// chunk, whose width and height are read for the text fallback.
/// </summary>
public sealed class PngImage
{
    public PngImage(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (!IsPng(bytes))
            throw new ArgumentException(
                $"PngImage: the {bytes.Length} bytes are not a PNG file (a PNG starts with the 8-byte signature 89 50 4E 47 0D 0A 1A 0A " +
                "followed by an IHDR chunk). Encode pixels with Png.EncodeGray/EncodeRgb or ImageGrid.Png first.", nameof(bytes));
        Bytes = bytes;
        // IHDR: length (4) + "IHDR" (4) after the signature, then width and height as big-endian uint32 (PNG spec 11.2.2).
        Width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        Height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));
    }

    /// <summary>Reads a PNG file.</summary>
    public static PngImage FromFile(string path) => new(File.ReadAllBytes(path));

    /// <summary>The encoded file.</summary>
    public byte[] Bytes { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>True when <paramref name="bytes"/> starts with the PNG signature and an IHDR chunk.</summary>
    public static bool IsPng(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 24 && bytes[..8].SequenceEqual(PngCodec.Signature) && bytes.Slice(12, 4).SequenceEqual("IHDR"u8);

    public override string ToString() => $"PNG image {Width}x{Height} ({Bytes.Length} bytes)";
}

/// <summary>
/// Tensors shown as pictures: a batch of greyscale images as one PNG grid. The formatter shows [1, H, W] and [N, 1, H, W]
/// tensors this way by itself; <see cref="Grid"/> does it for flattened batches ([N, H*W], as the VAEs see MNIST).
/// </summary>
public static class ImageTensors
{
    /// <summary>Images drawn at most per grid; the rest are left out (the text says how many there are).</summary>
    public const int MaxImages = 100;

    /// <summary>
    /// The first <see cref="MaxImages"/> images of <paramref name="images"/> ([N, H*W], [N, 1, H, W] or [1, H, W]) as a
    /// grid of <paramref name="columns"/> columns, each pixel drawn <paramref name="scale"/> times as large. Values in
    /// [0, 1] are grey levels as they are; any other range is stretched from its minimum to its maximum.
    /// </summary>
    public static PngImage Grid(torch.Tensor images, int height, int width, int columns = 10, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(images);
        long pixels = (long)height * width;
        if (pixels < 1 || images.numel() % pixels != 0)
            throw new ArgumentException($"ImageTensors.Grid: a tensor of shape [{string.Join(", ", images.shape)}] is not a batch of {height} x {width} images.");
        using var scope = torch.NewDisposeScope();
        long count = Math.Min(images.numel() / pixels, MaxImages);
        // Only the images shown are copied to the CPU and converted: a cell may end with a whole data set.
        var flat = images.detach().reshape(-1, pixels).narrow(0, 0, count).cpu().to(torch.float32);   // [count, H*W]
        float lo = flat.min().item<float>(), hi = flat.max().item<float>();
        if (lo < 0 || hi > 1) flat = hi > lo ? (flat - lo) / (hi - lo) : torch.zeros_like(flat);
        var values = flat.contiguous().data<float>().ToArray();
        return new PngImage(ImageGrid.Png(values, (int)count, height, width, (int)Math.Min(columns, count), padding: 2, scale: scale));
    }

    /// <summary>(height, width) when <paramref name="tensor"/> is a greyscale image or batch ([1, H, W] or [N, 1, H, W], H and W at least 8); else null.</summary>
    public static (int Height, int Width)? ImageShape(torch.Tensor tensor)
    {
        var shape = tensor.shape;
        bool image = (shape.Length == 3 || shape.Length == 4) && shape[^3] == 1 && shape[^2] >= 8 && shape[^1] >= 8 && shape[0] >= 1;
        return image ? ((int)shape[^2], (int)shape[^1]) : null;
    }
}

/// <summary>
/// A progress bar for a long cell: show it once with <c>display(...)</c> and pass the handle's <c>Update</c> to
/// <see cref="Follow"/> (or call it yourself). Both hosts update the shown bar in place (update_display_data), so
/// VS Code and JupyterLab keep one line instead of a scroll of them.
/// <code>var bar = display(new ProgressBar("training", 0, options.Epochs));
/// ProgressBar.Follow(trainer, options.Epochs, bar.Update);</code>
/// </summary>
/// <param name="Label">What progresses, e.g. "training".</param>
/// <param name="Done">Work done, in the unit of <paramref name="Total"/> (e.g. epochs, fractional within one).</param>
/// <param name="Total">All the work.</param>
/// <param name="Detail">A short note after the percentage (e.g. the last loss).</param>
public sealed record ProgressBar(string Label, double Done, double Total, string? Detail = null)
{
    /// <summary>How often <see cref="Follow"/> redraws at most: a front end cannot show more, and every update is a message.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Done / Total in [0, 1].</summary>
    public double Fraction => Total > 0 ? Math.Clamp(Done / Total, 0, 1) : 0;

    /// <summary>
    /// Redraws a bar of <paramref name="epochs"/> epochs through <paramref name="update"/> as <paramref name="trainer"/>
    /// steps: at most every <paramref name="interval"/> (default <see cref="DefaultInterval"/>) during an epoch, and at
    /// the end of every epoch, with the last step's loss or the epoch's test loss. Disposing the result stops following
    /// (a trainer reused in a later cell then no longer redraws this bar).
    /// </summary>
    public static IDisposable Follow(Trainer trainer, int epochs, Action<object?> update, TimeSpan? interval = null, string label = "training")
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(update);
        var every = interval ?? DefaultInterval;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? last = null;   // the first step always draws
        Action<StepProgress> onStep = p =>
        {
            if (last is { } shown && clock.Elapsed - shown < every) return;
            last = clock.Elapsed;
            update(new ProgressBar(label, p.Epoch - 1 + (double)p.Step / p.StepsPerEpoch, epochs,
                string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{epochs}, loss {p.Loss:F2}")));
        };
        Action<EpochMetrics> onEpoch = m =>
        {
            last = clock.Elapsed;
            update(new ProgressBar(label, m.Epoch, epochs,
                string.Create(CultureInfo.InvariantCulture, $"epoch {m.Epoch}/{epochs}, test loss {m.TestLoss:F2} nats")));
        };
        trainer.StepCompleted += onStep;
        trainer.EpochCompleted += onEpoch;
        return new Unsubscribe(() =>
        {
            trainer.StepCompleted -= onStep;
            trainer.EpochCompleted -= onEpoch;
        });
    }

    private sealed class Unsubscribe(Action undo) : IDisposable
    {
        private Action? _undo = undo;

        public void Dispose() => Interlocked.Exchange(ref _undo, null)?.Invoke();
    }

    /// <summary>"training [########------------]  40% epoch 2/5, loss 120.31".</summary>
    public override string ToString()
    {
        int filled = (int)Math.Round(Fraction * 20);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Label} [{new string('#', filled)}{new string('-', 20 - filled)}] {Fraction * 100,3:F0}%{(Detail is null ? "" : " " + Detail)}");
    }
}
