using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Workbench.Autograd;

/// <summary>An activation y = f(x) element by element, with its derivative, written once for float and double.</summary>
internal interface IActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Forward(T x);

    /// <summary>dy/dx at x, given also y = f(x): some derivatives are cheapest from the output (sigmoid, tanh, exp).</summary>
    T Derivative(T x, T y);
}

/// <summary>The derivative on whole SIMD registers (same formula as the scalar one, so both paths give the same numbers).</summary>
internal interface IVectorDerivative<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    Vector<T> Derivative(Vector<T> x, Vector<T> y);
}

/// <summary>The forward pass on whole SIMD registers (piecewise-linear activations: compares, selects, min and max).</summary>
internal interface IVectorForward<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    Vector<T> Forward(Vector<T> x);
}

/// <summary>
/// The float32 kernels on eight lanes at a time (<see cref="VectorMath"/>): for activations built on exp, log or
/// tanh, whose scalar libm calls would dominate a training step.
/// </summary>
internal interface IFloatVectorActivation
{
    Vector256<float> Forward(Vector256<float> x);
    Vector256<float> Derivative(Vector256<float> x, Vector256<float> y);
}

/// <summary>An activation's two fused kernels over spans: one forward pass, one backward pass gx = g f'(x).</summary>
internal interface ISpanActivation<T> where T : unmanaged
{
    void Forward(ReadOnlySpan<T> x, Span<T> y);
    void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx);
}

/// <summary>Sums of several quantities over fixed-size blocks, filled by one block's pass.</summary>
internal delegate void BlockBody(int start, int end, Span<double> sums);

/// <summary>
/// The loops every activation runs: scalar or SIMD passes over a span, the tensor-level driver that splits a
/// tensor into chunks for both cores and records the backward pass, and deterministic block reductions.
/// </summary>
internal static class ActivationKernels
{
    /// <summary>Elements per parallel chunk: large enough that a chunk's work dwarfs the hand-off.</summary>
    private const int Grain = 4096;

    /// <summary>Elements per reduction block. Fixed, so a sum's rounding depends only on the data, never on threads.</summary>
    private const int ReductionBlock = 8192;

    public static void Forward<TOp, T>(TOp op, ReadOnlySpan<T> x, Span<T> y)
        where TOp : struct, IActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        y = y[..x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = op.Forward(x[i]);
    }

    public static void ForwardVector<TOp, T>(TOp op, ReadOnlySpan<T> x, Span<T> y)
        where TOp : struct, IActivation<T>, IVectorForward<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        y = y[..x.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T yr = ref MemoryMarshal.GetReference(y);
            for (int last = x.Length - Vector<T>.Count; i <= last; i += Vector<T>.Count)
                op.Forward(Vector.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] = op.Forward(x[i]);
    }

