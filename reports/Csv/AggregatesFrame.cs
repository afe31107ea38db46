using System.Globalization;
using Microsoft.Data.Analysis;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Csv;

/// <summary>
/// aggregates.csv: one row per (task, model, method, budget, metric) with n, mean, std and the 95 % Student-t
/// half-width, raw scale, as a Microsoft.Data.Analysis DataFrame (the statistics come from <see cref="SampleStats"/>:
/// the DataFrame's GroupBy has no std). "task_score" rows are the task's contribution to its suite average.
/// </summary>
public static class AggregatesFrame
{
    public const string TaskScoreMetric = "task_score";

    public static DataFrame Build(RunSummary s)
    {
        var rows = s.Groups.SelectMany(g => g.Metrics.Select(m => (g, metric: m.Key, stats: m.Value))
            .Concat(g.TaskScore is { } ts ? [(g, TaskScoreMetric, ts)] : [])).ToList();
        return new DataFrame(
            new StringDataFrameColumn("task", rows.Select(r => r.g.Task)),
            new StringDataFrameColumn("model", rows.Select(r => r.g.Model)),
            new StringDataFrameColumn("method", rows.Select(r => r.g.Method)),
            new StringDataFrameColumn("budget", rows.Select(r => r.g.Budget ?? "")),
            new StringDataFrameColumn("family", rows.Select(r => r.g.Family ?? "")),
            new StringDataFrameColumn("metric", rows.Select(r => r.metric)),
            new Int32DataFrameColumn("n", rows.Select(r => r.stats.N)),
            new DoubleDataFrameColumn("mean", rows.Select(r => (double?)r.stats.Mean)),
            new DoubleDataFrameColumn("std", rows.Select(r => r.stats.Std)),
            new DoubleDataFrameColumn("ci95_half_width", rows.Select(r => r.stats.Ci95HalfWidth)));
    }

    public static void Write(RunSummary s, string path) =>
        AtomicFile.Write(path, tmp => DataFrame.SaveCsv(Build(s), tmp, cultureInfo: CultureInfo.InvariantCulture));
}
