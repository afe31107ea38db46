using System.Text.Json;
using System.Text.Json.Serialization;
using PeftBench.Core.Models;
using PeftBench.Reports;
using PeftBench.Tasks.Audio;
using PeftBench.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// <c>tiny-ast</c>: an audio spectrogram transformer (16 kHz, 64 mel bins × 96 frames ≈ 1 s, non-overlapping 8 × 8
/// patches → 8 × 12 = 96 tokens + CLS + distillation; d 128, 4 layers, 4 heads, FFN 512) pretrained with SSAST's joint
/// objective on English words synthesised by espeak-ng in eight voices. The words (tasks/data/sources/speech-words.txt)
/// exclude every word <see cref="DownstreamHoldout.IsReservedSpokenWord"/> keeps for the audio tasks (digits and
/// number words, keywords, letter names, NATO alphabet); every 9th word is held out of pretraining.
/// </summary>
public sealed class TinyAst : MaskedPatchBackbone
{
    public const string ReplayFile = "replay-clips.wav", HeldOutFile = "held-out-clips.wav", ClipsFile = "clips.json";
    public const string EspeakPackage = "espeak-ng=1.51+dfsg-10+deb12u2";
    public const int EspeakSampleRateHz = 22050;
    public const int HeldOutEvery = 9, ShippedHeldOutClips = 16, ProbeTrainVoices = 6;

    public override string Id => "tiny-ast";

    public override string Description =>
        "Tiny audio spectrogram transformer (16 kHz, 64 mel bins x 96 frames, 8x8 patches, 4 layers, d 128, 4 heads) pretrained by this project with SSAST masked spectrogram patch modelling on 800 English words synthesised by espeak-ng in 8 voices (no digits, number words or keywords).";

    public override PatchTransformerConfig Config => new AstConfig
    {
        NumMelBins = 64, MaxLength = 96, PatchSize = 8, FrequencyStride = 8, TimeStride = 8,
        HiddenSize = 128, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 512,
    };

    public override MaskedPatchRecipe DefaultRecipe => new()
    {
        Objective = "SSAST (Gong et al., AAAI 2022): mask token for masked spectrogram patches, linear heads, MSE reconstruction x10 + InfoNCE patch discrimination",
        MaskRatio = 0.75,
        ReconstructionLoss = "mse",
        ReconstructionWeight = 10.0,
        DiscriminativeWeight = 1.0,
        BatchSize = 16,
        PeakLearningRate = 5e-4,
        Steps = 2500,
        WarmupSteps = 200,
        ReplaySteps = 2,
        Augmentation = "each example is 1 s: the clip at a random offset (a random 1-s window if longer) plus white noise at a random level in [-70, -45] dBFS",
    };

    private AstConfig AstConfig => (AstConfig)Config;

    public static string WordsFile => Path.Combine(AppContext.BaseDirectory, "data", "sources", "speech-words.txt");
    public static string VoicesFile => Path.Combine(AppContext.BaseDirectory, "data", "sources", "speech-voices.txt");

