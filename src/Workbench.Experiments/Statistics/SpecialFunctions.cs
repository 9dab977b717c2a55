namespace Workbench.Experiments.Statistics;

/// <summary>log Γ(x) for x &gt; 0: what the Beta function and the Student-t density are built from.</summary>
public static class GammaFunction
{
    // Lanczos (1964) approximation with g = 7 and nine coefficients (the widely used set of Godfrey); relative
    // error about 1e-15 for x >= 0.5. Γ(x) = sqrt(2π) t^(x - 1/2) e^(-t) A(x) with t = x + g - 1/2 after x -> x - 1.
    private const double G = 7.0;
    private static readonly double[] Coefficients =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>ln Γ(x) for x &gt; 0 (x &lt; 0.5 through the reflection formula Γ(x)Γ(1 - x) = π / sin(πx)).</summary>
    public static double Log(double x)
    {
        if (!(x > 0))
            throw new ArgumentOutOfRangeException(nameof(x), x, "GammaFunction.Log: x must be > 0 (this implementation covers the positive axis only).");
        if (double.IsPositiveInfinity(x)) return double.PositiveInfinity;
        if (x < 0.5)
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - Log(1 - x);
        x -= 1;
        double a = Coefficients[0];
        double t = x + G + 0.5;
        for (int i = 1; i < Coefficients.Length; i++) a += Coefficients[i] / (x + i);
        return HalfLogTwoPi + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }
}

/// <summary>The regularised incomplete Beta function I_x(a, b), from which the Student-t CDF follows.</summary>
public static class IncompleteBeta
{
    private const int MaxIterations = 200_000;
    private const double Epsilon = 1e-15;
    private const double Tiny = 1e-300;

    /// <summary>
    /// ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b). When the larger argument is big, ln Γ(big) - ln Γ(big + small)
    /// is formed from Stirling's series so that two huge, nearly equal log-gammas are never subtracted (for the t
    /// distribution with many degrees of freedom, a = ν/2 is large and b = 1/2).
    /// </summary>
    public static double LogBeta(double a, double b)
    {
        if (!(a > 0) || !(b > 0))
            throw new ArgumentOutOfRangeException(nameof(a), (a, b), $"IncompleteBeta.LogBeta: a = {a} and b = {b} must both be > 0.");
        double big = Math.Max(a, b), small = Math.Min(a, b);
        if (big < 10) return GammaFunction.Log(a) + GammaFunction.Log(b) - GammaFunction.Log(a + b);
        // ln Γ(x) = (x - 1/2) ln x - x + ln sqrt(2π) + δ(x), so with c = big + small:
        // ln Γ(big) - ln Γ(c) = -(big - 1/2) log1p(small / big) - small ln c + small + δ(big) - δ(c).
        double c = big + small;
        double difference = -(big - 0.5) * SpecialFunctions.Log1p(small / big) - small * Math.Log(c) + small + StirlingCorrection(big) - StirlingCorrection(c);
        return GammaFunction.Log(small) + difference;
    }

    /// <summary>δ(x) = ln Γ(x) - ((x - 1/2) ln x - x + ln sqrt(2π)) = 1/(12x) - 1/(360x³) + 1/(1260x⁵) - 1/(1680x⁷) + ..., for x >= 10 (error below 1e-17).</summary>
    private static double StirlingCorrection(double x)
    {
        double r = 1 / x, r2 = r * r;
        return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
    }

    /// <summary>I_x(a, b) = B(x; a, b) / B(a, b) for 0 &lt;= x &lt;= 1, a, b &gt; 0.</summary>
    public static double Regularized(double x, double a, double b) => Regularized(x, 1 - x, a, b);

    /// <summary>
    /// I_x(a, b) with 1 - x passed separately as <paramref name="y"/>, so that callers who know 1 - x exactly
    /// (the t distribution: x = ν / (ν + t²), y = t² / (ν + t²)) lose no digits to the subtraction.
    /// </summary>
    public static double Regularized(double x, double y, double a, double b)
    {
        if (!(a > 0) || !(b > 0) || double.IsInfinity(a) || double.IsInfinity(b))
            throw new ArgumentOutOfRangeException(nameof(a), (a, b), $"IncompleteBeta: a = {a} and b = {b} must both be finite and > 0.");
        if (!(x >= 0 && x <= 1) || !(y >= 0 && y <= 1) || Math.Abs(x + y - 1) > 1e-12)
            throw new ArgumentOutOfRangeException(nameof(x), (x, y), $"IncompleteBeta: x = {x} must lie in [0, 1] and y = {y} must be 1 - x.");
        if (x == 0) return 0;
        if (y == 0) return 1;
        // Front factor x^a y^b / B(a, b), in logs (Numerical Recipes 3rd ed., eq. 6.4.5).
        // ln x and ln y from whichever of x, y is small, through log1p, so that a large a (or b) does not
        // multiply the rounding error of the log of a number near 1.
        double logX = x > 0.5 ? SpecialFunctions.Log1p(-y) : Math.Log(x);
        double logY = y > 0.5 ? SpecialFunctions.Log1p(-x) : Math.Log(y);
        double logFront = a * logX + b * logY - LogBeta(a, b);
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use I_x(a, b) = 1 - I_y(b, a).
        if (x < (a + 1) / (a + b + 2))
            return Math.Exp(logFront) * ContinuedFraction(x, y, a, b) / a;
        return 1 - Math.Exp(logFront) * ContinuedFraction(y, x, b, a) / b;
    }

    /// <summary>
    /// The continued fraction of I_x(a, b) (Numerical Recipes eq. 6.4.9), evaluated by the modified Lentz method
    /// (Lentz 1976; Thompson and Barnett 1986): the convergents are carried as ratios C = A_m / A_(m-1) and
    /// D = B_(m-1) / B_m, with tiny values standing in for zeros so no step divides by zero.
    /// </summary>
    private static double ContinuedFraction(double x, double y, double a, double b)
    {
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1;
        // 1 - (a + b) x / (a + 1), written with y = 1 - x as (1 - b + (a + b) y) / (a + 1): no cancellation when x is near 1.
        double d = (1 - b + qab * y) / qap;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= MaxIterations; m++)
        {
            int m2 = 2 * m;
            // Even step: d_(2m) = m (b - m) x / ((a + 2m - 1)(a + 2m)).
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            // Odd step: d_(2m+1) = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) return h;
        }
        throw new ArithmeticException(
            $"IncompleteBeta: the continued fraction for x = {x}, a = {a}, b = {b} did not converge in {MaxIterations} steps; a or b is too large for this method.");
    }
}
