using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// The audio suites' tags, task ids and shared metric declarations. <c>audio</c> runs the embedded tasks; the
/// real-data tasks (ESC-50, Speech Commands) read <c>--data-dir</c> and have suites of their own.
/// </summary>
public static class AudioSuite
{
    public const string Name = "audio", Esc50Name = "esc50", SpeechCommandsName = "speech-commands";

    public static IReadOnlyList<string> Tags => [Name];

    public static IReadOnlyList<string> TaskIds => ["audio/digits", "audio/keywords", "audio/sound-events"];

    /// <summary>The methods the audio suites run when none are given.</summary>
    public static IReadOnlyList<string> DefaultMethods =>
        ["full-ft", "linear-probe", "bitfit", "lora", "houlsby", "adaptformer", "vpt-shallow", "vpt-deep", "ssf"];

    public static IReadOnlyList<string> DefaultModels => ["tiny-ast"];

    /// <summary>Accuracy on <c>test</c> (primary, the suite score) and on <c>val</c> (model selection, reported only).</summary>
    public static IReadOnlyList<MetricSpec> TestAndValAccuracy =>
    [
        new MetricSpec("accuracy", true, "test", GlueMetrics.Accuracy),
        new MetricSpec("val_accuracy", true, "val", GlueMetrics.Accuracy),
    ];

    /// <summary>A classification task scored by test accuracy, selected on val.</summary>
    public static TaskSpec WithValidation(string id, int version, string description, IReadOnlyList<string> tags, IReadOnlyList<string> labels, ITaskDataSource data) =>
        new(id, version, description, tags, Modality.Audio, HeadSpec.Classification(labels.ToArray()), TestAndValAccuracy, data)
        {
            ModelSelectionSplit = "val",
            SuiteScoreMetrics = ["accuracy"],
        };
}
