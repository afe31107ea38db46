using System.Text;
using System.Text.Json;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Csv;
using PeftBench.Reports.Curves;
using PeftBench.Reports.Html;
using PeftBench.Reports.Pareto;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports;

/// <summary>
/// The report of a run, written after the cells finish (or regenerated later from the result files alone):
/// results.md, results.tex, cells.csv, metrics.csv, aggregates.csv, tables/*.csv, summary.json, the Pareto views,
/// the training curves and report.html, each written atomically.
/// </summary>
public static class RunReport
{
    public const string PlotBaseName = "pareto_params";
    public const string CurvesFolder = "curves";

    public static ReportPaths Write(IReadOnlyList<CellResult> cells, string outputDir, ReportOptions options)
    {
        Directory.CreateDirectory(outputDir);
        var summary = Aggregator.Summarize(cells, options);
        var tables = Tables(summary, options);

        var pareto = options.Plots ? WritePareto(summary, outputDir, options) : [];
        var (curves, cellCurves) = options.Plots ? WriteCurves(cells, summary, outputDir, options) : ([], []);
        var plots = pareto.SelectMany(f => new[] { f.Png, f.Svg }).ToList();
        var paths = new ReportPaths(
            outputDir,
            Path.Combine(outputDir, "results.md"),
            Path.Combine(outputDir, "cells.csv"),
            Path.Combine(outputDir, "metrics.csv"),
            Path.Combine(outputDir, "summary.json"),
            plots,
            ConsoleSummary(summary, options))
        {
            ResultsLatex = Path.Combine(outputDir, "results.tex"),
            AggregatesCsv = Path.Combine(outputDir, "aggregates.csv"),
            TableCsvs = tables.Select(t => Path.Combine(outputDir, "tables", TableFileName(t) + ".csv")).ToList(),
            Curves = curves.SelectMany(f => new[] { f.Png, f.Svg }).ToList(),
            CellCurves = cellCurves.Count,
            Html = options.Html ? Path.Combine(outputDir, "report.html") : null,
        };

        AtomicFile.WriteAllText(paths.ResultsMarkdown,
            ResultsMarkdown.Render(summary, options, plots.Select(p => Path.GetFileName(p)).ToList()));
        AtomicFile.WriteAllText(paths.ResultsLatex, Latex(tables, options));
        for (var i = 0; i < tables.Count; i++) TableCsv.Write(tables[i], paths.TableCsvs[i]);
        CsvExport.WriteCells(cells, paths.CellsCsv);
        CsvExport.WriteMetrics(cells, paths.MetricsCsv);
        AggregatesFrame.Write(summary, paths.AggregatesCsv);
        AtomicFile.WriteAllText(paths.SummaryJson, JsonSerializer.Serialize(summary, ResultJson.Options) + "\n");
        if (paths.Html is not null)
            AtomicFile.WriteAllText(paths.Html, HtmlReport.Render(new HtmlContent(
                options.Title, ResultsMarkdown.CountsLine(summary), RunProvenance.AsTable(cells),
                [.. tables, .. summary.Models.Select(m => EfficiencyTableBuilder.Build(summary, m)),
                    .. summary.NotOk.Count > 0 ? [NotOkTableBuilder.Build(summary)] : Array.Empty<Table>(),
                    .. summary.NotApplicable.Count > 0 ? [NotApplicableTableBuilder.Build(summary)] : Array.Empty<Table>()],
                GroupsTableBuilder.Build(summary, options),
                pareto.Select(f => f.Figure(outputDir)).ToList(),
                curves.Select(f => f.Figure(outputDir)).ToList(),
                cellCurves.Select(c => (c.Label, Relative(outputDir, c.Svg))).ToList())));
        return paths;
    }

    /// <summary>Reads a results folder (<c>DIR/cells/*.json</c>) and writes its report into <c>DIR/report</c>.</summary>
    public static ReportPaths WriteForFolder(string resultsDir, ReportOptions options) =>
        Write(ResultJson.ReadFolder(resultsDir), Path.Combine(resultsDir, "report"), options);

    /// <summary>The score tables in the order of results.tex: per model the results, then budgets, then backbones.</summary>
    public static IReadOnlyList<Table> Tables(RunSummary s, ReportOptions options)
    {
        var tables = new List<Table>();
        foreach (var model in s.Models)
        {
            tables.Add(ResultsTableBuilder.Build(s, model, options));
            if (CrossTableBuilder.MethodsByBudget(s, model, options) is { } b) tables.Add(b);
        }
        if (CrossTableBuilder.MethodsByBackbone(s, options) is { } m) tables.Add(m);
        return tables;
    }

    /// <summary>results.tex: every score table, then the efficiency tables; needs booktabs.</summary>
    public static string Latex(IReadOnlyList<Table> tables, ReportOptions options)
    {
        var sb = new StringBuilder("% PeftBench tables. Needs \\usepackage{booktabs}. Regenerate with: peftbench report RESULTS_DIR\n\n");
        foreach (var t in tables) sb.Append(LatexRenderer.Render(t, options.LatexSpread)).Append('\n');
        return sb.ToString().TrimEnd('\n') + "\n";
    }

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

