using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio.Tasks;

/// <summary>
/// Speech Commands v2 (Warden, 2018), real data only (<c>--data-dir</c>, <see cref="SpeechCommandsDataSource"/>):
/// <c>audio/speech-commands</c> is the 35-word classification AST reports (labels in ordinal order of the word folders),
/// <c>audio/speech-commands-10</c> the ten commands alone (the embedded <see cref="Keywords"/> task on real speech).
/// The "12-class" setting (10 commands + unknown + silence cut from the background noise) is not provided.
/// </summary>
public static class SpeechCommands
{
    public static IReadOnlyList<string> AllWords => DownstreamHoldout.SpeechCommandsWords.Order(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> TaskIds => ["audio/speech-commands", "audio/speech-commands-10"];

    public static TaskSpec Create35() => AudioSuite.WithValidation("audio/speech-commands", 1,
        "Speech Commands v2 (--data-dir): 35 spoken words, fixed speaker-independent split (accuracy on test).",
        [AudioSuite.SpeechCommandsName], AllWords, new SpeechCommandsDataSource(AllWords));

    public static TaskSpec Create10() => AudioSuite.WithValidation("audio/speech-commands-10", 1,
        "Speech Commands v2 (--data-dir): the ten command words, fixed speaker-independent split (accuracy on test).",
        [AudioSuite.SpeechCommandsName], Keywords.Words, new SpeechCommandsDataSource(Keywords.Words));
}
