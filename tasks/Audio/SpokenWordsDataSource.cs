using PeftBench.Core.Seeding;
using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// An embedded spoken-word task: the given words (label = index in <see cref="Words"/>) from the shipped
/// <see cref="SpokenWordPack"/>, one example per clip, split by voice as the pack's manifest lists (train, val, test).
/// Each clip is placed in one second of audio as Speech Commands clips are (<see cref="SpeechClips.PlaceInOneSecond"/>:
/// random offset, noise at −70…−45 dBFS) with a generator seeded from the task id, the split and the example's index
/// only (<see cref="SeedTree"/> of seed 0), never from the cell seed: every cell, method and run sees the same examples.
/// The data is always the embedded pack; <c>--data-dir</c> does not apply (the real-data tasks read it).
/// </summary>
public sealed class SpokenWordsDataSource(string taskId, IReadOnlyList<string> words) : ITaskDataSource
{
    public IReadOnlyList<string> Words { get; } = words;

    private static string Folder => SpokenWordPack.EmbeddedFolder;

    /// <summary>Part of every cell key: named by the manifest's checksum, so the same data gives the same key in any clone.</summary>
    public string Describe(DataOptions options) =>
        $"embedded: audio/spoken-words {string.Join(",", Words)} (MANIFEST.json sha256 {SpokenWordPack.ShortChecksum(Path.Combine(Folder, SpokenWordPack.ManifestFile))})";

    public IEnumerable<string> Check(DataOptions options) => SpokenWordPack.Check(Folder);

    public TaskData Load(DataOptions options)
    {
        var problems = Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var pack = SpokenWordPack.Read(Folder);
        var missing = Words.Where(w => !pack.Manifest.Words.Contains(w)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{Folder}: the pack holds no clips of {string.Join(", ", missing)}; rebuild it with `make audio-data`.");
        var byKey = pack.Clips.ToDictionary(c => (c.Voice, c.Word));
        var seeds = new SeedTree(0);
        var splits = SpokenWordPack.Splits.ToDictionary(s => s, split =>
        {
            var examples = new List<AudioExample>();
            foreach (var voice in pack.Manifest.Voices.Where(v => v.Split == split))
                for (int label = 0; label < Words.Count; label++)
                {
                    var clip = byKey.TryGetValue((voice.Id, Words[label]), out var c) ? c
                        : throw new InvalidDataException($"{Folder}: no clip of '{Words[label]}' in voice {voice.Id}; rebuild the pack with `make audio-data`.");
                    var rng = seeds.Random($"{taskId}/{split}/{examples.Count}");
                    examples.Add(new AudioExample(SpeechClips.PlaceInOneSecond(pack.Samples(clip), rng), SpeechClips.SampleRateHz, label));
                }
            return (IReadOnlyList<Example>)examples;
        });
        return new TaskData(splits["train"], new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal) { ["val"] = splits["val"], ["test"] = splits["test"] });
    }
}