    public static void Backward<TOp, T>(TOp op, ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx)
        where TOp : struct, IActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        g = g[..x.Length]; y = y[..x.Length]; gx = gx[..x.Length];
        for (int i = 0; i < x.Length; i++) gx[i] = g[i] * op.Derivative(x[i], y[i]);
    }

    public static void BackwardVector<TOp, T>(TOp op, ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx)
        where TOp : struct, IActivation<T>, IVectorDerivative<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        g = g[..x.Length]; y = y[..x.Length]; gx = gx[..x.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref T gr = ref MemoryMarshal.GetReference(g);
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T yr = ref MemoryMarshal.GetReference(y);
            ref T gxr = ref MemoryMarshal.GetReference(gx);
            for (int last = x.Length - Vector<T>.Count; i <= last; i += Vector<T>.Count)
            {
                var d = op.Derivative(Vector.LoadUnsafe(ref xr, (nuint)i), Vector.LoadUnsafe(ref yr, (nuint)i));
                (Vector.LoadUnsafe(ref gr, (nuint)i) * d).StoreUnsafe(ref gxr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) gx[i] = g[i] * op.Derivative(x[i], y[i]);
    }

    /// <summary>The forward pass: eight float32 lanes at a time when T is float, the scalar reference loop for double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: skip the slow first tiers
    public static void ForwardFloatVector<TOp, T>(TOp op, ReadOnlySpan<T> x, Span<T> y)
        where TOp : struct, IActivation<T>, IFloatVectorActivation where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) || !VectorMath.IsAccelerated)
        {
            Forward(op, x, y);
            return;
        }
        var xf = MemoryMarshal.Cast<T, float>(x);
        var yf = MemoryMarshal.Cast<T, float>(y)[..xf.Length];
        ref float xr = ref MemoryMarshal.GetReference(xf);
        ref float yr = ref MemoryMarshal.GetReference(yf);
        int i = 0;
        for (int last = xf.Length - Vector256<float>.Count; i <= last; i += Vector256<float>.Count)
            op.Forward(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i < xf.Length)
        {
            // The tail through the same vector code (zero-padded), so an element's value never depends on where a
            // tensor was cut into chunks.
            var tail = VectorMath.LoadTail(xf[i..]);
            VectorMath.StoreTail(op.Forward(tail), yf[i..]);
        }
    }

    /// <summary>The backward pass gx = g f'(x), vectorised as <see cref="ForwardFloatVector"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loop: skip the slow first tiers
    public static void BackwardFloatVector<TOp, T>(TOp op, ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx)
        where TOp : struct, IActivation<T>, IFloatVectorActivation where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) || !VectorMath.IsAccelerated)
        {
            Backward(op, g, x, y, gx);
            return;
        }
        var xf = MemoryMarshal.Cast<T, float>(x);
        var gf = MemoryMarshal.Cast<T, float>(g)[..xf.Length];
        var yf = MemoryMarshal.Cast<T, float>(y)[..xf.Length];
        var gxf = MemoryMarshal.Cast<T, float>(gx)[..xf.Length];
        ref float xr = ref MemoryMarshal.GetReference(xf);
        ref float gr = ref MemoryMarshal.GetReference(gf);
        ref float yr = ref MemoryMarshal.GetReference(yf);
        ref float gxr = ref MemoryMarshal.GetReference(gxf);
        int i = 0;
        for (int last = xf.Length - Vector256<float>.Count; i <= last; i += Vector256<float>.Count)
        {
            var d = op.Derivative(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i));
            (Vector256.LoadUnsafe(ref gr, (nuint)i) * d).StoreUnsafe(ref gxr, (nuint)i);
        }
        if (i < xf.Length)
        {
            var d = op.Derivative(VectorMath.LoadTail(xf[i..]), VectorMath.LoadTail(yf[i..]));
            VectorMath.StoreTail(VectorMath.LoadTail(gf[i..]) * d, gxf[i..]);
        }
    }

    /// <summary>Runs an activation on a float32 or float64 tensor and records its backward pass.</summary>
    public static Tensor Apply<TF, TD>(Tensor x, TF f32, TD f64, string name)
        where TF : struct, ISpanActivation<float> where TD : struct, ISpanActivation<double>
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.DType == DType.Float32 ? Run<TF, float>(x, f32, name) : Run<TD, double>(x, f64, name);
    }

    private static Tensor Run<TOp, T>(Tensor x, TOp op, string name)
        where TOp : struct, ISpanActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty<T>(x.Shape);
        var xa = (T[])x.Storage; int xo = x.Offset;
        var ya = (T[])y.Storage;
        Kernels.For(x.Numel, Grain, (s, e) => op.Forward(xa.AsSpan(xo + s, e - s), ya.AsSpan(s, e - s)));
        if (!Autograd.NeedsGrad(x)) return y;
        return Autograd.Record(y, name, g =>
        {
            g = SameDType(g, x);
            var gx = Tensor.Empty<T>(x.Shape);
            var ga = (T[])g.Storage; int go = g.Offset;
            var gxa = (T[])gx.Storage;
            Kernels.For(x.Numel, Grain, (s, e) =>
                op.Backward(ga.AsSpan(go + s, e - s), xa.AsSpan(xo + s, e - s), ya.AsSpan(s, e - s), gxa.AsSpan(s, e - s)));
            return [gx];
        }, x);
    }

    /// <summary>The incoming gradient in the dtype of the tensor it is for (it always is, unless a caller seeded Backward with another dtype).</summary>
    public static Tensor SameDType(Tensor g, Tensor like) => g.DType == like.DType ? g : g.To(like.DType);

    /// <summary>
    /// <paramref name="width"/> sums over [0, n): each fixed-size block fills its own partial sums (in parallel for
    /// large n), then the partials are added in block order, so the result is the same bit for bit on every run.
    /// </summary>
    public static double[] BlockSums(int n, int width, BlockBody body)
    {
        var totals = new double[width];
        if (n == 0) return totals;
        int blocks = (n + ReductionBlock - 1) / ReductionBlock;
        if (blocks == 1)
        {
            body(0, n, totals);
            return totals;
        }
        var partial = new double[blocks * width];
        void RunBlock(int b) => body(b * ReductionBlock, Math.Min(n, (b + 1) * ReductionBlock), partial.AsSpan(b * width, width));
        if (n >= Kernels.ParallelThreshold) UnitDispatch.Run(RunBlock, blocks);
        else for (int b = 0; b < blocks; b++) RunBlock(b);
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < width; k++) totals[k] += partial[b * width + k];
        return totals;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The activations. Derivatives at kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope, relu6'(0) = relu6'(6) = 0,
// hardsigmoid' = 0 at +-3, hardswish'(-3) = -1/2 and hardswish'(3) = 3/2, elu'(0) takes the negative branch.
// ---------------------------------------------------------------------------------------------------------------

