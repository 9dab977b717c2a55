namespace Workbench.Experiments.Statistics;

/// <summary>
/// Holm's step-down correction of p-values for m simultaneous tests (Holm 1979, "A simple sequentially rejective
/// multiple test procedure"): it controls the family-wise error rate like Bonferroni, but rejects more.
/// </summary>
public static class Holm
{
    /// <summary>
    /// The adjusted p-values, in the order given: with the m present p-values sorted ascending p_(1) &lt;= ... &lt;= p_(m),
    /// p~_(i) = max over j &lt;= i of min(1, (m - j + 1) p_(j)). NaN (no test) stays NaN and does not count in m.
    /// Rejecting where p~ &lt; α keeps the chance of any false rejection among the m tests below α.
    /// </summary>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        foreach (var p in pValues)
            if (!double.IsNaN(p) && !(p >= 0 && p <= 1))
                throw new ArgumentOutOfRangeException(nameof(pValues), p, $"Holm.Adjust: {p} is not a p-value in [0, 1].");
        var adjusted = pValues.Select(_ => double.NaN).ToArray();
        // Ties keep their input order, so equal p-values get equal adjusted values through the running maximum.
        var order = Enumerable.Range(0, pValues.Count).Where(i => !double.IsNaN(pValues[i])).OrderBy(i => pValues[i]).ToArray();
        int m = order.Length;
        double running = 0;
        for (int rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
