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
    /// <summary>results.tex: every table as a booktabs float.</summary>
    public string? ResultsLatex { get; init; }
    /// <summary>tables/*.csv: each table as displayed, with its numbers split out.</summary>
    public IReadOnlyList<string> TableCsvs { get; init; } = [];
    /// <summary>aggregates.csv: every metric of every (task, model, method, budget): n, mean, std, 95 % CI.</summary>
    public string? AggregatesCsv { get; init; }
    /// <summary>Training curves overlaid per task (PNG and SVG).</summary>
    public IReadOnlyList<string> Curves { get; init; } = [];
    /// <summary>How many per-cell curve files were written under curves/cells.</summary>
    public int CellCurves { get; init; }
    public string? Html { get; init; }

    /// <summary>What to print after writing: the files, with the curves summarised by folder.</summary>
    public IEnumerable<string> Listing =>
        All.Except(Curves).Concat(Curves.Count + CellCurves == 0 ? [] :
            [$"{Path.Combine(Directory, RunReport.CurvesFolder)}{Path.DirectorySeparatorChar} ({Curves.Count} overlay files, {CellCurves} per-cell curves)"]);

    /// <summary>Every file written, tables first (per-cell curves counted, not listed).</summary>
    public IEnumerable<string> All =>
        new[] { ResultsMarkdown, ResultsLatex, CellsCsv, MetricsCsv, AggregatesCsv, SummaryJson }.OfType<string>()
            .Concat(TableCsvs).Concat(Plots).Concat(Curves).Concat(Html is null ? [] : [Html]);
}
