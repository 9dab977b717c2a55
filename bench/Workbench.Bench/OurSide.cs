using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Objectives;
using Workbench.Vae.Training;
using static TorchSharp.torch;
using VaeModel = Workbench.Vae.Models.Vae;

namespace Workbench.Bench;

/// <summary>
/// Side (a): the code path users run, <c>new Trainer().Run(config, data, options)</c>, for one epoch over exactly the
/// images given. What is timed is the Trainer's own <see cref="EpochMetrics.TrainSeconds"/>: its clock runs over the
/// epoch's step loop (batching, zero_grad, Elbo.Compute, mean, backward, the loss read-back and NaN/Inf guard, Adam)
/// and stops before the test-set evaluation, which is reported apart (EvalSeconds) and not timed here.
/// </summary>
public static class OurSide
{
    /// <summary>One epoch of the real Trainer; <paramref name="onStep"/> is attached to its StepCompleted event.</summary>
    public static EpochMetrics Train(VaeConfig config, ImageDataset train, ImageDataset test, ulong seed, Action<StepProgress>? onStep = null)
    {
        var trainer = new Trainer();
        if (onStep is not null) trainer.StepCompleted += onStep;
        var options = new TrainingOptions(Epochs: 1, BatchSize: Bench.Batch, LearningRate: Bench.LearningRate, Seed: seed);
        var result = trainer.Run(config, new TrainingData(train, test), options);
        result.Model.Dispose();
        if (result.Outcome != Outcome.Completed || result.Last is null)
            throw new BenchmarkException($"Our Trainer did not finish its epoch: {result.Message ?? result.Outcome.ToString()}");
        return result.Last;
    }

    /// <summary>
    /// Per-step seconds of the real Trainer: the time between consecutive StepCompleted events, which is one whole
    /// iteration of its loop (the batch copy included); the first <paramref name="warmup"/> intervals are dropped.
    /// </summary>
    public static List<double> StepSeconds(VaeConfig config, ImageDataset train, ImageDataset test, ulong seed, int warmup)
    {
        var stamps = new List<long>();
        Train(config, train, test, seed, _ => stamps.Add(Stopwatch.GetTimestamp()));
        return [.. stamps.Skip(warmup).Zip(stamps.Skip(warmup + 1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalSeconds)];
    }
}

/// <summary>
/// `train --profile` / `conv --profile`: where a step's time goes, our step beside the raw one. <see cref="OurStepper"/>
/// calls the parts of the Trainer's own <see cref="TrainingStep"/> (zero_grad, forward, backward, the loss read and Adam),
/// and the real Trainer's whole step time is measured beside it.
/// </summary>
public static class Profiler
{
    private static readonly string[] OurParts = ["batch copy", "zero_grad", "forward (Elbo.Compute, mean)", "backward", "loss read + optimizer step", "scope dispose"];
    private static readonly string[] RawParts = ["batch index_select", "zero_grad", "forward", "backward", "optimizer step", "scope dispose"];

    /// <summary>Time of each part in each timed step, and the managed allocations, collections and tensors of those steps.</summary>
    private sealed class Tally(int parts)
    {
        public readonly List<double>[] Seconds = [.. Enumerable.Range(0, parts).Select(_ => new List<double>())];
        public readonly int[] Collections = new int[3];
        public long Tensors, Bytes;
        public TimeSpan Pause;
        private long _last, _bytes0;
        private int _part;
        private readonly int[] _gc0 = new int[3];
        private TimeSpan _pause0;

        public void StartStep()
        {
            _part = 0;
            _bytes0 = GC.GetAllocatedBytesForCurrentThread();
            for (int g = 0; g < 3; g++) _gc0[g] = GC.CollectionCount(g);
            _pause0 = GC.GetTotalPauseDuration();
            _last = Stopwatch.GetTimestamp();
        }

        public void Mark(bool count = true)
        {
            long now = Stopwatch.GetTimestamp();
            if (count) Seconds[_part].Add(Stopwatch.GetElapsedTime(_last, now).TotalSeconds);
            _part++;
            _last = now;
        }