    /// <summary>The word list in order (comment lines skipped); throws if a reserved word crept in.</summary>
    public static IReadOnlyList<string> Words()
    {
        var words = File.ReadAllLines(WordsFile).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Trim()).ToList();
        var reserved = words.Where(DownstreamHoldout.IsReservedSpokenWord).ToList();
        if (reserved.Count > 0) throw new InvalidDataException($"{WordsFile}: words reserved for the downstream audio tasks: {string.Join(", ", reserved)}.");
        return words;
    }

    public static IReadOnlyList<string> Voices() =>
        File.ReadAllLines(VoicesFile).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(' ')[0]).ToList();

    public static bool IsHeldOutWord(int index) => (index + 1) % HeldOutEvery == 0;

    public override MaskedPatchData Load(string sources, MaskedPatchRecipe recipe, TextWriter log)
    {
        var folder = Path.Combine(sources, "speech-words");
        Require(Path.Combine(folder, ".done"), "synthesised words (espeak-ng)");
        var words = Words();
        var voices = Voices().ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var resampler = new SincResampler(EspeakSampleRateHz, SpokenWordClips.SampleRateHz);
        var train = new List<SpokenClip>();
        var heldOut = new List<SpokenClip>();
        for (int w = 0; w < words.Count; w++)
            foreach (var voice in voices)
            {
                var clip = new SpokenClip(words[w], voice, SpokenWordClips.Prepare(WavFile.Read(Path.Combine(folder, voice, words[w] + ".wav")), resampler));
                (IsHeldOutWord(w) ? heldOut : train).Add(clip);
            }
        log.WriteLine(FormattableString.Invariant($"speech: {train.Count} training and {heldOut.Count} held-out clips ({words.Count} words x {voices.Count} voices), mean {train.Average(c => c.Samples.Length) / SpokenWordClips.SampleRateHz:F2} s after trimming; read in {clock.Elapsed.TotalSeconds:F0} s"));

        var statsRng = new Core.Seeding.SeedTree(recipe.Seed).Random("feature-statistics");
        var statsClips = train.OrderBy(_ => statsRng.Next()).Take(1000).ToList();
        var (mean, std) = SpokenWordClips.FeatureStatistics(statsClips, LogMelConfig.ForAst(AstConfig), statsRng);
        log.WriteLine(FormattableString.Invariant($"log-mel statistics over {statsClips.Count} training examples: mean {mean:F4} std {std:F4}"));
        var extractor = new AstFeatureExtractorConfig { NumMelBins = AstConfig.NumMelBins, MaxLength = AstConfig.MaxLength, SamplingRate = SpokenWordClips.SampleRateHz, Mean = mean, Std = std };
        var features = extractor.ToLogMelConfig();

        var heldOutWords = words.Where((_, i) => IsHeldOutWord(i)).ToList();
        var probeTrain = heldOut.Where(c => voices.IndexOf(c.Voice) < ProbeTrainVoices).ToList();
        var probeTest = heldOut.Where(c => voices.IndexOf(c.Voice) >= ProbeTrainVoices).ToList();
        long[] Labels(List<SpokenClip> clips) => clips.Select(c => (long)heldOutWords.IndexOf(c.Word)).ToArray();
        var probe = new ProbeData(
            $"spoken-word identity of the {heldOutWords.Count} held-out words: fit on voices {string.Join(",", voices.Take(ProbeTrainVoices))}, test on {string.Join(",", voices.Skip(ProbeTrainVoices))} (unseen speakers)",
            new SpokenWordClips(probeTrain, features), Labels(probeTrain), new SpokenWordClips(probeTest, features), Labels(probeTest), heldOutWords.Count);
        var corpus = new CorpusDescription
        {
            File = ReplayFile,
            Description = $"{words.Count} English words (tasks/data/sources/speech-words.txt: the most frequent words of 3-12 letters in tiny-bert's corpus that are not digits, number words, Speech Commands keywords, letter names, NATO alphabet words or their inflections) synthesised by espeak-ng in {voices.Count} voices (tasks/data/sources/speech-voices.txt; dialects en, en-us, en-gb-x-rp, en-gb-scotland, en-029, en-gb-x-gbclan, en-gb-x-gbcwmd; speeds 135-185 wpm; male and female variants), 22,050 Hz 16-bit WAV, resampled to 16 kHz (torchaudio's sinc_interp_hann), trimmed to the speech +-10 ms. Each example: {recipe.Augmentation}; Kaldi fbank, 64 mel bins, 25 ms Hann window, 10 ms hop, 96 frames, normalised (x - {mean:R}) / (2 * {std:R}) (preprocessor_config.json). Every {HeldOutEvery}th word is held out. The clips of the first {recipe.ReplaySteps} steps ship as {ReplayFile} and {ShippedHeldOutClips} held-out clips as {HeldOutFile} (16 kHz, concatenated; {ClipsFile} lists word, voice and length).",
            Sources = [$"{EspeakPackage} (Debian 12; GPL-3.0-or-later synthesiser, with espeak-ng-data, libespeak-ng1, libpcaudio0=1.2-2, libsonic0=0.2.0-12 as pinned in tasks/data/sources/fetch-media.sh)"],
            Lines = train.Count,
            HeldOutLines = heldOut.Count,
            TrainTokens = (long)train.Count * Config.NumPatches,
            Splits = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["pretrain"] = $"{words.Count - heldOutWords.Count} words x {voices.Count} voices",
                ["held_out"] = $"words at lines 9, 18, ... of the list ({heldOutWords.Count} words) x {voices.Count} voices: masked-patch loss and the linear probe",
                ["reserved_for_downstream"] = "no spoken digit, number word (zero-nineteen, tens, hundred, thousand, million, billion, ordinals), Speech Commands v2 keyword, letter name or NATO alphabet word, nor one of their inflections, was synthesised (PeftBench.Tasks.DownstreamHoldout)",
            },
        };
        return new MaskedPatchData(new SpokenWordClips(train, features), new SpokenWordClips(heldOut, features), corpus, extractor.ToJson(), probe);
    }

    public override IReadOnlyList<string> WriteShipped(string folder, MaskedPatchData data, IReadOnlyList<int> replayIndices)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, AstFeatureExtractorConfig.FileName), data.PreprocessorConfigJson + "\n");
        var train = ((SpokenWordClips)data.Train).Clips;
        var heldOut = ((SpokenWordClips)data.HeldOut).Clips;
        var replay = replayIndices.Select(i => train[i]).ToList();
        // Held-out clips of different words, cycling through the voices.
        var voices = heldOut.Select(c => c.Voice).Distinct().ToList();
        var shipped = heldOut.GroupBy(c => c.Word).Select((g, i) => g.First(c => c.Voice == voices[i % voices.Count])).Take(ShippedHeldOutClips).ToList();
        WriteClips(Path.Combine(folder, ReplayFile), replay);
        WriteClips(Path.Combine(folder, HeldOutFile), shipped);
        var index = new ClipIndex { Replay = replay.Select(ClipEntry.Of).ToList(), HeldOut = shipped.Select(ClipEntry.Of).ToList() };
        AtomicFile.WriteAllText(Path.Combine(folder, ClipsFile), JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return [AstFeatureExtractorConfig.FileName, ReplayFile, HeldOutFile, ClipsFile];
    }

    public override IPatchCorpus OpenShipped(string folder, string slice)
    {
        var index = JsonSerializer.Deserialize<ClipIndex>(File.ReadAllText(Path.Combine(folder, ClipsFile)))
            ?? throw new InvalidDataException($"{folder}/{ClipsFile}: empty.");
        var entries = slice == ReplaySlice ? index.Replay : index.HeldOut;
        var path = Path.Combine(folder, slice == ReplaySlice ? ReplayFile : HeldOutFile);
        var audio = WavFile.Read(path);
        if (audio.SampleRateHz != SpokenWordClips.SampleRateHz || audio.Channels != 1 || audio.Frames != entries.Sum(e => e.Samples))
            throw new InvalidDataException($"{path}: {audio.Frames} samples at {audio.SampleRateHz} Hz, {audio.Channels} channel(s); {ClipsFile} lists {entries.Sum(e => e.Samples)} at 16 kHz mono.");
        var pcm = WavFile.ToPcm16(audio.Samples);
        var clips = new List<SpokenClip>();
        int offset = 0;
        foreach (var e in entries)
        {
            clips.Add(new SpokenClip(e.Word, e.Voice, pcm.AsSpan(offset, e.Samples).ToArray()));
            offset += e.Samples;
        }
        return new SpokenWordClips(clips, AstFeatureExtractorConfig.Read(folder).ToLogMelConfig());
    }

    private static void WriteClips(string path, IReadOnlyList<SpokenClip> clips) =>
        WavFile.Write(path, clips.SelectMany(c => c.Samples).ToArray(), SpokenWordClips.SampleRateHz);

    private sealed record ClipIndex
    {
        [JsonPropertyName("replay")] public List<ClipEntry> Replay { get; init; } = [];
        [JsonPropertyName("held_out")] public List<ClipEntry> HeldOut { get; init; } = [];
    }

    private sealed record ClipEntry
    {
        [JsonPropertyName("word")] public string Word { get; init; } = "";
        [JsonPropertyName("voice")] public string Voice { get; init; } = "";
        [JsonPropertyName("samples")] public int Samples { get; init; }
        public static ClipEntry Of(SpokenClip c) => new() { Word = c.Word, Voice = c.Voice, Samples = c.Samples.Length };
    }
}
