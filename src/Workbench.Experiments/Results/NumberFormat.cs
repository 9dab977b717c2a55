using System.Globalization;

namespace Workbench.Experiments.Results;

/// <summary>How tables print numbers for people (CSV keeps every digit instead).</summary>
public static class NumberFormat
{
    /// <summary>
    /// A double to sensible precision: 2 decimals from 100 up (losses in nats differ in the first decimal),
    /// 3 decimals from 1, 4 significant digits below 1, scientific beyond 1e6 or below 1e-3; "–" for missing.
    /// </summary>
    public static string Format(double v)
    {
        if (double.IsNaN(v)) return "–";
        if (double.IsPositiveInfinity(v)) return "∞";
        if (double.IsNegativeInfinity(v)) return "-∞";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e6 || a < 1e-3) return v.ToString("0.###e+0", CultureInfo.InvariantCulture);
        if (a >= 100) return v.ToString("F2", CultureInfo.InvariantCulture);
        if (a >= 1) return v.ToString("F3", CultureInfo.InvariantCulture);
        return v.ToString("G4", CultureInfo.InvariantCulture);
    }

    /// <summary>A cell for display: text as is, missing (null) as "–", whole numbers in full, other numbers through <see cref="Format(double)"/>.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "–",
        string s => s,
        double d => Format(d),
        float f => Format(f),
        long or int or short or byte or ulong or uint or ushort or sbyte => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