/// <summary>max(x, 0); NaN stays NaN (as clamp_min does), so a diverging run is not hidden.</summary>
internal readonly struct ReluAct<T> : IActivation<T>, IVectorForward<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Forward(T x) => T.Max(x, T.Zero);
    public T Derivative(T x, T y) => x > T.Zero ? T.One : T.Zero;
    public Vector<T> Forward(Vector<T> x) => Vector.Max(x, Vector<T>.Zero);
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), Vector<T>.One, Vector<T>.Zero);
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>x for x &gt; 0, else slope x (Maas et al. 2013); also PReLU's kernel with slope = the channel's weight.</summary>
internal readonly struct LeakyReluAct<T>(T slope) : IActivation<T>, IVectorForward<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _slope = slope;
    public T Forward(T x) => x > T.Zero ? x : x * _slope;
    public T Derivative(T x, T y) => x > T.Zero ? T.One : _slope;
    public Vector<T> Forward(Vector<T> x) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, x * _slope);
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) => Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), Vector<T>.One, new Vector<T>(_slope));
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>min(max(x, 0), 6) (Krizhevsky 2010; PyTorch's hardtanh(x, 0, 6)); the gradient passes on 0 &lt; x &lt; 6 only.</summary>
internal readonly struct Relu6Act<T> : IActivation<T>, IVectorForward<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T Six => T.CreateTruncating(6);
    public T Forward(T x) => T.Min(T.Max(x, T.Zero), Six);
    public T Derivative(T x, T y) => x > T.Zero && x < Six ? T.One : T.Zero;
    public Vector<T> Forward(Vector<T> x) => Vector.Min(Vector.Max(x, Vector<T>.Zero), new Vector<T>(Six));
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero) & Vector.LessThan(x, new Vector<T>(Six)), Vector<T>.One, Vector<T>.Zero);
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>relu6(x + 3) / 6, the piecewise-linear sigmoid of Howard et al. 2019 (MobileNetV3, section 5.2).</summary>
internal readonly struct HardsigmoidAct<T> : IActivation<T>, IVectorForward<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T Three => T.CreateTruncating(3);
    private static T Six => T.CreateTruncating(6);
    public T Forward(T x) => T.Min(T.Max(x + Three, T.Zero), Six) / Six;
    public T Derivative(T x, T y) => x > -Three && x < Three ? T.One / Six : T.Zero;
    public Vector<T> Forward(Vector<T> x) => Vector.Min(Vector.Max(x + new Vector<T>(Three), Vector<T>.Zero), new Vector<T>(Six)) / new Vector<T>(Six);
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<T>(-Three)) & Vector.LessThan(x, new Vector<T>(Three)),
            new Vector<T>(T.One / Six), Vector<T>.Zero);
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>x relu6(x + 3) / 6 (Howard et al. 2019, section 5.2); derivative 0 below -3, x/3 + 1/2 on [-3, 3], 1 above.</summary>
internal readonly struct HardswishAct<T> : IActivation<T>, IVectorForward<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T Three => T.CreateTruncating(3);
    private static T Six => T.CreateTruncating(6);
    private static T Half => T.CreateTruncating(0.5);
    public T Forward(T x) => x * T.Min(T.Max(x + Three, T.Zero), Six) / Six;
    public T Derivative(T x, T y) => x < -Three ? T.Zero : x <= Three ? x / Three + Half : T.One;
    public Vector<T> Forward(Vector<T> x) => x * Vector.Min(Vector.Max(x + new Vector<T>(Three), Vector<T>.Zero), new Vector<T>(Six)) / new Vector<T>(Six);
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) =>
        Vector.ConditionalSelect(Vector.LessThan(x, new Vector<T>(-Three)), Vector<T>.Zero,
            Vector.ConditionalSelect(Vector.LessThanOrEqual(x, new Vector<T>(Three)), x / new Vector<T>(Three) + new Vector<T>(Half), Vector<T>.One));
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>x / (1 + |x|) (Bergstra et al. 2009); derivative 1 / (1 + |x|)^2.</summary>
internal readonly struct SoftsignAct<T> : IActivation<T>, IVectorForward<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Forward(T x) => x / (T.One + T.Abs(x));
    public T Derivative(T x, T y)
    {
        T d = T.One + T.Abs(x);
        return T.One / (d * d);
    }
    public Vector<T> Forward(Vector<T> x) => x / (Vector<T>.One + Vector.Abs(x));
    public Vector<T> Derivative(Vector<T> x, Vector<T> y)
    {
        var d = Vector<T>.One + Vector.Abs(x);
        return Vector<T>.One / (d * d);
    }
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>tanh x, derivative 1 - y^2 from the saved output.</summary>
internal readonly struct TanhAct<T> : IActivation<T>, IVectorDerivative<T>, IFloatVectorActivation, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Forward(T x) => SpecialFunctions.Tanh(x);
    public T Derivative(T x, T y) => T.One - y * y;
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) => Vector<T>.One - y * y;
    public Vector256<float> Forward(Vector256<float> x) => VectorMath.Tanh(x);
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => Vector256<float>.One - y * y;
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardFloatVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>1 / (1 + e^-x) through the vectorised library kernel (exact tails, 0.5 ulp-level accuracy); derivative y (1 - y).</summary>
internal readonly struct SigmoidAct<T> : IActivation<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Forward(T x) => SpecialFunctions.Sigmoid(x);
    public T Derivative(T x, T y) => y * (T.One - y);
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) => y * (Vector<T>.One - y);
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sigmoid(x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>e^x through the vectorised library kernel; derivative y.</summary>
internal readonly struct ExpAct<T> : IActivation<T>, IVectorDerivative<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Forward(T x) => T.Exp(x);
    public T Derivative(T x, T y) => y;
    public Vector<T> Derivative(Vector<T> x, Vector<T> y) => y;
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Exp(x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardVector(this, g, x, y, gx);
}

/// <summary>
/// PyTorch's ELU kernel, which also serves CELU and SELU: scale x for x &gt; 0, else scale alpha (e^(inputScale x) - 1),
/// with e^t - 1 computed by expm1 so that values near 0 keep their digits.
/// ELU: Clevert et al. 2016 (scale = inputScale = 1); CELU: Barron 2017 (inputScale = 1/alpha);
/// SELU: Klambauer et al. 2017 (fixed alpha and scale).
/// </summary>
internal readonly struct EluAct<T>(double alpha, double scale, double inputScale) : IActivation<T>, IFloatVectorActivation, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _scale = T.CreateTruncating(scale);
    private readonly T _negCoef = T.CreateTruncating(alpha * scale);
    private readonly T _inputScale = T.CreateTruncating(inputScale);
    private readonly T _negGrad = T.CreateTruncating(alpha * scale * inputScale);
    public T Forward(T x) => x > T.Zero ? x * _scale : SpecialFunctions.Expm1(x * _inputScale) * _negCoef;
    public T Derivative(T x, T y) => x > T.Zero ? _scale : T.Exp(x * _inputScale) * _negGrad;
    public Vector256<float> Forward(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x * F32(_scale),
            VectorMath.Expm1(x * F32(_inputScale)) * F32(_negCoef));
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), F32(_scale),
            VectorMath.Exp(x * F32(_inputScale)) * F32(_negGrad));
    private static Vector256<float> F32(T v) => Vector256.Create(float.CreateTruncating(v));
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardFloatVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardFloatVector(this, g, x, y, gx);
}

