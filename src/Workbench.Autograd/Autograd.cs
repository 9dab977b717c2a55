namespace Workbench.Autograd;

/// <summary>Computes the gradients of an op's inputs from the gradient of its output (entries may be null
/// for inputs that need none).</summary>
internal delegate Tensor?[] BackwardFn(Tensor gradOutput);

/// <summary>One recorded op in the graph: its inputs and how to push a gradient back to them.</summary>
internal sealed class Node(string op, Tensor[] inputs, BackwardFn backward)
{
    public readonly string Op = op;
    public readonly Tensor[] Inputs = inputs;
    /// <summary>Null once the graph was freed by a backward pass (it holds the saved tensors).</summary>
    public BackwardFn? Backward = backward;
}

/// <summary>Graph recording and the reverse pass.</summary>
internal static class Autograd
{
    private static readonly AsyncLocal<int> NoGradDepth = new();

    /// <summary>True when ops record the graph (outside every <see cref="Tensor.NoGrad"/> scope).</summary>
    public static bool Enabled => NoGradDepth.Value == 0;

    public static IDisposable EnterNoGrad()
    {
        NoGradDepth.Value++;
        return new NoGradScope();
    }

    private sealed class NoGradScope : IDisposable
    {
        private bool _disposed;
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            NoGradDepth.Value--;
        }
    }

    /// <summary>True when an op on these inputs must be recorded.</summary>
    public static bool NeedsGrad(Tensor a) => a.RequiresGrad && Enabled;

    /// <summary>Attaches a node to <paramref name="result"/> when any input requires gradients; returns result.</summary>
    public static Tensor Record(Tensor result, string op, BackwardFn backward, params Tensor[] inputs)
    {
        if (!Enabled) return result;
        foreach (var input in inputs)
        {
            if (input.RequiresGrad)
            {
                result.SetGradFn(new Node(op, inputs, backward));
                return result;
            }
        }
        return result;
    }

    /// <summary>Reverse-mode pass from <paramref name="root"/> seeded with <paramref name="seed"/>.</summary>
    public static void Backward(Tensor root, Tensor seed, bool retainGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException(
                "Backward() on a tensor that does not require gradients: no input of the computation had RequiresGrad set, or it ran inside NoGrad().");

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        using var _ = EnterNoGrad();
        // Reverse topological order: every consumer of a tensor runs before the tensor itself.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (t.GradFn is null)
            {
                Accumulate(t, g);
                continue;
            }
            var node = t.GradFn;
            var backward = node.Backward ?? throw new InvalidOperationException(
                $"Backward through op '{node.Op}' whose graph was already freed by an earlier Backward(); " +
                "pass retainGraph: true to the first Backward() to go through the graph twice.");
            var inputGrads = backward(g);
            if (!retainGraph) node.Backward = null;
            for (int k = 0; k < node.Inputs.Length; k++)
            {
                var input = node.Inputs[k];
                var ig = k < inputGrads.Length ? inputGrads[k] : null;
                if (ig is null || !input.RequiresGrad) continue;
                if (!ShapeUtil.SameShape(ig.Shape, input.Shape))
                    throw new InvalidOperationException(
                        $"Internal error: op '{node.Op}' produced a gradient of shape {ShapeUtil.Format(ig.Shape)} for an input of shape {ShapeUtil.Format(input.Shape)}.");
                if (grads.TryGetValue(input, out var existing))
                    grads[input] = existing.Add(ig);
                else
                    grads[input] = ig;
            }
        }
    }

    /// <summary>
    /// The gradient buffer of <paramref name="t"/> when <paramref name="t"/> is a leaf that already has one of its own
    /// dtype and shape (a parameter after its first step; the optimiser's ZeroGrad keeps the buffer): an op's backward
    /// may then add its gradient straight into it (a GEMM with beta = 1) instead of returning a temporary for
    /// <see cref="Accumulate"/> to add, which saves a pass over the weights and an allocation of their size.
    /// </summary>
    public static Tensor? LeafGradBuffer(Tensor t) =>
        t.IsLeaf && t.RequiresGrad && t.Grad is { } grad && grad.DType == t.DType && ShapeUtil.SameShape(grad.Shape, t.Shape)
            ? grad
            : null;

    private static void Accumulate(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null)
        {
            // Own copy: g may be shared with other gradients or alias an op's saved tensor.
            var copy = g.Clone();
            leaf.Grad = copy.DType == leaf.DType ? copy : copy.To(leaf.DType);
        }
        else
        {
            Kernels.AddInPlace(leaf.Grad, g);
        }
    }

    /// <summary>Tensors reachable from root through recorded ops, inputs before their consumers.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        // Iterative DFS so that deep graphs (long unrolled loops) cannot overflow the stack.
        var stack = new Stack<(Tensor Tensor, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// A scope in which ops record no graph and allocate no gradient state (evaluation, optimiser updates):
    /// <c>using (Tensor.NoGrad()) { ... }</c>. Scopes nest and follow the async flow.
    /// </summary>
    public static IDisposable NoGrad() => Autograd.EnterNoGrad();

    /// <summary>True outside every <see cref="NoGrad"/> scope.</summary>
    public static bool IsGradEnabled => Autograd.Enabled;

    /// <summary>
    /// Back-propagates from this one-element tensor (usually a loss) into the <see cref="Grad"/> of every leaf
    /// that requires gradients, adding to gradients already there. The graph is freed unless
    /// <paramref name="retainGraph"/> is true.
    /// </summary>
    public void Backward(bool retainGraph = false)
    {
        if (Numel != 1)
            throw new InvalidOperationException(
                $"Backward() without a gradient needs a one-element tensor (a loss) but this one has shape {ShapeUtil.Format(Shape)}; reduce it with Sum() or Mean() first, or pass a gradient.");
        Autograd.Backward(this, OnesLike(this), retainGraph);
    }

    /// <summary>Back-propagates with an explicit gradient of the same shape as this tensor.</summary>
    public void Backward(Tensor gradient, bool retainGraph = false)
    {
        ShapeUtil.RequireSameShape(this, gradient, "Backward");
        Autograd.Backward(this, gradient, retainGraph);
    }
}
