using System.Text;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports;

/// <summary>results.md: per model the results and efficiency tables, then the plots and the cells that are not ok. Pure.</summary>
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
            sb.Append(MarkdownRenderer.Render(EfficiencyTableBuilder.Build(s, model))).Append('\n');
        }
        if (plotFiles.Count > 0)
        {
            sb.Append("## Quality against trainable parameters\n\n");
            foreach (var f in plotFiles.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
                sb.Append($"![{Path.GetFileNameWithoutExtension(f)}]({f})\n\n");
        }
        if (s.NotOk.Count > 0) sb.Append(MarkdownRenderer.Render(NotOkTableBuilder.Build(s)));
        return sb.ToString().TrimEnd('\n') + "\n";
    }

    public static string CountsLine(RunSummary s) =>
        $"{s.Cells} cells: {s.OkCells} ok, {s.NotOk.Count(c => c.Status == CellStatus.Failed)} failed, " +
        $"{s.NotOk.Count(c => c.Status == CellStatus.Diverged)} diverged.";
}
