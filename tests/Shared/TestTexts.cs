namespace Workbench.Tests.Shared;

/// <summary>Text helpers of the display and notebook tests.</summary>
internal static class TestTexts
{
    /// <summary>A stand-in for plotly.js: the banner is what the tests count.</summary>
    internal const string FakePlotly = "/** plotly.js v4.1.2 fake for tests */ window.Plotly = { newPlot: function () {} };";

    internal static int Count(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
