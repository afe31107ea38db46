namespace PeftBench.Core.Tasks;

public enum Modality { Text, Image, Audio }

/// <summary>What the head predicts: C classes (argmax) or one real value (regression, MSE loss).</summary>
public sealed record HeadSpec(int Outputs, bool IsRegression, IReadOnlyList<string> LabelNames)
{
    public static HeadSpec Classification(params string[] labels) => new(labels.Length, false, labels);
    public static HeadSpec Regression() => new(1, true, Array.Empty<string>());
}

/// <summary>
/// A metric and the evaluation split it is computed on. <see cref="HigherIsBetter"/> decides table bolding,
/// Pareto directions and regression checks. Inputs are per-example predictions (class index or value) and gold labels.
/// </summary>
public sealed record MetricSpec(string Name, bool HigherIsBetter, string Split, Func<IReadOnlyList<float>, IReadOnlyList<float>, double> Compute);

/// <summary>One text or text-pair example; <see cref="Label"/> is a class index or a regression target.</summary>
public sealed record TextExample(string TextA, string? TextB, float Label);

/// <summary>A task's examples: one training split and named evaluation splits (MNLI has two).</summary>
public sealed record TaskData(IReadOnlyList<TextExample> Train, IReadOnlyDictionary<string, IReadOnlyList<TextExample>> Evaluation);

/// <summary>Where a task's data comes from; <see cref="Check"/> runs before any training.</summary>
public interface ITaskDataSource
{
    /// <summary>Human-readable origin (file paths or "embedded: …").</summary>
    string Describe(DataOptions options);
    /// <summary>Problems (missing folder or file, bad header), each saying what, where and how to fix; empty when loadable.</summary>
    IEnumerable<string> Check(DataOptions options);
    TaskData Load(DataOptions options);
}

/// <summary>Where real data lives (<c>--data-dir</c>); null means the embedded default.</summary>
public sealed record DataOptions(string? DataDirectory);

/// <summary>
/// A task: one declarative record (lm-evaluation-harness style). The primary metric is the first. Ids are
/// lowercase and stable (<c>glue/sst2</c>); a change of data or metric bumps <see cref="Version"/>.
/// </summary>
public sealed record TaskSpec(
    string Id,
    int Version,
    string Description,
    IReadOnlyList<string> Suites,
    Modality Modality,
    HeadSpec Head,
    IReadOnlyList<MetricSpec> Metrics,
    ITaskDataSource Data)
{
    public MetricSpec Primary => Metrics[0];

    /// <summary>
    /// Metrics averaged into this task's contribution to its suite average (GLUE: a task with several metrics
    /// counts as their mean). Defaults to all metrics.
    /// </summary>
    public IReadOnlyList<string>? SuiteScoreMetrics { get; init; }

    public IReadOnlyList<string> ScoreMetrics => SuiteScoreMetrics ?? Metrics.Select(m => m.Name).ToList();

    /// <summary>This task's contribution to its suite average, or null when a score metric is missing.</summary>
    public double? ScoreOf(IReadOnlyDictionary<string, double> metrics) =>
        ScoreMetrics.All(metrics.ContainsKey) ? ScoreMetrics.Average(m => metrics[m]) : null;
}
