using TorchSharp;
using TorchSharp.Modules;
using Workbench.Vae.Objectives;
using static TorchSharp.torch;

namespace Workbench.Vae.Training;

using Workbench.Vae.Models;

/// <summary>
/// One optimiser step on the negative ELBO, as <see cref="Trainer"/> runs it for every batch: zero_grad, forward
/// (<see cref="Elbo.Compute"/> and the batch mean), backward, one read of the loss, and Adam's update unless the loss
/// is NaN or infinite. The parts are public so that a benchmark can time the real code part by part; <see cref="Run"/>
/// does them all inside one dispose scope.
/// </summary>
/// <remarks>
/// The guard reads only the loss: a NaN or infinite gradient under a finite loss makes the weights NaN at this
/// update, and the next step's loss shows it. Divergence is then reported one step later; the checkpoint of the last
/// good epoch on disk is untouched either way. Reading every gradient each step cost about 2 % of a step.
/// </remarks>
public sealed class TrainingStep : IDisposable
{
    private readonly Vae _model;
    private readonly TrainingOptions _options;
    private readonly torch.Generator _noise;
    private readonly Parameter[] _parameters;
    private readonly torch.Device _device;
    private long _steps;
    private int _disposed;
    private static int s_alive;   // training steps constructed and not yet disposed, in this process

    /// <summary>
    /// Steps between two forced collections of the youngest generation. TorchSharp turns every <c>double</c> an op
    /// takes (Adam's <c>mul_(beta1)</c>, <c>add_(g, alpha)</c>, ...) into a native Scalar that only a finalizer frees; a
    /// step allocates so little managed memory that collections are rare, and those scalars, stranded between the
    /// step's large freed temporaries, fragment the C heap: a 468-step epoch grew the process by about 1.1 GB.
    /// Collecting every few steps hands them to the finalizer while they are young (bench/README.md, "memory").
    /// Only while this is the one training step alive in the process: TorchSharp does not keep a Scalar alive across
    /// the native call that reads it, so a collection forced while another thread is inside such a call can free the
    /// Scalar under it (measured: two sweep workers failed in c10::Scalar::toFloat). Between this thread's own steps
    /// no call of its own is in flight.
    /// </summary>
    public const int StepsPerCollection = 25;

    /// <summary>Adam over the model's parameters, in their order, with the options' learning rate and epsilon.</summary>
    public TrainingStep(Vae model, TrainingOptions options, torch.Generator noise)
    {
        _model = model;
        _device = model.parameters().First().device;
        _options = options;
        _noise = noise;
        _parameters = [.. model.parameters()];
        Optimizer = torch.optim.Adam(_parameters, options.LearningRate, eps: options.AdamEpsilon);
        Interlocked.Increment(ref s_alive);
    }

    /// <summary>The optimiser (its state is checkpointed; its learning rate follows the schedule).</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>Clears the gradients.</summary>
    public void ZeroGrad() => Optimizer.zero_grad();

    /// <summary>The batch mean of the negative ELBO for data <paramref name="x"/> [B, D] with KL weight <paramref name="beta"/>: a scalar.</summary>
    public Tensor Forward(Tensor x, double beta) =>
        Elbo.Compute(x, _model.Encode, _model.Decode, _noise, _options.Samples, beta, _options.FreeBits).Loss.mean();

    /// <summary>The loss's value (one read from the device), then Adam's update (after clipping, if asked) when it is finite.</summary>
    public double Update(Tensor loss)
    {
        double value = loss.item<float>();
        if (!double.IsFinite(value)) return value;
        if (_options.ClipGradNorm is double clip) torch.nn.utils.clip_grad_norm_(_parameters, clip);
        Optimizer.step();
        return value;
    }

    /// <summary>
    /// The whole step in one dispose scope (<paramref name="x"/> is moved to the model's device inside it): returns the
    /// loss, which is NaN or infinite when no update was made.
    /// </summary>
    public double Run(Tensor x, double beta)
    {
        using var scope = torch.NewDisposeScope();
        ZeroGrad();
        // torch.Device has no value equality: compare its parts (the batch is usually already there).
        bool there = x.device_type == _device.type && x.device_index == _device.index;
        var loss = Forward(there ? x : x.to(_device), beta);
        loss.backward();
        double value = Update(loss);
        if (++_steps % StepsPerCollection == 0 && Volatile.Read(ref s_alive) == 1) GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        return value;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Interlocked.Decrement(ref s_alive);
        Optimizer.Dispose();
    }
}
