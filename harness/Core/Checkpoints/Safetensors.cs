using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace PeftBench.Core.Checkpoints;

/// <summary>One tensor entry of a safetensors header: dtype, shape and byte range inside the data section.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The safetensors format (Hugging Face): 8-byte little-endian header length, a JSON header mapping names to
/// dtype / shape / data_offsets (plus an optional <c>__metadata__</c> string map), then raw little-endian data.
/// TorchSharp has no reader for it, and it is what every Hugging Face checkpoint ships. Floating tensors load
/// as float32 (the harness computes in float32 on CPU); integer tensors keep their width. The writer emits
/// F32 and I64 only, with sorted keys and the header padded with spaces to an 8-byte boundary, as the
/// reference implementation does, so files are byte-identical for identical tensors.
/// </summary>
public static class Safetensors
{
    private static readonly IReadOnlyDictionary<string, int> ElementSizes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["F64"] = 8, ["I64"] = 8, ["I32"] = 4,
    };

    /// <summary>Reads the header only (names, dtypes, shapes, metadata), e.g. to count parameters cheaply.</summary>
    public static (IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        var (entries, metadata, _) = ReadHeader(stream, path);
        return (entries, metadata);
    }

    /// <summary>Loads every tensor (floats as float32) and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var stream = File.OpenRead(path);
        var (entries, metadata, dataStart) = ReadHeader(stream, path);
        var dataLength = stream.Length - dataStart;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.End > dataLength)
                throw new InvalidDataException($"{path}: tensor '{e.Name}' ends at byte {e.End} of the data section, but the file holds only {dataLength} data bytes (truncated file?).");
            var bytes = new byte[e.End - e.Begin];
            stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
            tensors[e.Name] = ToTensor(e, bytes);
        }
        return (tensors, metadata);
    }

    /// <summary>Writes float32 and int64 tensors (other types are converted: floats → F32, integers → I64).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; this writer assumes a little-endian host.");
        var blobs = new SortedDictionary<string, (string DType, long[] Shape, byte[] Bytes)>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            using var t = tensor.detach().cpu().contiguous();
            var shape = t.shape.ToArray();
            if (!is_floating_point(t) && !is_complex(t))
            {
                using var l = t.to_type(ScalarType.Int64);
                blobs.Add(name, ("I64", shape, MemoryMarshal.AsBytes(l.data<long>().ToArray().AsSpan()).ToArray()));
            }
            else
            {
                using var f = t.to_type(ScalarType.Float32);
                blobs.Add(name, ("F32", shape, MemoryMarshal.AsBytes(f.data<float>().ToArray().AsSpan()).ToArray()));
            }
        }
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var (name, blob) in blobs)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = blob.DType,
                ["shape"] = new JsonArray(blob.Shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + blob.Bytes.Length)),
            };
            offset += blob.Bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad with spaces so the data section starts 8-byte aligned (8 length bytes + header).
        var padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        Array.Fill(headerBytes, (byte)' ');
        json.CopyTo(headerBytes, 0);

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var stream = File.Create(tmp))
        {
            stream.Write(BitConverter.GetBytes((ulong)padded));
            stream.Write(headerBytes);
            foreach (var blob in blobs.Values) stream.Write(blob.Bytes);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static (List<SafetensorsEntry>, Dictionary<string, string>, long DataStart) ReadHeader(Stream stream, string path)
    {
        if (stream.Length < 8) throw new InvalidDataException($"{path}: {stream.Length} bytes is too short for a safetensors file (truncated?).");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > (ulong)(stream.Length - 8))
            throw new InvalidDataException($"{path}: header claims {headerLength} bytes but only {stream.Length - 8} follow (truncated or not a safetensors file).");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonNode? root;
        try { root = JsonNode.Parse(headerBytes); }
        catch (JsonException ex) { throw new InvalidDataException($"{path}: header is not valid JSON ({ex.Message}).", ex); }
        if (root is not JsonObject obj) throw new InvalidDataException($"{path}: header is not a JSON object.");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<SafetensorsEntry>();
        foreach (var (name, node) in obj)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject m) foreach (var (k, v) in m) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var dtype = node?["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no dtype.");
            if (!ElementSizes.TryGetValue(dtype, out var size))
                throw new InvalidDataException($"{path}: tensor '{name}' has dtype {dtype}; supported: {string.Join(", ", ElementSizes.Keys)}.");
            var shape = node["shape"]?.AsArray().Select(s => s!.GetValue<long>()).ToArray() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no shape.");
            var offsets = node["data_offsets"]?.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            if (offsets is not { Length: 2 } || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new InvalidDataException($"{path}: tensor '{name}' has invalid data_offsets.");
            var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            if (entry.ElementCount * size != entry.End - entry.Begin)
                throw new InvalidDataException($"{path}: tensor '{name}' ({dtype} [{string.Join(", ", shape)}]) needs {entry.ElementCount * size} bytes but its offsets span {entry.End - entry.Begin}.");
            entries.Add(entry);
        }
        return (entries, metadata, 8 + (long)headerLength);
    }

    private static Tensor ToTensor(SafetensorsEntry e, byte[] bytes)
    {
        var n = (int)e.ElementCount;
        switch (e.DType)
        {
            case "F32": return tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), e.Shape);
            case "F64":
                return tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray().Select(d => (float)d).ToArray(), e.Shape);
            case "F16":
                return tensor(MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (float)h).ToArray(), e.Shape);
            case "BF16":
            {
                // bfloat16 is the upper half of a float32.
                var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                var values = new float[n];
                for (int i = 0; i < n; i++) values[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                return tensor(values, e.Shape);
            }
            case "I64": return tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), e.Shape);
            case "I32": return tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), e.Shape);
            default: throw new InvalidDataException($"dtype {e.DType} is not supported.");
        }
    }
}