/// <summary>
/// PyTorch's softplus: log(1 + e^(beta x)) / beta, and x itself once beta x exceeds the threshold (where the two
/// agree to within e^-threshold). Derivative sigmoid(beta x), or 1 above the threshold.
/// </summary>
internal readonly struct SoftplusAct<T>(double beta, double threshold) : IActivation<T>, IFloatVectorActivation, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta = T.CreateTruncating(beta);
    private readonly T _threshold = T.CreateTruncating(threshold);
    public T Forward(T x)
    {
        T bx = x * _beta;
        return bx > _threshold ? x : SpecialFunctions.Log1p(T.Exp(bx)) / _beta;
    }
    public T Derivative(T x, T y)
    {
        T bx = x * _beta;
        return bx > _threshold ? T.One : SpecialFunctions.Sigmoid(bx);
    }
    public Vector256<float> Forward(Vector256<float> x)
    {
        var beta = Vector256.Create(float.CreateTruncating(_beta));
        var bx = x * beta;
        var above = Vector256.GreaterThan(bx, Vector256.Create(float.CreateTruncating(_threshold)));
        var softplus = Vector256.Max(bx, Vector256<float>.Zero) + VectorMath.Log1pExpNegAbs(bx);   // log(1 + e^bx), no overflow
        return Vector256.ConditionalSelect(above, x, softplus / beta);
    }
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y)
    {
        var bx = x * Vector256.Create(float.CreateTruncating(_beta));
        var above = Vector256.GreaterThan(bx, Vector256.Create(float.CreateTruncating(_threshold)));
        return Vector256.ConditionalSelect(above, Vector256<float>.One, VectorMath.Sigmoid(bx));
    }
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardFloatVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardFloatVector(this, g, x, y, gx);
}

/// <summary>log sigmoid(x) = min(x, 0) - log1p(e^-|x|); derivative sigmoid(-x), both without overflow.</summary>
internal readonly struct LogSigmoidAct<T> : IActivation<T>, IFloatVectorActivation, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Forward(T x) => T.Min(x, T.Zero) - SpecialFunctions.Log1p(T.Exp(-T.Abs(x)));
    public T Derivative(T x, T y) => SpecialFunctions.Sigmoid(-x);
    public Vector256<float> Forward(Vector256<float> x) => Vector256.Min(x, Vector256<float>.Zero) - VectorMath.Log1pExpNegAbs(x);
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y) => VectorMath.Sigmoid(-x);
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardFloatVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardFloatVector(this, g, x, y, gx);
}

/// <summary>
/// Exact GELU, x Phi(x) (Hendrycks and Gimpel 2016, section 2), with Phi(x) = erfc(-x / sqrt 2) / 2, which keeps
/// full relative precision in the left tail where 1 + erf would cancel. Derivative Phi(x) + x phi(x).
/// Evaluated in double for both dtypes (the error function exists only in double).
/// </summary>
internal readonly struct GeluAct<T> : IActivation<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;
    public T Forward(T x)
    {
        double v = double.CreateTruncating(x);
        return T.CreateTruncating(0.5 * v * SpecialFunctions.Erfc(-v * InvSqrt2));
    }
    public T Derivative(T x, T y)
    {
        double v = double.CreateTruncating(x);
        double cdf = 0.5 * SpecialFunctions.Erfc(-v * InvSqrt2);
        double pdf = InvSqrt2Pi * Math.Exp(-0.5 * v * v);
        return T.CreateTruncating(cdf + v * pdf);
    }
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.Forward(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.Backward(this, g, x, y, gx);
}

