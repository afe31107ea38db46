using System.Buffers.Binary;
using System.IO.Compression;

namespace PeftBench.Tasks.Readers;

/// <summary>An IDX array of unsigned bytes: <see cref="Shape"/> (first dimension = items) and the row-major data.</summary>
public sealed record IdxArray(int[] Shape, byte[] Data)
{
    public int Count => Shape[0];

    /// <summary>Bytes per item (28·28 = 784 for an MNIST image, 1 for a label).</summary>
    public int ItemSize => Shape.Skip(1).Aggregate(1, (a, b) => a * b);

    public ReadOnlySpan<byte> Item(int index) => Data.AsSpan(index * ItemSize, ItemSize);

    /// <summary>Items [start, start + count) as a new array.</summary>
    public IdxArray Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"items [{start}, {start + count}) are outside [0, {Count}).");
        return new IdxArray([count, .. Shape.Skip(1)], Data.AsSpan(start * ItemSize, count * ItemSize).ToArray());
    }

    /// <summary>The given items, in the given order.</summary>
    public IdxArray Select(IReadOnlyList<int> indices)
    {
        var data = new byte[indices.Count * ItemSize];
        for (int i = 0; i < indices.Count; i++) Item(indices[i]).CopyTo(data.AsSpan(i * ItemSize));
        return new IdxArray([indices.Count, .. Shape.Skip(1)], data);
    }
}

/// <summary>
/// The IDX format of MNIST (LeCun et al., 1998) and Fashion-MNIST (Xiao et al., 2017): two zero bytes, a type byte
/// (0x08 = unsigned byte), the number of dimensions, each dimension as a big-endian int32, then the data in row-major
/// order. Files may be gzipped (detected by the gzip magic, whatever the name). Only unsigned bytes are read and
/// written: that is what MNIST-style images and labels are; other types are refused by name.
/// </summary>
public static class IdxFile
{
    public const byte UnsignedByte = 0x08;

    public static IdxArray Read(string path)
    {
        using var file = File.OpenRead(path);
        using var stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(stream, magic, path, "the 4-byte magic");
        if (magic[0] != 0 || magic[1] != 0) throw new InvalidDataException($"{path}: not an IDX file (magic {Convert.ToHexString(magic)}; expected 0000TTDD).");
        if (magic[2] != UnsignedByte)
            throw new NotSupportedException($"{path}: IDX element type 0x{magic[2]:X2} is not supported (only 0x08, unsigned byte, as MNIST images and labels use).");
        int dims = magic[3];
        if (dims == 0) throw new InvalidDataException($"{path}: IDX file with zero dimensions.");
        var shape = new int[dims];
        Span<byte> size = stackalloc byte[4];
        long total = 1;
        for (int d = 0; d < dims; d++)
        {
            ReadExactly(stream, size, path, $"dimension {d}");
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(size);
            if (shape[d] < 0) throw new InvalidDataException($"{path}: dimension {d} is negative ({shape[d]}).");
            total *= shape[d];
        }
        if (total > Array.MaxLength) throw new InvalidDataException($"{path}: {total} elements is too large to load.");
        var data = new byte[total];
        ReadExactly(stream, data, path, $"{total} data bytes for shape [{string.Join(", ", shape)}]");
        if (stream.ReadByte() != -1) throw new InvalidDataException($"{path}: trailing bytes after the [{string.Join(", ", shape)}] data.");
        return new IdxArray(shape, data);
    }

    /// <summary>Writes an unsigned-byte IDX file, gzipped when the name ends in <c>.gz</c>; atomically (temporary file, then rename).</summary>
    public static void Write(string path, IdxArray array)
    {
        if (array.Shape.Length is 0 or > 255) throw new ArgumentException($"IDX holds 1–255 dimensions, not {array.Shape.Length}.");
        if (array.Shape.Aggregate(1L, (a, b) => a * b) != array.Data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", array.Shape)}] does not match {array.Data.Length} bytes.");
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".{Environment.ProcessId}.tmp";
        using (var file = File.Create(tmp))
        using (var stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.SmallestSize) : (Stream)file)
        {
            stream.Write([0, 0, UnsignedByte, (byte)array.Shape.Length]);
            Span<byte> size = stackalloc byte[4];
            foreach (var d in array.Shape)
            {
                BinaryPrimitives.WriteInt32BigEndian(size, d);
                stream.Write(size);
            }
            stream.Write(array.Data);
        }
        File.Move(tmp, full, overwrite: true);
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int read = file.Read(head);
        file.Seek(0, SeekOrigin.Begin);
        return read == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path, string what)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = stream.Read(buffer[done..]);
            if (n == 0) throw new InvalidDataException($"{path}: file ends before {what} (truncated?).");
            done += n;
        }
    }
}
