namespace Workbench.Experiments.Statistics;

/// <summary>
/// erfc and log1p for the Student-t and Beta code: .NET's Math has no erfc, and <c>double.LogP1</c> is computed as
/// log(1 + x), which returns 0 for x = 1e-20. Copied from the retired engine's scalar special functions (the numbers
/// are unchanged); the statistics move to MathNet.Numerics later, and these go with them.
/// </summary>
internal static class SpecialFunctions
{
    // W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-637,
    // with the coefficients of his CALERF routine (Argonne, 1985 revision) for IEEE double precision:
    // erf on |x| <= 0.46875, erfc on 0.46875 < |x| <= 4 and erfc on |x| > 4 (in powers of 1/x^2).
    private const double ErfThreshold = 0.46875;
    private const double ErfSmall = 1.11e-16;      // below this x^2 underflows the rational's correction: erf(x) = x (2/sqrt(pi))
    private const double ErfcBig = 26.543;         // erfc(x) < 2^-1074 (the smallest double) beyond this
    private const double InvSqrtPi = 5.6418958354775628695e-1;

    private const double A0 = 3.16112374387056560e00, A1 = 1.13864154151050156e02, A2 = 3.77485237685302021e02,
        A3 = 3.20937758913846947e03, A4 = 1.85777706184603153e-1;
    private const double B0 = 2.36012909523441209e01, B1 = 2.44024637934444173e02, B2 = 1.28261652607737228e03,
        B3 = 2.84423683343917062e03;
    private const double C0 = 5.64188496988670089e-1, C1 = 8.88314979438837594e00, C2 = 6.61191906371416295e01,
        C3 = 2.98635138197400131e02, C4 = 8.81952221241769090e02, C5 = 1.71204761263407058e03,
        C6 = 2.05107837782607147e03, C7 = 1.23033935479799725e03, C8 = 2.15311535474403846e-8;
    private const double D0 = 1.57449261107098347e01, D1 = 1.17693950891312499e02, D2 = 5.37181101862009858e02,
        D3 = 1.62138957456669019e03, D4 = 3.29079923573345963e03, D5 = 4.36261909014324716e03,
        D6 = 3.43936767414372164e03, D7 = 1.23033935480374942e03;
    private const double P0 = 3.05326634961232344e-1, P1 = 3.60344899949804439e-1, P2 = 1.25781726111229246e-1,
        P3 = 1.60837851487422766e-2, P4 = 6.58749161529837803e-4, P5 = 1.63153871373020978e-2;
    private const double Q0 = 2.56852019228982242e00, Q1 = 1.87295284992346047e00, Q2 = 5.27905102951428412e-1,
        Q3 = 6.05183413124413191e-2, Q4 = 2.33520497626869185e-3;

    /// <summary>
    /// The complementary error function erfc(x) = 1 - erf(x), accurate to about 1e-16 relative also where it is
    /// tiny (large positive x), where 1 - Erf(x) would be 0 (Cody 1969).
    /// </summary>
    public static double Erfc(double x)
    {
        double y = Math.Abs(x);
        if (y <= ErfThreshold) return 1 - ErfSmallArgument(x, y);
        double r = ErfcAboveThreshold(y);
        return x < 0 ? 2 - r : r;
    }

    /// <summary>erf on |x| &lt;= 0.46875: x R(x^2), R a (4, 4) rational (Cody's first interval).</summary>
    private static double ErfSmallArgument(double x, double y)
    {
        double ysq = y > ErfSmall ? y * y : 0;
        double num = (((A4 * ysq + A0) * ysq + A1) * ysq + A2) * ysq + A3;
        double den = (((ysq + B0) * ysq + B1) * ysq + B2) * ysq + B3;
        return x * num / den;
    }

    /// <summary>erfc(y) for y &gt; 0.46875 (or NaN): e^-y^2 times a rational in y (y &lt;= 4) or in 1/y^2 (y &gt; 4).</summary>
    private static double ErfcAboveThreshold(double y)
    {
        double r;
        if (y <= 4)
        {
            double num = (((((((C8 * y + C0) * y + C1) * y + C2) * y + C3) * y + C4) * y + C5) * y + C6) * y + C7;
            double den = (((((((y + D0) * y + D1) * y + D2) * y + D3) * y + D4) * y + D5) * y + D6) * y + D7;
            r = num / den;
        }
        else
        {
            if (y >= ErfcBig) return 0;
            double z = 1 / (y * y);
            double num = ((((P5 * z + P0) * z + P1) * z + P2) * z + P3) * z + P4;
            double den = ((((z + Q0) * z + Q1) * z + Q2) * z + Q3) * z + Q4;
            r = (InvSqrtPi - z * num / den) / y;
        }
        // e^-y^2 = e^-s^2 e^-(y-s)(y+s) with s = y rounded down to 1/16: s^2 is exact in binary, so the rounding
        // error of forming y^2 (amplified by up to y^2 ~ 700 in the exponent) never enters.
        double s = Math.Truncate(y * 16) / 16;
        double del = (y - s) * (y + s);
        return Math.Exp(-s * s) * Math.Exp(-del) * r;
    }

    /// <summary>
    /// log(1 + x), accurate for tiny x. Uses Kahan's identity log1p(x) = log(u) x / (u - 1) with u = 1 + x rounded,
    /// which cancels the rounding error of forming u (Goldberg, "What every computer scientist should know about
    /// floating-point arithmetic", 1991, Theorem 4).
    /// </summary>
    public static double Log1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;                          // |x| below half an ulp of 1: log1p(x) = x to working precision
        if (double.IsPositiveInfinity(u)) return u;    // the identity would give inf/inf
        return Math.Log(u) * x / (u - 1);
    }
}