        /// <summary>Marks the last part and adds the step's allocations and collections (they are counted per thread, so per step here).</summary>
        public void EndStep(bool timed)
        {
            Mark(timed);
            if (!timed) return;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - _bytes0;
            for (int g = 0; g < 3; g++) Collections[g] += GC.CollectionCount(g) - _gc0[g];
            Pause += GC.GetTotalPauseDuration() - _pause0;
        }
    }

    public static void Run(VaeConfig config, ImageDataset train, ImageDataset test, int steps, int threads)
    {
        const int warmup = 30;
        var data = train.Subset(Math.Min(train.Count / Bench.Batch, warmup + steps) * Bench.Batch);
        Console.WriteLine($"profile: {config.Architecture} {string.Join("-", [config.InputDim, .. config.ResolvedHidden, config.LatentDim])} {config.Activation}, " +
            $"batch {Bench.Batch}, {steps} steps after {warmup} untimed, torch threads {threads}, OMP_WAIT_POLICY {Bench.OmpWaitPolicy}");

        // The two steppers take turns, step by step, so that load from other processes falls on both alike.
        var (ours, raw) = (new Tally(OurParts.Length), new Tally(RawParts.Length));
        using (var a = new OurStepper(config, data))
        using (var b = new RawStepper(config, data.Images))
        {
            for (int step = 0; step < warmup + steps; step++)
            {
                if (step == warmup) Bench.Settle();
                a.Step(ours, step >= warmup);
                b.Step(raw, step >= warmup);
            }
        }
        Bench.Settle();
        // The real Trainer and raw loop over the same steps (after a short warm-up of each), to check the copies above.
        OurSide.Train(config, data.Subset(warmup * Bench.Batch), test.Subset(500), 99);
        var trainerStep = Bench.Median(OurSide.StepSeconds(config, data, test.Subset(500), 1, warmup));
        Bench.Settle();
        var rawStep = Bench.Median(RawLoop.Train(config, data.Images, null, warmup + steps, 1).StepSeconds.Skip(warmup));

        // Medians per part resist the load spikes of a shared machine; means show what the spikes cost.
        const string fmt = "{0,-32} {1,10} {2,10} {3,7}   {4,10} {5,10}";
        Console.WriteLine(string.Format(Bench.Inv, fmt, "part (ms / step)", "median a", "median b", "a/b", "mean a", "mean b"));
        string Ms(double seconds) => Bench.F(1e3 * seconds, "0.000");
        for (int i = 0; i < OurParts.Length; i++)
        {
            double a = Bench.Median(ours.Seconds[i]), b = Bench.Median(raw.Seconds[i]);
            double meanA = ours.Seconds[i].Average(), meanB = raw.Seconds[i].Average();
            Console.WriteLine(string.Format(Bench.Inv, fmt, OurParts[i], Ms(a), Ms(b), Bench.F(a / b, "0.00"), Ms(meanA), Ms(meanB)));
        }
        double sumA = ours.Seconds.Sum(Bench.Median), sumB = raw.Seconds.Sum(Bench.Median);
        Console.WriteLine(string.Format(Bench.Inv, fmt, "sum of the parts", Ms(sumA), Ms(sumB), Bench.F(sumA / sumB, "0.00"),
            Ms(ours.Seconds.Sum(p => p.Average())), Ms(raw.Seconds.Sum(p => p.Average()))));
        Console.WriteLine(string.Format(Bench.Inv, fmt, "whole step: real Trainer, RawLoop", Ms(trainerStep), Ms(rawStep), Bench.F(trainerStep / rawStep, "0.00"), "", ""));
        Console.WriteLine(string.Format(Bench.Inv, fmt, "tensors made / step", ((double)ours.Tensors / steps).ToString("0.0", Bench.Inv),
            ((double)raw.Tensors / steps).ToString("0.0", Bench.Inv), "", "", ""));
        Console.WriteLine(string.Format(Bench.Inv, fmt, "managed KiB allocated / step", (ours.Bytes / 1024.0 / steps).ToString("0.0", Bench.Inv),
            (raw.Bytes / 1024.0 / steps).ToString("0.0", Bench.Inv), "", "", ""));
        Console.WriteLine(string.Format(Bench.Inv, fmt, $"GC gen0/1/2 in {steps} steps", string.Join("/", ours.Collections), string.Join("/", raw.Collections), "", "", ""));
        Console.WriteLine(string.Format(Bench.Inv, fmt, "GC pause ms / step", (ours.Pause.TotalMilliseconds / steps).ToString("0.000", Bench.Inv),
            (raw.Pause.TotalMilliseconds / steps).ToString("0.000", Bench.Inv), "", "", ""));
        Console.WriteLine("Whole step: the real Trainer's median interval between StepCompleted events, and RawLoop.Train's median step, run after the parts.");
        Console.WriteLine("Tensors made per step: those registered in the step's dispose scope (every op result and view the step's code creates).");
    }

