using System.Numerics;

namespace Workbench.Autograd.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, exactly as torch.optim.SGD computes it, per element:
/// <code>
/// d = grad + weightDecay * p
/// b = d                                     on the parameter's first step (the buffer starts as a copy)
/// b = momentum * b + (1 - dampening) * d    afterwards
/// d = nesterov ? d + momentum * b : b       (only when momentum != 0)
/// p = p - lr * d
/// </code>
/// This is the form of Sutskever et al. (2013, eq. 1-2) with the learning rate applied outside the buffer;
/// Nesterov's variant is their eq. 3-4 rewritten for the gradient at the current point.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly SgdState?[] _state;

    /// <summary>Momentum factor (0 turns the buffer off).</summary>
    public double Momentum { get; }

    /// <summary>Fraction of the new gradient held back from the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>L2 coefficient added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Nesterov momentum (needs momentum &gt; 0 and no dampening).</summary>
    public bool Nesterov { get; }

    /// <summary>SGD with PyTorch's defaults (lr 1e-3, no momentum, no dampening, no weight decay, no Nesterov).</summary>
    public Sgd(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        RequireInRange(nameof(Sgd), nameof(momentum), momentum, 0, double.PositiveInfinity);
        RequireInRange(nameof(Sgd), nameof(dampening), dampening, 0, 1, maxInclusive: true);
        RequireInRange(nameof(Sgd), nameof(weightDecay), weightDecay, 0, double.PositiveInfinity);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException(
                $"Sgd: Nesterov momentum needs momentum > 0 and dampening = 0 but got momentum {momentum} and dampening {dampening}; " +
                "set a positive momentum and no dampening, or turn Nesterov off.", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _state = new SgdState?[Parameters.Count];
    }

    public override void Step()
    {
        using var _ = Tensor.NoGrad();
        for (int i = 0; i < _state.Length; i++)
        {
            var grad = GradientOf(i);
            if (grad is null) continue;
            var p = Parameters[i];
            var state = _state[i] ??= p.DType == DType.Float32
                ? new SgdState<float>(p, Momentum != 0)
                : new SgdState<double>(p, Momentum != 0);
            state.Run(grad, this);
        }
    }

    private abstract class SgdState
    {
        public abstract void Run(Tensor grad, Sgd options);
    }

    /// <summary>The momentum buffer of one parameter (if any) and a cached loop body, so that a step allocates nothing.</summary>
    private sealed class SgdState<T> : SgdState where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Tensor _param;
        private readonly T[]? _buffer;
        private readonly Action<int, int> _body;
        private Tensor? _grad;
        private bool _first = true, _hasDecay, _nesterov;
        private T _decay, _momentum, _keep, _negLr;

        public SgdState(Tensor param, bool withBuffer)
        {
            _param = param;
            if (withBuffer) _buffer = new T[param.Numel];
            _body = Update;
        }

        public override void Run(Tensor grad, Sgd options)
        {
            _grad = grad;
            _hasDecay = options.WeightDecay != 0;
            _decay = T.CreateTruncating(options.WeightDecay);
            _momentum = T.CreateTruncating(options.Momentum);
            _keep = T.CreateTruncating(1 - options.Dampening);
            _nesterov = options.Nesterov;
            _negLr = T.CreateTruncating(-options.LearningRate);
            Kernels.For(_param.Numel, 8192, _body);
            _first = false;
            _grad = null;
        }

        private void Update(int start, int end)
        {
            int n = end - start;
            var p = ((T[])_param.Storage).AsSpan(_param.Offset + start, n);
            var g = ((T[])_grad!.Storage).AsSpan(_grad.Offset + start, n);
            var b = _buffer is null ? default : _buffer.AsSpan(start, n);
            int i = 0;
            if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
            {
                var decay = new Vector<T>(_decay); var momentum = new Vector<T>(_momentum);
                var keep = new Vector<T>(_keep); var negLr = new Vector<T>(_negLr);
                for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var pv = new Vector<T>(p[i..]);
                    var d = new Vector<T>(g[i..]);
                    if (_hasDecay) d += decay * pv;
                    if (_buffer is not null)
                    {
                        var bv = _first ? d : momentum * new Vector<T>(b[i..]) + keep * d;
                        bv.CopyTo(b[i..]);
                        d = _nesterov ? d + momentum * bv : bv;
                    }
                    (pv + negLr * d).CopyTo(p[i..]);
                }
            }
            for (; i < n; i++)
            {
                T d = g[i];
                if (_hasDecay) d += _decay * p[i];
                if (_buffer is not null)
                {
                    T bi = _first ? d : _momentum * b[i] + _keep * d;
                    b[i] = bi;
                    d = _nesterov ? d + _momentum * bi : bi;
                }
                p[i] += _negLr * d;
            }
        }
    }
}
