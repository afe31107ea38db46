using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Audio;

/// <summary>One synthesiser voice of the pack and the split its clips belong to (train, val or test).</summary>
public sealed record PackedVoice(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("voice")] string Voice,
    [property: JsonPropertyName("speed_wpm")] int SpeedWpm,
    [property: JsonPropertyName("pitch")] int Pitch,
    [property: JsonPropertyName("split")] string Split);

/// <summary>One clip of the pack: a word in a voice, <see cref="Samples"/> samples from <see cref="Start"/> in the pack's WAV.</summary>
public sealed record PackedClip(
    [property: JsonPropertyName("word")] string Word,
    [property: JsonPropertyName("voice")] string Voice,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("samples")] int Samples);

/// <summary>The pack's manifest: how the clips were made, which voice is in which split, checksums of the files.</summary>
public sealed record SpokenWordManifest(
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("synthesiser")] IReadOnlyList<string> Synthesiser,
    [property: JsonPropertyName("rebuild")] string Rebuild,
    [property: JsonPropertyName("licence")] string Licence,
    [property: JsonPropertyName("sample_rate")] int SampleRateHz,
    [property: JsonPropertyName("words")] IReadOnlyList<string> Words,
    [property: JsonPropertyName("voices")] IReadOnlyList<PackedVoice> Voices,
    [property: JsonPropertyName("sha256")] IReadOnlyDictionary<string, string> Sha256);

/// <summary>
/// The embedded spoken words (<c>tasks/data/audio</c>): every word of <c>audio-words.txt</c> in every voice of
/// <c>audio-voices.txt</c>, synthesised by the pinned espeak-ng (<c>make-audio-data.sh</c>), resampled to 16 kHz,
/// trimmed (<see cref="SpeechClips.Trim"/>) and stored as 8-bit µ-law (G.711: about 38 dB signal-to-quantisation
/// ratio, half the bytes of 16-bit PCM, so four times the voices fit in the size budget), concatenated in voice then
/// word order in one WAV (<see cref="AudioFile"/>) with a JSON index (<see cref="IndexFile"/>) and a manifest
/// (<see cref="ManifestFile"/>: package versions and checksums, voice settings and splits, licence).
/// </summary>
public sealed class SpokenWordPack
{
    public const string AudioFile = "spoken-words.wav", IndexFile = "spoken-words.json", ManifestFile = "MANIFEST.json";
    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test"];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public SpokenWordManifest Manifest { get; }
    public IReadOnlyList<PackedClip> Clips { get; }
    private readonly float[] samples;

    private SpokenWordPack(SpokenWordManifest manifest, IReadOnlyList<PackedClip> clips, float[] samples) =>
        (Manifest, Clips, this.samples) = (manifest, clips, samples);

    /// <summary>The shipped pack: <c>data/audio</c> next to the binaries.</summary>
    public static string EmbeddedFolder => Path.Combine(AppContext.BaseDirectory, "data", "audio");

    public ReadOnlySpan<float> Samples(PackedClip clip) => samples.AsSpan(clip.Start, clip.Samples);

    /// <summary>The files a pack folder must hold, each missing one as a problem (what, where, how to fix).</summary>
    public static IEnumerable<string> Check(string folder) =>
        new[] { AudioFile, IndexFile, ManifestFile }.Select(f => Path.Combine(folder, f)).Where(p => !File.Exists(p))
            .Select(p => $"embedded audio file '{p}' does not exist. It ships with the program (tasks/data/audio): rebuild so that data/audio is copied next to the binaries, or regenerate it with `make audio-data`.");

    public static SpokenWordPack Read(string folder)
    {
        var manifest = JsonSerializer.Deserialize<SpokenWordManifest>(File.ReadAllText(Path.Combine(folder, ManifestFile)), Json)
            ?? throw new InvalidDataException($"{Path.Combine(folder, ManifestFile)}: empty manifest.");
        var clips = JsonSerializer.Deserialize<List<PackedClip>>(File.ReadAllText(Path.Combine(folder, IndexFile)), Json)
            ?? throw new InvalidDataException($"{Path.Combine(folder, IndexFile)}: empty index.");
        var audioPath = Path.Combine(folder, AudioFile);
        var audio = WavFile.Read(audioPath);
        if (audio.SampleRateHz != manifest.SampleRateHz || audio.Channels != 1)
            throw new InvalidDataException($"{audioPath}: {audio.Channels} channels at {audio.SampleRateHz} Hz, the manifest says mono at {manifest.SampleRateHz} Hz.");
        var bad = clips.FirstOrDefault(c => c.Start < 0 || c.Samples <= 0 || (long)c.Start + c.Samples > audio.Samples.Length);
        if (bad is not null) throw new InvalidDataException($"{Path.Combine(folder, IndexFile)}: clip {bad} lies outside the {audio.Samples.Length} samples of {AudioFile}.");
        return new SpokenWordPack(manifest, clips, audio.Samples);
    }