/// <summary>
/// GELU's tanh approximation (Hendrycks and Gimpel 2016, section 2): 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3),
/// evaluated as x sigmoid(2z) (the same function, since (1 + tanh z) / 2 = sigmoid(2z)) so that the left tail does not
/// cancel to 0. Derivative sigmoid(2z) + 2 x s (1 - s) z' with z' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
/// Evaluated in double for both dtypes: in float32 the rounding of the cubic would be multiplied by |2z| (about 50 at
/// x = -8) on its way through the exponential, a relative error of several 1e-6 in the tail.
/// </summary>
internal readonly struct GeluTanhAct<T> : IActivation<T>, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double Sqrt2OverPi = 0.79788456080286535588;
    private const double Kappa = 0.044715;
    public T Forward(T x)
    {
        double v = double.CreateTruncating(x);
        return T.CreateTruncating(v * SpecialFunctions.Sigmoid(2 * Sqrt2OverPi * (v + Kappa * v * v * v)));
    }
    public T Derivative(T x, T y)
    {
        double v = double.CreateTruncating(x);
        double s = SpecialFunctions.Sigmoid(2 * Sqrt2OverPi * (v + Kappa * v * v * v));
        double ds = s * (1 - s);
        // Where s saturates, ds is 0 and z' may be huge: skip the product rather than form 0 * inf.
        if (ds == 0) return T.CreateTruncating(s);
        double zPrime = Sqrt2OverPi * (1 + 3 * Kappa * v * v);
        return T.CreateTruncating(s + 2 * v * ds * zPrime);
    }
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.Forward(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.Backward(this, g, x, y, gx);
}

/// <summary>
/// Swish x sigmoid(beta x) (Ramachandran et al. 2017); beta = 1 is SiLU (Elfwing et al. 2018).
/// dy/dx = s + beta x s (1 - s) with s = sigmoid(beta x).
/// </summary>
internal readonly struct SwishAct<T>(T beta) : IActivation<T>, IFloatVectorActivation, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta = beta;
    public T Forward(T x) => x * SpecialFunctions.Sigmoid(_beta * x);
    public T Derivative(T x, T y)
    {
        T bx = _beta * x;
        T s = SpecialFunctions.Sigmoid(bx);
        return s + bx * s * (T.One - s);
    }
    /// <summary>dy/dbeta = x^2 s (1 - s).</summary>
    public T BetaDerivative(T x)
    {
        T s = SpecialFunctions.Sigmoid(_beta * x);
        return x * x * s * (T.One - s);
    }

    /// <summary>sum_i g_i dy_i/dbeta, accumulated in double (eight float32 lanes at a time when T is float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double BetaGradient(ReadOnlySpan<T> g, ReadOnlySpan<T> x)
    {
        double sum = 0;
        if (typeof(T) == typeof(float) && VectorMath.IsAccelerated)
        {
            var xf = MemoryMarshal.Cast<T, float>(x);
            var gf = MemoryMarshal.Cast<T, float>(g);
            var beta = Vector256.Create(float.CreateTruncating(_beta));
            var acc = Vector256<double>.Zero;
            void Add(Vector256<float> gv, Vector256<float> xv)
            {
                var s = VectorMath.Sigmoid(xv * beta);
                var (low, high) = Vector256.Widen(gv * xv * xv * s * (Vector256<float>.One - s));
                acc += low + high;
            }
            int i = 0;
            for (int last = xf.Length - Vector256<float>.Count; i <= last; i += Vector256<float>.Count)
                Add(Vector256.Create(gf.Slice(i, Vector256<float>.Count)), Vector256.Create(xf.Slice(i, Vector256<float>.Count)));
            if (i < xf.Length) Add(VectorMath.LoadTail(gf[i..]), VectorMath.LoadTail(xf[i..]));   // padding: g = 0 adds nothing
            for (int k = 0; k < Vector256<double>.Count; k++) sum += acc[k];
            return sum;
        }
        for (int i = 0; i < x.Length; i++) sum += double.CreateTruncating(g[i] * BetaDerivative(x[i]));
        return sum;
    }
    public Vector256<float> Forward(Vector256<float> x) => x * VectorMath.Sigmoid(x * Vector256.Create(float.CreateTruncating(_beta)));
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y)
    {
        var bx = x * Vector256.Create(float.CreateTruncating(_beta));
        var s = VectorMath.Sigmoid(bx);
        return s + bx * s * (Vector256<float>.One - s);
    }
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardFloatVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardFloatVector(this, g, x, y, gx);
}

