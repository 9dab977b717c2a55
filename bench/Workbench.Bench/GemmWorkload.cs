using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Workbench.Autograd;

namespace Workbench.Bench;

/// <summary>One GEMM of a Linear layer in -> out at a given batch, as training runs it.</summary>
public sealed record GemmProduct(string Kind, int Batch, int In, int Out)
{
    public int M => Kind switch { "forward" => Batch, "grad-input" => Batch, _ => Out };
    public int N => Kind switch { "forward" => Out, _ => In };
    public int K => Kind switch { "forward" => In, "grad-input" => Out, _ => Batch };

    /// <summary>op(A) op(B) in terms of the stored operands.</summary>
    public string Form => Kind switch { "forward" => "x W^T", "grad-input" => "g W", _ => "g^T x" };

    /// <summary>Which stored operand is read transposed.</summary>
    public string Transpose => Kind switch { "forward" => "B^T", "grad-input" => "none", _ => "A^T" };

    public double Flops => 2.0 * M * N * K;

    /// <summary>The KIND:BATCH:IN:OUT form the peer script takes.</summary>
    public string Spec => $"{Kind}:{Batch}:{In}:{Out}";
}

/// <summary>
/// Times the VAE's GEMMs through the public API (F.Linear forward, MatMul, F.Linear backward), alternating
/// rounds with the PyTorch peer (ours, peer, ours, peer, ...) so that load from other work on the machine
/// falls on both sides alike, and prints GFLOP/s = 2 m n k / median time for each.
/// </summary>
public sealed class GemmWorkload : IWorkload
{
    public string Name => "gemm";
    public string Description => "float32 GEMMs of the VAE's Linear layers (forward, grad-input, grad-weight) vs PyTorch";

    private static readonly (int In, int Out)[] Layers = [(784, 400), (400, 784), (400, 20)];
    private const int Batch = 128;

