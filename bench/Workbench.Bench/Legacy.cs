using System.Text.RegularExpressions;

namespace Workbench.Bench;

/// <summary>
/// The old engine (Workbench.Autograd, commit 5545542) beside TorchSharp, from one session: bench/legacy-run.sh runs the
/// old benchmark program, saves its output, and passes it to `all --legacy`, which prints this markdown table for
/// bench/legacy-vs-torchsharp.md. Each half ran its own PyTorch peer, so the two PyTorch columns show how much the
/// machine's speed moved between the halves.
/// </summary>
public static partial class Legacy
{
    /// <summary>A row of the old program's table: "{workload,-26} {quantity,-22} {Workbench,12} {PyTorch,12} {unit,-5} {ours/pt,9} ...".</summary>
    [GeneratedRegex(@"^(?<workload>.{26}) (?<quantity>.{22}) +(?<ours>\d+\.\d+) +(?<theirs>\d+\.\d+) (?<unit>\S+) +\d+\.\d+ ")]
    private static partial Regex OldRow();

    public static void PrintComparison(IEnumerable<string> oldOutput, IReadOnlyList<BenchRow> rows)
    {
        var old = new Dictionary<string, (string Quantity, double Ours, double Theirs)>();
        foreach (var line in oldOutput)
        {
            var m = OldRow().Match(line);
            if (m.Success)
                old[m.Groups["workload"].Value.Trim()] = (m.Groups["quantity"].Value.Trim(),
                    double.Parse(m.Groups["ours"].Value, Bench.Inv), double.Parse(m.Groups["theirs"].Value, Bench.Inv));
        }
        if (old.Count == 0)
            throw new BenchmarkException("all --legacy: the file holds no table row of the old benchmark program; pass the output of its train, eval and conv workloads.");

        Console.WriteLine();
        Console.WriteLine("Old engine (Workbench.Autograd) and TorchSharp, one session (markdown):");
        Console.WriteLine();
        Console.WriteLine("| workload | quantity | old engine | PyTorch (old half) | old / PyTorch | Trainer (a) | raw TorchSharp (b) | PyTorch (new half) | a / PyTorch | a / old engine |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
        {
            if (!old.TryGetValue(r.Workload, out var o)) continue;
            string quantity = o.Quantity == r.Quantity ? r.Quantity : $"{r.Quantity} (old: {o.Quantity})";
            Console.WriteLine($"| {r.Workload} | {quantity} | {o.Ours.ToString("0.000", Bench.Inv)} | {o.Theirs.ToString("0.000", Bench.Inv)} | " +
                $"{(o.Ours / o.Theirs).ToString("0.00", Bench.Inv)} | {Bench.F(r.Trainer, "0.000")} | {Bench.F(r.Raw, "0.000")} | {Bench.F(r.PyTorch, "0.000")} | " +
                $"{Bench.F(r.Trainer / r.PyTorch, "0.00")} | {Bench.F(r.Trainer / o.Ours, "0.00")} |");
        }
        foreach (var name in old.Keys.Where(k => rows.All(r => r.Workload != k)))
            Console.Error.WriteLine($"warning: the old output's row '{name}' has no TorchSharp counterpart in this run.");
    }
}
