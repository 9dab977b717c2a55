namespace Workbench.Autograd;

/// <summary>
/// Compares the gradients from <see cref="Tensor.Backward()"/> with central finite differences in float64,
/// as torch.autograd.gradcheck does. The function's output is contracted with fixed random weights so that
/// every output element, not just their sum, is checked.
/// </summary>
public static class GradCheck
{
    /// <summary>The worst mismatch found, with where it was.</summary>
    public sealed record Result(bool Passed, double MaxError, int Input, int Element, double Analytic, double Numeric)
    {
        public override string ToString() => Passed
            ? $"gradcheck passed (max error {MaxError:G3})"
            : $"gradcheck failed at input {Input}, element {Element}: analytic {Analytic:G10} vs numeric {Numeric:G10}";
    }

    /// <summary>
    /// Checks f's gradients with respect to every float64 input that requires gradients.
    /// An element passes when |analytic - numeric| &lt;= atol + rtol |numeric|.
    /// </summary>
    public static Result Run(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-4, ulong seed = 7)
    {
        foreach (var x in inputs)
            if (x.RequiresGrad && x.DType != DType.Float64)
                throw new ArgumentException("GradCheck needs float64 inputs: float32 finite differences are too coarse to judge a gradient.");

        var probe = f(inputs);
        var weights = Tensor.Randn(probe.ShapeArray(), new Generator(seed), DType.Float64);
        Tensor Objective() => f(inputs).Mul(weights).Sum();

        foreach (var x in inputs) x.Grad = null;
        Objective().Backward();
        var worst = new Result(true, 0, -1, -1, 0, 0);
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.RequiresGrad) continue;
            var analytic = x.Grad?.ToDoubleArray() ?? new double[x.Numel];
            var data = x.AsSpan<double>();
            for (int e = 0; e < x.Numel; e++)
            {
                double saved = data[e];
                double plus, minus;
                using (Tensor.NoGrad())
                {
                    x.AsSpan<double>()[e] = saved + eps;
                    plus = Objective().Item();
                    x.AsSpan<double>()[e] = saved - eps;
                    minus = Objective().Item();
                    x.AsSpan<double>()[e] = saved;
                }
                double numeric = (plus - minus) / (2 * eps);
                double error = Math.Abs(analytic[e] - numeric);
                bool ok = error <= atol + rtol * Math.Abs(numeric) && !double.IsNaN(analytic[e]);
                if (!ok && worst.Passed || (ok == worst.Passed && error > worst.MaxError))
                    worst = new Result(ok, error, i, e, analytic[e], numeric);
            }
        }
        return worst;
    }
}