    /// <summary>The Trainer's own <see cref="TrainingStep"/>, timed part by part (the options' defaults: no KL warm-up, free bits or clipping).</summary>
    private sealed class OurStepper : IDisposable
    {
        private readonly VaeModel _model;
        private readonly Batches _batches;
        private readonly TrainingStep _step;
        private Batches.Enumerator _epoch;

        public OurStepper(VaeConfig config, ImageDataset data)
        {
            var options = new TrainingOptions(BatchSize: Bench.Batch, LearningRate: Bench.LearningRate, Seed: 1);
            _model = VaeModel.Create(config, new torch.Generator(options.Seed));
            _batches = new Batches(data, Bench.Batch, shuffle: true, new torch.Generator(Seeds.Derive(options.Seed, Seeds.Batches)));
            _step = new TrainingStep(_model, options, new torch.Generator(Seeds.Derive(options.Seed, Seeds.Noise)));
            _model.train();
            _epoch = _batches.GetEnumerator();
        }

        public void Step(Tally tally, bool timed)
        {
            tally.StartStep();
            if (!_epoch.MoveNext())
            {
                _epoch = _batches.GetEnumerator();
                _epoch.MoveNext();
            }
            tally.Mark(timed);
            var scope = torch.NewDisposeScope();
            _step.ZeroGrad();
            tally.Mark(timed);
            var loss = _step.Forward(_epoch.Current.Images, beta: 1.0);
            tally.Mark(timed);
            loss.backward();
            tally.Mark(timed);
            _step.Update(loss);
            tally.Mark(timed);
            if (timed) tally.Tensors += scope.DisposablesCount;
            scope.Dispose();
            tally.EndStep(timed);
        }

        public void Dispose()
        {
            _step.Dispose();
            _model.Dispose();
        }
    }

    /// <summary>The step of <see cref="RawLoop.Train"/>, timed part by part.</summary>
    private sealed class RawStepper : IDisposable
    {
        private readonly RawVae _model;
        private readonly optim.Optimizer _adam;
        private readonly Tensor _images;
        private readonly long _perPass;
        private Tensor? _order;
        private long _step;

        public RawStepper(VaeConfig config, Tensor images)
        {
            torch.manual_seed(1);
            _model = RawVae.For(config);
            _adam = torch.optim.Adam(_model.parameters(), Bench.LearningRate);
            _model.train();
            _images = images;
            _perPass = images.shape[0] / Bench.Batch;
        }

        public void Step(Tally tally, bool timed)
        {
            if (_step % _perPass == 0)
            {
                _order?.Dispose();
                _order = torch.randperm(_images.shape[0]);
            }
            tally.StartStep();
            var scope = torch.NewDisposeScope();
            var x = _images.index_select(0, _order!.narrow(0, _step++ % _perPass * Bench.Batch, Bench.Batch));
            tally.Mark(timed);
            _adam.zero_grad();
            tally.Mark(timed);
            var loss = _model.NegativeElbo(x).mean();
            tally.Mark(timed);
            loss.backward();
            tally.Mark(timed);
            _adam.step();
            tally.Mark(timed);
            if (timed) tally.Tensors += scope.DisposablesCount;
            scope.Dispose();
            tally.EndStep(timed);
        }

        public void Dispose()
        {
            _order?.Dispose();
            _adam.Dispose();
            _model.Dispose();
        }
    }
}
