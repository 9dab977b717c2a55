namespace Workbench.Autograd.Optim;

/// <summary>
/// Base of the optimisers, as torch.optim.Optimizer: holds the parameters, clears their gradients, and updates
/// their storage in place from the gradients in <see cref="Step"/>. Every instance owns its state (moment buffers,
/// step counts), so two models trained in one process never share it.
/// </summary>
public abstract class Optimizer
{
    private readonly Tensor[] _parameters;
    private double _learningRate;

    /// <param name="parameters">The tensors to optimise (usually <c>model.Parameters()</c>): leaves, each listed once.</param>
    /// <param name="learningRate">Initial step size; may be changed between steps by a schedule.</param>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        string name = GetType().Name;
        if (_parameters.Length == 0)
            throw new ArgumentException(
                $"{name} got an empty parameter list: pass the model's Parameters() after its layers were created.", nameof(parameters));
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i] ?? throw new ArgumentException($"{name}: parameter {i} is null.", nameof(parameters));
            if (!p.IsLeaf)
                throw new ArgumentException(
                    $"{name}: parameter {i} (shape {ShapeUtil.Format(p.Shape)}) is not a leaf but the result of an op; " +
                    "an optimiser can only update leaves. Pass the module's parameters, or Detach() the tensor first.", nameof(parameters));
            if (!seen.Add(p))
                throw new ArgumentException(
                    $"{name}: parameter {i} (shape {ShapeUtil.Format(p.Shape)}) appears more than once in the list and would be updated twice per step; " +
                    "list each parameter once (e.g. when two modules share a layer).", nameof(parameters));
        }
        LearningRate = learningRate;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Step size used by the next <see cref="Step"/>; settable so that schedules can change it between steps.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    $"{GetType().Name}: the learning rate must be a finite number >= 0 but was {value}.");
            _learningRate = value;
        }
    }

    /// <summary>
    /// Sets every parameter's gradient to zero in place, so the next backward pass accumulates into the same storage
    /// (no allocation per step). Parameters without a gradient are left without one.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Grad?.Zero_();
    }

    /// <summary>
    /// Updates every parameter that has a gradient, in place, without recording a graph. Parameters whose
    /// <see cref="Tensor.Grad"/> is null are skipped and their state is left as it was.
    /// </summary>
    public abstract void Step();

    /// <summary>The gradient of parameter <paramref name="index"/>, or null; throws when it cannot belong to that parameter.</summary>
    protected Tensor? GradientOf(int index)
    {
        var p = _parameters[index];
        var g = p.Grad;
        if (g is null) return null;
        if (!ShapeUtil.SameShape(g.Shape, p.Shape))
            throw new InvalidOperationException(
                $"{GetType().Name}: parameter {index} has shape {ShapeUtil.Format(p.Shape)} but its gradient has shape {ShapeUtil.Format(g.Shape)}; " +
                "a gradient assigned by hand must have the parameter's shape.");
        if (g.DType != p.DType)
            throw new InvalidOperationException(
                $"{GetType().Name}: parameter {index} is {p.DType} but its gradient is {g.DType}; " +
                "a gradient assigned by hand must have the parameter's dtype (Backward() produces one that does).");
        return g;
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [min, max) (or [min, max] when <paramref name="maxInclusive"/>).</summary>
    private protected static void RequireInRange(string optimizer, string name, double value, double min, double max, bool maxInclusive = false)
    {
        bool ok = value >= min && (maxInclusive ? value <= max : value < max);
        if (!ok)
        {
            string upper = double.IsPositiveInfinity(max) ? "" : maxInclusive ? $" and <= {max}" : $" and < {max}";
            throw new ArgumentOutOfRangeException(name, value, $"{optimizer}: {name} must be >= {min}{upper} but was {value}.");
        }
    }
}
