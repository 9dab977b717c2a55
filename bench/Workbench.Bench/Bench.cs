using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using TorchSharp;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Bench;

/// <summary>
/// One line of the table: a quantity measured on the three sides. (a) our Trainer (or the library function users
/// call), (b) the raw TorchSharp loop written plainly in this program, (c) the PyTorch peer. NaN where a side does not apply.
/// </summary>
public sealed record BenchRow(string Workload, string Quantity, double Trainer, double Raw, double PyTorch, string Unit, string Check)
{
    /// <summary>Target on Trainer / raw: what our code may add to the plain TorchSharp loop.</summary>
    public double? MaxTrainerOverRaw { get; init; }

    /// <summary>Absolute target on the Trainer's value (in <see cref="Unit"/>), with its label (e.g. "a < 1 GB").</summary>
    public (double Limit, string Label)? MaxTrainer { get; init; }

    public string TargetText =>
        MaxTrainerOverRaw is double r ? $"a/b<={r.ToString("0.00", Bench.Inv)} {(Trainer / Raw <= r ? "met" : "MISS")}"
        : MaxTrainer is var (limit, label) ? $"{label} {(Trainer < limit ? "met" : "MISS")}"
        : "-";
}

/// <summary>Constants, option parsing and printing shared by the workloads.</summary>
public static class Bench
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The pytorch/examples protocol on every side: batch 128, Adam with learning rate 1e-3.</summary>
    public const int Batch = 128;
    public const double LearningRate = 1e-3;

    /// <summary>468 full batches of 128 = 59,904 of the 60,000 training images: one epoch on every side.</summary>
    public const int StepsPerEpoch = 468;

    public static string DataRootPath()
    {
        string root = DataRoot.Resolve();
        string folder = Path.Combine(root, "mnist");
        if (!File.Exists(Path.Combine(folder, "train-images-idx3-ubyte")) && !File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")))
            throw new BenchmarkException($"MNIST is not in '{folder}'. Run 'dotnet run --project src/Workbench.Cli -- data fetch mnist' " +
                "in the checkout, or set WORKBENCH_DATA to the folder that holds mnist/.");
        return root;
    }

    public static (ImageDataset Train, ImageDataset Test) LoadMnist()
    {
        string root = DataRootPath();
        return (ImageDataset.Load(DatasetName.Mnist, Split.Train, root), ImageDataset.Load(DatasetName.Mnist, Split.Test, root));
    }

    /// <summary>The model a --model / --activation pair names; iwae-paper keeps its tanh unless another activation is given.</summary>
    public static VaeConfig Model(string model, string? activation)
    {
        var config = model switch
        {
            "pytorch-examples" => VaeConfig.PytorchExamples,
            "iwae-paper" => VaeConfig.IwaePaper,
            _ => throw new BenchmarkException($"--model '{model}' is not known; use pytorch-examples or iwae-paper.", 1),
        };
        config = activation is null ? config : config with { Activation = activation };
        RawVae.CheckActivation(config.Activation);
        return config;
    }

    /// <summary>The peer's arguments for an MLP config.</summary>
    public static string[] PeerModelArgs(VaeConfig config) =>
    [
        "--hidden", string.Join(",", config.ResolvedHidden), "--latent", config.LatentDim.ToString(Inv), "--activation", config.Activation,
    ];

    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        int n = sorted.Length;
        if (n == 0) return double.NaN;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /// <summary>Peak resident set of this process (VmHWM), in bytes.</summary>
    public static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv) * 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    /// <summary>
    /// libgomp's wait policy (libtorch's and the peer's OpenMP threads), read from the environment at load: unset means
    /// spin, then sleep. On a shared two-core machine it decides whether a busy neighbour slows a step down a few times.
    /// </summary>
    public static string OmpWaitPolicy => Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } policy ? policy : "unset";

    /// <summary>Sets libtorch's intra-op threads for our two sides (the peer gets the same number).</summary>
    public static void UseThreads(int threads) => torch.set_num_threads(threads);

    /// <summary>Collects garbage left by the previous side so that the next one does not pay for it.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static void WarnIfDebugBuild()
    {
        foreach (var assembly in new[] { typeof(Trainer).Assembly, typeof(Bench).Assembly })
            if (assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
                Console.Error.WriteLine($"warning: {assembly.GetName().Name} was built without optimisation; run with -c Release for meaningful numbers.");
    }

    public static string F(double value, string format) => double.IsNaN(value) ? "-" : value.ToString(format, Inv);

    /// <summary>Prints rows as one table: the three sides, their ratios, the target and the correctness check.</summary>
    public static void PrintTable(IReadOnlyList<BenchRow> rows)
    {
        if (rows.Count == 0) return;
        const string fmt = "{0,-22} {1,-18} {2,10} {3,10} {4,10} {5,-4} {6,6} {7,6} {8,6}  {9,-15} {10}";
        Console.WriteLine(string.Format(Inv, fmt, "workload", "quantity", "Trainer(a)", "raw(b)", "PyTorch(c)", "unit", "a/b", "a/c", "b/c", "target", "check"));
        foreach (var r in rows)
            Console.WriteLine(string.Format(Inv, fmt, r.Workload, r.Quantity, F(r.Trainer, "0.000"), F(r.Raw, "0.000"), F(r.PyTorch, "0.000"), r.Unit,
                F(r.Trainer / r.Raw, "0.00"), F(r.Trainer / r.PyTorch, "0.00"), F(r.Raw / r.PyTorch, "0.00"), r.TargetText, r.Check));
    }

    /// <summary>"|x - y| within tolerance" over every pair of the given (side, value) results, as the check text.</summary>
    public static string Agreement(string what, string unit, double tolerance, params (string Side, double Value)[] results)
    {
        var present = results.Where(r => !double.IsNaN(r.Value)).ToArray();
        double spread = present.Length == 0 ? double.NaN : present.Max(r => r.Value) - present.Min(r => r.Value);
        bool ok = spread < tolerance;
        return $"{what} " + string.Join(" / ", present.Select(r => $"{r.Side} {r.Value.ToString("0.00", Inv)}")) +
            $" {unit}, spread {spread.ToString("0.00#", Inv)} {(ok ? "<" : ">=")} {tolerance.ToString("0.0#", Inv)} {(ok ? "ok" : "FAIL")}";
    }
}

