using Workbench.Kernel.Protocol;

namespace Workbench.Kernel.Tests.Protocol;

public class CodePointsTests
{
    [Fact]
    public void SurrogatePairsCountAsOneCodePoint()
    {
        // "a😀b": code points a, U+1F600, b = 3; UTF-16 units a, D83D, DE00, b = 4.
        const string text = "a😀b";
        Assert.Equal(4, text.Length);
        Assert.Equal(3, CodePoints.Count(text));
        Assert.Equal([0, 1, 3, 4], Enumerable.Range(0, 4).Select(i => CodePoints.ToUtf16Index(text, i)));
        Assert.Equal(2, CodePoints.FromUtf16Index(text, 3));
        Assert.Equal(3, CodePoints.FromUtf16Index(text, 4));
        Assert.Equal(5, CodePoints.ToUtf16Index("plain", 5));
    }

    [Fact]
    public void OutOfRangeOffsetsSayWhatWasWrong()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CodePoints.ToUtf16Index("a😀b", 4));
        Assert.Contains("past the end", e.Message);
        Assert.Contains("3 code points", e.Message);
        Assert.Contains("negative", Assert.Throws<ArgumentOutOfRangeException>(() => CodePoints.ToUtf16Index("ab", -1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CodePoints.FromUtf16Index("ab", 3));
    }
}
