namespace Workbench.Autograd.Nn;

/// <summary>
/// A layer or model with named parameters and submodules, as torch.nn.Module: parameters are leaves that
/// require gradients, registered in order, and named by path ("encoder.0.weight").
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = [];
    private readonly List<(string Name, Module Module)> _modules = [];

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The module's computation.</summary>
    public abstract Tensor Forward(Tensor input);

    private List<Action<Module, Tensor, Tensor>>? _forwardHooks;

    /// <summary>Runs <see cref="Forward"/> and then the forward hooks (PyTorch's <c>module(x)</c>).</summary>
    public Tensor Call(Tensor input)
    {
        var output = Forward(input);
        if (_forwardHooks is { } hooks)
            foreach (var hook in hooks.ToArray()) hook(this, input, output);
        return output;
    }

    /// <summary>
    /// Calls <paramref name="hook"/>(module, input, output) after every <see cref="Call"/> of this module, e.g. to record
    /// activations for gradient-health statistics. Dispose the result to remove the hook.
    /// </summary>
    public IDisposable RegisterForwardHook(Action<Module, Tensor, Tensor> hook)
    {
        (_forwardHooks ??= []).Add(hook);
        return new HookHandle(() => _forwardHooks.Remove(hook));
    }

    private sealed class HookHandle(Action remove) : IDisposable
    {
        private Action? _remove = remove;
        public void Dispose()
        {
            _remove?.Invoke();
            _remove = null;
        }
    }

    /// <summary>Registers a parameter under a name unique within this module; marks it as requiring gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        EnsureNewName(name);
        if (!parameter.IsLeaf) parameter = parameter.Detach();
        parameter.RequiresGrad_();
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers a submodule under a name unique within this module.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        EnsureNewName(name);
        _modules.Add((name, module));
        return module;
    }

    private void EnsureNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid parameter or module name: it must be non-empty and contain no '.'.");
        if (_parameters.Any(p => p.Name == name) || _modules.Any(m => m.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a parameter or module named '{name}'.");
    }

    /// <summary>Direct submodules in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> Children() => _modules;

    /// <summary>Every parameter of this module and its submodules, with its dotted path.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        foreach (var (name, p) in _parameters) yield return (name, p);
        foreach (var (prefix, m) in _modules)
            foreach (var (name, p) in m.NamedParameters())
                yield return ($"{prefix}.{name}", p);
    }

    /// <summary>Every parameter of this module and its submodules.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every module in the tree, this one first, with its dotted path ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return ("", this);
        foreach (var (prefix, m) in _modules)
            foreach (var (name, sub) in m.NamedModules())
                yield return (name.Length == 0 ? prefix : $"{prefix}.{name}", sub);
    }

    /// <summary>Total number of scalar parameters.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    /// <summary>Training mode for this module and all submodules; returns this.</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, m) in _modules) m.Train(training);
        return this;
    }

    /// <summary>Evaluation mode (dropout off) for this module and all submodules; returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>Sets every parameter's gradient to zero in place, keeping its storage for the next step.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad?.Zero_();
    }

    /// <summary>Parameters by dotted name; the tensors are the live parameters, not copies.</summary>
    public Dictionary<string, Tensor> StateDict() => NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);

    /// <summary>
    /// Copies values into the parameters by name. With <paramref name="strict"/>, a missing or unexpected key is an
    /// error; a shape mismatch always is. Nothing is changed unless every check passes.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException(
                $"State dict does not match {GetType().Name}: " +
                (missing.Count > 0 ? $"missing {string.Join(", ", missing)}" : "") +
                (missing.Count > 0 && unexpected.Count > 0 ? "; " : "") +
                (unexpected.Count > 0 ? $"unexpected {string.Join(", ", unexpected)}" : "") +
                ". Was it saved from a model with a different configuration?");
        foreach (var (name, p) in own)
        {
            if (state.TryGetValue(name, out var value) && !ShapeUtil.SameShape(value.Shape, p.Shape))
                throw new ArgumentException(
                    $"State dict entry '{name}' has shape {ShapeUtil.Format(value.Shape)} but the model's parameter has shape {ShapeUtil.Format(p.Shape)}.");
        }
        using var _ = Tensor.NoGrad();
        foreach (var (name, p) in own)
            if (state.TryGetValue(name, out var value)) p.CopyFrom(value);
    }

    /// <summary>Converts every parameter to <paramref name="dtype"/> in place of the old ones (e.g. float64 for gradient checks).</summary>
    public Module To(DType dtype)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            var (name, p) = _parameters[i];
            if (p.DType == dtype) continue;
            Tensor converted;
            using (Tensor.NoGrad()) converted = p.To(dtype);
            converted.RequiresGrad_();
            _parameters[i] = (name, converted);
            OnParameterReplaced(name, converted);
        }
        foreach (var (_, m) in _modules) m.To(dtype);
        return this;
    }

    /// <summary>Called when <see cref="To"/> replaces a parameter, so a subclass can update the field that holds it.</summary>
    protected virtual void OnParameterReplaced(string name, Tensor parameter) { }
}