/// <summary>
/// The options of one workload: each is read once by name, then <see cref="Done"/> rejects whatever is left, so a
/// mistyped option fails with a message instead of being ignored.
/// </summary>
public sealed class Options
{
    private readonly string _workload;
    private readonly List<string> _args;

    public Options(string workload, string[] args, string usage)
    {
        _workload = workload;
        _args = [.. args];
        Help = _args.Any(a => a is "-h" or "--help");
        if (Help) Console.WriteLine($"usage: {workload} {usage}");
    }

    /// <summary>True when the user asked for the usage text (already printed): the workload then measures nothing.</summary>
    public bool Help { get; }

    public bool Flag(string name) => _args.Remove(name);

    public string? Text(string name)
    {
        int i = _args.IndexOf(name);
        if (i < 0) return null;
        if (i + 1 >= _args.Count || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
            throw new BenchmarkException($"{_workload}: {name} needs a value after it; run '{_workload} --help' for the options.", 1);
        string value = _args[i + 1];
        _args.RemoveRange(i, 2);
        return value;
    }

    public int Int(string name, int fallback, int max = int.MaxValue) => OptionalInt(name, max) ?? fallback;

    public int? OptionalInt(string name, int max = int.MaxValue)
    {
        string? text = Text(name);
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.None, Bench.Inv, out int value) || value < 1 || value > max)
            throw new BenchmarkException($"{_workload}: {name} needs a whole number from 1 to {max}, not '{text}'.", 1);
        return value;
    }

    /// <summary>--threads N (default 2, the project's standard): libtorch threads on our sides and torch threads in the peer.</summary>
    public int Threads() => Int("--threads", 2, Environment.ProcessorCount * 4);

    public void Done()
    {
        if (Help) _args.RemoveAll(a => a is "-h" or "--help");
        if (_args.Count > 0)
            throw new BenchmarkException($"{_workload}: unknown option '{_args[0]}'; run '{_workload} --help' for the options.", 1);
    }
}
