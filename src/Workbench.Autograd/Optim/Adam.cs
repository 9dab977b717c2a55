using System.Numerics;

namespace Workbench.Autograd.Optim;

/// <summary>
/// Adam (Kingma and Ba 2015, Algorithm 1) exactly as torch.optim.Adam computes it (amsgrad off), per element:
/// <code>
/// g  = grad + weightDecay * p                      // L2 penalty folded into the gradient (Adam only)
/// m  = lerp(m, g, 1 - beta1)                       // first moment
/// v  = beta2 * v + (1 - beta2) * g * g             // second moment
/// p  = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// </code>
/// eps is added after the bias correction of sqrt(v), as PyTorch does (Algorithm 1 adds it to sqrt(v-hat)), not
/// inside the square root. t counts the steps in which this parameter had a gradient.
/// </summary>
public class Adam : Optimizer
{
    private readonly AdamState?[] _state;
    private readonly bool _decoupled;

    /// <summary>Decay rate of the first-moment average.</summary>
    public double Beta1 { get; }

    /// <summary>Decay rate of the second-moment average.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the bias-corrected sqrt(v) to keep the step finite where v is tiny.</summary>
    public double Eps { get; }

    /// <summary>Adam: L2 coefficient added to the gradient; AdamW: decoupled decay rate.</summary>
    public double WeightDecay { get; }

    /// <summary>Adam with PyTorch's defaults (lr 1e-3, betas 0.9 / 0.999, eps 1e-8, no weight decay).</summary>
    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    private protected Adam(IEnumerable<Tensor> parameters, double learningRate, double beta1, double beta2,
        double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate)
    {
        string name = GetType().Name;
        RequireInRange(name, nameof(beta1), beta1, 0, 1);
        RequireInRange(name, nameof(beta2), beta2, 0, 1);
        RequireInRange(name, nameof(eps), eps, 0, double.PositiveInfinity);
        RequireInRange(name, nameof(weightDecay), weightDecay, 0, double.PositiveInfinity);
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
        _state = new AdamState?[Parameters.Count];
    }

    /// <summary>Number of updates parameter <paramref name="index"/> has received (0 before its first gradient).</summary>
    public long StepCount(int index) => _state[index]?.Step ?? 0;

    public override void Step()
    {
        using var _ = Tensor.NoGrad();
        double lr = LearningRate;
        for (int i = 0; i < _state.Length; i++)
        {
            var grad = GradientOf(i);
            if (grad is null) continue;
            var p = Parameters[i];
            // Moment buffers are created on a parameter's first gradient and reused for every later step.
            var state = _state[i] ??= p.DType == DType.Float32 ? new AdamState<float>(p) : new AdamState<double>(p);
            long t = ++state.Step;
            double biasCorrection1 = 1 - Math.Pow(Beta1, t);
            double biasCorrection2 = 1 - Math.Pow(Beta2, t);
            state.Run(grad, new AdamScalars(
                Weight1: 1 - Beta1,
                Beta2: Beta2,
                OneMinusBeta2: 1 - Beta2,
                L2: _decoupled ? 0 : WeightDecay,
                // AdamW (Loshchilov and Hutter 2019, Algorithm 2 line 12) shrinks p before the Adam step: p *= 1 - lr * lambda.
                Decay: _decoupled ? 1 - lr * WeightDecay : 1,
                BiasCorrection2Sqrt: Math.Sqrt(biasCorrection2),
                Eps: Eps,
                NegStepSize: -lr / biasCorrection1));
        }
    }

    private readonly record struct AdamScalars(double Weight1, double Beta2, double OneMinusBeta2, double L2, double Decay,
        double BiasCorrection2Sqrt, double Eps, double NegStepSize);

    private abstract class AdamState
    {
        public long Step;
        public abstract void Run(Tensor grad, in AdamScalars s);
    }

