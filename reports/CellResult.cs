using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PeftBench.Reports;

/// <summary>
/// One cell's result file (<c>cells/KEY.json</c>): the resolved cell, its metrics, measurements and provenance.
/// Everything reports need is here, so tables and plots are regenerated without libtorch or retraining.
/// JSON uses snake_case names (<see cref="ResultJson.Options"/>).
/// </summary>
public sealed record CellResult
{
    public int Schema { get; init; } = 1;
    public required string Key { get; init; }
    /// <summary>ok, failed (exception), diverged (non-finite loss) or not_applicable (method cannot apply to the backbone).</summary>
    public required string Status { get; init; }
    public string? Error { get; init; }
    public required CellSpec Cell { get; init; }
    /// <summary>Metric name → value, raw scale (accuracy 0.91, not 91).</summary>
    public Dictionary<string, double> Metrics { get; init; } = new();
    public string? PrimaryMetric { get; init; }
    public Dictionary<string, bool> HigherIsBetter { get; init; } = new();
    /// <summary>The task's contribution to its suite average (GLUE: the mean of a multi-metric task's metrics).</summary>
    public double? TaskScore { get; init; }
    public List<string> ScoreMetrics { get; init; } = new();
    public List<string> Suites { get; init; } = new();
    /// <summary>The task's group in its suite (VTAB: natural, specialized, structured), for the mean of group means; absent for tasks without one (GLUE).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Group { get; init; }
    public ParameterSummary? Parameters { get; init; }
    public Measurements? Measurements { get; init; }
    /// <summary>Ranks a rank-adaptive method allocated (AdaLoRA, IncreLoRA …); absent for every other method.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RankAllocation? RankAllocation { get; init; }
    public Provenance? Provenance { get; init; }
    /// <summary>Training curve: mean training loss per logging window and, at a few steps, the dev score. Optional: older files have none.</summary>
    public List<HistoryPoint>? History { get; init; }
    /// <summary>
    /// Why earlier attempts of this cell in the same run failed, oldest first: a multi-device run retries a cell once
    /// when its worker process dies (an abort in native code). Absent when the first attempt produced this result.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? EarlierAttempts { get; init; }
    /// <summary>Per-example scores on the primary metric's split, for a paired bootstrap over examples. Optional.</summary>
    public ExampleScores? Examples { get; init; }
    /// <summary>A generation cell's first few evaluation examples as the model continued them (the first sample of each); absent for other tasks.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<GeneratedSample>? Generations { get; init; }

    public bool IsOk => Status == CellStatus.Ok;
}

/// <summary>
/// One point of a training curve. <see cref="TrainLoss"/> is the mean loss over the steps since the previous point;
/// <see cref="DevScore"/> is the primary metric on (up to a cap of) its evaluation split, at the steps where it was measured.
/// </summary>
public sealed record HistoryPoint(int Step, double? TrainLoss, double? DevScore);

/// <summary>
/// Per-example contributions whose mean is <see cref="Metric"/> (accuracy: 1 correct, 0 wrong), in the split's row order,
/// so that two cells on the same split pair up example by example.
/// </summary>
public sealed record ExampleScores(string Split, string Metric, List<double> Values);

/// <summary>One generated evaluation example: its prompt, the (first) continuation, and how many of its samples the task judged correct.</summary>
public sealed record GeneratedSample(int Index, string Prompt, string Continuation, int Correct, int Samples);

public static class CellStatus
{
    public const string Ok = "ok";
    public const string Failed = "failed";
    public const string Diverged = "diverged";
    /// <summary>The method cannot apply to this backbone (the reason is in <c>error</c>); nothing was trained.</summary>
    public const string NotApplicable = "not_applicable";
}

public sealed record CellSpec
{
    public required string Task { get; init; }
    public int TaskVersion { get; init; }
    public required string Model { get; init; }
    public string? ModelSha256 { get; init; }
    public required string Method { get; init; }
    public int MethodVersion { get; init; }
    public string? MethodFamily { get; init; }
    /// <summary>The method's resolved configuration (after budget fitting), canonical JSON object.</summary>
    public JsonObject? Config { get; init; }
    /// <summary>Budget as given (<c>0.5%</c>, <c>100k</c>); null for methods with a fixed count or when none was asked.</summary>
    public string? Budget { get; init; }
    public long? BudgetTargetParameters { get; init; }
    public string? KnobName { get; init; }
    public int? KnobValue { get; init; }
    public long Seed { get; init; }
    public required string Profile { get; init; }
    public JsonObject? Recipe { get; init; }
    public required string Device { get; init; }
    public int Threads { get; init; }
    /// <summary><c>fp32</c> or <c>bf16</c> (<c>--precision</c>); files written before the option read as fp32.</summary>
    public string Precision { get; init; } = "fp32";
}

