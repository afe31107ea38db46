using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Tasks;
using PeftBench.Tasks.Audio;
using PeftBench.Tasks.Audio.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The audio tasks' readers on the committed fixtures (tests/fixtures/audio, written by make-fixtures.py: each
/// clip's first sample encodes its identity) and the embedded spoken-word tasks: split sizes, voice-disjoint splits,
/// balance, and determinism of the one-second placement.
/// </summary>
public class AudioTaskTests
{
    private static string Fixtures(params string[] parts) => Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", "audio", .. parts]);

    private static TaskData Load(string taskId, string? dataDir)
    {
        var task = TaskCatalog.Create().Get(taskId);
        var options = new DataOptions(dataDir);
        Assert.That(task.Data.Check(options), Is.Empty, task.Data.Describe(options));
        return task.Data.Load(options);
    }

    /// <summary>The first sample of each example, back in 16-bit units (the fixtures' identity codes).</summary>
    private static int[] Codes(IReadOnlyList<Example> split) => split.Cast<AudioExample>().Select(e => (int)Math.Round(e.Samples[0] * 32768)).ToArray();

    [Test]
    public void WavFixturesOfEachSampleFormatDecodeToTheirValues()
    {
        var pcm16 = WavFile.Read(Fixtures("formats", "pcm16.wav"));
        Assert.That((pcm16.SampleRateHz, pcm16.Channels), Is.EqualTo((8000, 1)));
        Assert.That(pcm16.Samples, Is.EqualTo(new[] { 0f, 0.5f, -0.5f, 32767 / 32768f, -1f }));
        Assert.That(WavFile.Read(Fixtures("formats", "pcm8.wav")).Samples, Is.EqualTo(new[] { 0f, 0.5f, -0.5f, 127 / 128f, -1f }));
        var float32 = WavFile.Read(Fixtures("formats", "float32.wav"));
        Assert.That((float32.SampleRateHz, float32.Samples), Is.EqualTo((22050, new[] { 0.25f, -0.75f, 1f })), "the fact chunk before data is skipped");
        var stereo = WavFile.Read(Fixtures("formats", "stereo16.wav"));
        Assert.That((stereo.Channels, stereo.Frames), Is.EqualTo((2, 2)));
        Assert.That(stereo.Mono(), Is.EqualTo(new[] { 0.25f, -0.5f }));
    }