    /// <summary>Moment buffers of one parameter and a cached loop body, so that a step allocates nothing.</summary>
    private sealed class AdamState<T> : AdamState where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Tensor _param;
        private readonly T[] _m, _v;
        private readonly Action<int, int> _body;
        private Tensor? _grad;
        private T _w1, _b2, _w2, _l2, _decay, _bc2Sqrt, _eps, _negStep;
        private bool _hasL2, _lerpFromStart;

        public AdamState(Tensor param)
        {
            _param = param;
            _m = new T[param.Numel];
            _v = new T[param.Numel];
            _body = Update;
        }

        public override void Run(Tensor grad, in AdamScalars s)
        {
            _grad = grad;
            _w1 = T.CreateTruncating(s.Weight1);
            _b2 = T.CreateTruncating(s.Beta2);
            _w2 = T.CreateTruncating(s.OneMinusBeta2);
            _l2 = T.CreateTruncating(s.L2);
            _hasL2 = s.L2 != 0;
            _decay = T.CreateTruncating(s.Decay);
            _bc2Sqrt = T.CreateTruncating(s.BiasCorrection2Sqrt);
            _eps = T.CreateTruncating(s.Eps);
            _negStep = T.CreateTruncating(s.NegStepSize);
            // torch.lerp switches formula at weight 0.5 so that both ends are exact; follow it.
            _lerpFromStart = s.Weight1 < 0.5;
            Kernels.For(_param.Numel, 8192, _body);
            _grad = null;
        }

        private void Update(int start, int end)
        {
            int n = end - start;
            var p = ((T[])_param.Storage).AsSpan(_param.Offset + start, n);
            var g = ((T[])_grad!.Storage).AsSpan(_grad.Offset + start, n);
            var m = _m.AsSpan(start, n);
            var v = _v.AsSpan(start, n);
            int i = 0;
            if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
            {
                var w1 = new Vector<T>(_w1); var oneMinusW1 = new Vector<T>(T.One - _w1);
                var b2 = new Vector<T>(_b2); var w2 = new Vector<T>(_w2);
                var l2 = new Vector<T>(_l2); var decay = new Vector<T>(_decay);
                var bc2Sqrt = new Vector<T>(_bc2Sqrt); var eps = new Vector<T>(_eps); var negStep = new Vector<T>(_negStep);
                for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var pv = new Vector<T>(p[i..]);
                    var gv = new Vector<T>(g[i..]);
                    var mv = new Vector<T>(m[i..]);
                    var vv = new Vector<T>(v[i..]);
                    if (_hasL2) gv += l2 * pv;
                    mv = _lerpFromStart ? mv + w1 * (gv - mv) : gv - (gv - mv) * oneMinusW1;
                    vv = vv * b2 + w2 * gv * gv;
                    var denom = Vector.SquareRoot(vv) / bc2Sqrt + eps;
                    pv = pv * decay + negStep * mv / denom;
                    pv.CopyTo(p[i..]);
                    mv.CopyTo(m[i..]);
                    vv.CopyTo(v[i..]);
                }
            }
            T oneMinusW1s = T.One - _w1;
            for (; i < n; i++)
            {
                T gi = g[i];
                if (_hasL2) gi += _l2 * p[i];
                T mi = _lerpFromStart ? m[i] + _w1 * (gi - m[i]) : gi - (gi - m[i]) * oneMinusW1s;
                T vi = v[i] * _b2 + _w2 * gi * gi;
                T denom = T.Sqrt(vi) / _bc2Sqrt + _eps;
                p[i] = p[i] * _decay + _negStep * mi / denom;
                m[i] = mi;
                v[i] = vi;
            }
        }
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2) as torch.optim.AdamW:
/// the parameter is first shrunk by (1 - lr * weightDecay), then takes the Adam step computed from the raw gradient,
/// so the decay is not rescaled by the adaptive denominator.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW with PyTorch's defaults (lr 1e-3, betas 0.9 / 0.999, eps 1e-8, weight decay 0.01).</summary>
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true)
    {
    }
}
