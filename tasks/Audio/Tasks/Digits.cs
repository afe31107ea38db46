using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio.Tasks;

/// <summary>
/// Spoken digits "zero" … "nine" (label = the digit), synthesised by espeak-ng in 32 voices (tasks/data/audio):
/// 20 training voices, 4 validation and 8 test voices, so the score is speaker-independent (as Speech Commands).
/// tiny-ast never heard these words in pretraining (<see cref="DownstreamHoldout"/>).
/// </summary>
public static class Digits
{
    public static readonly IReadOnlyList<string> Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    public static TaskSpec Create() => AudioSuite.WithValidation("audio/digits", 1,
        "Spoken digits zero-nine in unseen synthetic voices (embedded espeak-ng clips; accuracy on test voices).",
        AudioSuite.Tags, Words, new SpokenWordsDataSource("audio/digits", Words));
}
