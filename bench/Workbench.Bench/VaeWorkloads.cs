using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Workbench.Autograd;
using Workbench.Autograd.Optim;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Models;
using Workbench.Vae.Objectives;

namespace Workbench.Bench;

/// <summary>One line of a workload's result: a quantity measured on both sides.</summary>
/// <param name="Ratio">Workbench / PyTorch (time or memory): below 1 means Workbench is faster or smaller.</param>
/// <param name="GemmFlops">For training rows: the matrix-product work (floating-point operations) of the timed steps, so that
/// <c>all</c> can report achieved GFLOP/s against the GEMM peak; 0 elsewhere.</param>
public sealed record BenchRow(string Workload, string Quantity, double Ours, double Theirs, string Unit, double Target, string Check, double GemmFlops = 0)
{
    public double Ratio => Ours / Theirs;
}

/// <summary>Options and helpers shared by the VAE workloads.</summary>
internal static class VaeBench
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string DataRootPath()
    {
        string root = DataRoot.Resolve();
        if (!File.Exists(Path.Combine(root, "mnist", "train-images-idx3-ubyte")) && !File.Exists(Path.Combine(root, "mnist", "train-images-idx3-ubyte.gz")))
            throw new BenchmarkException($"MNIST is not in '{Path.Combine(root, "mnist")}'; set WORKBENCH_DATA to the folder that holds mnist/ or run 'workbench data fetch mnist'.");
        return root;
    }

    public static VaeConfig Model(string model, string activation) => model switch
    {
        "pytorch-examples" => VaeConfig.PytorchExamples with { Activation = activation },
        "iwae-paper" => VaeConfig.IwaePaper with { Activation = activation == "relu" ? "tanh" : activation },
        _ => throw new BenchmarkException($"--model '{model}' is not known; use pytorch-examples or iwae-paper.", 1),
    };

    public static string[] PeerModelArgs(VaeConfig config) =>
    [
        "--hidden", string.Join(",", config.ResolvedHidden), "--latent", config.LatentDim.ToString(Inv),
        "--activation", config.Activation,
    ];

    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    public static int PositiveInt(string workload, string[] args, ref int i)
    {
        string option = args[i];
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, Inv, out int value) || value < 1)
            throw new BenchmarkException($"{workload}: {option} needs a positive whole number after it.", 1);
        i++;
        return value;
    }

    public static string Text(string workload, string[] args, ref int i)
    {
        if (i + 1 >= args.Length) throw new BenchmarkException($"{workload}: {args[i]} needs a value after it.", 1);
        return args[++i];
    }

    /// <summary>Peak resident set of this process (VmHWM), in bytes.</summary>
    public static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv) * 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    public static void WarnIfDebugBuild()
    {
        var debuggable = typeof(Tensor).Assembly.GetCustomAttribute<DebuggableAttribute>();
        if (debuggable?.IsJITOptimizerDisabled == true)
            Console.Error.WriteLine("warning: Workbench.Autograd was built without optimisation; run with -c Release for meaningful numbers.");
    }

    /// <summary>Prints rows as a table: ours, PyTorch, ratio, target met, and the correctness check.</summary>
    /// <summary>
    /// The matrix-product work of one training step: 2 B in out operations per Linear weight for the forward product, as
    /// many for the weight gradient and for the input gradient, except the first layer's (its input is data).
    /// </summary>
    public static double TrainingFlopsPerStep(VaeConfig config, int batch)
    {
        var model = Workbench.Vae.Models.Vae.Create(config, new Generator(1));
        double flops = 0;
        foreach (var (_, p) in model.NamedParameters())
        {
            if (p.Rank != 2) continue;
            double product = 2.0 * batch * p.Shape[0] * p.Shape[1];
            flops += p.Shape[1] == config.InputDim ? 2 * product : 3 * product;
        }
        return flops;
    }

    /// <summary>
    /// Our GEMM's peak on the step's largest product (F.Linear 128 x 784 -> 400): the best of five medians of 100 calls
    /// each, so that a moment of load from other processes does not set the reference.
    /// </summary>
    public static double GemmPeakGflops()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([128, 784], g);
        var w = Tensor.Randn([400, 784], g);
        var times = new double[100];
        double best = double.MaxValue;
        using (Tensor.NoGrad())
        {
            for (int i = 0; i < 200; i++) F.Linear(x, w);
            for (int round = 0; round < 5; round++)
            {
                for (int i = 0; i < times.Length; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    F.Linear(x, w);
                    times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
                }
                best = Math.Min(best, Median(times));
            }
        }
        return 2.0 * 128 * 400 * 784 / best / 1e9;
    }

    public static void PrintTable(IEnumerable<BenchRow> rows)
    {
        string fmt = "{0,-26} {1,-22} {2,12} {3,12} {4,-5} {5,9} {6,-6} {7}";
        Console.WriteLine(string.Format(Inv, fmt, "workload", "quantity", "Workbench", "PyTorch", "unit", "ours/pt", "target", "check"));
        foreach (var r in rows)
        {
            bool met = r.Ratio <= r.Target;
            Console.WriteLine(string.Format(Inv, fmt, r.Workload, r.Quantity, r.Ours.ToString("0.000", Inv), r.Theirs.ToString("0.000", Inv),
                r.Unit, r.Ratio.ToString("0.00", Inv), (met ? "met " : "MISS ") + "<=" + r.Target.ToString("0.0#", Inv), r.Check));
        }
    }
}