    sealed record Written(string Title, string Caption, string Png, string Svg)
    {
        public Figure Figure(string dir) => new(Title, Caption, Relative(dir, Svg), File.ReadAllText(Svg));
    }

    /// <summary>Per model, the suite average against each measured axis (parameters, memory, training and inference throughput).</summary>
    static List<Written> WritePareto(RunSummary s, string outputDir, ReportOptions options)
    {
        var suite = ResultsTableBuilder.ChooseSuite(s, options);
        if (suite is null) return [];
        var suiteName = Formats.SuiteName(suite);
        var files = new List<Written>();
        foreach (var model in s.Models)
            foreach (var axis in ParetoAxis.All)
            {
                var points = ParetoPoints.For(s, suite, model, options.ValueScale, axis, options.MethodFamilies);
                if (points.Count == 0) continue;
                var name = $"pareto_{axis.Id}" + (s.Models.Count == 1 ? "" : $"_{SafeName(model)}");
                var png = Path.Combine(outputDir, name + ".png");
                var svg = Path.Combine(outputDir, name + ".svg");
                var title = $"{suiteName} avg. against {axis.Title}: {model}";
                ParetoPlot.Save(points, title, $"{suiteName} avg. (×{Formats.Count(options.ValueScale)}, mean ± std over seeds)",
                    png, svg, options.PlotWidth, options.PlotHeight, axis);
                var front = ParetoPoints.Front(points, axis);
                files.Add(new Written(title, $"Front (no method has {axis.Dominance}): {(front.Count == 0 ? "none" : Formats.List(front))}. " +
                    "Error bars: std over seeds; colours: method families.", png, svg));
            }
        return files;
    }

    /// <summary>Per model and task, the loss and the dev score of every method overlaid; per cell, both in one SVG.</summary>
    static (List<Written> Overlays, List<(string Label, string Svg)> Cells) WriteCurves(
        IReadOnlyList<CellResult> cells, RunSummary s, string outputDir, ReportOptions options)
    {
        var overlays = new List<Written>();
        var perCell = new List<(string, string)>();
        if (!cells.Any(c => c.History is { Count: > 0 })) return (overlays, perCell);
        var dir = Path.Combine(outputDir, CurvesFolder);
        foreach (var model in s.Models)
            foreach (var task in s.Tasks)
                foreach (var (kind, id, label) in new[] { (CurveKind.TrainLoss, "loss", "Training loss"), (CurveKind.DevScore, "dev", "Dev score") })
                {
                    var scale = kind == CurveKind.DevScore ? options.ValueScale : 1;
                    var lines = CurveSeries.OverlayForTask(cells, s, task, model, kind, scale, options.MethodFamilies);
                    if (lines.Count == 0) continue;
                    var name = $"{SafeName(Formats.TaskName(task))}_{id}" + (s.Models.Count == 1 ? "" : $"_{SafeName(model)}");
                    var svg = Path.Combine(dir, name + ".svg");
                    var png = Path.Combine(dir, name + ".png");
                    var yLabel = kind == CurveKind.DevScore && scale != 1 ? $"{label} (×{Formats.Count(scale)})" : label;
                    var title = $"{Formats.TaskName(task)}: {label.ToLowerInvariant()} against steps ({model})";
                    CurvePlot.SaveOverlay(lines, title, yLabel, svg, png, options.PlotWidth, options.PlotHeight * 2 / 3);
                    overlays.Add(new Written(title, kind == CurveKind.TrainLoss
                        ? "Mean over seeds of the mean training loss per logging window."
                        : "Mean over seeds of the primary metric on (up to 1,000 examples of) its evaluation split, at evenly spaced steps.", png, svg));
                }
        if (options.CellCurves)
            foreach (var c in cells.Where(c => c.History is { Count: > 0 }).OrderBy(c => c.Cell.Task, StringComparer.Ordinal)
                         .ThenBy(c => c.Cell.Method, StringComparer.Ordinal).ThenBy(c => c.Cell.Seed))
            {
                var svg = Path.Combine(dir, "cells", SafeName(c.Key) + ".svg");
                if (CurvePlot.SaveCell(c, options.ValueScale, svg, null, options.PlotWidth * 2 / 3, options.PlotHeight * 2 / 3))
                    perCell.Add(($"{c.Cell.Task} · {c.Cell.Model} · {new Aggregation.MethodKey(c.Cell.Model, c.Cell.Method, c.Cell.Budget).Label} · seed {c.Cell.Seed}", svg));
            }
        return (overlays, perCell);
    }

    static string TableFileName(Table t) => SafeName(t.Id["tab:".Length..]);

    static string Relative(string dir, string path) => Path.GetRelativePath(dir, path).Replace('\\', '/');

    static string SafeName(string s) => new(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
}
