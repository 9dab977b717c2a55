using System.Diagnostics;
using System.Text.Json;
using Workbench.Vae.Training;

namespace Workbench.Vae.Tests.Training;

/// <summary>
/// The checkpoint is a real safetensors file: Debian's own python3 reads it with nothing but the standard library
/// (struct and json), following the format's definition: an 8-byte little-endian header length N, N bytes of JSON
/// mapping each tensor name to its dtype, shape and [begin, end) byte offsets into the data that follows, and then
/// the raw little-endian data.
/// </summary>
public sealed class SafetensorsPythonTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wb-safetensors-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private const string Reader = """
import json, math, struct, sys
path = sys.argv[1]
with open(path, 'rb') as f:
    blob = f.read()
(n,) = struct.unpack('<Q', blob[:8])
header = json.loads(blob[8:8 + n].decode('utf-8'))
data = blob[8 + n:]
metadata = header.pop('__metadata__', None)
size = {'F64': 8, 'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'U8': 1}
code = {'F64': 'd', 'F32': 'f', 'I64': 'q', 'I32': 'i', 'U8': 'B'}
tensors = {}
spans = []
for name, t in header.items():
    begin, end = t['data_offsets']
    count = (end - begin) // size[t['dtype']]
    values = struct.unpack('<%d%s' % (count, code[t['dtype']]), data[begin:end])
    tensors[name] = {'dtype': t['dtype'], 'shape': t['shape'], 'count': count,
                     'first': [float(v) for v in values[:3]], 'sum': math.fsum(values)}
    spans.append((begin, end))
spans.sort()
# The format requires the offsets to tile the data exactly: no gap, no overlap, nothing after the last tensor.
tiled = spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:])) and spans[-1][1] == len(data)
print(json.dumps({'tensors': tensors, 'metadata': metadata, 'tiled': tiled}))
""";

    private static JsonDocument ReadWithPython(string path)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Reader);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "python3 did not finish");
        Assert.True(process.ExitCode == 0, $"python3 failed ({process.ExitCode}): {error}");
        return JsonDocument.Parse(output);
    }

    [Fact]
    public void DebiansPython3ReadsTheCheckpointWithTheStandardLibraryAlone()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install the Debian package python3");
        var run = new RunDirectory(_dir);
        var config = TrainerTests.Small with { Architecture = "conv", Hidden = [16] };
        var result = new Trainer().Run(config, TrainerTests.Data, TrainerTests.Quick with { Epochs = 1 }, run);
        Assert.Equal(Outcome.Completed, result.Outcome);

        using var doc = ReadWithPython(run.File(RunDirectory.ModelFile));
        Assert.True(doc.RootElement.GetProperty("tiled").GetBoolean(), "the tensors' byte ranges do not tile the data");
        var tensors = doc.RootElement.GetProperty("tensors");
        var state = result.Model.state_dict();
        Assert.Equal(state.Keys.Order(), tensors.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, tensor) in state)
        {
            var t = tensors.GetProperty(name);
            Assert.Equal("F32", t.GetProperty("dtype").GetString());
            Assert.Equal(tensor.shape, t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
            Assert.Equal(tensor.numel(), t.GetProperty("count").GetInt64());
            var values = tensor.Floats();
            var first = t.GetProperty("first").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            Assert.Equal(values.Take(3), first);   // bit for bit: a float32 widened to a double and back
            double sum = values.Sum(v => (double)v);
            Assert.Equal(sum, t.GetProperty("sum").GetDouble(), 1e-9 * (1 + values.Sum(v => Math.Abs((double)v))));
        }
    }
}