/// <summary>
/// Mish x tanh(softplus x) (Misra 2019). With e = e^x and n = e (e + 2), tanh(log(1 + e)) = n / (n + 2), so one
/// exponential serves both the value and the derivative t + x (1 - t^2) sigmoid(x), where 1 - t^2 = 4 (n + 1) / (n + 2)^2
/// and sigmoid(x) = e / (1 + e); none of these cancel in either tail. Above x = 20, t = 1 - 2/(n + 2) is 1 to double
/// precision (and e^x would overflow float32 soon after), so there mish(x) = x with slope 1.
/// </summary>
internal readonly struct MishAct<T> : IActivation<T>, IFloatVectorActivation, ISpanActivation<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T Cutoff => T.CreateTruncating(20);
    private static T Two => T.CreateTruncating(2);
    public T Forward(T x)
    {
        if (x > Cutoff) return x;
        T e = T.Exp(x);
        T n = e * (e + Two);
        return x * (n / (n + Two));
    }
    public T Derivative(T x, T y)
    {
        if (x > Cutoff) return T.One;
        T e = T.Exp(x);
        T n = e * (e + Two);
        T d = n + Two;
        T oneMinusT2 = Two * Two * (n + T.One) / (d * d);
        return n / d + x * oneMinusT2 * (e / (T.One + e));
    }
    public Vector256<float> Forward(Vector256<float> x)
    {
        var cutoff = Vector256.Create(20f);
        var two = Vector256.Create(2f);
        var e = VectorMath.Exp(Vector256.Min(x, cutoff));
        var n = e * (e + two);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, cutoff), x, x * (n / (n + two)));
    }
    public Vector256<float> Derivative(Vector256<float> x, Vector256<float> y)
    {
        var cutoff = Vector256.Create(20f);
        var two = Vector256.Create(2f);
        var one = Vector256<float>.One;
        var e = VectorMath.Exp(Vector256.Min(x, cutoff));
        var n = e * (e + two);
        var d = n + two;
        var oneMinusT2 = Vector256.Create(4f) * (n + one) / (d * d);
        var slope = n / d + x * oneMinusT2 * (e / (one + e));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, cutoff), one, slope);
    }
    public void Forward(ReadOnlySpan<T> x, Span<T> y) => ActivationKernels.ForwardFloatVector(this, x, y);
    public void Backward(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> gx) => ActivationKernels.BackwardFloatVector(this, g, x, y, gx);
}

/// <summary>
/// The activation functions (torch.nn.functional's names), each one fused forward kernel and one fused backward
/// kernel over float32 or float64 tensors, split across both cores for large tensors.
/// </summary>
public static partial class F
{
    /// <summary>SELU's alpha_01 (Klambauer et al. 2017): with <see cref="SeluScale"/>, makes (mean 0, variance 1) a fixed point of the layer map.</summary>
    public const double SeluAlpha = 1.6732632423543772848170429916717;

    /// <summary>SELU's scale lambda_01 (Klambauer et al. 2017).</summary>
    public const double SeluScale = 1.0507009873554804934193349852946;

