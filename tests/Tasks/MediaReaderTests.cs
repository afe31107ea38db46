using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NUnit.Framework;
using PeftBench.Tasks;
using PeftBench.Tasks.Audio;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The IDX and WAV readers on fixture files this test writes byte by byte (the formats' own layouts, not our writer's),
/// the writers' round trips, the resampler on a sine, and the reserved-word rule the audio pretraining obeys.
/// </summary>
public sealed class MediaReaderTests
{
    private string dir = "";

    [SetUp] public void MakeFolder() => dir = Directory.CreateTempSubdirectory("media-").FullName;
    [TearDown] public void RemoveFolder() => Directory.Delete(dir, recursive: true);

    /// <summary>An IDX file as MNIST ships it: 00 00 08 03, then 3 big-endian sizes, then pixels.</summary>
    private static byte[] IdxBytes(int[] shape, byte[] data)
    {
        var bytes = new List<byte> { 0, 0, 0x08, (byte)shape.Length };
        foreach (var d in shape) { var b = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, d); bytes.AddRange(b); }
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    [Test]
    public void IdxReadsImagesAndLabelsPlainOrGzipped()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
        File.WriteAllBytes(Path.Combine(dir, "images-idx3-ubyte"), IdxBytes([2, 3, 4], pixels));
        using (var gz = new GZipStream(File.Create(Path.Combine(dir, "labels-idx1-ubyte.gz")), CompressionLevel.Fastest))
            gz.Write(IdxBytes([2], [7, 9]));

        var images = IdxFile.Read(Path.Combine(dir, "images-idx3-ubyte"));
        Assert.That(images.Shape, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(images.ItemSize, Is.EqualTo(12));
        Assert.That(images.Item(1).ToArray(), Is.EqualTo(pixels.Skip(12).ToArray()));
        Assert.That(IdxFile.Read(Path.Combine(dir, "labels-idx1-ubyte.gz")).Data, Is.EqualTo(new byte[] { 7, 9 }));
        Assert.That(images.Select([1, 0]).Data, Is.EqualTo(pixels.Skip(12).Concat(pixels.Take(12)).ToArray()));
        Assert.That(images.Slice(1, 1).Shape, Is.EqualTo(new[] { 1, 3, 4 }));

        // The writer produces the same bytes the fixture was built from, and gzips by name.
        IdxFile.Write(Path.Combine(dir, "copy-idx3-ubyte"), images);
        Assert.That(File.ReadAllBytes(Path.Combine(dir, "copy-idx3-ubyte")), Is.EqualTo(IdxBytes([2, 3, 4], pixels)));
        IdxFile.Write(Path.Combine(dir, "copy-idx3-ubyte.gz"), images);
        Assert.That(IdxFile.Read(Path.Combine(dir, "copy-idx3-ubyte.gz")).Data, Is.EqualTo(pixels));
    }

    [Test]
    public void IdxRefusesOtherTypesAndTruncatedFiles()
    {
        var floats = IdxBytes([1], [0, 0, 0, 0]);
        floats[2] = 0x0D;
        File.WriteAllBytes(Path.Combine(dir, "floats"), floats);
        Assert.That(() => IdxFile.Read(Path.Combine(dir, "floats")), Throws.TypeOf<NotSupportedException>().With.Message.Contains("0x0D"));
        File.WriteAllBytes(Path.Combine(dir, "short"), IdxBytes([2, 2], [1, 2, 3]));
        Assert.That(() => IdxFile.Read(Path.Combine(dir, "short")), Throws.TypeOf<InvalidDataException>().With.Message.Contains("truncated"));
        File.WriteAllBytes(Path.Combine(dir, "text"), Encoding.ASCII.GetBytes("hello world"));
        Assert.That(() => IdxFile.Read(Path.Combine(dir, "text")), Throws.TypeOf<InvalidDataException>().With.Message.Contains("not an IDX file"));
    }