/// <summary>
/// The training loop the Trainer runs (Elbo.Compute + mean + Backward + Adam.Step over shuffled batches), without the
/// per-epoch evaluation, divergence guard and checkpoints, so that only training is timed.
/// </summary>
internal static class OurTraining
{
    public static (double Seconds, double TestLoss, List<double> StepSeconds) Train(VaeConfig config, ImageDataset train, ImageDataset? test,
        int steps, int batchSize, ulong seed, int warmupSteps = 0)
    {
        var model = Workbench.Vae.Models.Vae.Create(config, new Generator(seed));
        var optimizer = new Adam(model.Parameters(), 1e-3);
        var seeds = new Generator(seed ^ 0x5EED_0F_7A11UL);
        var batches = new Batches(train, batchSize, shuffle: true, seeds.Fork());
        var noise = seeds.Fork();
        var stepSeconds = new List<double>();
        model.Train();
        int done = 0, total = warmupSteps + steps;
        var clock = new Stopwatch();
        while (done < total)
        {
            foreach (var batch in batches)
            {
                if (done == warmupSteps) clock.Start();
                long start = Stopwatch.GetTimestamp();
                optimizer.ZeroGrad();
                var loss = Elbo.Compute(batch.Images, model.Encode, model.Decode, noise).Loss.Mean();
                loss.Backward();
                optimizer.Step();
                if (done >= warmupSteps) stepSeconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                if (++done == total) break;
            }
        }
        clock.Stop();
        double testLoss = test is null ? double.NaN : TestLoss(model, test, seed);
        return (clock.Elapsed.TotalSeconds, testLoss, stepSeconds);
    }

