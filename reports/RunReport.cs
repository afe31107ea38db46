using System.Text;
using System.Text.Json;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Csv;
using PeftBench.Reports.Pareto;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports;

/// <summary>
/// The report of a run, written after the cells finish (or regenerated later from the result files alone):
/// results.md, cells.csv, metrics.csv, summary.json and the Pareto plots, each written atomically.
/// </summary>
public static class RunReport
{
    public const string PlotBaseName = "pareto_params";

    public static ReportPaths Write(IReadOnlyList<CellResult> cells, string outputDir, ReportOptions options)
    {
        Directory.CreateDirectory(outputDir);
        var summary = Aggregator.Summarize(cells, options);

        var plots = options.Plots ? WritePlots(summary, outputDir, options) : [];
        var paths = new ReportPaths(
            outputDir,
            Path.Combine(outputDir, "results.md"),
            Path.Combine(outputDir, "cells.csv"),
            Path.Combine(outputDir, "metrics.csv"),
            Path.Combine(outputDir, "summary.json"),
            plots,
            ConsoleSummary(summary, options));

        AtomicFile.WriteAllText(paths.ResultsMarkdown,
            ResultsMarkdown.Render(summary, options, plots.Select(p => Path.GetFileName(p)).ToList()));
        CsvExport.WriteCells(cells, paths.CellsCsv);
        CsvExport.WriteMetrics(cells, paths.MetricsCsv);
        AtomicFile.WriteAllText(paths.SummaryJson, JsonSerializer.Serialize(summary, ResultJson.Options) + "\n");
        return paths;
    }

    /// <summary>Reads a results folder (<c>DIR/cells/*.json</c>) and writes its report into <c>DIR/report</c>.</summary>
    public static ReportPaths WriteForFolder(string resultsDir, ReportOptions options) =>
        Write(ResultJson.ReadFolder(resultsDir), Path.Combine(resultsDir, "report"), options);

    /// <summary>The results table of each model as plain text, the cell counts, and what is not ok.</summary>
    public static string ConsoleSummary(RunSummary s, ReportOptions options)
    {
        var sb = new StringBuilder();
        foreach (var model in s.Models)
            sb.Append(ConsoleRenderer.Render(ResultsTableBuilder.Build(s, model, options))).Append('\n');
        sb.Append(ResultsMarkdown.CountsLine(s)).Append('\n');
        if (s.NotOk.Count > 0) sb.Append("Cells not ok are listed in results.md; a re-run retries them.\n");
        return sb.ToString();
    }

    /// <summary>One plot per model of the chosen suite's average against method parameters; none without a suite.</summary>
    static IReadOnlyList<string> WritePlots(RunSummary s, string outputDir, ReportOptions options)
    {
        var suite = ResultsTableBuilder.ChooseSuite(s, options);
        if (suite is null) return [];
        var files = new List<string>();
        foreach (var model in s.Models)
        {
            var points = ParetoPoints.For(s, suite, model, options.ValueScale);
            if (points.Count == 0) continue;
            var name = s.Models.Count == 1 ? PlotBaseName : $"{PlotBaseName}_{SafeName(model)}";
            var png = Path.Combine(outputDir, name + ".png");
            var svg = Path.Combine(outputDir, name + ".svg");
            var suiteName = Formats.SuiteName(suite);
            ParetoPlot.Save(points, $"{suiteName} avg. against trainable parameters: {model}", $"{suiteName} avg. (×{Formats.Count(options.ValueScale)}, mean ± std over seeds)",
                png, svg, options.PlotWidth, options.PlotHeight);
            files.Add(png);
            files.Add(svg);
        }
        return files;
    }

    static string SafeName(string s) => new(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
}