    /// <summary>A RIFF/WAVE file: fmt chunk (format, channels, rate, bits; the extensible sub-format if given), optional extra chunks, data.</summary>
    private static byte[] WavBytes(ushort format, int channels, int rate, int bits, byte[] data, bool extensible = false, bool listChunk = false, uint? declaredDataSize = null)
    {
        var body = new List<byte>();
        void U16(int v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); body.AddRange(b); }
        void U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); body.AddRange(b); }
        body.AddRange("WAVE"u8.ToArray());
        body.AddRange("fmt "u8.ToArray());
        U32(extensible ? 40u : 16u);
        U16(extensible ? 0xFFFE : format); U16(channels); U32((uint)rate); U32((uint)(rate * channels * bits / 8)); U16(channels * bits / 8); U16(bits);
        if (extensible) { U16(22); U16(bits); U32(0); U16(format); body.AddRange(new byte[14]); }
        if (listChunk) { body.AddRange("LIST"u8.ToArray()); U32(5); body.AddRange("INFOx"u8.ToArray()); body.Add(0); }
        body.AddRange("data"u8.ToArray());
        U32(declaredDataSize ?? (uint)data.Length);
        body.AddRange(data);
        var riff = new List<byte>("RIFF"u8.ToArray());
        var size = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)body.Count);
        riff.AddRange(size);
        riff.AddRange(body);
        return riff.ToArray();
    }

    [Test]
    public void WavDecodesEverySampleFormatToUnitRange()
    {
        // 16-bit: −32768 → −1, 16384 → 0.5; with a LIST chunk of odd size (padded) before the data.
        var pcm16 = WavFile.Read(WavBytes(1, 1, 16000, 16, [0x00, 0x80, 0x00, 0x40], listChunk: true), "pcm16");
        Assert.That(pcm16.Samples, Is.EqualTo(new[] { -1f, 0.5f }));
        Assert.That(pcm16.SampleRateHz, Is.EqualTo(16000));
        // 8-bit is unsigned: 0 → −1, 128 → 0, 192 → 0.5.
        Assert.That(WavFile.Read(WavBytes(1, 1, 8000, 8, [0, 128, 192]), "pcm8").Samples, Is.EqualTo(new[] { -1f, 0f, 0.5f }));
        // 24-bit little-endian two's complement: 0x400000 → 0.5, 0xC00000 → −0.5.
        Assert.That(WavFile.Read(WavBytes(1, 1, 8000, 24, [0, 0, 0x40, 0, 0, 0xC0]), "pcm24").Samples, Is.EqualTo(new[] { 0.5f, -0.5f }));
        // 32-bit float in WAVE_FORMAT_EXTENSIBLE.
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(floats, 0.25f);
        BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(4), -0.75f);
        Assert.That(WavFile.Read(WavBytes(3, 1, 22050, 32, floats, extensible: true), "float").Samples, Is.EqualTo(new[] { 0.25f, -0.75f }));
        // Stereo interleaved, mixed down by averaging.
        var stereo = WavFile.Read(WavBytes(1, 2, 8000, 16, [0x00, 0x40, 0x00, 0x00, 0x00, 0xC0, 0x00, 0xC0]), "stereo");
        Assert.That((stereo.Frames, stereo.Mono()), Is.EqualTo((2, new[] { 0.25f, -0.5f })));
        // A streamed file whose data size was never filled in (0x7FFFFFFF) reads to the end.
        Assert.That(WavFile.Read(WavBytes(1, 1, 22050, 16, [0x00, 0x40], declaredDataSize: 0x7FFFFFFF), "stream").Samples, Is.EqualTo(new[] { 0.5f }));
    }

    [Test]
    public void WavRefusesWhatItCannotDecode()
    {
        Assert.That(() => WavFile.Read("not a wave file"u8, "text"), Throws.TypeOf<InvalidDataException>().With.Message.Contains("RIFF"));
        Assert.That(() => WavFile.Read(WavBytes(1, 1, 8000, 12, [0, 0]), "pcm12"), Throws.TypeOf<NotSupportedException>().With.Message.Contains("12 bits"));
        Assert.That(() => WavFile.Read(WavBytes(2, 1, 8000, 4, [0, 0]), "adpcm"), Throws.TypeOf<NotSupportedException>().With.Message.Contains("format 2"));
    }

    [Test]
    public void WavWriterRoundTripsSixteenBitSamples()
    {
        short[] samples = [0, 1, -1, short.MaxValue, short.MinValue, 1234];
        var path = Path.Combine(dir, "clip.wav");
        WavFile.Write(path, samples, 16000);
        var audio = WavFile.Read(path);
        Assert.That((audio.SampleRateHz, audio.Channels, audio.DurationSeconds), Is.EqualTo((16000, 1, 6 / 16000.0)));
        Assert.That(WavFile.ToPcm16(audio.Samples), Is.EqualTo(samples));
        Assert.That(WavFile.ToPcm16([1.5f, -2f, 0.5f]), Is.EqualTo(new short[] { short.MaxValue, short.MinValue, 16384 }));
    }

    [Test]
    public void ResamplingKeepsASineAndHasTorchaudiosLength()
    {
        const int from = 22050, to = 16000, n = 22050;
        var sine = Enumerable.Range(0, n).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 1000.0 * i / from))).ToArray();
        using var resampler = new SincResampler(from, to);
        var resampled = resampler.Resample(sine);
        Assert.That(resampled, Has.Length.EqualTo((int)Math.Ceiling(n * 320.0 / 441)), "⌈length·new/orig⌉ as torchaudio");
        // Away from the edges (where the filter meets the zero padding) the output is the same sine sampled at 16 kHz.
        var error = Enumerable.Range(200, to - 400).Max(i => Math.Abs(resampled[i] - 0.5 * Math.Sin(2 * Math.PI * 1000.0 * i / to)));
        Assert.That(error, Is.LessThan(5e-3));
        using var identity = new SincResampler(from, from);
        Assert.That(identity.Resample(sine), Is.EqualTo(sine));
    }

    [Test]
    public void ReservedSpokenWordsCoverDigitsKeywordsAndTheirInflections()
    {
        foreach (var w in new[] { "seven", "seventh", "seventeen", "dogs", "following", "stopped", "tango", "forty", "you", "thousand", "Learn" })
            Assert.That(DownstreamHoldout.IsReservedSpokenWord(w), Is.True, w);
        foreach (var w in new[] { "garden", "water", "music", "ability", "gone" })
            Assert.That(DownstreamHoldout.IsReservedSpokenWord(w), Is.False, w);
    }
}