    /// <summary>
    /// Where a training step's time goes on our side: forward (Elbo.Compute + Mean), backward, Adam step and
    /// ZeroGrad, timed separately with Stopwatch over <paramref name="steps"/> steps after a warm-up, plus GC counts.
    /// </summary>
    public static void Profile(VaeConfig config, ImageDataset train, int steps)
    {
        var model = Workbench.Vae.Models.Vae.Create(config, new Generator(5));
        var optimizer = new Adam(model.Parameters(), 1e-3);
        var seeds = new Generator(5);
        var batches = new Batches(train, 128, shuffle: true, seeds.Fork());
        var noise = seeds.Fork();
        var parts = new double[4];
        int warmup = 60, done = 0;
        int[] gcStart = new int[3];
        long allocatedStart = 0;
        TimeSpan pauseStart = default;
        while (done < warmup + steps)
        {
            foreach (var batch in batches)
            {
                if (done == warmup)
                {
                    for (int g = 0; g < 3; g++) gcStart[g] = GC.CollectionCount(g);
                    allocatedStart = GC.GetTotalAllocatedBytes();
                    pauseStart = GC.GetTotalPauseDuration();
                }
                long t0 = Stopwatch.GetTimestamp();
                optimizer.ZeroGrad();
                long t1 = Stopwatch.GetTimestamp();
                var loss = Elbo.Compute(batch.Images, model.Encode, model.Decode, noise).Loss.Mean();
                long t2 = Stopwatch.GetTimestamp();
                loss.Backward();
                long t3 = Stopwatch.GetTimestamp();
                optimizer.Step();
                long t4 = Stopwatch.GetTimestamp();
                if (done >= warmup)
                {
                    parts[0] += t1 - t0; parts[1] += t2 - t1; parts[2] += t3 - t2; parts[3] += t4 - t3;
                }
                if (++done == warmup + steps) break;
            }
        }
        double total = parts.Sum();
        string[] names = ["zero-grad", "forward (Elbo.Compute + Mean)", "backward", "Adam.Step"];
        Console.WriteLine($"Profile of {steps} steps of {config.Activation} {string.Join("-", config.ResolvedHidden)}-{config.LatentDim}, batch 128 (ms per step):");
        for (int i = 0; i < 4; i++)
            Console.WriteLine(string.Format(VaeBench.Inv, "  {0,-32} {1,8:0.000} ms  {2,5:0.0} %", names[i],
                parts[i] / Stopwatch.Frequency * 1000 / steps, 100 * parts[i] / total));
        Console.WriteLine(string.Format(VaeBench.Inv, "  {0,-32} {1,8:0.000} ms", "total", total / Stopwatch.Frequency * 1000 / steps));
        Console.WriteLine(string.Format(VaeBench.Inv, "  allocated {0:0.0} MiB and GC pauses {4:0.00} ms per step; GC collections during the profiled steps: gen0 {1}, gen1 {2}, gen2 {3}",
            (GC.GetTotalAllocatedBytes() - allocatedStart) / 1048576.0 / steps,
            GC.CollectionCount(0) - gcStart[0], GC.CollectionCount(1) - gcStart[1], GC.CollectionCount(2) - gcStart[2],
            (GC.GetTotalPauseDuration() - pauseStart).TotalMilliseconds / steps));
    }

    /// <summary>Mean negative ELBO over the test set, one z per image, batches of 1000, under NoGrad.</summary>
    public static double TestLoss(Workbench.Vae.Models.Vae model, ImageDataset test, ulong seed)
    {
        model.Eval();
        var generator = new Generator(seed + 17);
        double sum = 0;
        using (Tensor.NoGrad())
        {
            var images = test.Images;
            for (int s = 0; s < test.Count; s += 1000)
            {
                var x = images.Slice(s, Math.Min(test.Count, s + 1000));
                sum += Elbo.Compute(x, model.Encode, model.Decode, generator).Loss.Sum().Item();
            }
        }
        model.Train();
        return sum / test.Count;
    }
}

/// <summary>
/// `train`: seconds for N training steps (default one epoch, 468) of the pytorch/examples VAE (or iwae-paper) on real
/// MNIST grey levels, alternating with the peer; then both sides' test losses, which must agree within noise.
/// </summary>
public sealed class TrainWorkload : IWorkload
{
    public string Name => "train";
    public string Description => "seconds per epoch of VAE training (pytorch/examples protocol) vs PyTorch, plus a test-loss check";

    public int Run(string[] args)
    {
        VaeBench.PrintTable(Measure(args));
        return 0;
    }

