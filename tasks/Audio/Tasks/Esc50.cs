using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Audio.Tasks;

/// <summary>
/// ESC-50 environmental sound classification (Piczak, 2015), real data only (<c>--data-dir</c>): five tasks
/// <c>audio/esc50-fold1</c> … <c>fold5</c>, each testing on one of the dataset's folds and training on the other
/// four (<see cref="Esc50DataSource"/>). They share the group <c>esc50</c> and make up the suite <c>esc50</c>, whose
/// average is the usual 5-fold mean accuracy.
/// </summary>
public static class Esc50
{
    /// <summary>The 50 categories by target index, as in the release's meta/esc50.csv.</summary>
    public static readonly IReadOnlyList<string> Categories =
    [
        "dog", "rooster", "pig", "cow", "frog", "cat", "hen", "insects", "sheep", "crow",
        "rain", "sea_waves", "crackling_fire", "crickets", "chirping_birds", "water_drops", "wind", "pouring_water", "toilet_flush", "thunderstorm",
        "crying_baby", "sneezing", "clapping", "breathing", "coughing", "footsteps", "laughing", "brushing_teeth", "snoring", "drinking_sipping",
        "door_wood_knock", "mouse_click", "keyboard_typing", "door_wood_creaks", "can_opening", "washing_machine", "vacuum_cleaner", "clock_alarm", "clock_tick", "glass_breaking",
        "helicopter", "chainsaw", "siren", "car_horn", "engine", "train", "church_bells", "airplane", "fireworks", "hand_saw",
    ];

    public static IReadOnlyList<string> TaskIds => Enumerable.Range(1, Esc50DataSource.Folds).Select(Id).ToList();

    private static string Id(int fold) => $"audio/esc50-fold{fold}";

    public static IEnumerable<TaskSpec> CreateFolds() => Enumerable.Range(1, Esc50DataSource.Folds).Select(fold =>
        new TaskSpec(Id(fold), 1, $"ESC-50 (--data-dir): 50 environmental sound classes, test on fold {fold}, train on the other four (accuracy).",
            [AudioSuite.Esc50Name], Modality.Audio, HeadSpec.Classification(Categories.ToArray()),
            [new MetricSpec("accuracy", true, "test", GlueMetrics.Accuracy)], new Esc50DataSource(fold))
        { Group = "esc50" });
}
