using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using Workbench.Experiments.Ablation;
using Workbench.Experiments.Store;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Objectives;
using Workbench.Vae.Training;
using static TorchSharp.torch;
using VaeModel = Workbench.Vae.Models.Vae;

namespace Workbench.Bench;

/// <summary>A workload that prints its own rows as a table; `all` calls <see cref="Measure"/> and prints one table.</summary>
public abstract class TableWorkload : IWorkload
{
    public abstract string Name { get; }
    public abstract string Description { get; }
    public abstract List<BenchRow> Measure(string[] args);

    public int Run(string[] args)
    {
        Bench.PrintTable(Measure(args));
        return 0;
    }
}

/// <summary>
/// `train`: seconds of one epoch of 468 steps (batch 128 over the first 59,904 training images) on the three sides,
/// rounds alternating a, b, c with one seed per round; then their test losses, which must agree within noise.
/// </summary>
public sealed class TrainWorkload : TableWorkload
{
    public override string Name => "train";
    public override string Description => "seconds per training epoch (pytorch/examples protocol): Trainer, raw TorchSharp loop, PyTorch; test-loss check";

    public override List<BenchRow> Measure(string[] args)
    {
        var o = new Options(Name, args, $"[--steps N (1 to {Bench.StepsPerEpoch}, default {Bench.StepsPerEpoch} = one epoch)] [--rounds N (default 3)] " +
            "[--activation relu|swish|mish|tanh|...] [--model pytorch-examples|iwae-paper] [--threads N (default 2)] " +
            "[--profile (our step beside the raw one, part by part; no peer)]");
        int steps = o.Int("--steps", Bench.StepsPerEpoch, Bench.StepsPerEpoch), rounds = o.Int("--rounds", 3), threads = o.Threads();
        string? activation = o.Text("--activation");
        string model = o.Text("--model") ?? "pytorch-examples";
        bool profile = o.Flag("--profile");
        o.Done();
        if (o.Help) return [];
        var config = Bench.Model(model, activation);
        Bench.WarnIfDebugBuild();
        Bench.UseThreads(threads);
        var (fullTrain, test) = Bench.LoadMnist();
        if (profile)
        {
            Profiler.Run(config, fullTrain, test, steps, threads);
            return [];
        }
        var train = fullTrain.Subset(steps * Bench.Batch);
        var peer = Peer.Find();
        string[] peerArgs = ["train", "--data", Bench.DataRootPath(), "--steps", steps.ToString(Bench.Inv), "--threads", threads.ToString(Bench.Inv), .. Bench.PeerModelArgs(config)];
        string label = model == "pytorch-examples" ? $"train {config.Activation}" : $"train {model} {config.Activation}";

        // Untimed runs first: the first steps of a process pay for JIT compilation of the managed wrappers and for
        // libtorch's thread pool and allocator growth (the peer does the same inside its own process).
        OurSide.Train(config, train.Subset(30 * Bench.Batch), test.Subset(500), 99);
        RawLoop.Train(config, train.Images, null, 30, 99);

        var (a, b, c) = (new List<double>(), new List<double>(), new List<double>());
        var (lossA, lossB, lossC) = (new List<double>(), new List<double>(), new List<double>());
        JsonElement header = default;
        for (int round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"{label} round {round + 1}/{rounds}: Trainer");
            Bench.Settle();
            var epoch = OurSide.Train(config, train, test, (ulong)round);
            a.Add(epoch.TrainSeconds);
            lossA.Add(epoch.TestLoss);
            Console.Error.WriteLine($"{label} round {round + 1}/{rounds}: raw TorchSharp loop");
            Bench.Settle();
            var raw = RawLoop.Train(config, train.Images, test.Images, steps, round);
            b.Add(raw.Seconds);
            lossB.Add(raw.TestLoss);
            Console.Error.WriteLine($"{label} round {round + 1}/{rounds}: PyTorch");
            var lines = peer.Run("vae.py", [.. peerArgs, "--seed", round.ToString(Bench.Inv)], TimeSpan.FromMinutes(30));
            header = lines[0];
            c.Add(lines[1].GetProperty("seconds").GetDouble());
            lossC.Add(lines[1].GetProperty("test_loss").GetDouble());
            Console.Error.WriteLine(string.Format(Bench.Inv, "  a {0:0.000} s, b {1:0.000} s, c {2:0.000} s", a[^1], b[^1], c[^1]));
        }
        Peer.WarnUnlessOpenBlas(header);
        // The sides draw different initial weights, batches and noise, so their test losses after one epoch differ by
        // run-to-run noise: about a nat for the 784-400-20 model, for the deeper tanh model up to 3.1 nats (1.6 %) in the
        // recorded runs. A broken objective (a KL left out, a wrong likelihood) is off by tens of nats.
        double tolerance = Math.Max(steps >= 400 ? 2.0 : 5.0, 0.025 * Bench.Median(lossC));
        string check = Bench.Agreement("test loss", "nats", tolerance, ("a", Bench.Median(lossA)), ("b", Bench.Median(lossB)), ("c", Bench.Median(lossC)));
        return [new BenchRow(label, $"s / {steps} steps", Bench.Median(a), Bench.Median(b), Bench.Median(c), "s", check) { MaxTrainerOverRaw = 1.0 }];
    }
}

