using PeftBench.Core.Models;
using PeftBench.Tasks.Audio;
using PeftBench.Tasks.Readers;
using static TorchSharp.torch;

namespace PeftBench.Harness.Pretraining;

/// <summary>One synthesised word: 16 kHz 16-bit samples trimmed to the speech (plus 10 ms either side).</summary>
public sealed record SpokenClip(string Word, string Voice, short[] Samples);

/// <summary>
/// Spoken words as tiny-ast's pretraining examples. Each example is one second at 16 kHz, as Speech Commands clips
/// are: the clip placed at a random offset (a random one-second window of a longer clip) in digital silence, plus
/// white noise at a random level between −70 and −45 dBFS (so silence is not a constant the model learns to
/// predict), then the log-mel front end (<see cref="LogMelFrontEnd"/>, AST's Kaldi fbank) with the pretraining
/// set's mean and std. Clips come from <c>fetch-media.sh</c>'s espeak-ng WAVs (22,050 Hz), resampled to 16 kHz
/// (<see cref="SincResampler"/>), trimmed and stored as 16-bit samples, so the shipped replay clips are exact.
/// </summary>
public sealed class SpokenWordClips : IPatchCorpus, IDisposable
{
    public const int SampleRateHz = SpeechClips.SampleRateHz;
    public const int ExampleSamples = SpeechClips.ExampleSamples;

    private readonly LogMelFrontEnd frontEnd;

    public IReadOnlyList<SpokenClip> Clips { get; }
    public int Count => Clips.Count;

    public SpokenWordClips(IReadOnlyList<SpokenClip> clips, LogMelConfig features)
    {
        Clips = clips;
        frontEnd = new LogMelFrontEnd(features);
    }

    public ExampleBatch Batch(IReadOnlyList<int> indices, Random rng, bool augment)
    {
        using var scope = NewDisposeScope();
        var waveforms = indices.Select(i => tensor(Example(Clips[i], rng))).ToList();
        var features = frontEnd.Batch(waveforms).InputValues;
        return new ExampleBatch(features.data<float>().ToArray(), features.shape, t => new SpectrogramBatch(t));
    }

    /// <summary>The one-second example of a clip: placement and noise drawn from <paramref name="rng"/> (<see cref="SpeechClips.PlaceInOneSecond"/>).</summary>
    public static float[] Example(SpokenClip clip, Random rng) => SpeechClips.PlaceInOneSecond(clip.Samples.Select(s => s / 32768f).ToArray(), rng);

    /// <summary>A synthesised WAV → 16 kHz, trimmed to its speech, 16-bit (<see cref="SpeechClips.Trim"/>).</summary>
    public static short[] Prepare(WavAudio audio, SincResampler resampler) => SpeechClips.Trim(audio, resampler);

    /// <summary>Mean and population std of the unnormalised log-mel features of one example of each clip (AST's dataset statistics).</summary>
    public static (double Mean, double Std) FeatureStatistics(IReadOnlyList<SpokenClip> clips, LogMelConfig features, Random rng)
    {
        using var raw = new LogMelFrontEnd(features with { Normalize = false });
        double sum = 0, squares = 0;
        long n = 0;
        foreach (var clip in clips)
        {
            using var scope = NewDisposeScope();
            var f = raw.Features(tensor(Example(clip, rng))).to_type(ScalarType.Float64);
            sum += f.sum().item<double>();
            squares += f.pow(2).sum().item<double>();
            n += f.numel();
        }
        double mean = sum / n;
        return (mean, Math.Sqrt(squares / n - mean * mean));
    }

    public void Dispose() => frontEnd.Dispose();
}
