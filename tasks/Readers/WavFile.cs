using System.Buffers.Binary;
using System.Text;

namespace PeftBench.Tasks.Readers;

/// <summary>Decoded audio: interleaved samples in [−1, 1] (integer PCM divided by 2^(bits−1)), sample rate and channels.</summary>
public sealed record WavAudio(int SampleRateHz, int Channels, float[] Samples)
{
    public int Frames => Samples.Length / Channels;
    public double DurationSeconds => (double)Frames / SampleRateHz;

    /// <summary>The channels averaged into one (the samples themselves for mono audio).</summary>
    public float[] Mono()
    {
        if (Channels == 1) return Samples;
        var mono = new float[Frames];
        for (int f = 0; f < mono.Length; f++)
        {
            float sum = 0;
            for (int c = 0; c < Channels; c++) sum += Samples[f * Channels + c];
            mono[f] = sum / Channels;
        }
        return mono;
    }
}

/// <summary>
/// RIFF/WAVE files: integer PCM of 8 (unsigned), 16, 24 or 32 bits, IEEE float of 32 or 64 bits, plain or
/// <c>WAVE_FORMAT_EXTENSIBLE</c>; chunks other than <c>fmt </c> and <c>data</c> (LIST, fact …) are skipped. A data
/// chunk whose declared size runs past the end of the file (streamed writers such as <c>espeak-ng --stdout</c> leave
/// 0x7FFFFFFF) is read to the end of the file. 8-bit µ-law (ITU-T G.711, format 7) is read too: the embedded audio
/// tasks ship their clips in it (half the bytes of 16-bit PCM). The writers emit 16-bit PCM or µ-law, atomically.
/// </summary>
public static class WavFile
{
    private const ushort Pcm = 1, IeeeFloat = 3, MuLaw = 7, Extensible = 0xFFFE;

