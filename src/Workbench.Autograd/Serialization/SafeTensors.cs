using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Workbench.Autograd.Serialization;

/// <summary>The contents of a safetensors file: tensors by name (in name order) and the free-form string metadata.</summary>
public sealed record SafeTensorsFile(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian tensor bytes, offsets counted from the start of
/// that data section. The format holds no code, so loading a file never executes anything, and Python's
/// <c>safetensors</c> reads what this writes. Float32 (F32) and float64 (F64) tensors are supported.
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header accepted on load; real headers are kilobytes, so anything bigger is a corrupt length.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Every dtype the format defines, so that a valid but unsupported one gets a precise message.</summary>
    private static readonly HashSet<string> KnownDTypes =
    [
        "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64", "C128",
    ];

    /// <summary>
    /// Writes <paramref name="tensors"/> (in ordinal name order, packed without gaps) and optional
    /// <paramref name="metadata"/> to <paramref name="path"/>. The file is written to a temporary file in the same
    /// directory, flushed to disk, then renamed over the target, so a crash or error never leaves a partial file.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name == MetadataKey)
                throw new ArgumentException($"Cannot save '{path}': '{MetadataKey}' is reserved for the metadata and cannot name a tensor; rename it.", nameof(tensors));
            if (tensors[name] is null)
                throw new ArgumentException($"Cannot save '{path}': tensor '{name}' is null.", nameof(tensors));
        }

        byte[] header = BuildHeader(names, tensors, metadata);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"Cannot save '{path}': it names a root directory, not a file.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot save '{path}': directory '{directory}' does not exist; create it first.");

        AtomicFile.Write(fullPath, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var name in names) WriteData(stream, tensors[name]);
        });
    }

    /// <summary>
    /// Reads a safetensors file after validating its header completely (structure, dtypes, shapes, offsets, and that
    /// the tensors tile the data section exactly). Every defect is reported as an <see cref="InvalidDataException"/>
    /// naming the file and the problem. The returned tensors are new leaves that do not require gradients.
    /// </summary>
    public static SafeTensorsFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Bad(path, $"the file is {fileLength} bytes long, shorter than the 8-byte header length every safetensors file starts with");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw Bad(path, $"the header length is {headerLength} bytes, which is absurd (the limit is {MaxHeaderBytes} bytes); the file is corrupt or not a safetensors file");
        if ((long)headerLength > fileLength - 8)
            throw Bad(path, $"the header length is {headerLength} bytes but only {fileLength - 8} bytes follow it; the file is truncated or corrupt");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;
        var entries = ParseHeader(path, header, dataLength, out var metadata);

        // The tensors must tile the data section exactly: sorted by offset, each begins where the previous ended.
        var byOffset = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expected = 0;
        Entry? previous = null;
        foreach (var e in byOffset)
        {
            if (e.Begin < expected)
                throw Bad(path, $"tensor '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps tensor '{previous!.Name}' (bytes {previous.Begin}..{previous.End})");
            if (e.Begin > expected)
                throw Bad(path, $"the data section has a hole: bytes {expected}..{e.Begin} before tensor '{e.Name}' belong to no tensor");
            expected = e.End;
            previous = e;
        }
        if (expected != dataLength)
            throw Bad(path, $"the data section is {dataLength} bytes but the tensors cover only {expected}; the {dataLength - expected} bytes after them are trailing garbage");

        // The stream stands at the start of the data section; the tiling check lets us read the tensors in offset order.
        var loaded = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var e in byOffset)
            loaded[e.Name] = e.DType == DType.Float32 ? ReadData<float>(stream, e.Shape, e.Numel) : ReadData<double>(stream, e.Shape, e.Numel);
        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var name in loaded.Keys.Order(StringComparer.Ordinal)) tensors[name] = loaded[name];
        return new SafeTensorsFile(tensors, metadata);
    }

    private sealed record Entry(string Name, DType DType, int[] Shape, int Numel, long Begin, long End);

    private static InvalidDataException Bad(string path, string problem) =>
        new($"Cannot load safetensors file '{path}': {problem}.");

    private static List<Entry> ParseHeader(string path, byte[] header, long dataLength, out Dictionary<string, string> metadata)
    {
        if (!Utf8.IsValid(header))
            throw Bad(path, "the header is not valid UTF-8 text");
        if (header.Length == 0 || header[0] != (byte)'{')
            throw Bad(path, "the header is not a JSON object (it must start with '{')");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            throw Bad(path, $"the header is not valid JSON ({ex.Message})");
        }

        using (document)
        {
            // Valid JSON that starts with '{' is an object.
            var root = document.RootElement;
            metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!names.Add(name))
                    throw Bad(path, $"the header names '{name}' twice");
                if (name == MetadataKey)
                {
                    ParseMetadata(path, property.Value, metadata);
                    continue;
                }
                entries.Add(ParseEntry(path, name, property.Value, dataLength));
            }
            return entries;
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"'{MetadataKey}' must be a JSON object of strings but is a JSON {value.ValueKind}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Bad(path, $"metadata entry '{item.Name}' must be a string but is a JSON {item.Value.ValueKind}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Bad(path, $"metadata names '{item.Name}' twice");
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"entry '{name}' must be a JSON object with dtype, shape and data_offsets but is a JSON {value.ValueKind}");

        if (!value.TryGetProperty("dtype", out var dtypeElement))
            throw Bad(path, $"tensor '{name}' has no dtype");
        if (dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}' has a malformed dtype: expected a string such as \"F32\" but found a JSON {dtypeElement.ValueKind}");
        string dtypeName = dtypeElement.GetString()!;
        DType dtype = dtypeName switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            _ when KnownDTypes.Contains(dtypeName) => throw Bad(path,
                $"tensor '{name}' has dtype {dtypeName}, which is not supported: only F32 and F64 can be loaded; convert the tensor to float32 or float64 before saving"),
            _ => throw Bad(path, $"tensor '{name}' has unknown dtype '{dtypeName}'"),
        };
        int elementSize = dtype == DType.Float32 ? 4 : 8;

        if (!value.TryGetProperty("shape", out var shapeElement))
            throw Bad(path, $"tensor '{name}' has no shape");
        if (shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}' has a malformed shape: expected an array of sizes but found a JSON {shapeElement.ValueKind}");
        var shape = new int[shapeElement.GetArrayLength()];
        long numel = 1;
        int d = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size))
                throw Bad(path, $"tensor '{name}' has a malformed shape: dim {d} is {dim.GetRawText()}, not an integer");
            if (size < 0)
                throw Bad(path, $"tensor '{name}' has a negative size {size} in dim {d} of its shape");
            if (size > int.MaxValue)
                throw Bad(path, $"tensor '{name}' has size {size} in dim {d}, larger than a tensor dimension can be");
            shape[d++] = (int)size;
            numel *= size;
            if (numel > Array.MaxLength)
                throw Bad(path, $"tensor '{name}' has more elements than one tensor can hold");
        }

        if (!value.TryGetProperty("data_offsets", out var offsetsElement))
            throw Bad(path, $"tensor '{name}' has no data_offsets");
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}' has malformed data_offsets {offsetsElement.GetRawText()}: expected [begin, end]");
        long begin = ReadOffset(path, name, offsetsElement[0], "begin");
        long end = ReadOffset(path, name, offsetsElement[1], "end");
        if (end < begin)
            throw Bad(path, $"tensor '{name}' has data_offsets [{begin}, {end}] whose end is before its begin");
        long expectedBytes = numel * elementSize;
        if (end - begin != expectedBytes)
            throw Bad(path, $"tensor '{name}' has {end - begin} bytes of data (offsets [{begin}, {end}]) but its shape {ShapeUtil.Format(shape)} of {dtypeName} needs {numel} x {elementSize} = {expectedBytes}");
        if (end > dataLength)
            throw Bad(path, $"tensor '{name}' has data_offsets [{begin}, {end}] past the end of the {dataLength}-byte data section; the file is truncated or corrupt");
        return new Entry(name, dtype, shape, (int)numel, begin, end);
    }

    private static long ReadOffset(string path, string name, JsonElement element, string which)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long offset))
            throw Bad(path, $"tensor '{name}' has a malformed data_offsets {which} {element.GetRawText()}: expected a non-negative integer");
        if (offset < 0)
            throw Bad(path, $"tensor '{name}' has a negative data_offsets {which} {offset}");
        return offset;
    }

    private static byte[] BuildHeader(string[] names, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names readable; the header is never embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            long offset = 0;
            foreach (var name in names)
            {
                var t = tensors[name];
                long bytes = (long)t.Numel * (t.DType == DType.Float32 ? 4 : 8);
                writer.WriteStartObject(name);
                writer.WriteString("dtype", t.DType == DType.Float32 ? "F32" : "F64");
                writer.WriteStartArray("shape");
                foreach (int dim in t.Shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var key in metadata.Keys.Order(StringComparer.Ordinal))
                    writer.WriteString(key, metadata[key] ?? throw new ArgumentException($"Metadata value for '{key}' is null; use an empty string.", nameof(metadata)));
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int length = buffer.WrittenCount;
        int padded = (length + 7) & ~7;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, Tensor t)
    {
        int size = t.DType == DType.Float32 ? 4 : 8;
        var bytes = t.DType == DType.Float32 ? MemoryMarshal.AsBytes(t.AsSpan<float>()) : MemoryMarshal.AsBytes(t.AsSpan<double>());
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(bytes);
            return;
        }
        // Big-endian host: the format is little-endian, so swap each element's bytes through a buffer.
        var chunk = new byte[Math.Min(bytes.Length, 1 << 16)];
        for (int i = 0; i < bytes.Length; i += chunk.Length)
        {
            int n = Math.Min(chunk.Length, bytes.Length - i);
            bytes.Slice(i, n).CopyTo(chunk);
            for (int k = 0; k < n; k += size) chunk.AsSpan(k, size).Reverse();
            stream.Write(chunk, 0, n);
        }
    }

    private static Tensor ReadData<T>(Stream stream, int[] shape, int numel) where T : unmanaged
    {
        var storage = new T[numel];
        var bytes = MemoryMarshal.AsBytes(storage.AsSpan());
        stream.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian)
        {
            int size = Marshal.SizeOf<T>();
            for (int k = 0; k < bytes.Length; k += size) bytes.Slice(k, size).Reverse();
        }
        return new Tensor(storage, 0, shape, Tensor.DTypeOf<T>());
    }
}
