using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Models;

namespace Workbench.Vae.Objectives;

/// <summary>
/// The linear-Gaussian VAE whose marginal is exact (Tipping and Bishop 1999): p(z) = N(0, I), p(x|z) = N(W z + b, s^2 I),
/// so p(x) = N(b, W W^T + s^2 I) and q*(z|x) = N(M^-1 W^T (x - b), s^2 M^-1) with M = W^T W + s^2 I.
/// W's columns are orthogonal, so M is diagonal and q* is a diagonal Gaussian the encoders can represent exactly.
/// Every reference value is computed in plain double arithmetic, independent of the tensor library, so the
/// objectives can be checked against it (tests, and the ELBO notebook).
/// </summary>
public sealed class LinearGaussianModel
{
    public const int D = 3, L = 2;
    public readonly double[,] W = new double[D, L];
    public readonly double[] B = [0.3, -0.2, 0.1];
    public readonly double S2 = 0.25;
    public readonly double[] M = new double[L];   // diagonal of W^T W + s^2 I

    public LinearGaussianModel()
    {
        // Columns 1.5 (1, 2, 2) / 3 and 0.8 (2, 1, -2) / 3: orthogonal ((1,2,2).(2,1,-2) = 2 + 2 - 4 = 0), norms 1.5 and 0.8.
        double[] c0 = [1, 2, 2], c1 = [2, 1, -2];
        for (int i = 0; i < D; i++) { W[i, 0] = 1.5 * c0[i] / 3; W[i, 1] = 0.8 * c1[i] / 3; }
        M[0] = 1.5 * 1.5 + S2;   // 2.5
        M[1] = 0.8 * 0.8 + S2;   // 0.89
    }

    /// <summary>W as a float64 tensor [D, L].</summary>
    public Tensor WeightTensor() => torch.tensor(W, ScalarType.Float64);

    /// <summary>b as a float64 tensor [D].</summary>
    public Tensor BiasTensor() => torch.tensor(B, ScalarType.Float64);

    /// <summary>p(x | z) = N(W z + b, s^2 I) as a decoder (float64; W, b and log s^2 are made once and kept by the closure).</summary>
    public Func<Tensor, DecoderOutput> Decoder()
    {
        var w = WeightTensor().DetachFromDisposeScope();   // [D, L]
        var b = BiasTensor().DetachFromDisposeScope();     // [D]
        var logVar = torch.tensor(Math.Log(S2), ScalarType.Float64).DetachFromDisposeScope();   // []
        return z => new DecoderOutput(Likelihood.Gaussian, nn.functional.linear(z, w, b), logVar);   // z [N, L] -> [N, D]
    }

    /// <summary>Rows drawn from p(x) with a seeded torch generator: per row z0, z1, then D noise values, in float64.</summary>
    public double[][] SampleData(torch.Generator g, int n)
    {
        using var scope = torch.NewDisposeScope();
        var normals = torch.randn([n, L + D], dtype: ScalarType.Float64, generator: g).data<double>().ToArray();   // [n, L + D]
        int k = 0;
        return Rows(n, () => normals[k++]);
    }

    private double[][] Rows(int n, Func<double> normal)
    {
        var rows = new double[n][];
        for (int r = 0; r < n; r++)
        {
            double z0 = normal(), z1 = normal();
            rows[r] = new double[D];
            for (int i = 0; i < D; i++) rows[r][i] = W[i, 0] * z0 + W[i, 1] * z1 + B[i] + Math.Sqrt(S2) * normal();
        }
        return rows;
    }

    /// <summary>Rows as a float64 tensor [N, D].</summary>
    public static Tensor ToTensor(double[][] rows)
    {
        var flat = rows.SelectMany(r => r).ToArray();
        return torch.tensor(flat, [rows.Length, rows[0].Length], ScalarType.Float64);
    }

