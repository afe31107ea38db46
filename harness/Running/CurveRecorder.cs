using PeftBench.Reports;

namespace PeftBench.Harness.Running;

/// <summary>
/// Collects a training curve: the mean loss over windows of ⌈total / <see cref="Trainer.MaxLossPoints"/>⌉ steps, and
/// the steps at which the dev score is due (evenly spaced, the last step included). Pure bookkeeping, no tensors.
/// </summary>
public sealed class CurveRecorder(int totalSteps, int devEvaluations)
{
    private readonly int window = Math.Max(1, (totalSteps + Trainer.MaxLossPoints - 1) / Trainer.MaxLossPoints);
    private readonly HashSet<int> devSteps = Enumerable.Range(1, devEvaluations)
        .Select(k => (int)Math.Ceiling((double)totalSteps * k / devEvaluations)).Where(s => s >= 1).ToHashSet();
    private readonly List<HistoryPoint> points = [];
    private double sum;
    private int count;

    public IReadOnlyList<HistoryPoint> Points => points;

    /// <summary>Adds the loss of (1-based) <paramref name="step"/>; true when the dev score is due at this step.</summary>
    public bool Add(int step, double loss)
    {
        sum += loss;
        count++;
        var devDue = devSteps.Contains(step);
        if (step % window == 0 || step == totalSteps || devDue)
        {
            points.Add(new HistoryPoint(step, sum / count, null));
            sum = 0;
            count = 0;
        }
        return devDue;
    }

    public void SetDev(int step, double score)
    {
        var i = points.FindLastIndex(p => p.Step == step);
        points[i] = points[i] with { DevScore = double.IsFinite(score) ? score : null };
    }
}
