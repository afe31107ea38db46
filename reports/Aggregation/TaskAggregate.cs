using System.Text.Json.Serialization;

namespace PeftBench.Reports.Aggregation;

/// <summary>
/// One (task, model, method, budget) over its seeds. Statistics come from ok cells only; failed and diverged
/// cells are counted in <see cref="NotOk"/> and listed in <see cref="RunSummary.NotOk"/>, never averaged in.
/// N = 0 when every cell of the group failed.
/// </summary>
public sealed record TaskAggregate
{
    public required string Task { get; init; }
    public required string Model { get; init; }
    public required string Method { get; init; }
    public string? Budget { get; init; }
    public string? Family { get; init; }
    public int N { get; init; }
    public int NotOk { get; init; }
    public IReadOnlyList<long> Seeds { get; init; } = [];
    public string? PrimaryMetric { get; init; }
    /// <summary>Metrics making up the task score, for captions (GLUE STS-B: pearson and spearman).</summary>
    public IReadOnlyList<string> ScoreMetrics { get; init; } = [];
    public bool TaskScoreHigherIsBetter { get; init; } = true;
    public IReadOnlyDictionary<string, SampleStats> Metrics { get; init; } = new Dictionary<string, SampleStats>();
    public SampleStats? TaskScore { get; init; }
    /// <summary>Seed → task score of its ok cell: the pairs of a paired test over seeds.</summary>
    public IReadOnlyDictionary<long, double> ScorePerSeed { get; init; } = new Dictionary<long, double>();
    /// <summary>Seed → per-example scores where the cells stored them (for the paired bootstrap); not written to summary.json.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<long, ExampleScores> ExamplesPerSeed { get; init; } = new Dictionary<long, ExampleScores>();
    public ParameterMeans? Parameters { get; init; }
    public SampleStats? PeakMemoryBytes { get; init; }
    public SampleStats? TrainExamplesPerSecond { get; init; }
    public SampleStats? InferenceExamplesPerSecond { get; init; }
    public SampleStats? InferenceExamplesPerSecondMerged { get; init; }
    public SampleStats? TrainMsPerStep { get; init; }
    public SampleStats? TrainSeconds { get; init; }

    [JsonIgnore]
    public GroupKey Key => new(Task, Model, Method, Budget);
}

/// <summary>Parameter counts averaged over cells (heads differ by task; adapters may differ by seed-free knob fits).</summary>
public sealed record ParameterMeans(
    double Adapter, double Head, double Other, double Trainable, double MethodTrainable, double Total, double Backbone,
    double MethodTrainableFraction, double? BackboneStoredBytes = null)
{
    public static ParameterMeans? Of(IEnumerable<ParameterSummary?> ps)
    {
        var xs = ps.OfType<ParameterSummary>().ToList();
        if (xs.Count == 0) return null;
        return new(xs.Average(p => (double)p.Adapter), xs.Average(p => (double)p.Head), xs.Average(p => (double)p.Other),
            xs.Average(p => (double)p.Trainable), xs.Average(p => (double)p.MethodTrainable), xs.Average(p => (double)p.Total),
            xs.Average(p => (double)p.Backbone), xs.Average(p => p.MethodTrainableFraction),
            // Absent from result files written before the figure existed.
            xs.Any(p => p.BackboneStoredBytes is not null) ? xs.Where(p => p.BackboneStoredBytes is not null).Average(p => (double)p.BackboneStoredBytes!.Value) : null);
    }
}

/// <summary>A cell that is not ok, as listed under the tables.</summary>
/// <summary>A method that cannot apply to a backbone, the reason it gave, and how many planned cells that covered.</summary>
public sealed record NotApplicableMethod(string Model, string Method, string Reason, int Cells);

public sealed record NotOkCell(string Key, string Status, string Task, string Model, string Method, string? Budget, long Seed, string? Error);