    public List<BenchRow> Measure(string[] args)
    {
        int steps = 468, rounds = 3;
        string activation = "relu", model = "pytorch-examples";
        bool profile = false;
        int peerThreads = 2;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = VaeBench.PositiveInt(Name, args, ref i); break;
                case "--rounds": rounds = VaeBench.PositiveInt(Name, args, ref i); break;
                case "--activation": activation = VaeBench.Text(Name, args, ref i); break;
                case "--model": model = VaeBench.Text(Name, args, ref i); break;
                case "--profile": profile = true; break;
                case "--peer-threads": peerThreads = VaeBench.PositiveInt(Name, args, ref i); break;
                case "-h" or "--help":
                    Console.WriteLine("usage: train [--steps N (default 468 = one epoch)] [--rounds N (default 3)] " +
                        "[--activation relu|swish|mish|...] [--model pytorch-examples|iwae-paper] " +
                        "[--peer-threads N (torch.set_num_threads, default 2; 1 is fairer on a loaded machine)] [--profile (only our side: time of forward, backward and Adam per step)]");
                    return [];
                default: throw new BenchmarkException($"train: unknown option '{args[i]}'; run 'train --help' for the options.", 1);
            }
        }
        VaeBench.WarnIfDebugBuild();
        var config = VaeBench.Model(model, activation);
        string root = VaeBench.DataRootPath();
        var train = ImageDataset.Load(DatasetName.Mnist, Split.Train, root);
        var test = ImageDataset.Load(DatasetName.Mnist, Split.Test, root);
        if (profile)
        {
            OurTraining.Profile(config, train, steps);
            return [];
        }
        var peer = Peer.Find();
        string[] peerArgs = ["train", "--data", root, "--steps", steps.ToString(VaeBench.Inv),
            "--threads", peerThreads.ToString(VaeBench.Inv), .. VaeBench.PeerModelArgs(config)];

        var ours = new List<double>();
        var theirs = new List<double>();
        var ourLoss = new List<double>();
        var theirLoss = new List<double>();
        JsonElement header = default;
        // An untimed run first, so tiered JIT compilation has promoted the hot code: a method called once per step is
        // promoted after 30 calls, and the first epochs of a process were measurably slower than the later ones.
        OurTraining.Train(config, train, null, Math.Min(steps, 200), 128, 99);
        for (int round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"train {config.Activation} round {round + 1}/{rounds}: Workbench");
            int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var (seconds, loss, _) = OurTraining.Train(config, train, test, steps, 128, (ulong)round);
            Console.Error.WriteLine(string.Format(VaeBench.Inv, "  {0:0.000} s; GC collections gen0 {1}, gen1 {2}, gen2 {3}", seconds,
                GC.CollectionCount(0) - collections[0], GC.CollectionCount(1) - collections[1], GC.CollectionCount(2) - collections[2]));
            ours.Add(seconds);
            ourLoss.Add(loss);
            Console.Error.WriteLine($"train {config.Activation} round {round + 1}/{rounds}: PyTorch");
            var lines = peer.Run("vae.py", [.. peerArgs, "--seed", round.ToString(VaeBench.Inv)], TimeSpan.FromMinutes(30));
            header = lines[0];
            theirs.Add(lines[1].GetProperty("seconds").GetDouble());
            theirLoss.Add(lines[1].GetProperty("test_loss").GetDouble());
        }
        Peer.WarnUnlessOpenBlas(header);
        double diff = VaeBench.Median(ourLoss) - VaeBench.Median(theirLoss);
        // The two sides draw different initial weights and batches, so one epoch's test loss differs by run-to-run
        // noise: about a nat for the 784-400-20 model, up to 1.5 % of the loss for the deeper tanh model.
        double tolerance = Math.Max(steps >= 400 ? 2.0 : 5.0, 0.015 * Math.Abs(VaeBench.Median(theirLoss)));
        string check = string.Format(VaeBench.Inv, "test loss {0:0.00} vs {1:0.00} nats, |diff| {2:0.00} {3} {4}",
            VaeBench.Median(ourLoss), VaeBench.Median(theirLoss), Math.Abs(diff), Math.Abs(diff) < tolerance ? "<" : ">=",
            tolerance.ToString("0.0", VaeBench.Inv) + (Math.Abs(diff) < tolerance ? " ok" : " FAIL"));
        string label = model == "pytorch-examples" ? $"train {config.Activation}" : $"train {model} {config.Activation}";
        return [new BenchRow(label, $"s / {steps} steps", VaeBench.Median(ours), VaeBench.Median(theirs), "s", 0.8, check,
            VaeBench.TrainingFlopsPerStep(config, 128) * steps)];
    }
}

/// <summary>
/// `eval`: importance-sampled -log p(x) (k = 1000) on 2,000 test images with identical weights on both sides: ours are
/// drawn from a seed and exported as raw little-endian float32 plus a JSON list of names and shapes, which the peer loads.
/// </summary>
public sealed class EvalWorkload : IWorkload
{
    public string Name => "eval";
    public string Description => "importance-sampled NLL (k = 1000, 2,000 test images), same weights on both sides, vs PyTorch";