    public static WavAudio Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Read(bytes, path);
    }

    public static WavAudio Read(ReadOnlySpan<byte> bytes, string sourceForErrors)
    {
        if (bytes.Length < 12 || !bytes[..4].SequenceEqual("RIFF"u8) || !bytes.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new InvalidDataException($"{sourceForErrors}: not a RIFF/WAVE file.");
        (ushort Format, int Channels, int Rate, int Bits)? fmt = null;
        int offset = 12;
        while (offset + 8 <= bytes.Length)
        {
            var id = Encoding.ASCII.GetString(bytes.Slice(offset, 4));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(offset + 4, 4));
            int body = offset + 8;
            if (id == "fmt ")
            {
                if (size < 16 || body + 16 > bytes.Length) throw new InvalidDataException($"{sourceForErrors}: fmt chunk of {size} bytes is too short.");
                var f = bytes.Slice(body, (int)Math.Min(size, bytes.Length - body));
                ushort format = BinaryPrimitives.ReadUInt16LittleEndian(f);
                if (format == Extensible)
                {
                    if (f.Length < 26) throw new InvalidDataException($"{sourceForErrors}: WAVE_FORMAT_EXTENSIBLE fmt chunk without its sub-format.");
                    format = BinaryPrimitives.ReadUInt16LittleEndian(f.Slice(24, 2));
                }
                fmt = (format, BinaryPrimitives.ReadUInt16LittleEndian(f.Slice(2, 2)), BinaryPrimitives.ReadInt32LittleEndian(f.Slice(4, 4)),
                    BinaryPrimitives.ReadUInt16LittleEndian(f.Slice(14, 2)));
            }
            else if (id == "data")
            {
                if (fmt is not { } h) throw new InvalidDataException($"{sourceForErrors}: data chunk before the fmt chunk.");
                if (h.Channels <= 0 || h.Rate <= 0) throw new InvalidDataException($"{sourceForErrors}: {h.Channels} channels at {h.Rate} Hz.");
                int length = (int)Math.Min(size, bytes.Length - body);
                return new WavAudio(h.Rate, h.Channels, Decode(bytes.Slice(body, length), h.Format, h.Bits, h.Channels, sourceForErrors));
            }
            offset = body + (int)Math.Min(size + (size & 1), bytes.Length);
        }
        throw new InvalidDataException($"{sourceForErrors}: no data chunk.");
    }

    private static float[] Decode(ReadOnlySpan<byte> data, ushort format, int bits, int channels, string source)
    {
        int width = bits / 8;
        bool supported = (format == Pcm && bits is 8 or 16 or 24 or 32) || (format == IeeeFloat && bits is 32 or 64) || (format == MuLaw && bits == 8);
        if (!supported) throw new NotSupportedException($"{source}: WAV format {format} with {bits} bits per sample is not supported (PCM 8/16/24/32, float 32/64, µ-law 8).");
        int count = data.Length / width / channels * channels;
        var samples = new float[count];
        for (int i = 0; i < count; i++)
        {
            var s = data.Slice(i * width, width);
            samples[i] = (format, bits) switch
            {
                (Pcm, 8) => (s[0] - 128) / 128f,
                (MuLaw, _) => MuLawDecode(s[0]) / 32768f,
                (Pcm, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
                (Pcm, 24) => ((s[2] << 24 | s[1] << 16 | s[0] << 8) >> 8) / 8388608f,
                (Pcm, _) => (float)(BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0),
                (_, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
                _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
            };
        }
        return samples;
    }

    /// <summary>Writes 16-bit PCM (interleaved when <paramref name="channels"/> &gt; 1), through a temporary file.</summary>
    public static void Write(string path, ReadOnlySpan<short> samples, int sampleRateHz, int channels = 1)
    {
        var data = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(2 * i), samples[i]);
        WriteFile(path, Pcm, 16, data, samples.Length, sampleRateHz, channels);
    }

    /// <summary>Writes 8-bit µ-law (G.711) of 16-bit samples: 14-bit resolution near zero, 8 bits per sample.</summary>
    public static void WriteMuLaw(string path, ReadOnlySpan<short> samples, int sampleRateHz, int channels = 1)
    {
        var data = new byte[samples.Length];
        for (int i = 0; i < samples.Length; i++) data[i] = MuLawEncode(samples[i]);
        WriteFile(path, MuLaw, 8, data, samples.Length, sampleRateHz, channels);
    }

    private static void WriteFile(string path, ushort format, int bits, byte[] data, int samples, int sampleRateHz, int channels)
    {
        if (sampleRateHz <= 0 || channels <= 0 || samples % channels != 0)
            throw new ArgumentException($"{samples} samples, {channels} channels, {sampleRateHz} Hz do not make a WAV file.");
        int width = bits / 8, pad = data.Length & 1;
        var bytes = new byte[44 + data.Length + pad];
        var b = bytes.AsSpan();
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)(bytes.Length - 8));
        "WAVEfmt "u8.CopyTo(b[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b[20..], format);
        BinaryPrimitives.WriteUInt16LittleEndian(b[22..], (ushort)channels);
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], sampleRateHz);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], sampleRateHz * channels * width);
        BinaryPrimitives.WriteUInt16LittleEndian(b[32..], (ushort)(channels * width));
        BinaryPrimitives.WriteUInt16LittleEndian(b[34..], (ushort)bits);
        "data"u8.CopyTo(b[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[40..], (uint)data.Length);
        data.CopyTo(b[44..]);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, full, overwrite: true);
    }

    private const int MuLawBias = 0x84, MuLawClip = 32635;

    /// <summary>G.711 µ-law: sign, 3-bit segment (the position of the leading one of |x| + 132), 4-bit mantissa, inverted.</summary>
    public static byte MuLawEncode(short sample)
    {
        int sign = sample < 0 ? 0x80 : 0;
        int magnitude = Math.Min(Math.Abs((int)sample), MuLawClip) + MuLawBias;
        int exponent = 7;
        for (int mask = 0x4000; (magnitude & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
        int mantissa = (magnitude >> (exponent + 3)) & 0x0F;
        return (byte)~(sign | exponent << 4 | mantissa);
    }

    /// <summary>The 16-bit value a µ-law byte stands for (the middle of its quantisation step).</summary>
    public static short MuLawDecode(byte code)
    {
        int u = ~code & 0xFF;
        int exponent = (u >> 4) & 0x07, mantissa = u & 0x0F;
        int magnitude = ((mantissa << 3) + MuLawBias << exponent) - MuLawBias;
        return (short)((u & 0x80) != 0 ? -magnitude : magnitude);
    }

    /// <summary>Samples in [−1, 1] to 16-bit PCM: ×32768, rounded half to even, clipped to [−32768, 32767].</summary>
    public static short[] ToPcm16(ReadOnlySpan<float> samples)
    {
        var pcm = new short[samples.Length];
        for (int i = 0; i < samples.Length; i++) pcm[i] = (short)Math.Clamp(Math.Round(samples[i] * 32768.0), short.MinValue, short.MaxValue);
        return pcm;
    }
}