public sealed record ParameterSummary
{
    public long Adapter { get; init; }
    public long Head { get; init; }
    public long Other { get; init; }
    public long Trainable { get; init; }
    /// <summary>Adapter + other: what the method trains, head excluded (budgets are stated in this).</summary>
    public long MethodTrainable { get; init; }
    public long Total { get; init; }
    public long Backbone { get; init; }
    /// <summary>Trainable fraction of the backbone, head excluded (method_trainable / backbone).</summary>
    public double MethodTrainableFraction { get; init; }
    /// <summary>
    /// What the method saves for inference, head excluded, where it differs from <see cref="MethodTrainable"/> (a
    /// reparameterisation MLP trains, its output is saved: prefix tuning, P-tuning); absent otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? MethodSaved { get; init; }
    /// <summary>
    /// Bytes of the backbone's parameters as stored during training: quantized weights (QLoRA's NF4, PEQA's integer codes)
    /// as their packed codes and constants, every other tensor at its own width (fp32: 4 bytes per parameter). Result
    /// files written before this field read it as null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? BackboneStoredBytes { get; init; }
}

/// <summary>Final ranks per adapted site (module path) and the parameters they hold; see MethodAttachment.Report.</summary>
public sealed record RankAllocation
{
    /// <summary>Parameters of the ranks in use at the end of training.</summary>
    public long AllocatedParameters { get; init; }
    /// <summary>Trainable elements held during training (the reported trainable count).</summary>
    public long HeldParameters { get; init; }
    public Dictionary<string, int> Ranks { get; init; } = new();
}

public sealed record Measurements
{
    public long PeakMemoryBytes { get; init; }
    public string PeakMemorySource { get; init; } = "";
    public double TrainExamplesPerSecond { get; init; }
    public double TrainTokensPerSecond { get; init; }
    public double TrainMsPerStep { get; init; }
    /// <summary>Padding positions over all positions the training batches computed; absent in older files.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TrainPaddingFraction { get; init; }
    public double InferenceExamplesPerSecond { get; init; }
    public double? InferenceExamplesPerSecondMerged { get; init; }
    /// <summary>Generation tasks: tokens generated per second during evaluation (batched, key/value cache, first batch untimed).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? GeneratedTokensPerSecond { get; init; }
    public int Steps { get; init; }
    public int Epochs { get; init; }
    public double FinalTrainLoss { get; init; }
    public double SetupSeconds { get; init; }
    public double TrainSeconds { get; init; }
    public double EvalSeconds { get; init; }
    public double TotalSeconds { get; init; }
}

public sealed record Provenance
{
    public string? GitCommit { get; init; }
    public bool? GitDirty { get; init; }
    public string PeftbenchVersion { get; init; } = "";
    public Dictionary<string, string> Packages { get; init; } = new();
    public string Os { get; init; } = "";
    public string Cpu { get; init; } = "";
    public string? Gpu { get; init; }
    public string Dotnet { get; init; } = "";
    public int Threads { get; init; }
    public string Device { get; init; } = "";
    /// <summary>What the cell's precision did, in words (bf16 is an emulation of autocast: see the harness's Precision).</summary>
    public string? Precision { get; init; }
    public long Seed { get; init; }
    public string StartedUtc { get; init; } = "";
    public string Hostname { get; init; } = "";
}

public static class ResultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(CellResult r) => JsonSerializer.Serialize(r, Options);

    public static CellResult Deserialize(string json, string sourceForErrors) =>
        JsonSerializer.Deserialize<CellResult>(json, Options) ?? throw new InvalidDataException($"{sourceForErrors}: empty result file.");

    /// <summary>Reads every <c>*.json</c> under <c>DIR/cells</c> (or DIR itself), skipping none silently: a bad file throws with its path.</summary>
    public static IReadOnlyList<CellResult> ReadFolder(string directory)
    {
        var cells = Directory.Exists(Path.Combine(directory, "cells")) ? Path.Combine(directory, "cells") : directory;
        if (!Directory.Exists(cells)) throw new DirectoryNotFoundException($"results folder '{directory}' does not exist.");
        return Directory.EnumerateFiles(cells, "*.json").Order(StringComparer.Ordinal)
            .Select(f => Deserialize(File.ReadAllText(f), f)).ToList();
    }
}

/// <summary>Writes through a temporary file in the same folder and a rename, so a killed run never leaves half a file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string contents)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, contents);
        File.Move(tmp, path, overwrite: true);
    }

    public static void Write(string path, Action<string> writeToTemporaryPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(path)}.{Environment.ProcessId}.tmp{Path.GetExtension(path)}");
        writeToTemporaryPath(tmp);
        File.Move(tmp, path, overwrite: true);
    }
}
