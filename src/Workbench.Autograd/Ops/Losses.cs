using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Workbench.Autograd;

/// <summary>How a loss combines its per-element values (PyTorch's <c>reduction</c> argument).</summary>
public enum Reduction
{
    /// <summary>No reduction: the loss has the inputs' shape.</summary>
    None,
    /// <summary>The mean over all elements, a tensor of shape [].</summary>
    Mean,
    /// <summary>The sum over all elements, a tensor of shape [].</summary>
    Sum,
}

/// <summary>A loss that is a sum of per-element terms l(a, b, c) of up to three same-shaped inputs, with its partial derivatives.</summary>
internal interface IPointLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Value(T a, T b, T c);
    (T Da, T Db, T Dc) Grad(T a, T b, T c);
}

/// <summary>
/// Binary cross-entropy on logits x against a target t in [0, 1] (fractional targets allowed):
/// l = max(x, 0) - x t + log1p(e^-|x|), the stable rewriting of -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)),
/// exact for |x| up to the float range. dl/dx = sigmoid(x) - t, dl/dt = -x.
/// </summary>
internal readonly struct BceWithLogitsLoss<T> : IPointLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Value(T x, T t, T unused) => T.Max(x, T.Zero) - x * t + SpecialFunctions.Log1p(T.Exp(-T.Abs(x)));
    public (T Da, T Db, T Dc) Grad(T x, T t, T unused) => (SpecialFunctions.Sigmoid(x) - t, -x, T.Zero);
}

/// <summary>Squared error l = (x - t)^2; dl/dx = 2 (x - t) = -dl/dt.</summary>
internal readonly struct MseLossTerm<T> : IPointLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Value(T x, T t, T unused)
    {
        T d = x - t;
        return d * d;
    }
    public (T Da, T Db, T Dc) Grad(T x, T t, T unused)
    {
        T d = x - t;
        return (d + d, -(d + d), T.Zero);
    }
}

/// <summary>
/// Gaussian negative log-likelihood with log-variance v: l = 0.5 (c + v + (t - m)^2 e^-v), c = log 2 pi when full
/// (the exact density) or 0 (PyTorch's default, dropping the constant). dl/dm = -(t - m) e^-v = -dl/dt,
/// dl/dv = 0.5 (1 - (t - m)^2 e^-v). Where t = m exactly the squared term is 0 even if e^-v overflowed.
/// </summary>
internal readonly struct GaussianNllTerm<T>(bool full) : IPointLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _constant = full ? T.CreateTruncating(1.8378770664093454835606594728112) : T.Zero; // log(2 pi)
    private static T Half => T.CreateTruncating(0.5);

    public T Value(T t, T m, T v)
    {
        T d = t - m;
        T q = d * d;
        T scaled = q == T.Zero ? T.Zero : q * T.Exp(-v);
        return Half * (_constant + v + scaled);
    }

    public (T Da, T Db, T Dc) Grad(T t, T m, T v)
    {
        T d = t - m;
        if (d == T.Zero) return (T.Zero, T.Zero, Half);
        T precision = T.Exp(-v);
        T dt = d * precision;
        return (dt, -dt, Half * (T.One - d * dt));
    }
}

