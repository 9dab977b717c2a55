namespace Workbench.Kernel.Protocol;

/// <summary>
/// Cursor offsets in the messaging protocol (v5.2 and later) count Unicode code points, while .NET strings
/// index UTF-16 code units; a character outside the Basic Multilingual Plane (an emoji, say) is one code point
/// but two code units. The kernel converts at the protocol boundary so backends only see string indices.
/// </summary>
internal static class CodePoints
{
    /// <summary>The UTF-16 index of the code point at offset <paramref name="codePointOffset"/> (0..count).</summary>
    public static int ToUtf16Index(string text, int codePointOffset)
    {
        if (codePointOffset < 0)
            throw new ArgumentOutOfRangeException(nameof(codePointOffset),
                $"cursor_pos {codePointOffset} is negative; it must count code points from the start of the code.");
        var index = 0;
        for (var seen = 0; seen < codePointOffset; seen++)
        {
            if (index >= text.Length)
                throw new ArgumentOutOfRangeException(nameof(codePointOffset),
                    $"cursor_pos {codePointOffset} is past the end of the code, which has {Count(text)} code points.");
            index += IsPair(text, index) ? 2 : 1;
        }
        return index;
    }

    /// <summary>The code-point offset of UTF-16 index <paramref name="utf16Index"/> (0..Length).</summary>
    public static int FromUtf16Index(string text, int utf16Index)
    {
        if ((uint)utf16Index > (uint)text.Length)
            throw new ArgumentOutOfRangeException(nameof(utf16Index),
                $"Index {utf16Index} is outside the code (length {text.Length} UTF-16 units).");
        var count = 0;
        for (var i = 0; i < utf16Index; i += IsPair(text, i) ? 2 : 1) count++;
        return count;
    }

    public static int Count(string text) => FromUtf16Index(text, text.Length);

    private static bool IsPair(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
}
