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
