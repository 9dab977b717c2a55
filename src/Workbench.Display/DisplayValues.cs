using System.Buffers.Binary;
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
