using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using PeftBench.Tasks.Audio;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>
/// An audio split prepared once for an AST: each clip is resampled to the backbone's rate (<see cref="SincResampler"/>,
/// torchaudio's sinc interpolation), zero-padded or cut (from its start) to the samples that make exactly the front
/// end's frame count, and turned into normalised log-mel frames by <see cref="LogMelFrontEnd"/> (Kaldi fbank, the
/// feature extractor's mean and std); kept as one float array [N, frames, mel bins].
/// Augmentation (training batches only, when the trainer passes a generator): <see cref="SpecAugment"/> with AST's
/// mask widths scaled to the backbone's bins and frames.
/// </summary>
public sealed class AudioSplit : IEncodedSplit
{
    private readonly float[] values;
    private readonly float[] labels;
    private readonly int frames, bins, tokens;

    public int Count => labels.Length;
    public IReadOnlyList<float> Labels => labels;
    public bool GroupByLength => false;
    public SpecAugment Masking { get; }

    public AudioSplit(IReadOnlyList<Example> examples, AudioInput input)
    {
        var features = input.Features;
        (frames, bins, tokens) = (features.MaxLength, features.NumMelBins, input.Tokens);
        Masking = SpecAugment.ScaledFromAst(bins, frames);
        // Kaldi's snip-edges framing: 1 + ⌊(N − W)/H⌋ frames, so this many samples give exactly max_length frames.
        int samples = features.WindowSamples + (frames - 1) * features.HopSamples;
        var resamplers = new Dictionary<int, SincResampler>();
        values = new float[examples.Count * frames * bins];
        try
        {
            using var frontEnd = new LogMelFrontEnd(features);
            for (int i = 0; i < examples.Count; i++)
            {
                var clip = examples[i] as AudioExample
                    ?? throw new NotSupportedException($"this backbone reads audio; example {i} is a {examples[i].GetType().Name}.");
                if (clip.SampleRate <= 0) throw new InvalidDataException($"audio example {i} has sample rate {clip.SampleRate} Hz.");
                var wave = clip.Samples;
                if (clip.SampleRate != features.SampleRateHz)
                {
                    if (!resamplers.TryGetValue(clip.SampleRate, out var resampler))
                        resamplers[clip.SampleRate] = resampler = new SincResampler(clip.SampleRate, features.SampleRateHz);
                    wave = resampler.Resample(wave);
                }
                var fitted = new float[samples];
                Array.Copy(wave, fitted, Math.Min(samples, wave.Length));
                using var scope = NewDisposeScope();
                frontEnd.Features(tensor(fitted)).data<float>().ToArray().CopyTo(values, i * frames * bins);
            }
        }
        finally
        {
            foreach (var r in resamplers.Values) r.Dispose();
        }
        labels = examples.Select(e => e.Label).ToArray();
    }

    public int LengthOf(int index) => tokens;
    public long TokenCount(IReadOnlyList<int> indices) => (long)indices.Count * tokens;

    /// <summary>The prepared example <paramref name="index"/> as [frames, mel bins] values.</summary>
    public ReadOnlySpan<float> Example(int index) => values.AsSpan(index * frames * bins, frames * bins);

    public (ModelInputs Batch, Tensor Labels) Batch(IReadOnlyList<int> indices, Device device, bool isRegression, Random? augmentation = null)
    {
        int size = frames * bins;
        var batch = new float[indices.Count * size];
        for (int b = 0; b < indices.Count; b++)
        {
            var target = batch.AsSpan(b * size, size);
            Example(indices[b]).CopyTo(target);
            if (augmentation is not null) Masking.Apply(target, frames, bins, augmentation);
        }
        return (new SpectrogramBatch(tensor(batch, new long[] { indices.Count, frames, bins }, device: device)),
            SplitLabels.Of(labels, indices, device, isRegression));
    }
}
