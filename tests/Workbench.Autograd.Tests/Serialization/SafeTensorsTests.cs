using System.Buffers.Binary;
using System.Text;
using Workbench.Autograd.Serialization;

namespace Workbench.Autograd.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A file made of an explicit header length, header bytes and data bytes.</summary>
    private string WriteRaw(byte[] header, byte[] data, ulong? headerLength = null, string name = "raw.safetensors")
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteRaw(string header, int dataBytes) => WriteRaw(Encoding.UTF8.GetBytes(header), new byte[dataBytes]);

    private static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.ShapeArray(), actual.ShapeArray());
        Assert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray());
    }

    [Fact]
    public void RoundTripsTensorsOfEveryShapeAndMetadata()
    {
        var g = new Generator(1);
        var tensors = new Dictionary<string, Tensor>
        {
            ["encoder.0.weight"] = Tensor.Randn([3, 4], g),
            ["decoder.bias"] = Tensor.Randn([2, 3, 5], g, DType.Float64),
            ["scalar32"] = Tensor.Scalar(-1.25f),
            ["scalar64"] = Tensor.Scalar(Math.PI, DType.Float64),
            ["empty"] = Tensor.Zeros([0], DType.Float64),
            ["empty2d"] = Tensor.Zeros(2, 0, 3),
            ["extremes"] = Tensor.FromArray(new float[] { float.MaxValue, float.Epsilon, -0f, float.NaN, float.NegativeInfinity }),
        };
        var metadata = new Dictionary<string, string> { ["activation"] = "swish", ["beta"] = "β = 1.0", ["quote\"key"] = "line\nbreak" };
        string path = PathOf("model.safetensors");
        SafeTensors.Save(path, tensors, metadata);

        var file = SafeTensors.Load(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Tensors.Keys);
        foreach (var (name, t) in tensors) AssertSame(t, file.Tensors[name]);
        Assert.Equal(metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal), file.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.All(file.Tensors.Values, t => Assert.False(t.RequiresGrad));
    }

    [Fact]
    public void WithoutMetadataLoadsEmptyMetadataAndAnEmptyFileWorks()
    {
        string path = PathOf("plain.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Ones(2) });
        Assert.Empty(SafeTensors.Load(path).Metadata);
        Assert.DoesNotContain("__metadata__", File.ReadAllText(path));

        SafeTensors.Save(path, new Dictionary<string, Tensor>());
        var file = SafeTensors.Load(path);
        Assert.Empty(file.Tensors);
        // {} padded to 8 bytes: 8 + 8 bytes in all.
        Assert.Equal(16, new FileInfo(path).Length);
    }

    [Fact]
    public void WritesTheSpecifiedBytes()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new float[] { 1.0f, -2.0f }),
            ["bias"] = Tensor.Scalar(0.5, DType.Float64),
        };
        string path = PathOf("golden.safetensors");
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["epoch"] = "12" });

        // Names in ordinal order, so "bias" (8 bytes of F64) comes first at [0, 8] and "weight" (2 x 4 bytes) at [8, 16].
        // The JSON is 145 bytes; padded with 7 spaces to 152, a multiple of 8.
        const string json = "{\"bias\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}," +
                            "\"weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
                            "\"__metadata__\":{\"epoch\":\"12\"}}";
        Assert.Equal(145, json.Length);
        var expected = new List<byte> { 152, 0, 0, 0, 0, 0, 0, 0 };      // u64 little-endian 152
        expected.AddRange(Encoding.ASCII.GetBytes(json + "       "));
        expected.AddRange([0, 0, 0, 0, 0, 0, 0xE0, 0x3F]);              // 0.5 = 0x3FE0000000000000, little-endian
        expected.AddRange([0, 0, 0x80, 0x3F]);                          // 1.0f = 0x3F800000
        expected.AddRange([0, 0, 0, 0xC0]);                             // -2.0f = 0xC0000000
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadsTheReferenceWritersLayout()
    {
        // The reference writer puts "__metadata__" first, does not order the data by name, and any header length is
        // valid: here 141 bytes, unpadded, with "b" (F64 [1] = 2.0) before "a" (F32 [1, 2] = [1.5, -3]).
        const string json = "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
                            "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}";
        byte[] data = [0, 0, 0, 0, 0, 0, 0, 0x40, /* 2.0 */ 0, 0, 0xC0, 0x3F, /* 1.5f */ 0, 0, 0x40, 0xC0 /* -3.0f */];
        string path = WriteRaw(Encoding.UTF8.GetBytes(json), data);
        var file = SafeTensors.Load(path);
        Assert.Equal(["a", "b"], file.Tensors.Keys);
        AssertSame(Tensor.FromArray(new float[] { 1.5f, -3f }, 1, 2), file.Tensors["a"]);
        AssertSame(Tensor.FromArray(new double[] { 2.0 }), file.Tensors["b"]);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void WriteIsAtomicAndLeavesNoTemporaryFiles()
    {
        string path = PathOf("ckpt.safetensors");
        var first = new Dictionary<string, Tensor> { ["w"] = Tensor.Full([3], 1.0) };
        SafeTensors.Save(path, first);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Full([3], 2.0) });
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal([2f, 2f, 2f], SafeTensors.Load(path).Tensors["w"].ToArray());

        // A failure half way through writing the data leaves the old file intact and no temporary file behind.
        var flaky = new FailingDictionary(new Dictionary<string, Tensor> { ["a"] = Tensor.Full([3], 7.0), ["b"] = Tensor.Full([3], 8.0) });
        Assert.Throws<IOException>(() => SafeTensors.Save(path, flaky));
        Assert.True(flaky.FailedWhileWriting);
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal([2f, 2f, 2f], SafeTensors.Load(path).Tensors["w"].ToArray());

        // The rename itself failing (the target is a directory) also leaves nothing behind.
        string blocked = PathOf("blocked");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() => SafeTensors.Save(blocked, first));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    /// <summary>A dictionary whose tensors can be read for the header but fail when the second one's data is written.</summary>
    private sealed class FailingDictionary(Dictionary<string, Tensor> inner) : IReadOnlyDictionary<string, Tensor>
    {
        private int _reads;
        public bool FailedWhileWriting { get; private set; }

        public Tensor this[string key]
        {
            get
            {
                // Reads 1..n build the header, n + 1 writes the first tensor's data, n + 2 fails.
                if (++_reads == inner.Count + 2)
                {
                    FailedWhileWriting = true;
                    throw new IOException("disk full (simulated)");
                }
                return inner[key];
            }
        }

        public IEnumerable<string> Keys => inner.Keys;
        public IEnumerable<Tensor> Values => inner.Values;
        public int Count => inner.Count;
        public bool ContainsKey(string key) => inner.ContainsKey(key);
        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) => inner.TryGetValue(key, out value);
        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => inner.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void SaveRejectsBadArguments()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(PathOf("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
        Assert.Contains("'__metadata__' is reserved", ex.Message);
        var missing = Path.Combine(_dir, "no-such-dir", "x.safetensors");
        var dirEx = Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(missing, new Dictionary<string, Tensor>()));
        Assert.Contains("no-such-dir' does not exist; create it first", dirEx.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void MissingFileIsReported()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(PathOf("absent.safetensors")));
        Assert.Contains("absent.safetensors' does not exist", ex.Message);
    }

    private void AssertCorrupt(string path, string problem)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains($"Cannot load safetensors file '{path}'", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    private const string F32x2 = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        string path = PathOf("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        AssertCorrupt(path, "the file is 5 bytes long, shorter than the 8-byte header length");
    }

    [Fact]
    public void HeaderLengthLargerThanTheFile() =>
        AssertCorrupt(WriteRaw(new byte[20], [], headerLength: 1000), "the header length is 1000 bytes but only 20 bytes follow it");

    [Fact]
    public void AbsurdHeaderLength() =>
        AssertCorrupt(WriteRaw(new byte[20], [], headerLength: 1UL << 40), "the header length is 1099511627776 bytes, which is absurd");

    [Fact]
    public void HeaderNotUtf8() =>
        AssertCorrupt(WriteRaw([(byte)'{', 0xFF, 0xFE, (byte)'}'], []), "the header is not valid UTF-8 text");

    [Fact]
    public void HeaderNotJson() => AssertCorrupt(WriteRaw("{\"a\": nope}", 0), "the header is not valid JSON");

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("        ")]
    public void HeaderNotAnObject(string header) => AssertCorrupt(WriteRaw(header, 0), "the header is not a JSON object");

    [Fact]
    public void EntryNotAnObject() => AssertCorrupt(WriteRaw("{\"a\":[1,2]}", 0), "entry 'a' must be a JSON object with dtype, shape and data_offsets but is a JSON Array");

    [Fact]
    public void MissingDType() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a' has no dtype");

    [Fact]
    public void MalformedDType() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a' has a malformed dtype");

    [Theory]
    [InlineData("F16", 2)]
    [InlineData("BF16", 2)]
    [InlineData("I64", 8)]
    [InlineData("U8", 1)]
    [InlineData("BOOL", 1)]
    public void UnsupportedDTypeIsNamed(string dtype, int size) =>
        AssertCorrupt(WriteRaw($"{{\"a\":{{\"dtype\":\"{dtype}\",\"shape\":[2],\"data_offsets\":[0,{2 * size}]}}}}", 2 * size),
            $"tensor 'a' has dtype {dtype}, which is not supported: only F32 and F64 can be loaded");

    [Fact]
    public void UnknownDType() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a' has unknown dtype 'F33'");

    [Fact]
    public void MissingShape() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "tensor 'a' has no shape");

    [Theory]
    [InlineData("\"2\"", "expected an array of sizes but found a JSON String")]
    [InlineData("[2.5]", "dim 0 is 2.5, not an integer")]
    [InlineData("[2,\"x\"]", "dim 1 is \"x\", not an integer")]
    public void MalformedShape(string shape, string problem) =>
        AssertCorrupt(WriteRaw($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,8]}}}}", 8), problem);

    [Fact]
    public void NegativeDimension() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "tensor 'a' has a negative size -2 in dim 0");

    [Fact]
    public void MissingOffsets() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "tensor 'a' has no data_offsets");

    [Theory]
    [InlineData("[0]", "malformed data_offsets [0]: expected [begin, end]")]
    [InlineData("[0,8,16]", "malformed data_offsets [0,8,16]")]
    [InlineData("\"0-8\"", "malformed data_offsets \"0-8\"")]
    [InlineData("[0,\"8\"]", "malformed data_offsets end \"8\"")]
    [InlineData("[-8,0]", "negative data_offsets begin -8")]
    public void MalformedOffsets(string offsets, string problem) =>
        AssertCorrupt(WriteRaw($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{offsets}}}}}", 8), problem);

    [Fact]
    public void EndBeforeBegin() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "data_offsets [8, 0] whose end is before its begin");

    [Fact]
    public void ByteLengthDisagreesWithShape() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
            "tensor 'a' has 8 bytes of data (offsets [0, 8]) but its shape [3] of F32 needs 3 x 4 = 12");

    [Fact]
    public void OffsetsPastTheEnd() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8),
            "tensor 'a' has data_offsets [4, 12] past the end of the 8-byte data section");

    [Fact]
    public void OverlappingTensors() =>
        AssertCorrupt(WriteRaw("{\"a\":" + F32x2 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
            "tensor 'b' (bytes 4..12) overlaps tensor 'a' (bytes 0..8)");

    [Fact]
    public void HoleInTheData() =>
        AssertCorrupt(WriteRaw("{\"a\":" + F32x2 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20),
            "the data section has a hole: bytes 8..12 before tensor 'b' belong to no tensor");

    [Fact]
    public void HoleAtTheStart() =>
        AssertCorrupt(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
            "the data section has a hole: bytes 0..4 before tensor 'a'");

    [Fact]
    public void TrailingGarbage() =>
        AssertCorrupt(WriteRaw("{\"a\":" + F32x2 + "}", 11), "the data section is 11 bytes but the tensors cover only 8; the 3 bytes after them are trailing garbage");

    [Fact]
    public void DuplicateNames() =>
        AssertCorrupt(WriteRaw("{\"a\":" + F32x2 + ",\"a\":" + F32x2 + "}", 8), "the header names 'a' twice");

    [Theory]
    [InlineData("{\"__metadata__\":[1]}", "'__metadata__' must be a JSON object of strings but is a JSON Array")]
    [InlineData("{\"__metadata__\":{\"epochs\":3}}", "metadata entry 'epochs' must be a string but is a JSON Number")]
    public void MalformedMetadata(string header, string problem) => AssertCorrupt(WriteRaw(header, 0), problem);

    [Fact]
    public void CorruptFileNeverPartiallyLoadsIntoAModel()
    {
        // A model loading a corrupt checkpoint keeps its parameters.
        var model = Tests.Nn.TestModels.Mlp(2, 3, 1, new Generator(1));
        var before = Tests.Nn.TestModels.Flatten(model);
        string path = PathOf("model.safetensors");
        model.SaveSafeTensors(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^1]);   // truncated: the data section is one byte short
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadSafeTensors(path));
        Assert.Contains("past the end", ex.Message);
        Assert.Equal(before, Tests.Nn.TestModels.Flatten(model));
    }
}
