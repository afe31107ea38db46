using CsvHelper;

namespace PeftBench.Reports.Csv;

/// <summary>One row of metrics.csv: one metric of one cell (long format, every metric of every task).</summary>
[CsvRecord]
public partial class MetricRow
{
    [CsvColumn("key")] public string Key { get; set; } = "";
    [CsvColumn("status")] public string Status { get; set; } = "";
    [CsvColumn("task")] public string Task { get; set; } = "";
    [CsvColumn("model")] public string Model { get; set; } = "";
    [CsvColumn("method")] public string Method { get; set; } = "";
    [CsvColumn("budget")] public string? Budget { get; set; }
    [CsvColumn("seed")] public long Seed { get; set; }
    [CsvColumn("metric")] public string Metric { get; set; } = "";
    [CsvColumn("value")] public double Value { get; set; }
    [CsvColumn("higher_is_better")] public bool? HigherIsBetter { get; set; }
    [CsvColumn("primary")] public bool Primary { get; set; }

    public static IEnumerable<MetricRow> From(CellResult r) =>
        r.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new MetricRow
        {
            Key = r.Key, Status = r.Status, Task = r.Cell.Task, Model = r.Cell.Model, Method = r.Cell.Method,
            Budget = r.Cell.Budget, Seed = r.Cell.Seed, Metric = m.Key, Value = m.Value,
            HigherIsBetter = r.HigherIsBetter.TryGetValue(m.Key, out var h) ? h : null,
            Primary = m.Key == r.PrimaryMetric,
        });
}
