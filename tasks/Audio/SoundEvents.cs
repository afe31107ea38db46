using PeftBench.Core.Seeding;
using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio;

/// <summary>One synthetic sound event: the one-second waveform, its class and the drawn parameters (exact labels).</summary>
public sealed record SoundEvent(float[] Samples, int Label, double FrequencyHz, int OnsetSample, int LengthSamples);

/// <summary>
/// Synthetic sound events, generated at load time with exact labels: one second at 16 kHz, the event at a random
/// onset, length 0.25–0.75 s, level −26…−6 dBFS, 5 ms raised-cosine edges (except clicks), over white noise at
/// −70…−45 dBFS as the spoken-word examples. Frequencies are log-uniform in 250–2,000 Hz (harmonic: 100–400 Hz).
/// Every parameter is drawn from a generator seeded by task id, split and example index (<see cref="SeedTree"/> of
/// seed 0, never the cell seed); label = index mod <see cref="Classes"/>, so every split is exactly balanced.
/// </summary>
public sealed class SoundEvents(string taskId, int train, int validation, int test) : ITaskDataSource
{
    public const int Rate = SpeechClips.SampleRateHz;
    public static readonly IReadOnlyList<string> Classes =
        ["tone", "chirp-up", "chirp-down", "noise-burst", "click-train", "tremolo", "harmonic", "beeps"];

    public string Describe(DataOptions options) => $"embedded: synthetic sound events generated at load time ({train}/{validation}/{test}, {Classes.Count} classes)";

    public IEnumerable<string> Check(DataOptions options) => [];

    public TaskData Load(DataOptions options)
    {
        var seeds = new SeedTree(0);
        IReadOnlyList<Example> Split(string name, int count) => Enumerable.Range(0, count)
            .Select(i => (Example)new AudioExample(Synthesise(i % Classes.Count, seeds.Random($"{taskId}/{name}/{i}")).Samples, Rate, i % Classes.Count)).ToList();
        return new TaskData(Split("train", train), new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal)
        {
            ["val"] = Split("val", validation),
            ["test"] = Split("test", test),
        });
    }

    /// <summary>One event of class <paramref name="label"/> with every parameter drawn from <paramref name="rng"/>.</summary>
    public static SoundEvent Synthesise(int label, Random rng)
    {
        double LogUniform(double lo, double hi) => lo * Math.Pow(hi / lo, rng.NextDouble());
        int length = (int)(Rate * (0.25 + 0.5 * rng.NextDouble()));
        int onset = rng.Next(Rate - length + 1);
        double amplitude = Math.Pow(10, (-26 + 20 * rng.NextDouble()) / 20);
        double f = label == 6 ? LogUniform(100, 400) : LogUniform(250, 2000);
        var wave = new float[Rate];
        var evt = new double[length];
        double phase = 0;
        switch (label)
        {
            case 0: // tone
                for (int n = 0; n < length; n++) evt[n] = Math.Sin(2 * Math.PI * f * n / Rate);
                break;
            case 1 or 2: // exponential sweep over 1-2 octaves, up or down: phase = integral of the instantaneous frequency
                double octaves = 1 + rng.NextDouble();
                for (int n = 0; n < length; n++)
                {
                    double progress = (double)n / length;
                    double fi = f * Math.Pow(2, octaves * (label == 1 ? progress : 1 - progress));
                    evt[n] = Math.Sin(phase);
                    phase += 2 * Math.PI * fi / Rate;
                }
                break;
            case 3: // white noise, uniform in [−√3, √3] (unit variance)
                for (int n = 0; n < length; n++) evt[n] = Math.Sqrt(3) * (2 * rng.NextDouble() - 1);
                break;
            case 4: // clicks: 2 ms decaying bursts every 1/r s, r = 8-40 per second
                double period = Rate / (8 + 32 * rng.NextDouble());
                for (double t = 0; t < length; t += period)
                    for (int n = (int)t, k = 0; n < length && k < Rate / 500; n++, k++) evt[n] = (k % 2 == 0 ? 1 : -1) * Math.Exp(-k / 8.0);
                break;
            case 5: // tremolo: a tone at f, amplitude modulated at 4-16 Hz, depth 90 %
                double fm = 4 + 12 * rng.NextDouble();
                for (int n = 0; n < length; n++) evt[n] = Math.Sin(2 * Math.PI * f * n / Rate) * (1 + 0.9 * Math.Sin(2 * Math.PI * fm * n / Rate)) / 1.9;
                break;
            case 6: // harmonic complex: harmonics 1-6 of f at 1/k amplitude
                for (int n = 0; n < length; n++)
                    for (int k = 1; k <= 6; k++) evt[n] += Math.Sin(2 * Math.PI * k * f * n / Rate) / k / 1.5;
                break;
            case 7: // beeps: 3-5 tone pulses of 40-80 ms, evenly spaced
                int pulses = 3 + rng.Next(3), pulse = (int)(Rate * (0.04 + 0.04 * rng.NextDouble()));
                for (int p = 0; p < pulses; p++)
                    for (int n = p * length / pulses, k = 0; k < pulse && n < length; n++, k++) evt[n] = Math.Sin(2 * Math.PI * f * k / Rate);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(label), $"sound event classes are 0-{Classes.Count - 1}.");
        }
        int edge = label == 4 ? 0 : Rate / 200;
        for (int n = 0; n < length; n++)
        {
            double gain = edge == 0 ? 1 : Math.Min(1, Math.Min(n, length - 1 - n) / (double)edge);
            wave[onset + n] = (float)(amplitude * evt[n] * (edge == 0 ? 1 : 0.5 - 0.5 * Math.Cos(Math.PI * gain)));
        }
        // Background noise as the spoken-word examples (placement of an empty clip adds only the noise).
        var noise = SpeechClips.PlaceInOneSecond([], rng);
        for (int n = 0; n < Rate; n++) wave[n] += noise[n];
        return new SoundEvent(wave, label, f, onset, length);
    }
}
