using Workbench.Experiments.Statistics;

namespace Workbench.Experiments.Tests.Statistics;

public class HolmTests
{
    [Fact]
    public void Adjusts_step_down_in_the_order_given()
    {
        // m = 4. Sorted: 0.01 (x4 = 0.04), 0.02 (x3 = 0.06), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> running max 0.06).
        var adjusted = Holm.Adjust([0.03, 0.01, 0.04, 0.02]);
        Assert.Equal([0.06, 0.04, 0.06, 0.06], adjusted.Select(p => Math.Round(p, 12)));
    }

    [Fact]
    public void Missing_tests_do_not_count_and_values_cap_at_one()
    {
        // Two real tests (m = 2): 0.2 x 2 = 0.4, then 0.7 x 1 = 0.7; the NaN stays NaN.
        var adjusted = Holm.Adjust([0.7, double.NaN, 0.2]);
        Assert.Equal(0.7, adjusted[0], 1e-12);
        Assert.True(double.IsNaN(adjusted[1]));
        Assert.Equal(0.4, adjusted[2], 1e-12);
        Assert.Equal([1.0, 1.0], Holm.Adjust([0.6, 0.9]));
        Assert.Empty(Holm.Adjust([]));
        Assert.Contains("not a p-value", Assert.Throws<ArgumentOutOfRangeException>(() => Holm.Adjust([1.5])).Message);
    }
}