    [Test]
    public void MuLawFollowsG711AndRoundTripsWithinHalfAStep()
    {
        // G.711 reference points: 0 ↔ 0xFF, the largest codes ±32124, and −1 in segment 0 (bias 132: step 8 near zero).
        Assert.That(WavFile.MuLawEncode(0), Is.EqualTo((byte)0xFF));
        Assert.That((WavFile.MuLawDecode(0x80), WavFile.MuLawDecode(0x00), WavFile.MuLawDecode(0xFF), WavFile.MuLawDecode(0x7F)), Is.EqualTo(((short)32124, (short)-32124, (short)0, (short)0)));
        Assert.That(WavFile.MuLawDecode(0xFE), Is.EqualTo((short)8));
        for (int x = short.MinValue; x <= short.MaxValue; x++)
        {
            // Segment e spans 2^(e+3) per code; values beyond the clip level (32635) saturate at 32124.
            int m = Math.Min(Math.Abs(x), 32635) + 132, e = Math.Max(0, (int)Math.Floor(Math.Log2(m)) - 7);
            int decoded = WavFile.MuLawDecode(WavFile.MuLawEncode((short)x)), tolerance = Math.Abs(x) > 32635 ? Math.Abs(x) - 32124 : 1 << (e + 3);
            if (Math.Abs(decoded - x) > tolerance) Assert.Fail($"{x} → {decoded}, more than {tolerance} away");
        }
        var path = Path.Combine(Path.GetTempPath(), $"mulaw-{Environment.ProcessId}.wav");
        try
        {
            WavFile.WriteMuLaw(path, [0, 1000, -1000, 32000], 16000);
            var audio = WavFile.Read(path);
            Assert.That((audio.SampleRateHz, audio.Channels, audio.Samples.Length), Is.EqualTo((16000, 1, 4)));
            Assert.That(audio.Samples.Select(s => (int)Math.Round(s * 32768)), Is.EqualTo(new[] { 0, 988, -988, 32124 }));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void WavFolderReaderLabelsBySortedClassFolderAndSkipsBackgroundNoise()
    {
        var root = Fixtures("wav-folder");
        Assert.That(WavFolderReader.Classes(root), Is.EqualTo(new[] { "cat", "dog" }));
        var examples = WavFolderReader.Read(root);
        Assert.That(examples.Select(e => e.Label), Is.EqualTo(new[] { 0f, 0f, 1f, 1f }));
        Assert.That(Codes(examples), Is.EqualTo(new[] { 1000, 1001, 2000, 2001 }));
        Assert.That(examples.All(e => e.SampleRate == 16000 && e.Samples.Length == 4), Is.True);
    }

    [TestCase(1, new[] { 110, 149 })]
    [TestCase(2, new[] { 200, 210 })]
    [TestCase(5, new[] { 510, 549 })]
    public void Esc50FoldTestsOnItsFoldAndTrainsOnTheOtherFour(int fold, int[] testCodes)
    {
        var data = Load($"audio/esc50-fold{fold}", Fixtures());
        Assert.That(data.Evaluation.Keys, Is.EqualTo(new[] { "test" }));
        Assert.That(Codes(data.Evaluation["test"]), Is.EqualTo(testCodes));
        // The code is 100 × fold + target: every test clip is of the fold, every training clip of another, labels = target.
        foreach (var e in data.Evaluation["test"].Concat(data.Train).Cast<AudioExample>())
            Assert.That(e.Label, Is.EqualTo((int)Math.Round(e.Samples[0] * 32768) % 100));
        Assert.That(Codes(data.Train).Select(c => c / 100).ToList(), Has.Count.EqualTo(8).And.No.Member(fold));
        Assert.That(data.Train.Cast<AudioExample>().All(e => e.SampleRate == 44100), Is.True);
        Assert.That(TaskCatalog.Create().Get($"audio/esc50-fold{fold}").Group, Is.EqualTo("esc50"));
    }

    [Test]
    public void Esc50ChecksSayWhatIsWrongAndHowToFixIt()
    {
        var task = TaskCatalog.Create().Get("audio/esc50-fold1");
        Assert.That(task.Data.Check(new DataOptions(null)).Single(), Does.Contain("--data-dir").And.Contain("meta/esc50.csv"));
        var wrong = task.Data.Check(new DataOptions(Fixtures("formats"))).Single();
        Assert.That(wrong, Does.Contain("ESC-50").And.Contain("does not exist"));
        var dir = Directory.CreateTempSubdirectory("esc50-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "ESC-50-master", "meta"));
            File.WriteAllText(Path.Combine(dir, "ESC-50-master", "meta", "esc50.csv"), "file,fold,target\nx.wav,1,0\n");
            Assert.That(task.Data.Check(new DataOptions(dir)).Single(), Does.Contain("lacks filename, category"));
            File.WriteAllText(Path.Combine(dir, "ESC-50-master", "meta", "esc50.csv"), "filename,fold,target,category\nx.wav,1,0,dog\n");
            Assert.That(task.Data.Check(new DataOptions(dir)).Single(), Does.Contain("1 clips listed").And.Contain("x.wav"));
            File.WriteAllText(Path.Combine(dir, "ESC-50-master", "meta", "esc50.csv"), "filename,fold,target,category\nx.wav,6,0,dog\n");
            Assert.That(task.Data.Check(new DataOptions(dir)).Single(), Does.Contain("line 2").And.Contain("fold 1-5"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void SpeechCommandsUsesTheListedSplitsAndLeavesOutOtherWordsAndNoise()
    {
        var data = Load("audio/speech-commands-10", Fixtures());
        // Code = 100 × word index + speaker (a = 0 train, b = 1 validation list, c = 2 testing list); 'bed' (index 10) is not a command.
        Assert.That(Codes(data.Train), Is.EqualTo(Enumerable.Range(0, 10).Select(i => 100 * i)));
        Assert.That(Codes(data.Evaluation["val"]), Is.EqualTo(Enumerable.Range(0, 10).Select(i => 100 * i + 1)));
        Assert.That(Codes(data.Evaluation["test"]), Is.EqualTo(Enumerable.Range(0, 10).Select(i => 100 * i + 2)));
        Assert.That(data.Train.Select(e => e.Label), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (float)i)));
        // The 35-word task needs every word folder: the fixture holds 11, so Check names the missing ones.
        var problems = TaskCatalog.Create().Get("audio/speech-commands").Data.Check(new DataOptions(Fixtures())).Single();
        Assert.That(problems, Does.Contain("no folder for backward").And.Contain("visual"));
        Assert.That(TaskCatalog.Create().Get("audio/speech-commands").Data.Check(new DataOptions(null)).Single(), Does.Contain("--data-dir"));
    }

    [TestCase("audio/digits")]
    [TestCase("audio/keywords")]
    public void EmbeddedTaskSplitsByVoiceIntoBalancedOneSecondExamples(string taskId)
    {
        var task = TaskCatalog.Create().Get(taskId);
        var data = Load(taskId, null);
        var pack = SpokenWordPack.Read(SpokenWordPack.EmbeddedFolder);
        var voices = SpokenWordPack.Splits.ToDictionary(s => s, s => pack.Manifest.Voices.Where(v => v.Split == s).ToList());
        Assert.That(voices.Values.Select(v => v.Count), Is.EqualTo(new[] { 20, 4, 8 }));
        // Speaker-independent: no voice, and no voice setting (dialect+variant, speed, pitch), is in two splits.
        var settings = voices.Values.Select(v => v.Select(x => (x.Voice, x.SpeedWpm, x.Pitch)).ToHashSet()).ToList();
        Assert.That(settings[0].Overlaps(settings[1]) || settings[0].Overlaps(settings[2]) || settings[1].Overlaps(settings[2]), Is.False);
        Assert.That(pack.Manifest.Voices.Select(v => v.Id).Distinct().Count(), Is.EqualTo(32));

        var splits = new Dictionary<string, IReadOnlyList<Example>> { ["train"] = data.Train, ["val"] = data.Evaluation["val"], ["test"] = data.Evaluation["test"] };
        Assert.That(data.Evaluation.Keys, Is.EquivalentTo(new[] { "val", "test" }));
        Assert.That((task.Primary.Split, task.ModelSelectionSplit, task.Head.Outputs), Is.EqualTo(("test", "val", 10)));
        foreach (var (name, split) in splits)
        {
            Assert.That(split, Has.Count.EqualTo(10 * voices[name].Count), name);
            for (int c = 0; c < 10; c++) Assert.That(split.Count(e => e.Label == c), Is.EqualTo(voices[name].Count), $"{name} class {c}");
            foreach (var e in split.Cast<AudioExample>())
            {
                Assert.That((e.SampleRate, e.Samples.Length), Is.EqualTo((16000, 16000)));
                // Speech well above the −45 dBFS noise ceiling, and within [−1, 1].
                Assert.That(e.Samples.Max(Math.Abs), Is.InRange(0.05f, 1.01f));
            }
        }
    }

    [Test]
    public void EmbeddedExamplesAreTheSameBytesOnEveryLoadAndDifferAcrossTasks()
    {
        var first = Load("audio/keywords", null);
        var second = Load("audio/keywords", null);
        foreach (var (a, b) in first.Train.Concat(first.Evaluation["test"]).Zip(second.Train.Concat(second.Evaluation["test"])))
            Assert.That(((AudioExample)a).Samples, Is.EqualTo(((AudioExample)b).Samples));
        // Placement and noise are drawn per task and example: two examples never share a noise draw.
        var digits = Load("audio/digits", null);
        Assert.That(((AudioExample)digits.Train[0]).Samples, Is.Not.EqualTo(((AudioExample)first.Train[0]).Samples));
        var placements = first.Train.Cast<AudioExample>().Select(e => Array.FindIndex(e.Samples, x => Math.Abs(x) > 0.02f)).Distinct().Count();
        Assert.That(placements, Is.GreaterThan(first.Train.Count / 2), "clips start at varied offsets");
    }

    [Test]
    public void ThePackMatchesItsManifestAndHoldsOnlyWordsTinyAstNeverHeard()
    {
        var folder = SpokenWordPack.EmbeddedFolder;
        var pack = SpokenWordPack.Read(folder);
        foreach (var (file, sha) in pack.Manifest.Sha256)
            Assert.That(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, file)))).ToLowerInvariant(), Is.EqualTo(sha), file);
        Assert.That(pack.Manifest.Words, Is.EquivalentTo(Digits.Words.Concat(Keywords.Words)));
        Assert.That(pack.Manifest.Words.All(DownstreamHoldout.IsReservedSpokenWord), Is.True);
        Assert.That(pack.Clips, Has.Count.EqualTo(pack.Manifest.Words.Count * pack.Manifest.Voices.Count));
        // Every clip fits in one second, so placement never crops a word; the whole pack stays small.
        Assert.That(pack.Clips.Max(c => c.Samples), Is.LessThanOrEqualTo(SpeechClips.ExampleSamples));
        Assert.That(Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length), Is.LessThan(6_000_000));
        Assert.That(pack.Manifest.Synthesiser, Has.Some.StartsWith("espeak-ng=1.51"));
    }

    [Test]
    public void SoundEventsAreBalancedDeterministicAndVoiceNothingButTheirLabel()
    {
        var data = Load("audio/sound-events", null);
        Assert.That((data.Train.Count, data.Evaluation["val"].Count, data.Evaluation["test"].Count), Is.EqualTo((400, 80, 160)));
        for (int c = 0; c < 8; c++) Assert.That(data.Train.Count(e => e.Label == c), Is.EqualTo(50));
        var again = Load("audio/sound-events", null);
        Assert.That(again.Evaluation["test"].Cast<AudioExample>().Select(e => e.Samples), Is.EqualTo(data.Evaluation["test"].Cast<AudioExample>().Select(e => e.Samples)));
        Assert.That(data.Train.Cast<AudioExample>().All(e => e.SampleRate == 16000 && e.Samples.Length == 16000), Is.True);
    }

    /// <summary>
    /// The frequency (80 Hz – 8 kHz) where a Hann-windowed segment's DFT magnitude peaks: a log grid of 0.77 % steps,
    /// then 0.02 % steps around the best point (a sinusoid's Hann main lobe is ≥ 2.7 Hz wide, so the grid never
    /// falls between a component and its lobe).
    /// </summary>
    private static double PeakHz(float[] x, int from, int count)
    {
        double Magnitude(double f)
        {
            double re = 0, im = 0, w = 2 * Math.PI * f / 16000;
            for (int n = 0; n < count; n++)
            {
                double v = x[from + n] * (0.5 - 0.5 * Math.Cos(2 * Math.PI * n / (count - 1)));
                re += v * Math.Cos(w * n); im += v * Math.Sin(w * n);
            }
            return re * re + im * im;
        }
        double coarse = Enumerable.Range(0, 600).Select(i => 80 * Math.Pow(100.0, i / 599.0)).MaxBy(Magnitude);
        return Enumerable.Range(-40, 81).Select(i => coarse * (1 + 0.0002 * i)).MaxBy(Magnitude);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public void EachSoundEventHasTheShapeItsLabelNames(int seed)
    {
        var rng = new Random(seed);
        for (int label = 0; label < SoundEvents.Classes.Count; label++)
        {
            var e = SoundEvents.Synthesise(label, rng);
            string name = SoundEvents.Classes[label];
            Assert.That((e.Label, e.Samples.Length), Is.EqualTo((label, 16000)));
            // The event stands well above the background noise (−26 dBFS at the quietest vs −45 at the loudest); sparse
            // clicks (2 ms every 25–125 ms) carry little energy, so for them the peaks are compared.
            double Rms(int from, int count) => Math.Sqrt(e.Samples.Skip(from).Take(count).Average(v => (double)v * v));
            double Peak(int from, int count) => e.Samples.Skip(from).Take(count).Max(Math.Abs);
            int quarter = e.LengthSamples / 4;
            bool before = e.OnsetSample >= 2000;
            int outFrom = before ? 0 : e.OnsetSample + e.LengthSamples, outCount = before ? e.OnsetSample : 16000 - outFrom;
            if (name == "click-train") Assert.That(Peak(e.OnsetSample, e.LengthSamples), Is.GreaterThan(1.5 * Peak(outFrom, outCount)), name);
            else Assert.That(Rms(e.OnsetSample + quarter, 2 * quarter), Is.GreaterThan(5 * Rms(outFrom, outCount)), name);
            double first = PeakHz(e.Samples, e.OnsetSample, quarter), last = PeakHz(e.Samples, e.OnsetSample + 3 * quarter, quarter);
            switch (name)
            {
                case "tone" or "harmonic" or "tremolo":
                    // The strongest component is the drawn frequency (the harmonic complex's fundamental has amplitude 1).
                    Assert.That(PeakHz(e.Samples, e.OnsetSample, e.LengthSamples), Is.EqualTo(e.FrequencyHz).Within(1).Percent, name);
                    break;
                case "chirp-up":
                    Assert.That(last, Is.GreaterThan(1.3 * first), name);
                    break;
                case "chirp-down":
                    Assert.That(first, Is.GreaterThan(1.3 * last), name);
                    break;
            }
        }
    }

    [Test]
    public void TheAudioSuitesListTheirTasksMethodsAndTinyAst()
    {
        var catalog = TaskCatalog.Create();
        var audio = Suites.Find("audio")!;
        Assert.That(audio.TaskIds, Is.EqualTo(new[] { "audio/digits", "audio/keywords", "audio/sound-events" }));
        Assert.That(audio.DefaultModels, Is.EqualTo(new[] { "tiny-ast" }));
        Assert.That(audio.DefaultMethods, Is.EqualTo(new[] { "full-ft", "linear-probe", "bitfit", "lora", "houlsby", "adaptformer", "vpt-shallow", "vpt-deep", "ssf" }));
        Assert.That(Suites.Find("esc50")!.TaskIds, Has.Count.EqualTo(5));
        foreach (var suite in new[] { "audio", "esc50", "speech-commands" })
            foreach (var id in Suites.TaskIds(suite))
                Assert.That((catalog.Get(id).Modality, catalog.Get(id).Suites.Single()), Is.EqualTo((Modality.Audio, suite)), id);
    }
}
