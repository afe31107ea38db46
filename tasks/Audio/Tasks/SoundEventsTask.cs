using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio.Tasks;

/// <summary>
/// Eight classes of synthetic sound events (tone, up and down chirps, noise burst, click train, tremolo, harmonic
/// complex, beeps) generated at load time with exact labels (<see cref="SoundEvents"/>): 400 training, 80 validation
/// and 160 test examples, each class equally often. A non-speech control for the spoken-word tasks.
/// </summary>
public static class SoundEventsTask
{
    public const string Id = "audio/sound-events";

    public static TaskSpec Create() => AudioSuite.WithValidation(Id, 1,
        "Synthetic sound events, 8 classes with exact labels, generated at load time (accuracy on test).",
        AudioSuite.Tags, SoundEvents.Classes, new SoundEvents(Id, 400, 80, 160));
}