    /// <summary>Exact log p(x) = log N(x; b, C), C = W W^T + s^2 I, through a Cholesky factor C = R R^T.</summary>
    public double ExactLogMarginal(double[] x)
    {
        var c = new double[D, D];
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++)
            {
                double v = i == j ? S2 : 0;
                for (int k = 0; k < L; k++) v += W[i, k] * W[j, k];
                c[i, j] = v;
            }
        var r = new double[D, D];
        for (int i = 0; i < D; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = c[i, j];
                for (int k = 0; k < j; k++) s -= r[i, k] * r[j, k];
                r[i, j] = i == j ? Math.Sqrt(s) : s / r[j, j];
            }
        // Solve R y = x - b; then (x - b)^T C^-1 (x - b) = |y|^2 and log det C = 2 sum log R_ii.
        var y = new double[D];
        double logDet = 0, quad = 0;
        for (int i = 0; i < D; i++)
        {
            double s = x[i] - B[i];
            for (int k = 0; k < i; k++) s -= r[i, k] * y[k];
            y[i] = s / r[i, i];
            quad += y[i] * y[i];
            logDet += 2 * Math.Log(r[i, i]);
        }
        return -0.5 * (D * Math.Log(2 * Math.PI) + logDet + quad);
    }

    /// <summary>q*(z|x): mean M^-1 W^T (x - b), variance s^2 / M_jj.</summary>
    public (double[] Mean, double[] Var) ExactPosterior(double[] x)
    {
        var mean = new double[L]; var variance = new double[L];
        for (int j = 0; j < L; j++)
        {
            double s = 0;
            for (int i = 0; i < D; i++) s += W[i, j] * (x[i] - B[i]);
            mean[j] = s / M[j];
            variance[j] = S2 / M[j];
        }
        return (mean, variance);
    }

    /// <summary>
    /// The ELBO in closed form for a diagonal q = N(m, diag(v)):
    /// E_q log p(x|z) = -D/2 log(2 pi s^2) - (|x - W m - b|^2 + sum_j v_j |w_j|^2) / (2 s^2), minus KL(q || N(0, I)).
    /// </summary>
    public double AnalyticElbo(double[] x, double[] m, double[] v)
    {
        double residual = 0;
        for (int i = 0; i < D; i++)
        {
            double r = x[i] - B[i];
            for (int j = 0; j < L; j++) r -= W[i, j] * m[j];
            residual += r * r;
        }
        double trace = 0;
        for (int j = 0; j < L; j++)
        {
            double norm2 = 0;
            for (int i = 0; i < D; i++) norm2 += W[i, j] * W[i, j];
            trace += v[j] * norm2;
        }
        double expectedLogLik = -0.5 * D * Math.Log(2 * Math.PI * S2) - (residual + trace) / (2 * S2);
        double kl = 0;
        for (int j = 0; j < L; j++) kl += 0.5 * (m[j] * m[j] + v[j] - 1 - Math.Log(v[j]));
        return expectedLogLik - kl;
    }

    /// <summary>KL(N(m, diag v) || N(m2, diag v2)) = sum_j 0.5 (log(v2/v) + (v + (m - m2)^2) / v2 - 1).</summary>
    public static double KlDiagonal(double[] m, double[] v, double[] m2, double[] v2)
    {
        double kl = 0;
        for (int j = 0; j < m.Length; j++)
            kl += 0.5 * (Math.Log(v2[j] / v[j]) + (v[j] + (m[j] - m2[j]) * (m[j] - m2[j])) / v2[j] - 1);
        return kl;
    }

    /// <summary>The exact posterior as a linear encoder: mean = A x + c with A = M^-1 W^T, c = -A b; logVar = log(s^2 / M).</summary>
    public LinearPosterior ExactEncoder()
    {
        var a = new double[L, D]; var c = new double[L]; var logVar = new double[L];
        for (int j = 0; j < L; j++)
        {
            for (int i = 0; i < D; i++) { a[j, i] = W[i, j] / M[j]; c[j] -= a[j, i] * B[i]; }
            logVar[j] = Math.Log(S2 / M[j]);
        }
        return new LinearPosterior(a, c, logVar);
    }
}

/// <summary>A diagonal Gaussian encoder q(z|x) = N(A x + c, diag(exp(logVar))) with fixed float64 parameters.</summary>
public sealed record LinearPosterior(double[,] A, double[] C, double[] LogVar)
{
    public int Latent => C.Length;

    /// <summary>The same encoder with its matrix scaled and its offset and log-variance shifted: a deliberately wrong q.</summary>
    public LinearPosterior Perturbed(double scaleA, double shiftC, double shiftLogVar)
    {
        var a = (double[,])A.Clone();
        for (int j = 0; j < a.GetLength(0); j++) for (int i = 0; i < a.GetLength(1); i++) a[j, i] *= scaleA;
        return new LinearPosterior(a, C.Select(v => v + shiftC).ToArray(), LogVar.Select(v => v + shiftLogVar).ToArray());
    }

    public Func<Tensor, Posterior> Encoder()
    {
        var a = torch.tensor(A, ScalarType.Float64).DetachFromDisposeScope();        // [L, D]
        var c = torch.tensor(C, ScalarType.Float64).DetachFromDisposeScope();        // [L]
        var lv = torch.tensor(LogVar, ScalarType.Float64).DetachFromDisposeScope();  // [L]
        return x => new Posterior(nn.functional.linear(x, a, c), lv.expand(x.shape[0], Latent));   // [B, L] each
    }

    /// <summary>(mean, variance) of q(z|x) in plain doubles.</summary>
    public (double[] Mean, double[] Var) At(double[] x)
    {
        var mean = new double[Latent];
        for (int j = 0; j < Latent; j++)
        {
            mean[j] = C[j];
            for (int i = 0; i < x.Length; i++) mean[j] += A[j, i] * x[i];
        }
        return (mean, LogVar.Select(Math.Exp).ToArray());
    }
}
