using CsvHelper;

namespace PeftBench.Reports.Csv;

/// <summary>
/// One row of cells.csv: the fixed columns of a cell, its primary metric and task score, parameters and
/// measurements. Every metric is in metrics.csv (long format), since metric names differ by task.
/// Empty field = null.
/// </summary>
[CsvRecord]
public partial class CellRow
{
    [CsvColumn("key")] public string Key { get; set; } = "";
    [CsvColumn("status")] public string Status { get; set; } = "";
    [CsvColumn("error")] public string? Error { get; set; }
    [CsvColumn("task")] public string Task { get; set; } = "";
    [CsvColumn("task_version")] public int TaskVersion { get; set; }
    [CsvColumn("model")] public string Model { get; set; } = "";
    [CsvColumn("method")] public string Method { get; set; } = "";
    [CsvColumn("method_version")] public int MethodVersion { get; set; }
    [CsvColumn("family")] public string? Family { get; set; }
    [CsvColumn("budget")] public string? Budget { get; set; }
    [CsvColumn("budget_target_parameters")] public long? BudgetTargetParameters { get; set; }
    [CsvColumn("knob")] public string? Knob { get; set; }
    [CsvColumn("knob_value")] public int? KnobValue { get; set; }
    [CsvColumn("seed")] public long Seed { get; set; }
    [CsvColumn("profile")] public string Profile { get; set; } = "";
    [CsvColumn("device")] public string Device { get; set; } = "";
    [CsvColumn("threads")] public int Threads { get; set; }
    [CsvColumn("primary_metric")] public string? PrimaryMetric { get; set; }
    [CsvColumn("primary_value")] public double? PrimaryValue { get; set; }
    [CsvColumn("task_score")] public double? TaskScore { get; set; }
    [CsvColumn("params_adapter")] public long? ParamsAdapter { get; set; }
    [CsvColumn("params_head")] public long? ParamsHead { get; set; }
    [CsvColumn("params_other")] public long? ParamsOther { get; set; }
    [CsvColumn("params_trainable")] public long? ParamsTrainable { get; set; }
    [CsvColumn("params_method_trainable")] public long? ParamsMethodTrainable { get; set; }
    [CsvColumn("params_total")] public long? ParamsTotal { get; set; }
    [CsvColumn("params_backbone")] public long? ParamsBackbone { get; set; }
    [CsvColumn("method_trainable_fraction")] public double? MethodTrainableFraction { get; set; }
    [CsvColumn("backbone_stored_bytes")] public long? BackboneStoredBytes { get; set; }
    [CsvColumn("peak_memory_bytes")] public long? PeakMemoryBytes { get; set; }
    [CsvColumn("peak_memory_source")] public string? PeakMemorySource { get; set; }
    [CsvColumn("train_examples_per_second")] public double? TrainExamplesPerSecond { get; set; }
    [CsvColumn("train_tokens_per_second")] public double? TrainTokensPerSecond { get; set; }
    [CsvColumn("train_ms_per_step")] public double? TrainMsPerStep { get; set; }
    [CsvColumn("inference_examples_per_second")] public double? InferenceExamplesPerSecond { get; set; }
    [CsvColumn("inference_examples_per_second_merged")] public double? InferenceExamplesPerSecondMerged { get; set; }
    [CsvColumn("steps")] public int? Steps { get; set; }
    [CsvColumn("final_train_loss")] public double? FinalTrainLoss { get; set; }
    [CsvColumn("train_seconds")] public double? TrainSeconds { get; set; }
    [CsvColumn("total_seconds")] public double? TotalSeconds { get; set; }
    [CsvColumn("git_commit")] public string? GitCommit { get; set; }

    public static CellRow From(CellResult r) => new()
    {
        Key = r.Key, Status = r.Status, Error = r.Error,
        Task = r.Cell.Task, TaskVersion = r.Cell.TaskVersion, Model = r.Cell.Model, Method = r.Cell.Method,
        MethodVersion = r.Cell.MethodVersion, Family = r.Cell.MethodFamily, Budget = r.Cell.Budget,
        BudgetTargetParameters = r.Cell.BudgetTargetParameters, Knob = r.Cell.KnobName, KnobValue = r.Cell.KnobValue,
        Seed = r.Cell.Seed, Profile = r.Cell.Profile, Device = r.Cell.Device, Threads = r.Cell.Threads,
        PrimaryMetric = r.PrimaryMetric,
        PrimaryValue = r.PrimaryMetric is { } p && r.Metrics.TryGetValue(p, out var v) ? v : null,
        TaskScore = Aggregation.TaskScores.Of(r),
        ParamsAdapter = r.Parameters?.Adapter, ParamsHead = r.Parameters?.Head, ParamsOther = r.Parameters?.Other,
        ParamsTrainable = r.Parameters?.Trainable, ParamsMethodTrainable = r.Parameters?.MethodTrainable,
        ParamsTotal = r.Parameters?.Total, ParamsBackbone = r.Parameters?.Backbone,
        MethodTrainableFraction = r.Parameters?.MethodTrainableFraction, BackboneStoredBytes = r.Parameters?.BackboneStoredBytes,
        PeakMemoryBytes = r.Measurements?.PeakMemoryBytes, PeakMemorySource = r.Measurements?.PeakMemorySource,
        TrainExamplesPerSecond = r.Measurements?.TrainExamplesPerSecond, TrainTokensPerSecond = r.Measurements?.TrainTokensPerSecond,
        TrainMsPerStep = r.Measurements?.TrainMsPerStep, InferenceExamplesPerSecond = r.Measurements?.InferenceExamplesPerSecond,
        InferenceExamplesPerSecondMerged = r.Measurements?.InferenceExamplesPerSecondMerged, Steps = r.Measurements?.Steps,
        FinalTrainLoss = r.Measurements?.FinalTrainLoss, TrainSeconds = r.Measurements?.TrainSeconds,
        TotalSeconds = r.Measurements?.TotalSeconds, GitCommit = r.Provenance?.GitCommit,
    };
}
