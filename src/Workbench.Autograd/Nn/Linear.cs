namespace Workbench.Autograd.Nn;

/// <summary>y = x W^T + b, with W of shape [out, in], initialised as torch.nn.Linear.</summary>
public sealed class Linear : Module
{
    public Tensor Weight { get; private set; }
    public Tensor? Bias { get; private set; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear needs positive sizes, got in={inFeatures}, out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Init.KaimingUniform([outFeatures, inFeatures], fanIn: inFeatures, generator));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform([outFeatures], 1.0 / Math.Sqrt(inFeatures), generator));
    }

    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias);

    protected override void OnParameterReplaced(string name, Tensor parameter)
    {
        if (name == "weight") Weight = parameter; else Bias = parameter;
    }
}

/// <summary>Modules applied in order.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>Appends a layer, named by its position ("0", "1", ...) as in PyTorch.</summary>
    public Sequential Add(Module layer)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        return this;
    }

    public IReadOnlyList<Module> Layers => _layers;

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers) x = layer.Call(x);
        return x;
    }
}
