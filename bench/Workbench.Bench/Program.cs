using Workbench.Bench;
using Workbench.Vae;
using Workbench.Vae.Torch;

// Side-by-side benchmarks of the TorchSharp-based library: (a) our Trainer (or the library call users make), (b) a raw
// TorchSharp loop of the same model, (c) the PyTorch peer. One subcommand per workload.
IWorkload[] workloads = [new TrainWorkload(), new EvalWorkload(), new ConvWorkload(), new MemoryWorkload(), new MatmulWorkload(), new AblateWorkload(), new AllWorkload()];

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    PrintUsage(Console.Out);
    return args.Length == 0 ? 1 : 0;
}

try
{
    TorchRuntime.EnsureLoaded();
    // The child process of the memory workload: one training run, then its peak resident memory.
    if (args[0] == "train-child") return MemoryWorkload.Child(args[1..]);
    var workload = workloads.FirstOrDefault(w => w.Name == args[0]);
    if (workload is null)
    {
        Console.Error.WriteLine($"Unknown workload '{args[0]}'.");
        PrintUsage(Console.Error);
        return 1;
    }
    return workload.Run(args[1..]);
}
catch (BenchmarkException e)
{
    Console.Error.WriteLine(e.Message);
    return e.ExitCode;
}
catch (Exception e) when (e is TorchLoadException or ConfigException or InvalidDataException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

void PrintUsage(TextWriter output)
{
    output.WriteLine("usage: dotnet run -c Release --project bench/Workbench.Bench -- <workload> [options]");
    output.WriteLine();
    output.WriteLine("workloads:");
    foreach (var w in workloads) output.WriteLine($"  {w.Name,-8} {w.Description}");
    output.WriteLine();
    output.WriteLine("Run '<workload> --help' for a workload's options. See bench/README.md.");
}