public static partial class F
{
    /// <summary>
    /// Binary cross-entropy between sigmoid(<paramref name="logits"/>) and <paramref name="target"/> (same shape,
    /// values in [0, 1], fractional allowed, e.g. grey-level pixels), computed from the logits in the stable form
    /// max(x, 0) - x t + log1p(e^-|x|) (as torch.nn.functional.binary_cross_entropy_with_logits).
    /// Gradients: sigmoid(x) - t for the logits, -x for the target.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        RequireLossShapes("binary_cross_entropy_with_logits", "logits", logits, "target", target, reduction);
        return logits.DType == DType.Float32
            ? PointLoss<BceWithLogitsLoss<float>, float>(new(), "binary_cross_entropy_with_logits", reduction, [logits, target], [logits, target])
            : PointLoss<BceWithLogitsLoss<double>, double>(new(), "binary_cross_entropy_with_logits", reduction, [logits, target], [logits, target]);
    }

    /// <summary>Mean squared error (x - t)^2 (as torch.nn.functional.mse_loss); inputs of the same shape.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        RequireLossShapes("mse_loss", "input", input, "target", target, reduction);
        return input.DType == DType.Float32
            ? PointLoss<MseLossTerm<float>, float>(new(), "mse_loss", reduction, [input, target], [input, target])
            : PointLoss<MseLossTerm<double>, double>(new(), "mse_loss", reduction, [input, target], [input, target]);
    }

    /// <summary>
    /// Negative log-likelihood of <paramref name="target"/> under N(<paramref name="mean"/>, exp(<paramref name="logVar"/>)),
    /// per element 0.5 (log 2 pi + logVar + (t - mean)^2 exp(-logVar)); with <paramref name="full"/> false the constant
    /// log 2 pi is left out. Target and mean have the same shape; logVar has that shape or broadcasts to it (e.g. [D]
    /// or [1] for a variance shared across the batch). Gradients flow to mean, logVar and target.
    /// </summary>
    public static Tensor GaussianNll(Tensor target, Tensor mean, Tensor logVar, Reduction reduction = Reduction.Mean, bool full = true)
    {
        RequireLossShapes("gaussian_nll", "target", target, "mean", mean, reduction);
        ArgumentNullException.ThrowIfNull(logVar);
        ShapeUtil.RequireSameDType(mean, logVar, "gaussian_nll");
        var expanded = logVar;
        if (!ShapeUtil.SameShape(logVar.Shape, mean.Shape))
        {
            bool fits = logVar.Rank <= mean.Rank;
            for (int i = 1; fits && i <= logVar.Rank; i++)
                fits = logVar.Shape[^i] == 1 || logVar.Shape[^i] == mean.Shape[^i];
            if (!fits)
                throw new ArgumentException(
                    $"gaussian_nll: logVar of shape {ShapeUtil.Format(logVar.Shape)} does not broadcast to the mean's shape {ShapeUtil.Format(mean.Shape)}; " +
                    "give it the mean's shape, or trailing dims of it (size 1 where shared).");
            using (Tensor.NoGrad()) expanded = logVar.Detach().BroadcastTo(mean.Shape);
        }
        return mean.DType == DType.Float32
            ? PointLoss<GaussianNllTerm<float>, float>(new(full), "gaussian_nll", reduction, [target, mean, expanded], [target, mean, logVar])
            : PointLoss<GaussianNllTerm<double>, double>(new(full), "gaussian_nll", reduction, [target, mean, expanded], [target, mean, logVar]);
    }

    /// <summary>
    /// The log-likelihood of <paramref name="target"/> under independent Bernoulli pixels with logits l, summed over every
    /// dim of the target but the first: sum_j t_j l_j - softplus(l_j), the negative of binary cross-entropy with logits
    /// (fractional targets allowed, e.g. grey levels). <paramref name="target"/> is [B, ...]; <paramref name="logits"/> has
    /// its shape or extra leading sample dims [S..., B, ...], over which the target is broadcast. Returns [B] or [S..., B].
    /// One fused pass forward and one backward: d/dl = g (t - sigmoid(l)), d/dt = g l.
    /// </summary>
    public static Tensor BernoulliLogLikelihood(Tensor logits, Tensor target)
    {
        const string op = "bernoulli_log_likelihood";
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        ShapeUtil.RequireSameDType(logits, target, op);
        int lead = logits.Rank - target.Rank;
        bool fits = target.Rank >= 1 && lead >= 0;
        for (int i = 0; fits && i < target.Rank; i++) fits = logits.Shape[lead + i] == target.Shape[i];
        if (!fits)
            throw new ArgumentException(
                $"{op}: logits of shape {ShapeUtil.Format(logits.Shape)} do not end in the target's shape {ShapeUtil.Format(target.Shape)}; " +
                "the logits must be [B, ...] like the target, or [S..., B, ...] with sample dims first.");
        int[] shape = logits.ShapeArray()[..(lead + 1)];
        return logits.DType == DType.Float32
            ? BernoulliLogLikelihood<float>(logits, target, shape, op)
            : BernoulliLogLikelihood<double>(logits, target, shape, op);
    }

    private static Tensor BernoulliLogLikelihood<T>(Tensor logits, Tensor target, int[] shape, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = target.Shape[0];
        int width = batch == 0 ? 0 : target.Numel / batch;            // pixels per example
        int rows = ShapeUtil.Numel(shape);
        var y = Tensor.Empty<T>(shape);
        var la = (T[])logits.Storage; int lo = logits.Offset;
        var ta = (T[])target.Storage; int to = target.Offset;
        var ya = (T[])y.Storage;
        ForRows(rows, width, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                ya[r] = BernoulliRow(la.AsSpan(lo + r * width, width), ta.AsSpan(to + r % batch * width, width));
        });
        return Autograd.Record(y, op, g =>
        {
            g = ActivationKernels.SameDType(g, y);
            var ga = (T[])g.Storage; int go = g.Offset;
            Tensor? gl = null, gt = null;
            if (logits.RequiresGrad)
            {
                gl = Tensor.Empty<T>(logits.Shape);
                var gla = (T[])gl.Storage;
                ForRows(rows, width, (r0, r1) =>
                {
                    for (int r = r0; r < r1; r++)
                        BernoulliRowGrad(ga[go + r], la.AsSpan(lo + r * width, width), ta.AsSpan(to + r % batch * width, width), gla.AsSpan(r * width, width));
                });
            }
            if (target.RequiresGrad)
            {
                // d/dt = g l, summed over the sample dims the target was broadcast along (in row order: deterministic).
                gt = Tensor.Zeros(target.ShapeArray(), target.DType);
                var gta = gt.AsSpan<T>();
                for (int r = 0; r < rows; r++)
                {
                    T gr = ga[go + r];
                    var l = la.AsSpan(lo + r * width, width);
                    var dst = gta.Slice(r % batch * width, width);
                    for (int j = 0; j < width; j++) dst[j] += gr * l[j];
                }
            }
            return [gl, gt];
        }, logits, target);
    }

    /// <summary>Runs rows [0, rows) of <paramref name="width"/> elements each, on both cores when there are many elements.</summary>
    private static void ForRows(int rows, int width, Action<int, int> body)
    {
        if ((long)rows * width < Kernels.ParallelThreshold || rows < 2) body(0, rows);
        else Kernels.For(rows, 1, body, force: true);
    }

    /// <summary>sum_j t_j l_j - softplus(l_j) = sum_j t_j l_j - max(l_j, 0) - log1p(e^-|l_j|), summed in double per lane group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: skip the slow first tiers
    private static T BernoulliRow<T>(ReadOnlySpan<T> l, ReadOnlySpan<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        double sum = 0;
        if (typeof(T) == typeof(float) && VectorMath.IsAccelerated)
        {
            var lf = MemoryMarshal.Cast<T, float>(l);
            var tf = MemoryMarshal.Cast<T, float>(t);
            var acc = Vector256<float>.Zero;
            for (int last = lf.Length - Vector256<float>.Count; i <= last; i += Vector256<float>.Count)
            {
                var lv = Vector256.Create(lf.Slice(i, Vector256<float>.Count));
                var tv = Vector256.Create(tf.Slice(i, Vector256<float>.Count));
                acc += tv * lv - Vector256.Max(lv, Vector256<float>.Zero) - VectorMath.Log1pExpNegAbs(lv);
            }
            if (i < lf.Length)
            {
                // Padding lanes hold l = 0, t = 0, whose term is -log 2: mask them out.
                var lv = VectorMath.LoadTail(lf[i..]);
                var tv = VectorMath.LoadTail(tf[i..]);
                var term = tv * lv - Vector256.Max(lv, Vector256<float>.Zero) - VectorMath.Log1pExpNegAbs(lv);
                acc += term & VectorMath.TailMask(lf.Length - i);
                i = lf.Length;
            }
            for (int k = 0; k < Vector256<float>.Count; k++) sum += acc[k];
        }
        for (; i < l.Length; i++)
            sum += double.CreateTruncating(t[i] * l[i] - T.Max(l[i], T.Zero) - SpecialFunctions.Log1p(T.Exp(-T.Abs(l[i]))));
        return T.CreateTruncating(sum);
    }

    /// <summary>gl_j = g (t_j - sigmoid(l_j)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: skip the slow first tiers
    private static void BernoulliRowGrad<T>(T g, ReadOnlySpan<T> l, ReadOnlySpan<T> t, Span<T> gl) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (typeof(T) == typeof(float) && VectorMath.IsAccelerated)
        {
            var lf = MemoryMarshal.Cast<T, float>(l);
            var tf = MemoryMarshal.Cast<T, float>(t);
            var gf = MemoryMarshal.Cast<T, float>(gl);
            var gv = Vector256.Create(float.CreateTruncating(g));
            for (int last = lf.Length - Vector256<float>.Count; i <= last; i += Vector256<float>.Count)
            {
                var lv = Vector256.Create(lf.Slice(i, Vector256<float>.Count));
                var tv = Vector256.Create(tf.Slice(i, Vector256<float>.Count));
                (gv * (tv - VectorMath.Sigmoid(lv))).CopyTo(gf.Slice(i, Vector256<float>.Count));
            }
            if (i < lf.Length)
            {
                VectorMath.StoreTail(gv * (VectorMath.LoadTail(tf[i..]) - VectorMath.Sigmoid(VectorMath.LoadTail(lf[i..]))), gf[i..]);
                i = lf.Length;
            }
        }
        for (; i < l.Length; i++) gl[i] = g * (t[i] - SpecialFunctions.Sigmoid(l[i]));
    }

    private static void RequireLossShapes(string op, string nameA, Tensor a, string nameB, Tensor b, Reduction reduction)
    {
        ArgumentNullException.ThrowIfNull(a, nameA);
        ArgumentNullException.ThrowIfNull(b, nameB);
        if (!ShapeUtil.SameShape(a.Shape, b.Shape))
            throw new ArgumentException(
                $"{op}: {nameA} of shape {ShapeUtil.Format(a.Shape)} and {nameB} of shape {ShapeUtil.Format(b.Shape)} must have the same shape; " +
                "reshape one (e.g. flatten images to [B, D]) so they match element for element.");
        ShapeUtil.RequireSameDType(a, b, op);
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), $"{op}: reduction {(int)reduction} is not one of None, Mean, Sum.");
    }

    /// <summary>
    /// The fused loss kernel: one pass for the value (per element, or summed block by block in double for Mean and
    /// Sum) and one pass for all the gradients. <paramref name="data"/> are same-shaped tensors read by the kernel;
    /// <paramref name="inputs"/> are the graph inputs they came from (an input may have been broadcast into its data
    /// tensor, in which case its gradient is summed back to its own shape).
    /// </summary>
    private static Tensor PointLoss<TOp, T>(TOp op, string name, Reduction reduction, Tensor[] data, Tensor[] inputs)
        where TOp : struct, IPointLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = data[0].Numel;
        int arity = data.Length;
        var arrays = new T[arity][];
        var offsets = new int[arity];
        for (int k = 0; k < arity; k++) { arrays[k] = (T[])data[k].Storage; offsets[k] = data[k].Offset; }
        var (a, ao) = (arrays[0], offsets[0]);
        var (b, bo) = (arrays[1], offsets[1]);
        var (c, co) = arity > 2 ? (arrays[2], offsets[2]) : (arrays[0], offsets[0]);

        Tensor y;
        if (reduction == Reduction.None)
        {
            y = Tensor.Empty<T>(data[0].Shape);
            var ya = (T[])y.Storage;
            Kernels.For(n, 4096, (s, e) =>
            {
                for (int i = s; i < e; i++) ya[i] = op.Value(a[ao + i], b[bo + i], c[co + i]);
            });
        }
        else
        {
            var sums = ActivationKernels.BlockSums(n, 1, (s, e, acc) =>
            {
                double sum = 0;
                for (int i = s; i < e; i++) sum += double.CreateTruncating(op.Value(a[ao + i], b[bo + i], c[co + i]));
                acc[0] += sum;
            });
            y = Tensor.Empty<T>([]);
            y.AsSpan<T>()[0] = T.CreateTruncating(reduction == Reduction.Mean ? sums[0] / n : sums[0]);
        }

        return Autograd.Record(y, name, g =>
        {
            g = ActivationKernels.SameDType(g, data[0]);
            var need = new bool[arity];
            var grads = new Tensor?[arity];
            var gArrays = new T[]?[arity];
            for (int k = 0; k < arity; k++)
            {
                need[k] = inputs[k].RequiresGrad;
                if (need[k]) { grads[k] = Tensor.Empty<T>(data[k].Shape); gArrays[k] = (T[])grads[k]!.Storage; }
            }
            var (ga0, ga1, ga2) = (gArrays[0], gArrays[1], arity > 2 ? gArrays[2] : null);
            bool perElement = reduction == Reduction.None;
            var gs = (T[])g.Storage; int gso = g.Offset;
            T scale = perElement ? T.One : T.CreateTruncating(double.CreateTruncating(gs[gso]) / (reduction == Reduction.Mean ? n : 1));
            Kernels.For(n, 4096, (s, e) =>
            {
                for (int i = s; i < e; i++)
                {
                    T w = perElement ? gs[gso + i] : scale;
                    var (da, db, dc) = op.Grad(a[ao + i], b[bo + i], c[co + i]);
                    if (ga0 is not null) ga0[i] = w * da;
                    if (ga1 is not null) ga1[i] = w * db;
                    if (ga2 is not null) ga2[i] = w * dc;
                }
            });
            for (int k = 0; k < arity; k++)
                if (grads[k] is { } gk && !ShapeUtil.SameShape(gk.Shape, inputs[k].Shape))
                    grads[k] = Kernels.SumTo(gk, inputs[k].Shape);
            return grads;
        }, inputs);
    }
}