    /// <summary>Hex sha256 of a file's first 8 bytes, naming the embedded data in cell keys.</summary>
    public static string ShortChecksum(string path) => File.Exists(path)
        ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)), 0, 8).ToLowerInvariant()
        : "missing";

    /// <summary>Voices file lines: id, espeak-ng voice, speed (wpm), pitch, split; '#' starts a comment line.</summary>
    public static IReadOnlyList<PackedVoice> ReadVoices(string path) => Lines(path).Select(line =>
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 5 || !int.TryParse(f[2], out var speed) || !int.TryParse(f[3], out var pitch) || !Splits.Contains(f[4]))
            throw new InvalidDataException($"{path}: '{line}' is not 'id voice speed pitch split' with split one of {string.Join(", ", Splits)}.");
        return new PackedVoice(f[0], f[1], speed, pitch, f[4]);
    }).ToList();

    private static IEnumerable<string> Lines(string path) =>
        File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'));

    /// <summary>
    /// Packs the synthesised WAVs (<paramref name="wordsFolder"/>/VOICE-ID/WORD.wav) into <paramref name="outFolder"/>.
    /// Deterministic: the same WAVs give the same bytes.
    /// </summary>
    public static void Build(string wordsFolder, string voicesFile, string wordsFile, string packagesFile, string outFolder, TextWriter log)
    {
        var voices = ReadVoices(voicesFile);
        var words = Lines(wordsFile).ToList();
        var clips = new List<PackedClip>();
        var pcm = new List<short>();
        SincResampler? resampler = null;
        try
        {
            foreach (var voice in voices)
                foreach (var word in words)
                {
                    var path = Path.Combine(wordsFolder, voice.Id, word + ".wav");
                    var audio = WavFile.Read(path);
                    if (resampler is null || resampler.FromHz != audio.SampleRateHz) { resampler?.Dispose(); resampler = new SincResampler(audio.SampleRateHz, SpeechClips.SampleRateHz); }
                    var trimmed = SpeechClips.Trim(audio, resampler);
                    if (trimmed.Length == 0) throw new InvalidDataException($"{path}: no sample above −60 dBFS.");
                    clips.Add(new PackedClip(word, voice.Id, pcm.Count, trimmed.Length));
                    pcm.AddRange(trimmed);
                }
        }
        finally { resampler?.Dispose(); }

        Directory.CreateDirectory(outFolder);
        WavFile.WriteMuLaw(Path.Combine(outFolder, AudioFile), pcm.ToArray(), SpeechClips.SampleRateHz);
        File.WriteAllText(Path.Combine(outFolder, IndexFile), JsonSerializer.Serialize(clips, Json) + "\n");
        string Sha(string f) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(outFolder, f)))).ToLowerInvariant();
        var manifest = new SpokenWordManifest(
            $"{words.Count} English words x {voices.Count} espeak-ng voices ({string.Join(", ", Splits.Select(s => $"{voices.Count(v => v.Split == s)} {s}"))}): " +
            "22,050 Hz 16-bit WAV from espeak-ng, resampled to 16 kHz (torchaudio's sinc_interp_hann), trimmed to the speech (first to last sample above -60 dBFS, +-10 ms), " +
            "stored as 8-bit mu-law (G.711) and concatenated in voice then word order; spoken-words.json gives each clip's word, voice, first sample and length. " +
            "Splits are by voice (speaker-independent, as Speech Commands): a val or test voice is never heard in training.",
            Lines(packagesFile).ToList(),
            "make audio-data (tasks/data/sources/make-audio-data.sh: fetch-media.sh's pinned espeak-ng, then `build-audio-data`)",
            "The clips are output of espeak-ng (GPL-3.0-or-later), not a copy of it; the words are common English words and the voice settings are this project's. Shipped under the repository's licence.",
            SpeechClips.SampleRateHz, words, voices,
            new SortedDictionary<string, string>(StringComparer.Ordinal) { [AudioFile] = Sha(AudioFile), [IndexFile] = Sha(IndexFile) });
        File.WriteAllText(Path.Combine(outFolder, ManifestFile), JsonSerializer.Serialize(manifest, Json) + "\n");
        log.WriteLine(FormattableString.Invariant($"audio data: {clips.Count} clips ({words.Count} words x {voices.Count} voices), {pcm.Count / (double)SpeechClips.SampleRateHz:F1} s, mean {pcm.Count / (double)clips.Count / SpeechClips.SampleRateHz:F2} s per clip, in {outFolder}"));
    }
}