    public int Run(string[] args)
    {
        VaeBench.PrintTable(Measure(args));
        return 0;
    }

    public List<BenchRow> Measure(string[] args)
    {
        int k = 1000, images = 2000, rounds = 1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--k": k = VaeBench.PositiveInt(Name, args, ref i); break;
                case "--images": images = VaeBench.PositiveInt(Name, args, ref i); break;
                case "--rounds": rounds = VaeBench.PositiveInt(Name, args, ref i); break;
                case "-h" or "--help":
                    Console.WriteLine("usage: eval [--k N (default 1000)] [--images N (default 2000)] [--rounds N (default 1)]");
                    return [];
                default: throw new BenchmarkException($"eval: unknown option '{args[i]}'; run 'eval --help' for the options.", 1);
            }
        }
        VaeBench.WarnIfDebugBuild();
        string root = VaeBench.DataRootPath();
        var test = ImageDataset.Load(DatasetName.Mnist, Split.Test, root);
        if (images > test.Count) throw new BenchmarkException($"eval: --images {images} exceeds the {test.Count} test images.", 1);
        var config = VaeConfig.PytorchExamples;
        var model = Workbench.Vae.Models.Vae.Create(config, new Generator(7));
        model.Eval();
        string folder = Path.Combine(Path.GetTempPath(), $"workbench-bench-eval-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            ExportWeights(model, folder);
            var data = test.Images.Slice(0, images);
            var peer = Peer.Find();
            string[] peerArgs = ["eval", "--data", root, "--weights", folder, "--k", k.ToString(VaeBench.Inv),
                "--images", images.ToString(VaeBench.Inv), .. VaeBench.PeerModelArgs(config)];
            Iwae.NegativeLogLikelihood(data.Slice(0, 50), model.Encode, model.Decode, new Generator(1), Math.Min(k, 100));   // JIT warm-up
            var ours = new List<double>();
            var theirs = new List<double>();
            double ourNll = 0, theirNll = 0;
            JsonElement header = default;
            for (int round = 0; round < rounds; round++)
            {
                Console.Error.WriteLine($"eval round {round + 1}/{rounds}: Workbench");
                long start = Stopwatch.GetTimestamp();
                var nll = Iwae.NegativeLogLikelihood(data, model.Encode, model.Decode, new Generator((ulong)round + 11), k);
                ours.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                ourNll = nll.Mean().Item();
                Console.Error.WriteLine($"eval round {round + 1}/{rounds}: PyTorch");
                var lines = peer.Run("vae.py", [.. peerArgs, "--seed", round.ToString(VaeBench.Inv)], TimeSpan.FromMinutes(30));
                header = lines[0];
                theirs.Add(lines[1].GetProperty("seconds").GetDouble());
                theirNll = lines[1].GetProperty("nll").GetDouble();
            }
            Peer.WarnUnlessOpenBlas(header);
            double diff = Math.Abs(ourNll - theirNll);
            string check = string.Format(VaeBench.Inv, "NLL {0:0.00} vs {1:0.00} nats, |diff| {2:0.000} {3}", ourNll, theirNll, diff,
                diff < 0.5 ? "< 0.5 ok" : ">= 0.5 FAIL");
            return [new BenchRow($"eval k={k}", $"s / {images} images", VaeBench.Median(ours), VaeBench.Median(theirs), "s", 0.8, check)];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>weights.bin: every parameter in registration order as little-endian float32; weights.json: [[name, shape], ...].</summary>
    private static void ExportWeights(Workbench.Vae.Models.Vae model, string folder)
    {
        var entries = new List<object[]>();
        using var bin = File.Create(Path.Combine(folder, "weights.bin"));
        foreach (var (name, p) in model.NamedParameters())
        {
            entries.Add([name, p.ShapeArray()]);
            var values = p.ToArray();
            var bytes = new byte[values.Length * sizeof(float)];
            for (int i = 0; i < values.Length; i++)
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            bin.Write(bytes);
        }
        File.WriteAllText(Path.Combine(folder, "weights.json"), JsonSerializer.Serialize(entries));
    }
}

