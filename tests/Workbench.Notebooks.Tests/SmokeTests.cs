using Workbench.Notebooks;
using Xunit.Abstractions;

namespace Workbench.Notebooks.Tests;

public class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Smoke()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await using var ex = new CellExecutor();
        await ex.WarmUpAsync();
        output.WriteLine($"warm {sw.ElapsedMilliseconds} ms");
        foreach (var code in new[] { "var x = 41;", "x + 1", "Console.WriteLine(\"hi\"); Console.Error.Write(\"err\");", "int y = 0;\nvar z = 1 / y;", "undefinedName + 1", "var m = new MlpVae(new VaeConfig(LatentDim: 2), new Generator(1)); m.Encode(Tensor.Zeros([3, 784])).Mean.ShapeArray()", "display(1).Update(2);", "for (int i = 0; ; i++) { }" })
        {
            sw.Restart();
            var r = await ex.ExecuteAsync(new CellRequest(code, Timeout: TimeSpan.FromSeconds(1), OnEvent: e => output.WriteLine("  event " + e)));
            output.WriteLine($"{sw.ElapsedMilliseconds} ms {r.Status} {r.Failure} hasValue={r.HasReturnValue} value={r.ReturnValue}");
            foreach (var o in r.Outputs) output.WriteLine("   " + System.Text.Json.JsonSerializer.Serialize(o.ToJson().ToJsonString()));
        }
    }
}