    public int Run(string[] args)
    {
        int repeats = 40, warmup = 10, rounds = 2;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repeats": repeats = PositiveInt(args, ref i); break;
                case "--warmup": warmup = PositiveInt(args, ref i); break;
                case "--rounds": rounds = PositiveInt(args, ref i); break;
                case "-h" or "--help":
                    Console.WriteLine("usage: gemm [--repeats N (timed calls per product per round, default 40)] " +
                        "[--warmup N (untimed calls first, default 10)] [--rounds N (ours/peer alternations, default 2)]");
                    return 0;
                default:
                    throw new BenchmarkException($"gemm: unknown option '{args[i]}'; run 'gemm --help' for the options.", 1);
            }
        }

        WarnIfDebugBuild();
        var products = Layers.SelectMany(l => new[] { "forward", "grad-input", "grad-weight" }
            .Select(kind => new GemmProduct(kind, Batch, l.In, l.Out))).ToList();
        var peer = Peer.Find();
        var peerArgs = new[]
        {
            "--products", string.Join(",", products.Select(p => p.Spec)),
            "--repeats", repeats.ToString(CultureInfo.InvariantCulture),
            "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
            "--threads", "2",
        };

        var ours = products.ToDictionary(p => p, _ => new List<double>());
        var theirs = products.ToDictionary(p => p, _ => new List<double>());
        var runners = products.ToDictionary(p => p, Prepare);
        JsonElement header = default;
        for (int round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"round {round + 1}/{rounds}: Workbench");
            // The first round warms the JIT for longer: tiered compilation promotes hot methods after a delay.
            foreach (var p in products) Time(runners[p], round == 0 ? 5 * warmup : warmup, repeats, ours[p]);

            Console.Error.WriteLine($"round {round + 1}/{rounds}: PyTorch ({peer.Python})");
            var lines = peer.Run("gemm.py", peerArgs, TimeSpan.FromMinutes(10));
            header = lines[0];
            foreach (var line in lines.Skip(1))
            {
                string spec = line.GetProperty("product").GetString() ?? "";
                var product = products.FirstOrDefault(p => p.Spec == spec)
                    ?? throw new BenchmarkException($"The peer reported a product '{spec}' that was not asked for.");
                theirs[product].AddRange(line.GetProperty("samples").EnumerateArray().Select(s => s.GetDouble()));
            }
        }
        Peer.WarnUnlessOpenBlas(header);
        PrintTable(products, ours, theirs, header, repeats, rounds);
        return 0;
    }

    /// <summary>
    /// The call training makes for this product, on float32 tensors through the public API:
    /// forward y = F.Linear(x, W) (W requires grad, so the graph is recorded as in training);
    /// grad-input g.MatMul(W) (as the Linear backward computes it, without recording);
    /// grad-weight the backward of F.Linear with only W requiring grad, which runs exactly the g^T x GEMM and
    /// stores it in W.Grad (W.Grad is cleared first, so the store is one copy rather than an add).
    /// </summary>
    private static Action Prepare(GemmProduct p)
    {
        var gen = new Generator(0);
        switch (p.Kind)
        {
            case "forward":
            {
                var x = Tensor.Randn([p.Batch, p.In], gen);
                var w = Tensor.Randn([p.Out, p.In], gen).RequiresGrad_();
                return () => F.Linear(x, w);
            }
            case "grad-input":
            {
                var g = Tensor.Randn([p.Batch, p.Out], gen);
                var w = Tensor.Randn([p.Out, p.In], gen);
                return () => g.MatMul(w);
            }
            default:
            {
                var x = Tensor.Randn([p.Batch, p.In], gen);
                var w = Tensor.Randn([p.Out, p.In], gen).RequiresGrad_();
                var g = Tensor.Randn([p.Batch, p.Out], gen);
                var y = F.Linear(x, w);
                return () =>
                {
                    w.Grad = null;
                    y.Backward(g, retainGraph: true);
                };
            }
        }
    }

    private static void Time(Action run, int warmup, int repeats, List<double> samples)
    {
        for (int i = 0; i < warmup; i++) run();
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    private static void PrintTable(List<GemmProduct> products, Dictionary<GemmProduct, List<double>> ours,
        Dictionary<GemmProduct, List<double>> theirs, JsonElement header, int repeats, int rounds)
    {
        string torchVersion = header.TryGetProperty("torch", out var v) ? v.GetString() ?? "?" : "?";
        string threads = header.TryGetProperty("threads", out var t) ? t.ToString() : "?";
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine($"GEMM, float32, batch {Batch}. Ours: Workbench.Autograd on {Environment.ProcessorCount} cores. " +
            $"Peer: PyTorch {torchVersion} (torch threads {threads}, OPENBLAS_NUM_THREADS=1).");
        Console.WriteLine($"GFLOP/s = 2 m n k / median of {repeats * rounds} timed calls per side ({rounds} alternating rounds of {repeats}, after warm-up).");
        Console.WriteLine();
        string row = "{0,-10} {1,-12} {2,-6} {3,-6} {4,14} {5,13} {6,16} {7,13}";
        Console.WriteLine(string.Format(inv, row, "layer", "product", "form", "trans", "m x n x k", "ours GFLOP/s", "PyTorch GFLOP/s", "ours/PyTorch"));
        int met = 0;
        foreach (var p in products)
        {
            double oursGflops = p.Flops / Median(ours[p]) / 1e9;
            double theirGflops = theirs[p].Count == 0 ? double.NaN : p.Flops / Median(theirs[p]) / 1e9;
            double ratio = oursGflops / theirGflops;
            if (ratio >= 0.8) met++;
            Console.WriteLine(string.Format(inv, row, $"{p.In}->{p.Out}", p.Kind, p.Form, p.Transpose, $"{p.M}x{p.N}x{p.K}",
                oursGflops.ToString("0.0", inv), theirGflops.ToString("0.0", inv), ratio.ToString("0.00", inv)));
        }
        Console.WriteLine();
        Console.WriteLine($"ours/PyTorch >= 0.8 (the target) on {met} of {products.Count} products; > 1 means Workbench is faster.");
    }

    private static double Median(List<double> samples)
    {
        var sorted = samples.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    private static int PositiveInt(string[] args, ref int i)
    {
        string option = args[i];
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
            throw new BenchmarkException($"gemm: {option} needs a positive whole number after it.", 1);
        i++;
        return value;
    }

    private static void WarnIfDebugBuild()
    {
        var debuggable = typeof(Tensor).Assembly.GetCustomAttribute<DebuggableAttribute>();
        if (debuggable?.IsJITOptimizerDisabled == true)
            Console.Error.WriteLine("warning: Workbench.Autograd was built without optimisation; run with -c Release for meaningful numbers.");
    }
}
