using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// The vision suite: VTAB-1k-style tasks (<see cref="Vtab1k"/>) in VTAB's three groups. What is embedded covers the
/// natural group (Fashion-MNIST, UCI digits: real images) and the structured group (scenes rendered at load time
/// with exact labels). No remote-sensing or medical images are served here, so the specialized group has no embedded
/// task: it comes from real data through <c>--data-dir</c> (<c>vision/eurosat</c>), and tables name the groups present.
/// </summary>
public static class VisionSuite
{
    public const string Name = "vision";
    public const string Natural = "natural";
    public const string Specialized = "specialized";
    public const string Structured = "structured";

    public static IReadOnlyList<string> Tags => [Name];

    /// <summary>VTAB's groups, in its order.</summary>
    public static IReadOnlyList<string> Groups => [Natural, Specialized, Structured];

    /// <summary>The tasks with embedded or generated data, in table order (natural, then structured).</summary>
    public static IReadOnlyList<string> TaskIds =>
        ["vision/fashion-mnist", "vision/digits", "vision/shape", "vision/count", "vision/position", "vision/orientation", "vision/distance"];

    /// <summary>
    /// A VTAB-1k task: accuracy on the test split (primary, and the task's suite score) and on the 200 validation
    /// images (model selection, <see cref="TaskSpec.ModelSelectionSplit"/>).
    /// </summary>
    public static TaskSpec Task(string id, int version, string description, string group, string[] labels, ITaskDataSource data) =>
        new(id, version, description, Tags, Modality.Image, HeadSpec.Classification(labels),
            [new MetricSpec("accuracy", true, Vtab1k.TestSplit, GlueMetrics.Accuracy),
             new MetricSpec("val_accuracy", true, Vtab1k.ValidationSplit, GlueMetrics.Accuracy)],
            data)
        {
            Group = group,
            ModelSelectionSplit = Vtab1k.ValidationSplit,
            SuiteScoreMetrics = ["accuracy"],
        };
}