/// <summary>
/// `eval`: importance-sampled -log p(x), k = 1000, on the first 2,000 test images, with the same weights on every side:
/// ours drawn from a seed and written with the library's checkpoint writer (safetensors through TorchSharp.PyBridge),
/// loaded by the raw model (PyBridge) and by the peer (a small safetensors reader).
/// </summary>
public sealed class EvalWorkload : TableWorkload
{
    public override string Name => "eval";
    public override string Description => "importance-sampled NLL (k = 1000, 2,000 test images), same weights on all sides: Iwae.NegativeLogLikelihood, raw loop, PyTorch";

    public override List<BenchRow> Measure(string[] args)
    {
        var o = new Options(Name, args, "[--k N (default 1000)] [--images N (default 2000)] [--rounds N (default 1)] " +
            "[--chunk N (samples our Iwae decodes at once; default: the library's)] [--threads N (default 2)] [--no-peer (sides a and b only)]");
        int k = o.Int("--k", 1000), images = o.Int("--images", 2000, 10_000), rounds = o.Int("--rounds", 1), threads = o.Threads();
        int? chunk = o.OptionalInt("--chunk");
        bool withPeer = !o.Flag("--no-peer");
        o.Done();
        if (o.Help) return [];
        Bench.WarnIfDebugBuild();
        Bench.UseThreads(threads);
        var (_, test) = Bench.LoadMnist();
        var peer = withPeer ? Peer.Find() : null;
        var config = VaeConfig.PytorchExamples;
        using var model = VaeModel.Create(config, new torch.Generator(7));
        model.eval();
        string folder = Directory.CreateTempSubdirectory("workbench-bench-eval-").FullName;
        try
        {
            string weights = Path.Combine(folder, RunDirectory.ModelFile);
            RunDirectory.WriteWeights(model, weights);
            using var raw = RawVae.For(config);
            TorchSharp.PyBridge.PyBridgeModuleExtensions.load_safetensors(raw, weights, strict: true);
            raw.eval();
            var data = test.Images.narrow(0, 0, images);   // [images, 784]
            string[] peerArgs = ["eval", "--data", Bench.DataRootPath(), "--weights", weights, "--k", k.ToString(Bench.Inv),
                "--images", images.ToString(Bench.Inv), "--threads", threads.ToString(Bench.Inv), .. Bench.PeerModelArgs(config)];

            Tensor Ours(Tensor x, int kk, ulong seed) => chunk is int c
                ? Iwae.NegativeLogLikelihood(x, model.Encode, model.Decode, new torch.Generator(seed), kk, chunk: c)
                : Iwae.NegativeLogLikelihood(x, model.Encode, model.Decode, new torch.Generator(seed), kk);
            Ours(data.narrow(0, 0, 50), Math.Min(k, 100), 1).Dispose();   // warm-up, as the peer does
            RawLoop.NegativeLogLikelihood(raw, data.narrow(0, 0, 50), Math.Min(k, 100), 1).Dispose();

            var (a, b, c) = (new List<double>(), new List<double>(), new List<double>());
            double nllA = 0, nllB = 0, nllC = 0;
            JsonElement header = default;
            for (int round = 0; round < rounds; round++)
            {
                Console.Error.WriteLine($"eval round {round + 1}/{rounds}: Iwae.NegativeLogLikelihood");
                Bench.Settle();
                long start = Stopwatch.GetTimestamp();
                using (var nll = Ours(data, k, (ulong)round + 11))
                {
                    a.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    nllA = nll.mean().item<double>();
                }
                Console.Error.WriteLine($"eval round {round + 1}/{rounds}: raw TorchSharp loop");
                Bench.Settle();
                start = Stopwatch.GetTimestamp();
                using (var nll = RawLoop.NegativeLogLikelihood(raw, data, k, round + 11))
                {
                    b.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    nllB = nll.mean().item<double>();
                }
                if (peer is null) continue;
                Console.Error.WriteLine($"eval round {round + 1}/{rounds}: PyTorch");
                var lines = peer.Run("vae.py", [.. peerArgs, "--seed", round.ToString(Bench.Inv)], TimeSpan.FromHours(3));
                header = lines[0];
                c.Add(lines[1].GetProperty("seconds").GetDouble());
                nllC = lines[1].GetProperty("nll").GetDouble();
            }
            if (peer is not null) Peer.WarnUnlessOpenBlas(header);
            // Same weights, different eps: with k = 1000 the estimates of the mean NLL over 2,000 images agree to a few hundredths.
            string check = peer is null
                ? Bench.Agreement("NLL", "nats", 0.5, ("a", nllA), ("b", nllB))
                : Bench.Agreement("NLL", "nats", 0.5, ("a", nllA), ("b", nllB), ("c", nllC));
            check += string.Format(Bench.Inv, "; a {0:0} images/s", images / Bench.Median(a));
            return [new BenchRow($"eval k={k}", $"s / {images} images", Bench.Median(a), Bench.Median(b), peer is null ? double.NaN : Bench.Median(c), "s", check)
                { MaxTrainerOverRaw = 1.0 }];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>`conv`: median seconds of one training step of VaeConfig.Conv at batch 128 on the three sides.</summary>
public sealed class ConvWorkload : TableWorkload
{
    public override string Name => "conv";
    public override string Description => "conv VAE training step (median seconds): Trainer, raw TorchSharp loop, PyTorch";

    public override List<BenchRow> Measure(string[] args)
    {
        var o = new Options(Name, args, "[--steps N (timed steps per round, default 20)] [--rounds N (default 2)] [--threads N (default 2)] " +
            "[--profile (our step beside the raw one, part by part; no peer)]");
        int steps = o.Int("--steps", 20, 400), rounds = o.Int("--rounds", 2), threads = o.Threads();
        bool profile = o.Flag("--profile");
        o.Done();
        if (o.Help) return [];
        var config = VaeConfig.Conv;
        Bench.WarnIfDebugBuild();
        Bench.UseThreads(threads);
        var (fullTrain, fullTest) = Bench.LoadMnist();
        if (profile)
        {
            Profiler.Run(config, fullTrain, fullTest, steps, threads);
            return [];
        }
        const int warmup = 3;
        // Our Trainer evaluates after its epoch; that is not timed, so a small test set keeps the run short.
        var train = fullTrain.Subset((warmup + steps + 1) * Bench.Batch);
        var test = fullTest.Subset(500);
        var peer = Peer.Find();
        OurSide.Train(config, fullTrain.Subset(10 * Bench.Batch), test, 99);
        RawLoop.Train(config, train.Images, null, 10, 99);
        var (a, b, c) = (new List<double>(), new List<double>(), new List<double>());
        JsonElement header = default;
        for (int round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"conv round {round + 1}/{rounds}: Trainer, raw TorchSharp loop, PyTorch");
            Bench.Settle();
            a.AddRange(OurSide.StepSeconds(config, train, test, (ulong)round, warmup));
            Bench.Settle();
            b.AddRange(RawLoop.Train(config, train.Images, null, warmup + steps, round).StepSeconds.Skip(warmup));
            var lines = peer.Run("vae.py", ["conv", "--data", Bench.DataRootPath(), "--steps", steps.ToString(Bench.Inv),
                "--warmup", warmup.ToString(Bench.Inv), "--threads", threads.ToString(Bench.Inv), "--seed", round.ToString(Bench.Inv)], TimeSpan.FromMinutes(30));
            header = lines[0];
            c.AddRange(lines[1].GetProperty("samples").EnumerateArray().Select(s => s.GetDouble()));
        }
        Peer.WarnUnlessOpenBlas(header);
        return [new BenchRow("conv", "s / step (median)", Bench.Median(a), Bench.Median(b), Bench.Median(c), "s", $"{a.Count} / {b.Count} / {c.Count} steps")];
    }
}

/// <summary>
/// `memory`: peak resident memory (VmHWM) of one training run (data loading, one epoch over all 60,000 training images, the
/// test loss), each side in a process of its own: ours and the raw loop in child processes of this program (hidden
/// subcommand `train-child`). The whole training set is used as a user's run uses it: cutting it to 59,904 images would
/// copy it, and the copy would be counted in our peak but not in the peer's (a slice there is a view).
/// </summary>
public sealed class MemoryWorkload : TableWorkload
{
    public const double Limit = 1e9;   // bytes: "below 1 GB"

    public override string Name => "memory";
    public override string Description => "peak resident memory of one training run, each side in its own process; target: Trainer < 1 GB";

    public override List<BenchRow> Measure(string[] args)
    {
        var o = new Options(Name, args, "[--threads N (default 2)]");
        int threads = o.Threads();
        o.Done();
        if (o.Help) return [];
        var peer = Peer.Find();
        long a = RunChild("trainer", threads), b = RunChild("raw", threads);
        // --steps 469 gives the peer all 60,000 images (the last batch holds 96), the epoch our Trainer runs.
        var lines = peer.Run("vae.py", ["train", "--data", Bench.DataRootPath(), "--steps", "469", "--threads", threads.ToString(Bench.Inv)],
            TimeSpan.FromMinutes(30));
        long c = lines[1].GetProperty("peak_rss").GetInt64();
        const double mib = 1024.0 * 1024.0;
        return [new BenchRow("memory (train)", "peak RSS", a / mib, b / mib, c / mib, "MiB", "one epoch + test loss, one process each")
            { MaxTrainer = (Limit / mib, "a < 1 GB") }];
    }

    /// <summary>Starts this program again with `train-child` and reads the peak RSS it prints.</summary>
    private static long RunChild(string side, int threads)
    {
        string self = Environment.ProcessPath ?? throw new BenchmarkException("memory: cannot find this program's path to start the child.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(MemoryWorkload).Assembly.Location);
        foreach (var arg in new[] { "train-child", side, threads.ToString(Bench.Inv) }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new BenchmarkException("memory: the child process did not start.");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !long.TryParse(output.Trim(), out long bytes))
            throw new BenchmarkException($"memory: the {side} child run failed (exit code {process.ExitCode}): {error.Result.Trim()} {output.Trim()}");
        return bytes;
    }

    /// <summary>The child: loads MNIST, trains one epoch on one side, evaluates the test loss, prints VmHWM in bytes.</summary>
    public static int Child(string[] args)
    {
        if (args.Length != 2 || args[0] is not ("trainer" or "raw") || !int.TryParse(args[1], out int threads))
            throw new BenchmarkException("train-child is started by the memory workload: train-child trainer|raw THREADS.", 1);
        Bench.UseThreads(threads);
        var (train, test) = Bench.LoadMnist();
        if (args[0] == "trainer") OurSide.Train(VaeConfig.PytorchExamples, train, test, 0);
        else RawLoop.Train(VaeConfig.PytorchExamples, train.Images, test.Images, 469, 0);
        Console.WriteLine(Bench.PeakRss());
        return 0;
    }
}

/// <summary>
/// `matmul`: the VAE's largest product, x W^T with x [128, 784] and W [400, 784] (the first layer's forward), as
/// TorchSharp's linear (libtorch 2.10) and PyTorch's (Debian's 1.13.1 with OpenBLAS) compute it: the kernel each side
/// stands on. Median of single calls, result allocation included, no autograd.
/// </summary>
public sealed class MatmulWorkload : TableWorkload
{
    public override string Name => "matmul";
    public override string Description => "the first layer's product 128x784 by 784x400 (microseconds): TorchSharp vs PyTorch";

    public override List<BenchRow> Measure(string[] args)
    {
        var o = new Options(Name, args, "[--repeats N (default 200)] [--threads N (default 2)]");
        int repeats = o.Int("--repeats", 200), threads = o.Threads();
        o.Done();
        if (o.Help) return [];
        Bench.UseThreads(threads);
        var peer = Peer.Find();
        var samples = new List<double>();
        using (torch.no_grad())
        {
            var generator = new torch.Generator(0);
            using var x = torch.randn([128, 784], generator: generator);
            using var w = torch.randn([400, 784], generator: generator);
            for (int i = 0; i < 50 + repeats; i++)
            {
                long start = Stopwatch.GetTimestamp();
                using (var y = nn.functional.linear(x, w)) { }
                if (i >= 50) samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        var lines = peer.Run("matmul.py", ["--products", "forward:128:784:400", "--repeats", repeats.ToString(Bench.Inv), "--warmup", "50",
            "--threads", threads.ToString(Bench.Inv)], TimeSpan.FromMinutes(5));
        Peer.WarnUnlessOpenBlas(lines[0]);
        double c = Bench.Median(lines[1].GetProperty("samples").EnumerateArray().Select(s => s.GetDouble()));
        return [new BenchRow("matmul 128x784x400", "us / call (median)", double.NaN, 1e6 * Bench.Median(samples), 1e6 * c, "us",
            $"{2.0 * 128 * 784 * 400 / Bench.Median(samples) / 1e9:0.0} vs {2.0 * 128 * 784 * 400 / c / 1e9:0.0} GFLOP/s")];
    }
}

/// <summary>`all`: every workload with default (or quick) options, then one table; with --legacy, the old engine beside it.</summary>
public sealed class AllWorkload : IWorkload
{
    public string Name => "all";
    public string Description => "train (relu, swish, mish, iwae-paper), eval, conv, memory, matmul and (without --quick) ablate, then one table";

    public int Run(string[] args)
    {
        var o = new Options(Name, args, "[--quick (1 round, 200 training steps, 500 eval images, 10 conv steps)] [--threads N (default 2)] " +
            "[--legacy FILE (the old engine's output of the same session, as bench/legacy-run.sh makes it: adds the markdown table of both engines)]");
        bool quick = o.Flag("--quick");
        string threads = o.Threads().ToString(Bench.Inv);
        string? legacy = o.Text("--legacy");
        o.Done();
        if (o.Help) return 0;
        if (legacy is not null && !File.Exists(legacy)) throw new BenchmarkException($"all: --legacy '{legacy}' does not exist.", 1);
        string[] common = ["--threads", threads, .. quick ? new[] { "--rounds", "1" } : []];
        string[] steps = quick ? ["--steps", "200"] : [];
        var rows = new List<BenchRow>();
        rows.AddRange(new TrainWorkload().Measure([.. common, .. steps, "--activation", "relu"]));
        rows.AddRange(new TrainWorkload().Measure([.. common, .. steps, "--activation", "swish"]));
        rows.AddRange(new TrainWorkload().Measure([.. common, .. steps, "--activation", "mish"]));
        rows.AddRange(new TrainWorkload().Measure([.. common, .. steps, "--model", "iwae-paper"]));
        rows.AddRange(new EvalWorkload().Measure([.. common, .. quick ? new[] { "--images", "500" } : []]));
        rows.AddRange(new ConvWorkload().Measure([.. common, .. quick ? new[] { "--steps", "10" } : []]));
        rows.AddRange(new MemoryWorkload().Measure(["--threads", threads]));
        rows.AddRange(new MatmulWorkload().Measure(["--threads", threads]));
        string? ablation = quick ? null : new AblateWorkload().Measure([]);
        Console.WriteLine();
        Console.WriteLine($"(a) our Trainer / library call, (b) raw TorchSharp loop, (c) PyTorch {Peer.TorchVersion}; {Environment.ProcessorCount} cores, " +
            $"torch threads {threads} on every side, OMP_WAIT_POLICY {Bench.OmpWaitPolicy}, the peer with OPENBLAS_NUM_THREADS=1. " +
            "Ratios of times (memory): below 1 means the first is faster (smaller).");
        Bench.PrintTable(rows);
        if (ablation is not null) Console.WriteLine(ablation);
        if (legacy is not null) Legacy.PrintComparison(File.ReadAllLines(legacy), rows);
        return 0;
    }
}

/// <summary>
/// `ablate`: the wall time of a whole ablation grid (default: the quick preset, as `workbench ablate quick` runs it)
/// with the default number of concurrent runs against --jobs 1, in one process, each into a fresh store; the two
/// stores' records must agree bit for bit (timings aside).
/// </summary>
public sealed class AblateWorkload : IWorkload
{
    public string Name => "ablate";
    public string Description => "wall time of the quick ablation at the default --jobs against --jobs 1, identical results";

    /// <summary>Target on default / --jobs 1.</summary>
    public const double MaxRatio = 0.6;

    public int Run(string[] args)
    {
        if (Measure(args) is { } line) Console.WriteLine(line);
        return 0;
    }

    public string? Measure(string[] args)
    {
        var o = new Options(Name, args, $"[--grid NAME|FILE (default quick)] [--jobs N (default {AblationRunner.DefaultJobs}, the CLI's)]");
        string gridName = o.Text("--grid") ?? "quick";
        int jobs = o.Int("--jobs", AblationRunner.DefaultJobs);
        o.Done();
        if (o.Help) return null;
        Bench.WarnIfDebugBuild();
        var grid = AblationGrid.Load(gridName);
        string root = Bench.DataRootPath();
        var (train, test) = Bench.LoadMnist();
        TrainingData Load(string dataset) => dataset == "mnist"
            ? new TrainingData(train, test)
            : TrainingData.Load(new TrainingOptions(Dataset: dataset), root, fetchIfMissing: false);
        string folder = Directory.CreateTempSubdirectory("workbench-bench-ablate-").FullName;
        try
        {
            double Wall(int j, string store)
            {
                Console.Error.WriteLine($"ablate {grid.Name}: --jobs {j}");
                Bench.Settle();
                long start = Stopwatch.GetTimestamp();
                AblationRunner.Run(grid, store, Shard.All, null, CancellationToken.None, Load, jobs: j);
                return Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            string parallel = Path.Combine(folder, "parallel"), serial = Path.Combine(folder, "serial");
            double many = Wall(jobs, parallel), one = Wall(1, serial);
            var expected = new RunStore(serial).ReadAll().ToDictionary(r => r.Key);
            var records = new RunStore(parallel).ReadAll();
            var differences = records.Select(r => RecordComparison.Difference(expected[r.Key], r)).OfType<string>().ToList();
            bool same = records.Count == expected.Count && differences.Count == 0;
            double ratio = many / one;
            return string.Format(Bench.Inv, "ablate {0} ({1} runs): {2:0.0} s at --jobs {3} vs {4:0.0} s at --jobs 1 = {5:0.00} (target <= {6:0.0} {7}); results {8}",
                grid.Name, records.Count, many, jobs, one, ratio, MaxRatio, ratio <= MaxRatio ? "met" : "MISS",
                same ? "identical" : $"DIFFER ({string.Join("; ", differences.Take(3))})");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
