using Workbench.Bench;

// Side-by-side benchmarks of Workbench.Autograd against the PyTorch peer. One subcommand per workload;
// a new workload (training, evaluation) is one more IWorkload in this list.
IWorkload[] workloads = [new GemmWorkload(), new TrainWorkload(), new EvalWorkload(), new ConvWorkload(), new MemoryWorkload(), new AllWorkload()];

// The child process of the memory workload: one training run, then its peak resident memory.
if (args.Length > 0 && args[0] == "train-child") return MemoryWorkload.Child(args[1..]);

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    PrintUsage(Console.Out);
    return args.Length == 0 ? 1 : 0;
}

var workload = workloads.FirstOrDefault(w => w.Name == args[0]);
if (workload is null)
{
    Console.Error.WriteLine($"Unknown workload '{args[0]}'.");
    PrintUsage(Console.Error);
    return 1;
}

try
{
    return workload.Run(args[1..]);
}
catch (BenchmarkException e)
{
    Console.Error.WriteLine(e.Message);
    return e.ExitCode;
}

void PrintUsage(TextWriter output)
{
    output.WriteLine("usage: dotnet run -c Release --project bench/Workbench.Bench -- <workload> [options]");
    output.WriteLine();
    output.WriteLine("workloads:");
    foreach (var w in workloads) output.WriteLine($"  {w.Name,-10} {w.Description}");
    output.WriteLine();
    output.WriteLine("Run '<workload> --help' for a workload's options. See bench/README.md.");
}
