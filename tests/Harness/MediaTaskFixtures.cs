using PeftBench.Core.Catalogs;
using PeftBench.Core.Tasks;
using PeftBench.Harness;
using PeftBench.Tasks;

namespace PeftBench.Tests.Harness;

/// <summary>
/// Two tiny synthetic tasks, generated in the test, that exercise the whole image and audio input path: RGB images of
/// another size than tiny-vit's (so channel conversion and resizing run) whose class is which half is bright, and
/// 8 kHz clips shorter than tiny-ast's second (so resampling and padding run) whose class is a low or a high tone.
/// </summary>
public static class MediaTaskFixtures
{
    public const string ImageTaskId = "test/bright-half";
    public const string AudioTaskId = "test/tone-pitch";

    public static TaskSpec ImageTask(int train = 24, int validation = 8) => new(
        ImageTaskId, 1, "which half of a noisy RGB image is bright (synthetic, tests only)", ["test-media"], Modality.Image,
        HeadSpec.Classification("left", "right"), [new MetricSpec("accuracy", true, "validation", Accuracy)],
        new Source(seed => Images(seed, train), seed => Images(seed, validation), "embedded: synthetic bright-half images"));

    public static TaskSpec AudioTask(int train = 24, int validation = 8) => new(
        AudioTaskId, 1, "whether a noisy tone is low or high (synthetic, tests only)", ["test-media"], Modality.Audio,
        HeadSpec.Classification("low", "high"), [new MetricSpec("accuracy", true, "validation", Accuracy)],
        new Source(seed => Clips(seed, train), seed => Clips(seed, validation), "embedded: synthetic tones"));

    /// <summary>The real composition with the two test tasks added to its task catalog.</summary>
    public static Composition Composition() => new()
    {
        Tasks = new Catalog<TaskSpec>("task", TaskCatalog.Create().All.Concat([ImageTask(), AudioTask()]), t => t.Id),
    };

    private static double Accuracy(IReadOnlyList<float> predicted, IReadOnlyList<float> gold) =>
        gold.Count == 0 ? 0 : predicted.Zip(gold).Count(p => p.First == p.Second) / (double)gold.Count;

    /// <summary>20 × 24 RGB images; label 0: the left half is bright, 1: the right half.</summary>
    public static List<Example> Images(int seed, int count)
    {
        var rng = new Random(seed);
        const int h = 20, w = 24;
        return Enumerable.Range(0, count).Select(i =>
        {
            int label = i % 2;
            var pixels = new byte[3 * h * w];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        bool bright = (x < w / 2) == (label == 0);
                        pixels[(c * h + y) * w + x] = (byte)Math.Clamp((bright ? 200 : 40) + rng.Next(-30, 31), 0, 255);
                    }
            return (Example)new ImageExample(pixels, 3, h, w, label);
        }).ToList();
    }

    /// <summary>0.6 s at 8 kHz; label 0: a 300 Hz tone, 1: a 1.5 kHz tone, with a little noise.</summary>
    public static List<Example> Clips(int seed, int count)
    {
        var rng = new Random(seed);
        const int rate = 8000, samples = 4800;
        return Enumerable.Range(0, count).Select(i =>
        {
            int label = i % 2;
            double hz = label == 0 ? 300 : 1500, phase = rng.NextDouble() * 2 * Math.PI;
            var wave = new float[samples];
            for (int n = 0; n < samples; n++) wave[n] = (float)(0.5 * Math.Sin(2 * Math.PI * hz * n / rate + phase) + 0.01 * (rng.NextDouble() - 0.5));
            return (Example)new AudioExample(wave, rate, label);
        }).ToList();
    }

    private sealed class Source(Func<int, List<Example>> train, Func<int, List<Example>> validation, string description) : ITaskDataSource
    {
        public string Describe(DataOptions options) => description;
        public IEnumerable<string> Check(DataOptions options) => [];
        public TaskData Load(DataOptions options) =>
            new(train(1), new Dictionary<string, IReadOnlyList<Example>> { ["validation"] = validation(2) });
    }
}
