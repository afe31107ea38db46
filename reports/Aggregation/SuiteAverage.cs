using System.Text.Json.Serialization;

namespace PeftBench.Reports.Aggregation;

/// <summary>
/// A suite average (GLUE avg.) for one model, method and budget. For each seed, the mean of the task scores of the
/// suite's tasks, computed only when every task has an ok result for that seed; <see cref="Score"/> is the mean ±
/// std over those complete seeds, null when no seed is complete.
/// </summary>
public sealed record SuiteAverage
{
    public required string Suite { get; init; }
    public required string Model { get; init; }
    public required string Method { get; init; }
    public string? Budget { get; init; }
    public string? Family { get; init; }
    public int TaskCount { get; init; }
    /// <summary>How <see cref="Score"/> is computed (<see cref="SuiteAveraging"/>), for labels and captions.</summary>
    public string Rule { get; init; } = SuiteAveraging.MeanOverTasks;
    /// <summary>Grouped suites only: each group present and its tasks (groups without a task are left out).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> GroupTasks { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    /// <summary>Grouped suites only: each group's mean over its tasks, over the complete seeds.</summary>
    public IReadOnlyDictionary<string, SampleStats> GroupScores { get; init; } = new Dictionary<string, SampleStats>();
    /// <summary>Grouped suites only: the plain mean over tasks, reported beside the mean of group means.</summary>
    public SampleStats? MeanOverTasks { get; init; }
    /// <summary>Grouped suites only: the mean over tasks per complete seed (for significance tests on that column).</summary>
    public IReadOnlyDictionary<long, double> MeanOverTasksPerSeed { get; init; } = new Dictionary<long, double>();
    /// <summary>Seeds that any cell of this row ran with (ok or not), on the suite's tasks.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [];
    public IReadOnlyDictionary<long, double> PerSeed { get; init; } = new Dictionary<long, double>();
    public SampleStats? Score { get; init; }
    /// <summary>Suite tasks with no ok result for at least one of <see cref="Seeds"/>.</summary>
    public IReadOnlyList<string> IncompleteTasks { get; init; } = [];
    /// <summary>Mean method-trainable parameters (head excluded) over the suite's ok cells: the Pareto x.</summary>
    public double? MethodTrainable { get; init; }
    public double? MethodTrainableFraction { get; init; }

    [JsonIgnore]
    public MethodKey Key => new(Model, Method, Budget);
}

/// <summary>How a benchmark turns task scores into its headline number.</summary>
public static class SuiteAveraging
{
    /// <summary>GLUE, SuperGLUE: the mean over tasks of each task's score.</summary>
    public const string MeanOverTasks = "mean over tasks";
    /// <summary>VTAB-1k: the mean of the group means (natural, specialized, structured); the mean over tasks is reported too.</summary>
    public const string MeanOfGroupMeans = "mean of group means";
}
