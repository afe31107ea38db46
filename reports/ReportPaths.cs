namespace PeftBench.Reports;

/// <summary>What <see cref="RunReport.Write"/> wrote, and the text to print.</summary>
public sealed record ReportPaths(
    string Directory,
    string ResultsMarkdown,
    string CellsCsv,
    string MetricsCsv,
    string SummaryJson,
    IReadOnlyList<string> Plots,
    string ConsoleSummary)
{
    /// <summary>Every file written, tables first.</summary>
    public IEnumerable<string> All => new[] { ResultsMarkdown, CellsCsv, MetricsCsv, SummaryJson }.Concat(Plots);
}
