using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Pareto;

/// <summary>
/// A cost or speed axis of a Pareto view. The score (y) is always higher-is-better (a suite average); the direction
/// of x is the axis's: fewer parameters and less memory are better, more throughput is better.
/// <see cref="Pick"/> reads a per-task measurement (averaged over a row's suite tasks); null for the parameter
/// axis, which uses the suite average's own parameter count.
/// </summary>
public sealed record ParetoAxis(string Id, string Title, string Better, string Label, bool Log, bool LowerIsBetter,
    Func<TaskAggregate, SampleStats?>? Pick, double Scale = 1)
{
    public static readonly ParetoAxis Parameters = new("params", "trainable parameters", "fewer trainable parameters",
        "Trainable parameters of the method (head excluded, log scale)", Log: true, LowerIsBetter: true, Pick: null);
    public static readonly ParetoAxis PeakMemory = new("memory", "peak memory", "less peak memory",
        "Peak memory (MiB)", Log: false, LowerIsBetter: true, g => g.PeakMemoryBytes, 1.0 / (1024 * 1024));
    public static readonly ParetoAxis TrainThroughput = new("train_throughput", "training throughput", "a higher training throughput",
        "Training throughput (examples/s, after warm-up)", Log: false, LowerIsBetter: false, g => g.TrainExamplesPerSecond);
    public static readonly ParetoAxis InferenceThroughput = new("inference_throughput", "inference throughput", "a higher inference throughput",
        "Inference throughput (examples/s)", Log: false, LowerIsBetter: false, g => g.InferenceExamplesPerSecond);

    public static IReadOnlyList<ParetoAxis> All { get; } = [Parameters, PeakMemory, TrainThroughput, InferenceThroughput];

    /// <summary>How the front reads on this axis, for captions.</summary>
    public string Dominance => $"{Better} and a higher score";
}
