namespace PeftBench.Reports.Comparison;

/// <summary>
/// A committed baseline (<c>results/baselines/SUITE.json</c>): what a run measured, cut down to what a
/// regression gate compares, one cell per line and sorted by key so a review diff shows exactly which cells moved.
/// </summary>
public sealed record BaselineFile
{
    public const int CurrentSchema = 1;
    public int Schema { get; init; } = CurrentSchema;
    public string? Suite { get; init; }
    public required BaselineProvenance Provenance { get; init; }
    public required Tolerances Tolerances { get; init; }
    public required List<BaselineCell> Cells { get; init; }
}

/// <summary>Where the baseline came from: results are bit-identical only at the same thread count and CPU.</summary>
public sealed record BaselineProvenance
{
    public List<string> Commits { get; init; } = new();
    public bool Dirty { get; init; }
    public List<int> Threads { get; init; } = new();
    public List<string> Cpus { get; init; } = new();
    public List<string> Devices { get; init; } = new();
    public List<string> Profiles { get; init; } = new();
    /// <summary>The command that regenerates this file.</summary>
    public string? Command { get; init; }
}

/// <summary>
/// How far the current run may drift. A metric regresses when it is worse than the baseline by more than
/// max(<see cref="MetricFloor"/>, <see cref="MetricStdFactor"/> × the baseline's std over seeds); memory and
/// throughput by ratio (BenchmarkDotNet-style current/baseline), warnings unless <see cref="FailOnPerformance"/>.
/// </summary>
public sealed record Tolerances
{
    public double MetricFloor { get; init; } = 0.01;
    public double MetricStdFactor { get; init; } = 3;
    /// <summary>Peak memory ratio (current / baseline) above which a cell is flagged.</summary>
    public double MaxMemoryRatio { get; init; } = 1.25;
    /// <summary>Training throughput ratio (current / baseline) below which a cell is flagged.</summary>
    public double MinThroughputRatio { get; init; } = 0.5;
    public bool FailOnPerformance { get; init; }
}

/// <summary>One cell of a baseline: identity, trainable counts, metrics and cost.</summary>
public sealed record BaselineCell
{
    public required string Key { get; init; }
    public required string Task { get; init; }
    public required string Model { get; init; }
    public required string Method { get; init; }
    public string? Budget { get; init; }
    public long Seed { get; init; }
    public int Threads { get; init; }
    public required string Status { get; init; }
    public long? Trainable { get; init; }
    public long? MethodTrainable { get; init; }
    public long? Head { get; init; }
    public SortedDictionary<string, double> Metrics { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Metrics where lower is better (loss-like); every other metric is higher-is-better.</summary>
    public List<string> LowerIsBetter { get; init; } = new();
    public long? PeakMemoryBytes { get; init; }
    public double? TrainExamplesPerSecond { get; init; }

    /// <summary>The cell's row label: task · model · method @budget · seed (derived, not stored).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Label => $"{Task} · {Model} · {Method}{(Budget is null ? "" : $" @{Budget}")} · seed {Seed}";

    public static BaselineCell From(CellResult r) => new()
    {
        Key = r.Key,
        Task = r.Cell.Task,
        Model = r.Cell.Model,
        Method = r.Cell.Method,
        Budget = r.Cell.Budget,
        Seed = r.Cell.Seed,
        Threads = r.Cell.Threads,
        Status = r.Status,
        Trainable = r.Parameters?.Trainable,
        MethodTrainable = r.Parameters?.MethodTrainable,
        Head = r.Parameters?.Head,
        Metrics = new SortedDictionary<string, double>(r.Metrics.Where(kv => double.IsFinite(kv.Value)).ToDictionary(), StringComparer.Ordinal),
        LowerIsBetter = r.HigherIsBetter.Where(kv => !kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList(),
        PeakMemoryBytes = r.Measurements is { PeakMemoryBytes: > 0 } m ? m.PeakMemoryBytes : null,
        TrainExamplesPerSecond = r.Measurements is { TrainExamplesPerSecond: > 0 } t && double.IsFinite(t.TrainExamplesPerSecond) ? t.TrainExamplesPerSecond : null,
    };
}