/// <summary>`conv`: one training step of the conv VAE (VaeConfig.Conv) at batch 128 vs the mirrored torch model.</summary>
public sealed class ConvWorkload : IWorkload
{
    public string Name => "conv";
    public string Description => "conv VAE training step time at batch 128 vs PyTorch";

    public int Run(string[] args)
    {
        VaeBench.PrintTable(Measure(args));
        return 0;
    }

    public List<BenchRow> Measure(string[] args)
    {
        int steps = 20, rounds = 2;
        bool profile = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = VaeBench.PositiveInt(Name, args, ref i); break;
                case "--rounds": rounds = VaeBench.PositiveInt(Name, args, ref i); break;
                case "--profile": profile = true; break;
                case "-h" or "--help":
                    Console.WriteLine("usage: conv [--steps N (timed steps per round, default 20)] [--rounds N (default 2)] " +
                        "[--profile (only our side: time of forward, backward and Adam per step)]");
                    return [];
                default: throw new BenchmarkException($"conv: unknown option '{args[i]}'; run 'conv --help' for the options.", 1);
            }
        }
        VaeBench.WarnIfDebugBuild();
        string root = VaeBench.DataRootPath();
        var train = ImageDataset.Load(DatasetName.Mnist, Split.Train, root);
        if (profile)
        {
            OurTraining.Profile(VaeConfig.Conv, train, steps);
            return [];
        }
        var peer = Peer.Find();
        var ours = new List<double>();
        var theirs = new List<double>();
        JsonElement header = default;
        // An untimed run first, as for `train`: tiered JIT compilation promotes a method after 30 calls, one call per step here.
        OurTraining.Train(VaeConfig.Conv, train, null, 40, 128, 99);
        for (int round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"conv round {round + 1}/{rounds}: Workbench");
            ours.AddRange(OurTraining.Train(VaeConfig.Conv, train, null, steps, 128, (ulong)round, warmupSteps: 2).StepSeconds);
            Console.Error.WriteLine($"conv round {round + 1}/{rounds}: PyTorch");
            var lines = peer.Run("vae.py", ["conv", "--data", root, "--steps", steps.ToString(VaeBench.Inv), "--seed", round.ToString(VaeBench.Inv)],
                TimeSpan.FromMinutes(30));
            header = lines[0];
            theirs.AddRange(lines[1].GetProperty("samples").EnumerateArray().Select(s => s.GetDouble()));
        }
        Peer.WarnUnlessOpenBlas(header);
        return [new BenchRow("conv", "s / step (median)", VaeBench.Median(ours), VaeBench.Median(theirs), "s", 0.8,
            $"{ours.Count} + {theirs.Count} steps")];
    }
}

/// <summary>
/// `memory`: peak resident memory (VmHWM) of the `train` workload, ours in a child process of this program
/// (the hidden subcommand `train-child`) and the peer's, target below 1 GB on our side.
/// </summary>
public sealed class MemoryWorkload : IWorkload
{
    public string Name => "memory";
    public string Description => "peak resident memory of one training run (train workload) vs PyTorch; target < 1 GB";

    public int Run(string[] args)
    {
        VaeBench.PrintTable(Measure(args));
        return 0;
    }

