namespace PeftBench.Reports.Aggregation;

/// <summary>
/// The number a task contributes to its suite average. The harness records it as <see cref="CellResult.TaskScore"/>;
/// older or hand-made results without it fall back to the mean of the score metrics, then the primary metric,
/// which is the same rule (GLUE: a multi-metric task counts as the mean of its metrics).
/// </summary>
public static class TaskScores
{
    public static double? Of(CellResult r)
    {
        if (r.TaskScore is { } s) return s;
        var scoreMetrics = r.ScoreMetrics.Where(r.Metrics.ContainsKey).ToList();
        if (scoreMetrics.Count > 0) return scoreMetrics.Average(m => r.Metrics[m]);
        return r.PrimaryMetric is { } p && r.Metrics.TryGetValue(p, out var v) ? v : null;
    }

    /// <summary>The metrics the score is made of, for captions.</summary>
    public static IReadOnlyList<string> MetricsOf(CellResult r) =>
        r.ScoreMetrics.Count > 0 ? r.ScoreMetrics : r.PrimaryMetric is { } p ? [p] : [];

    /// <summary>A score is higher-is-better unless every metric it is made of says otherwise.</summary>
    public static bool HigherIsBetter(CellResult r)
    {
        var ms = MetricsOf(r);
        return ms.Count == 0 || ms.Any(m => !r.HigherIsBetter.TryGetValue(m, out var h) || h);
    }
}
