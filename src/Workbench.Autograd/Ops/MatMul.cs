using System.Numerics;

namespace Workbench.Autograd;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product. [m, k] x [k, n] -> [m, n]; batched [b, m, k] x [b, k, n] -> [b, m, n];
    /// [b, m, k] x [k, n] -> [b, m, n] (the matrix is shared across the batch).
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ShapeUtil.RequireSameDType(this, other, "matmul");
        if (Rank == 2 && other.Rank == 2) return MatMul2D(this, other);
        if (Rank == 3 && other.Rank == 2)
        {
            int b = Shape[0], m = Shape[1];
            return Reshape(b * m, Shape[2]).MatMul(other).Reshape(b, m, other.Shape[1]);
        }
        if (Rank == 3 && other.Rank == 3) return BatchedMatMul(this, other);
        throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(Shape)} and {ShapeUtil.Format(other.Shape)} are not 2-D or batched 3-D matrices.");
    }

    private static Tensor MatMul2D(Tensor a, Tensor b)
    {
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        if (b.Shape[0] != k)
            throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} do not chain (inner sizes {k} and {b.Shape[0]}).");
        var y = Empty([m, n], a.DType);
        GemmInto(false, false, m, n, k, a, b, y, accumulate: false);
        return Autograd.Record(y, "matmul", g =>
        {
            Tensor? ga = null, gb = null;
            if (a.RequiresGrad) { ga = Empty([m, k], a.DType); GemmInto(false, true, m, k, n, g, b, ga, false); }   // g b^T
            if (b.RequiresGrad) { gb = Empty([k, n], a.DType); GemmInto(true, false, k, n, m, a, g, gb, false); }   // a^T g
            return [ga, gb];
        }, a, b);
    }

    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        int batch = a.Shape[0], m = a.Shape[1], k = a.Shape[2], n = b.Shape[2];
        if (b.Shape[0] != batch || b.Shape[1] != k)
            throw new ArgumentException($"matmul: batched shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} do not chain.");
        var y = Empty([batch, m, n], a.DType);
        for (int i = 0; i < batch; i++) GemmInto(false, false, m, n, k, a.Slice(i, i + 1), b.Slice(i, i + 1), y.Slice(i, i + 1), false);
        return Autograd.Record(y, "bmm", g =>
        {
            Tensor? ga = a.RequiresGrad ? Empty([batch, m, k], a.DType) : null;
            Tensor? gb = b.RequiresGrad ? Empty([batch, k, n], a.DType) : null;
            for (int i = 0; i < batch; i++)
            {
                var gi = g.Slice(i, i + 1);
                if (ga is not null) GemmInto(false, true, m, k, n, gi, b.Slice(i, i + 1), ga.Slice(i, i + 1), false);
                if (gb is not null) GemmInto(true, false, k, n, m, a.Slice(i, i + 1), gi, gb.Slice(i, i + 1), false);
            }
            return [ga, gb];
        }, a, b);
    }

    /// <summary>c = op(a) op(b) (+ c when accumulating), with the leading dims taken from the operands' stored layout.</summary>
    internal static void GemmInto(bool transA, bool transB, int m, int n, int k, Tensor a, Tensor b, Tensor c, bool accumulate)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (c.DType == DType.Float32)
            Gemm.Run(transA, transB, m, n, k, 1f, a.AsSpan<float>(), lda, b.AsSpan<float>(), ldb, accumulate ? 1f : 0f, c.AsSpan<float>(), n);
        else
            Gemm.Run(transA, transB, m, n, k, 1.0, a.AsSpan<double>(), lda, b.AsSpan<double>(), ldb, accumulate ? 1.0 : 0.0, c.AsSpan<double>(), n);
    }
}

/// <summary>Functional forms of the ops, in PyTorch's vocabulary (torch.nn.functional).</summary>
public static partial class F
{
    /// <summary>
    /// y = x W^T + b with W of shape [out, in] (PyTorch's layout) and x of shape [..., in].
    /// One GEMM forward and two backward, no transposed copies.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ShapeUtil.RequireSameDType(x, weight, "linear");
        if (weight.Rank != 2) throw new ArgumentException($"linear: the weight must be 2-D [out, in] but has shape {ShapeUtil.Format(weight.Shape)}.");
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Rank == 0 || x.Shape[^1] != inF)
            throw new ArgumentException($"linear: input of shape {ShapeUtil.Format(x.Shape)} does not end in {inF}, the weight's in-features (weight {ShapeUtil.Format(weight.Shape)}).");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"linear: the bias must have shape [{outF}] but has {ShapeUtil.Format(bias.Shape)}.");
        if (x.Rank != 2)
        {
            var lead = x.ShapeArray()[..^1];
            var flat = Linear(x.Reshape(-1, inF), weight, bias);
            return flat.Reshape([.. lead, outF]);
        }
        int batch = x.Shape[0];
        var y = Tensor.Empty([batch, outF], x.DType);
        if (bias is not null)
        {
            // Seed every row with the bias so the GEMM accumulates onto it.
            if (x.DType == DType.Float32) FillRows<float>(y, bias); else FillRows<double>(y, bias);
        }
        Tensor.GemmInto(false, true, batch, outF, inF, x, weight, y, accumulate: bias is not null);
        var inputs = bias is null ? new[] { x, weight } : new[] { x, weight, bias };
        return Autograd.Record(y, "linear", g =>
        {
            Tensor? gx = null, gw = null, gb = null;
            if (x.RequiresGrad) { gx = Tensor.Empty([batch, inF], x.DType); Tensor.GemmInto(false, false, batch, inF, outF, g, weight, gx, false); }
            if (weight.RequiresGrad)
            {
                // g^T x, added straight into the parameter's gradient when it has one (nothing then returned for it).
                if (Autograd.LeafGradBuffer(weight) is { } buffer) Tensor.GemmInto(true, false, outF, inF, batch, g, x, buffer, accumulate: true);
                else { gw = Tensor.Empty([outF, inF], x.DType); Tensor.GemmInto(true, false, outF, inF, batch, g, x, gw, false); }
            }
            if (bias is not null && bias.RequiresGrad) gb = g.Sum(0);
            return [gx, gw, gb];
        }, inputs);
    }

    private static void FillRows<T>(Tensor y, Tensor bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = bias.AsSpan<T>(); var ys = y.AsSpan<T>();
        for (int r = 0; r < ys.Length; r += b.Length) b.CopyTo(ys.Slice(r, b.Length));
    }
}