    /// <summary>The input itself (as torch.nn.Identity): no copy and no graph node.</summary>
    public static Tensor Identity(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x;
    }

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor x) => ActivationKernels.Apply(x, new ExpAct<float>(), new ExpAct<double>(), "exp");

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => ActivationKernels.Apply(x, new TanhAct<float>(), new TanhAct<double>(), "tanh");

    /// <summary>Logistic sigmoid 1 / (1 + e^-x).</summary>
    public static Tensor Sigmoid(Tensor x) => ActivationKernels.Apply(x, new SigmoidAct<float>(), new SigmoidAct<double>(), "sigmoid");

    /// <summary>max(x, 0) (Nair and Hinton 2010); the gradient at 0 is 0.</summary>
    public static Tensor Relu(Tensor x) => ActivationKernels.Apply(x, new ReluAct<float>(), new ReluAct<double>(), "relu");

    /// <summary>x for x &gt; 0, else <paramref name="negativeSlope"/> x (Maas et al. 2013).</summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01)
    {
        RequireFinite(negativeSlope, "leaky_relu", nameof(negativeSlope));
        return ActivationKernels.Apply(x, new LeakyReluAct<float>((float)negativeSlope), new LeakyReluAct<double>(negativeSlope), "leaky_relu");
    }

    /// <summary>ELU (Clevert et al. 2016): x for x &gt; 0, else alpha (e^x - 1).</summary>
    public static Tensor Elu(Tensor x, double alpha = 1.0)
    {
        RequireFinite(alpha, "elu", nameof(alpha));
        return ActivationKernels.Apply(x, new EluAct<float>(alpha, 1, 1), new EluAct<double>(alpha, 1, 1), "elu");
    }

    /// <summary>CELU (Barron 2017): max(0, x) + min(0, alpha (e^(x/alpha) - 1)), continuously differentiable for any alpha.</summary>
    public static Tensor Celu(Tensor x, double alpha = 1.0)
    {
        RequireFinite(alpha, "celu", nameof(alpha));
        if (alpha == 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), "celu: alpha must be non-zero (the formula divides by it); PyTorch's default is 1.0.");
        return ActivationKernels.Apply(x, new EluAct<float>(alpha, 1, 1 / alpha), new EluAct<double>(alpha, 1, 1 / alpha), "celu");
    }

    /// <summary>SELU (Klambauer et al. 2017): lambda x for x &gt; 0, else lambda alpha (e^x - 1).</summary>
    public static Tensor Selu(Tensor x) =>
        ActivationKernels.Apply(x, new EluAct<float>(SeluAlpha, SeluScale, 1), new EluAct<double>(SeluAlpha, SeluScale, 1), "selu");

    /// <summary>Exact GELU x Phi(x) (Hendrycks and Gimpel 2016), Phi the standard normal CDF.</summary>
    public static Tensor Gelu(Tensor x) => ActivationKernels.Apply(x, new GeluAct<float>(), new GeluAct<double>(), "gelu");

    /// <summary>GELU's tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks and Gimpel 2016; PyTorch's approximate="tanh").</summary>
    public static Tensor GeluTanh(Tensor x) => ActivationKernels.Apply(x, new GeluTanhAct<float>(), new GeluTanhAct<double>(), "gelu_tanh");

    /// <summary>SiLU x sigmoid(x) (Elfwing et al. 2018), which is Swish with beta = 1.</summary>
    public static Tensor Silu(Tensor x) => ActivationKernels.Apply(x, new SwishAct<float>(1f), new SwishAct<double>(1.0), "silu");

    /// <summary>Swish x sigmoid(beta x) with a fixed beta (Ramachandran et al. 2017).</summary>
    public static Tensor Swish(Tensor x, double beta)
    {
        RequireFinite(beta, "swish", nameof(beta));
        return ActivationKernels.Apply(x, new SwishAct<float>((float)beta), new SwishAct<double>(beta), "swish");
    }

    /// <summary>
    /// Swish x sigmoid(beta x) with a learnable beta (Ramachandran et al. 2017), a one-element tensor of shape [1]
    /// (or []) in the input's dtype. Gradients flow to x and to beta: dy/dbeta = x^2 s (1 - s), s = sigmoid(beta x).
    /// </summary>
    public static Tensor Swish(Tensor x, Tensor beta)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(beta);
        if (beta.Numel != 1 || beta.Rank > 1)
            throw new ArgumentException(
                $"swish: beta must be one value of shape [1] but has shape {ShapeUtil.Format(beta.Shape)}; for one beta per feature, use a module per feature group.");
        ShapeUtil.RequireSameDType(x, beta, "swish");
        return x.DType == DType.Float32 ? SwishLearnable<float>(x, beta) : SwishLearnable<double>(x, beta);
    }

    private static Tensor SwishLearnable<T>(Tensor x, Tensor beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var op = new SwishAct<T>(beta.AsSpan<T>()[0]);
        var y = Tensor.Empty<T>(x.Shape);
        var xa = (T[])x.Storage; int xo = x.Offset; var ya = (T[])y.Storage;
        Kernels.For(x.Numel, 4096, (s, e) => op.Forward(xa.AsSpan(xo + s, e - s), ya.AsSpan(s, e - s)));
        return Autograd.Record(y, "swish", g =>
        {
            g = ActivationKernels.SameDType(g, x);
            var ga = (T[])g.Storage; int go = g.Offset;
            Tensor? gx = x.RequiresGrad ? Tensor.Empty<T>(x.Shape) : null;
            var gxa = gx is null ? null : (T[])gx.Storage;
            bool needBeta = beta.RequiresGrad;
            // One pass: dx where needed, and the beta gradient sum_i g_i x_i^2 s_i (1 - s_i) in double.
            var sums = ActivationKernels.BlockSums(x.Numel, 1, (s, e, acc) =>
            {
                int n = e - s;
                var xs = xa.AsSpan(xo + s, n);
                var gs = ga.AsSpan(go + s, n);
                if (gxa is not null) op.Backward(gs, xs, ya.AsSpan(s, n), gxa.AsSpan(s, n));
                if (needBeta) acc[0] += op.BetaGradient(gs, xs);
            });
            Tensor? gb = null;
            if (needBeta)
            {
                gb = Tensor.Empty<T>(beta.Shape);
                gb.AsSpan<T>()[0] = T.CreateTruncating(sums[0]);
            }
            return [gx, gb];
        }, x, beta);
    }

    /// <summary>Mish x tanh(softplus(x)) (Misra 2019).</summary>
    public static Tensor Mish(Tensor x) => ActivationKernels.Apply(x, new MishAct<float>(), new MishAct<double>(), "mish");

    /// <summary>
    /// log(1 + e^(beta x)) / beta, switching to x where beta x &gt; <paramref name="threshold"/> (as PyTorch does, for speed
    /// and to avoid overflow).
    /// </summary>
    public static Tensor Softplus(Tensor x, double beta = 1.0, double threshold = 20.0)
    {
        RequireFinite(beta, "softplus", nameof(beta));
        if (beta <= 0)
            throw new ArgumentOutOfRangeException(nameof(beta), $"softplus: beta must be positive but is {beta}; it sets the sharpness (1 is the usual softplus).");
        if (double.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), "softplus: threshold is NaN; PyTorch's default is 20.");
        return ActivationKernels.Apply(x, new SoftplusAct<float>(beta, threshold), new SoftplusAct<double>(beta, threshold), "softplus");
    }

    /// <summary>min(max(x, 0), 6).</summary>
    public static Tensor Relu6(Tensor x) => ActivationKernels.Apply(x, new Relu6Act<float>(), new Relu6Act<double>(), "relu6");

    /// <summary>x relu6(x + 3) / 6 (Howard et al. 2019).</summary>
    public static Tensor Hardswish(Tensor x) => ActivationKernels.Apply(x, new HardswishAct<float>(), new HardswishAct<double>(), "hardswish");

    /// <summary>relu6(x + 3) / 6 (Howard et al. 2019).</summary>
    public static Tensor Hardsigmoid(Tensor x) => ActivationKernels.Apply(x, new HardsigmoidAct<float>(), new HardsigmoidAct<double>(), "hardsigmoid");

    /// <summary>x / (1 + |x|).</summary>
    public static Tensor Softsign(Tensor x) => ActivationKernels.Apply(x, new SoftsignAct<float>(), new SoftsignAct<double>(), "softsign");

    /// <summary>log sigmoid(x), finite for every finite x.</summary>
    public static Tensor LogSigmoid(Tensor x) => ActivationKernels.Apply(x, new LogSigmoidAct<float>(), new LogSigmoidAct<double>(), "logsigmoid");

    /// <summary>
    /// PReLU (He et al. 2015, section 2.1): x for x &gt; 0, else a x, with a learnable. <paramref name="weight"/> has shape [1]
    /// (one slope shared by every element) or [C], one slope per channel along dim 1 of an input [N, C, ...],
    /// as in PyTorch. Gradients flow to x and to the weight.
    /// </summary>
    public static Tensor Prelu(Tensor x, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 1 || weight.Numel == 0)
            throw new ArgumentException(
                $"prelu: the weight must be 1-D, [1] for one shared slope or [C] for one per channel, but has shape {ShapeUtil.Format(weight.Shape)}.");
        ShapeUtil.RequireSameDType(x, weight, "prelu");
        int channels = weight.Numel;
        int inner = x.Numel;
        if (channels > 1)
        {
            if (x.Rank < 2 || x.Shape[1] != channels)
            {
                string has = x.Rank < 2 ? "which has no channel dim" : $"with {x.Shape[1]} channels in dim 1";
                string fix = x.Rank < 2 ? "" : $", or [{x.Shape[1]}] for one slope per channel";
                throw new ArgumentException(
                    $"prelu: the weight has {channels} slopes, one per channel, but the input has shape {ShapeUtil.Format(x.Shape)}, {has}; " +
                    $"use a weight of shape [1] to share one slope{fix}.");
            }
            inner = 1;
            for (int d = 2; d < x.Rank; d++) inner *= x.Shape[d];
        }
        return x.DType == DType.Float32 ? PreluTyped<float>(x, weight, channels, inner) : PreluTyped<double>(x, weight, channels, inner);
    }

    /// <summary>
    /// Calls <paramref name="segment"/> for each run of elements in [start, end) that share one channel: element i
    /// belongs to channel (i / inner) % channels (the layout [N, C, inner], or a single channel when channels = 1).
    /// </summary>
    private static void ForChannelRuns(int start, int end, int channels, int inner, Action<int, int, int> segment)
    {
        if (channels == 1)
        {
            segment(start, end, 0);
            return;
        }
        for (int i = start; i < end;)
        {
            int row = i / inner;
            int stop = Math.Min(end, (row + 1) * inner);
            segment(i, stop, row % channels);
            i = stop;
        }
    }

    private static Tensor PreluTyped<T>(Tensor x, Tensor weight, int channels, int inner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty<T>(x.Shape);
        int n = x.Numel;
        if (n == 0) return Autograd.Record(y, "prelu", _ => [Tensor.ZerosLike(x), Tensor.ZerosLike(weight)], x, weight);
        var xa = (T[])x.Storage; int xo = x.Offset; var ya = (T[])y.Storage;
        var wa = (T[])weight.Storage; int wo = weight.Offset;
        Kernels.For(n, 4096, (s, e) => ForChannelRuns(s, e, channels, inner, (a, b, c) =>
            new LeakyReluAct<T>(wa[wo + c]).Forward(xa.AsSpan(xo + a, b - a), ya.AsSpan(a, b - a))));
        return Autograd.Record(y, "prelu", g =>
        {
            g = ActivationKernels.SameDType(g, x);
            var ga = (T[])g.Storage; int go = g.Offset;
            Tensor? gx = null, gw = null;
            if (x.RequiresGrad)
            {
                gx = Tensor.Empty<T>(x.Shape);
                var gxa = (T[])gx.Storage;
                Kernels.For(n, 4096, (s, e) => ForChannelRuns(s, e, channels, inner, (a, b, c) =>
                    new LeakyReluAct<T>(wa[wo + c]).Backward(ga.AsSpan(go + a, b - a), xa.AsSpan(xo + a, b - a), ya.AsSpan(a, b - a), gxa.AsSpan(a, b - a))));
            }
            if (weight.RequiresGrad)
            {
                // d/da_c = sum over channel c's elements with x <= 0 of g x (He et al. 2015, section 2.1).
                var sums = ActivationKernels.BlockSums(n, channels, (s, e, acc) =>
                {
                    for (int i = s; i < e;)
                    {
                        int row = i / inner;
                        int stop = Math.Min(e, (row + 1) * inner);
                        double sum = 0;
                        for (int k = i; k < stop; k++)
                        {
                            T xv = xa[xo + k];
                            if (!(xv > T.Zero)) sum += double.CreateTruncating(ga[go + k] * xv);
                        }
                        acc[channels == 1 ? 0 : row % channels] += sum;
                        i = stop;
                    }
                });
                gw = Tensor.Empty<T>(weight.Shape);
                var gws = gw.AsSpan<T>();
                for (int c = 0; c < channels; c++) gws[c] = T.CreateTruncating(sums[c]);
            }
            return [gx, gw];
        }, x, weight);
    }

    /// <summary>Rejects NaN and infinite hyperparameters with a message naming the op and the argument.</summary>
    internal static double RequireFinite(double value, string op, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, $"{op}: {name} must be a finite number but is {value}.");
        return value;
    }
}