    public List<BenchRow> Measure(string[] args)
    {
        int steps = 468;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps": steps = VaeBench.PositiveInt(Name, args, ref i); break;
                case "-h" or "--help":
                    Console.WriteLine("usage: memory [--steps N (default 468 = one epoch)]");
                    return [];
                default: throw new BenchmarkException($"memory: unknown option '{args[i]}'; run 'memory --help' for the options.", 1);
            }
        }
        string root = VaeBench.DataRootPath();
        var peer = Peer.Find();
        long ours = RunChild(steps);
        var lines = peer.Run("vae.py", ["train", "--data", root, "--steps", steps.ToString(VaeBench.Inv)], TimeSpan.FromMinutes(30));
        long theirs = lines[1].GetProperty("peak_rss").GetInt64();
        const double mb = 1024.0 * 1024.0;
        return [new BenchRow("memory (train)", "peak RSS", ours / mb, theirs / mb, "MiB", 1.0,
            ours < 1_000_000_000 ? "ours < 1 GB ok" : "ours >= 1 GB FAIL")];
    }

    /// <summary>Starts this program again with `train-child` and reads the peak RSS it prints.</summary>
    private static long RunChild(int steps)
    {
        string self = Environment.ProcessPath ?? throw new BenchmarkException("memory: cannot find this program's path to start the child.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(MemoryWorkload).Assembly.Location);
        start.ArgumentList.Add("train-child");
        start.ArgumentList.Add(steps.ToString(VaeBench.Inv));
        using var process = Process.Start(start) ?? throw new BenchmarkException("memory: the child process did not start.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !long.TryParse(output.Trim(), NumberStyles.None, VaeBench.Inv, out long bytes))
            throw new BenchmarkException($"memory: the child training run failed (exit code {process.ExitCode}, output '{output.Trim()}').");
        return bytes;
    }

    /// <summary>The child: loads MNIST, trains <paramref name="steps"/> steps, evaluates the test loss, prints VmHWM in bytes.</summary>
    public static int Child(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0], VaeBench.Inv) : 468;
        string root = VaeBench.DataRootPath();
        var train = ImageDataset.Load(DatasetName.Mnist, Split.Train, root);
        var test = ImageDataset.Load(DatasetName.Mnist, Split.Test, root);
        OurTraining.Train(VaeConfig.PytorchExamples, train, test, steps, 128, 0);
        Console.WriteLine(VaeBench.PeakRss().ToString(VaeBench.Inv));
        return 0;
    }
}

/// <summary>`all`: every VAE workload with default (or quick) options, then one table.</summary>
public sealed class AllWorkload : IWorkload
{
    public string Name => "all";
    public string Description => "train (relu, swish, mish, iwae-paper), eval, conv and memory, then one table ('all --quick' for fewer steps)";

    public int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine("usage: all [--quick (1 round, 200 training steps, 500 eval images)]");
            return 0;
        }
        var unknown = args.FirstOrDefault(a => a != "--quick");
        if (unknown is not null) throw new BenchmarkException($"all: unknown option '{unknown}'; the only option is --quick.", 1);
        string[] rounds = quick ? ["--rounds", "1"] : [];
        string[] steps = quick ? ["--steps", "200"] : [];
        var rows = new List<BenchRow>();
        rows.AddRange(new TrainWorkload().Measure([.. steps, .. rounds]));
        rows.AddRange(new TrainWorkload().Measure([.. steps, .. rounds, "--activation", "swish"]));
        rows.AddRange(new TrainWorkload().Measure([.. steps, .. rounds, "--activation", "mish"]));
        rows.AddRange(new TrainWorkload().Measure([.. steps, .. rounds, "--model", "iwae-paper"]));
        rows.AddRange(new EvalWorkload().Measure(quick ? ["--images", "500"] : []));
        rows.AddRange(new ConvWorkload().Measure(quick ? ["--steps", "10", "--rounds", "1"] : []));
        rows.AddRange(new MemoryWorkload().Measure(steps));
        Console.WriteLine();
        Console.WriteLine($"Workbench vs PyTorch on {Environment.ProcessorCount} cores (peer: torch threads 2, OPENBLAS_NUM_THREADS=1). " +
            "ours/pt is the time (or memory) ratio: below 1 means Workbench is faster (smaller).");
        VaeBench.PrintTable(rows);
        double peak = VaeBench.GemmPeakGflops();
        Console.WriteLine();
        Console.WriteLine(string.Format(VaeBench.Inv,
            "Training efficiency: the matrix-product work of the timed steps / their time, against our GEMM peak measured now " +
            "(F.Linear 128 x 784 -> 400: {0:0.0} GFLOP/s); target >= 60 %.", peak));
        foreach (var r in rows.Where(r => r.GemmFlops > 0))
        {
            double ours = r.GemmFlops / r.Ours / 1e9, theirs = r.GemmFlops / r.Theirs / 1e9;
            Console.WriteLine(string.Format(VaeBench.Inv, "  {0,-24} Workbench {1,6:0.0} GFLOP/s = {2,3:0} % of peak   PyTorch {3,6:0.0} GFLOP/s",
                r.Workload, ours, 100 * ours / peak, theirs));
        }
        return 0;
    }
}
