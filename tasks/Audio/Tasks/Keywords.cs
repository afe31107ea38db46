using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio.Tasks;

/// <summary>
/// The ten command words of Speech Commands v2 (Warden, 2018): yes, no, up, down, left, right, on, off, stop, go,
/// synthesised by espeak-ng in the same 32 voices and splits as <see cref="Digits"/> (tasks/data/audio).
/// </summary>
public static class Keywords
{
    public static readonly IReadOnlyList<string> Words = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];

    public static TaskSpec Create() => AudioSuite.WithValidation("audio/keywords", 1,
        "Speech Commands' ten keywords in unseen synthetic voices (embedded espeak-ng clips; accuracy on test voices).",
        AudioSuite.Tags, Words, new SpokenWordsDataSource("audio/keywords", Words));
}
