using System.Text;
using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>The safetensors contract: bit-exact round trips, the reference layout, every dtype read as documented, clear errors on damage.</summary>
public sealed class SafetensorsTests
{
    private string dir = "";

    [SetUp] public void SetUp() => dir = Directory.CreateTempSubdirectory("st-test-").FullName;
    [TearDown] public void TearDown() => Directory.Delete(dir, recursive: true);

    [Test]
    public void RoundTripIsBitExactWithSortedAlignedHeader()
    {
        var g = new Generator(7);
        var original = new Dictionary<string, Tensor>
        {
            ["z.weight"] = randn(new long[] { 3, 5 }, generator: g),
            ["a.bias"] = tensor(new[] { float.Epsilon, -0.0f, float.MaxValue, 1e-30f }),
            ["ids"] = tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }),
        };
        var path = Path.Combine(dir, "m.safetensors");
        Safetensors.Write(path, original, new Dictionary<string, string> { ["format"] = "pt" });
        var (read, meta) = Safetensors.Read(path);

        Assert.That(meta["format"], Is.EqualTo("pt"));
        foreach (var (k, v) in original)
        {
            Assert.That(read[k].dtype, Is.EqualTo(v.dtype), k);
            Assert.That(read[k].shape, Is.EqualTo(v.shape), k);
            if (v.dtype == ScalarType.Float32)
                Assert.That(read[k].data<float>().ToArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(v.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits)), k);
            else
                Assert.That(read[k].data<long>().ToArray(), Is.EqualTo(v.data<long>().ToArray()), k);
        }
        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BitConverter.ToUInt64(bytes, 0);
        Assert.That((8 + headerLength) % 8, Is.Zero, "data section must start 8-byte aligned");
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.That(header.IndexOf("\"a.bias\"", StringComparison.Ordinal), Is.LessThan(header.IndexOf("\"ids\"", StringComparison.Ordinal)));
        Assert.That(header.IndexOf("\"ids\"", StringComparison.Ordinal), Is.LessThan(header.IndexOf("\"z.weight\"", StringComparison.Ordinal)));

        // Writing the same tensors again gives the same bytes.
        var again = Path.Combine(dir, "again.safetensors");
        Safetensors.Write(again, read, meta);
        Assert.That(File.ReadAllBytes(again), Is.EqualTo(bytes));
    }

    [Test]
    public void ReadsHalfBFloatDoubleAndInt32()
    {
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes((Half)1.5f));
        data.AddRange(BitConverter.GetBytes((Half)(-2.0f)));
        data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(3.25f) >> 16)));
        data.AddRange(BitConverter.GetBytes(0.125));
        data.AddRange(BitConverter.GetBytes(-7));
        var header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
            + "\"d\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[6,14]},\"i\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[14,18]}}";
        var path = Path.Combine(dir, "mixed.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. Encoding.UTF8.GetBytes(header), .. data]);

        var (t, _) = Safetensors.Read(path);
        Assert.That(t["h"].data<float>().ToArray(), Is.EqualTo(new[] { 1.5f, -2.0f }));
        Assert.That(t["b"].item<float>(), Is.EqualTo(3.25f));
        Assert.That(t["d"].dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(t["d"].shape, Is.EqualTo(new long[] { 1, 1 }));
        Assert.That(t["d"].item<float>(), Is.EqualTo(0.125f));
        Assert.That(t["i"].dtype, Is.EqualTo(ScalarType.Int32));
        Assert.That(t["i"].item<int>(), Is.EqualTo(-7));
    }

    [Test]
    public void TruncatedFilesFailWithAClearMessage()
    {
        var path = Path.Combine(dir, "m.safetensors");
        Safetensors.Write(path, new Dictionary<string, Tensor> { ["w"] = ones(10, 10) });
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..^16]);
        Assert.That(() => Safetensors.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("truncated"));
        File.WriteAllBytes(path, bytes[..20]);
        Assert.That(() => Safetensors.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("truncated"));
        File.WriteAllBytes(path, bytes[..5]);
        Assert.That(() => Safetensors.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("too short"));
    }
}
