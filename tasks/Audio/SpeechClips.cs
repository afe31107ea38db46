using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// Spoken-word clips the way Speech Commands (Warden, 2018) stores them: 16 kHz, one second per example. Shared by
/// tiny-ast's pretraining words and the embedded audio tasks, so both place and trim clips identically:
/// <see cref="Trim"/> keeps the speech of a synthesised word, <see cref="PlaceInOneSecond"/> puts a clip at a random
/// offset (or a random one-second window of a longer clip) in digital silence plus white noise at a random level
/// between −70 and −45 dBFS (so silence is not a constant a model can key on).
/// </summary>
public static class SpeechClips
{
    public const int SampleRateHz = 16000;
    public const int ExampleSamples = SampleRateHz;
    public const double QuietestNoiseDbfs = -70, LoudestNoiseDbfs = -45;
    /// <summary>Trimming keeps everything between the first and last sample above this level (−60 dBFS), plus 10 ms.</summary>
    public const double TrimThreshold = 0.001;
    public const int TrimMarginSamples = SampleRateHz / 100;

    /// <summary>A synthesised WAV → 16 kHz (<paramref name="resampler"/> from its rate), trimmed to its speech, 16-bit.</summary>
    public static short[] Trim(WavAudio audio, SincResampler resampler)
    {
        if (audio.SampleRateHz != resampler.FromHz || resampler.ToHz != SampleRateHz)
            throw new ArgumentException($"a {audio.SampleRateHz} Hz clip needs a {audio.SampleRateHz} → {SampleRateHz} Hz resampler, not {resampler.FromHz} → {resampler.ToHz}.");
        var wave = resampler.Resample(audio.Mono());
        int first = Array.FindIndex(wave, x => Math.Abs(x) > TrimThreshold), last = Array.FindLastIndex(wave, x => Math.Abs(x) > TrimThreshold);
        if (first < 0) return [];
        first = Math.Max(0, first - TrimMarginSamples);
        last = Math.Min(wave.Length - 1, last + TrimMarginSamples);
        return WavFile.ToPcm16(wave.AsSpan(first, last - first + 1));
    }

    /// <summary>The one-second example of a clip (samples in [−1, 1]): placement and noise drawn from <paramref name="rng"/>.</summary>
    public static float[] PlaceInOneSecond(ReadOnlySpan<float> clip, Random rng)
    {
        var wave = new float[ExampleSamples];
        int length = Math.Min(clip.Length, ExampleSamples);
        int start = clip.Length > ExampleSamples ? rng.Next(clip.Length - ExampleSamples + 1) : 0;
        int offset = rng.Next(ExampleSamples - length + 1);
        clip.Slice(start, length).CopyTo(wave.AsSpan(offset));
        double sigma = Math.Pow(10, (QuietestNoiseDbfs + (LoudestNoiseDbfs - QuietestNoiseDbfs) * rng.NextDouble()) / 20);
        for (int i = 0; i < ExampleSamples; i += 2)
        {
            // Box–Muller: two normal draws per pair of uniforms.
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble(), radius = sigma * Math.Sqrt(-2 * Math.Log(u1));
            wave[i] += (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < ExampleSamples) wave[i + 1] += (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
        return wave;
    }
}
