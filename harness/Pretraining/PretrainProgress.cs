namespace PeftBench.Harness.Pretraining;

/// <summary>
/// What a pretraining run logs and records: the first 20 steps and every 100th on the console, the loss of every
/// 100th step for the manifest's curve, and the median step time (first steps skipped as warm-up).
/// </summary>
public sealed class PretrainProgress(TextWriter log, int totalSteps, LearningRateSchedule schedule, List<double> stepMilliseconds)
{
    public SortedDictionary<int, float> Curve { get; } = new();

    public void Record(int step, float loss)
    {
        if (step < 20 || (step + 1) % 100 == 0)
            log.WriteLine(FormattableString.Invariant($"step {step + 1}/{totalSteps} loss {loss:F4} lr {schedule.At(step):E2} {stepMilliseconds[^1]:F0} ms"));
        if ((step + 1) % 100 == 0) Curve[step + 1] = loss;
    }

    public double MedianMilliseconds => Median(stepMilliseconds.Skip(3));

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
