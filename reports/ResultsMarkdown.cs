using System.Text;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Pareto;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports;

/// <summary>results.md: per model the results, budget and efficiency tables, the backbone table, the Pareto fronts and plots, and the cells that are not ok. Pure.</summary>
public static class ResultsMarkdown
{
    public static string Render(RunSummary s, ReportOptions options, IReadOnlyList<string> plotFiles)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(options.Title).Append("\n\n");
        sb.Append(CountsLine(s)).Append("\n\n");
        foreach (var model in s.Models)
        {
            sb.Append(MarkdownRenderer.Render(ResultsTableBuilder.Build(s, model, options))).Append('\n');
            if (CrossTableBuilder.MethodsByBudget(s, model, options) is { } budgets) sb.Append(MarkdownRenderer.Render(budgets)).Append('\n');
            sb.Append(MarkdownRenderer.Render(EfficiencyTableBuilder.Build(s, model))).Append('\n');
        }
        if (CrossTableBuilder.MethodsByBackbone(s, options) is { } backbones) sb.Append(MarkdownRenderer.Render(backbones)).Append('\n');
        var suite = ResultsTableBuilder.ChooseSuite(s, options);
        if (suite is not null && s.Models.Count > 0)
        {
            var suiteName = Formats.SuiteName(suite);
            sb.Append($"## Pareto fronts of the {suiteName} avg.\n\n");
            foreach (var model in s.Models)
            {
                foreach (var axis in ParetoAxis.All)
                {
                    var points = ParetoPoints.For(s, suite, model, options.ValueScale, axis, options.MethodFamilies);
                    if (points.Count == 0) continue;
                    var front = ParetoPoints.Front(points, axis);
                    sb.Append($"Model `{model}`, against {axis.Title}: on the front (no method has {axis.Dominance}): ")
                        .Append(front.Count == 0 ? "none" : Formats.List(front)).Append('.');
                    if (axis == ParetoAxis.Parameters && ParetoPoints.LeftOut(s, suite, model) is { Count: > 0 } leftOut)
                        sb.Append(" Not plotted: ").Append(Formats.List(leftOut)).Append('.');
                    sb.Append("\n\n");
                }
            }
            foreach (var f in plotFiles.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
                sb.Append($"![{Path.GetFileNameWithoutExtension(f)}]({f})\n\n");
        }
        if (s.NotOk.Count > 0) sb.Append(MarkdownRenderer.Render(NotOkTableBuilder.Build(s)));
        if (s.NotApplicable.Count > 0) sb.Append(MarkdownRenderer.Render(NotApplicableTableBuilder.Build(s)));
        return sb.ToString().TrimEnd('\n') + "\n";
    }

    public static string CountsLine(RunSummary s) =>
        $"{s.Cells} cells: {s.OkCells} ok, {s.NotOk.Count(c => c.Status == CellStatus.Failed)} failed, " +
        $"{s.NotOk.Count(c => c.Status == CellStatus.Diverged)} diverged" +
        (s.NotApplicable.Count > 0 ? $"; {s.NotApplicable.Sum(n => n.Cells)} more not applicable ({s.NotApplicable.Count} method–backbone pairs)." : ".");
}
