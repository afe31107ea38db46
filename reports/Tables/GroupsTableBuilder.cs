using System.Globalization;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>
/// Every (task, model, method, budget) in one long table: seeds, task score with std and 95 % CI, parameters and
/// costs. The HTML report makes it sortable; numbers carry an invariant sort key.
/// </summary>
public static class GroupsTableBuilder
{
    public static Table Build(RunSummary s, ReportOptions options)
    {
        var columns = new List<Column>
        {
            new("Task", false), new("Model", false), new("Method", false), new("Family", false), new("Budget", false), new("Seeds", true),
            new("Score", true), new("95% CI ±", true), new("Params", true), new("% backbone", true),
            new("Peak mem. (MiB)", true), new("Train ex/s", true), new("Infer. ex/s", true),
        };
        var rows = s.Groups.Select(g => (IReadOnlyList<TableCell>)
        [
            new(Formats.TaskName(g.Task)), new(g.Model), new(g.Method), new(g.Family ?? options.MethodFamilies?.GetValueOrDefault(g.Method) ?? "—"),
            new(g.Budget ?? "fixed"), Number(g.N, g.N.ToString(CultureInfo.InvariantCulture)),
            g.TaskScore is { } ts ? new TableCell(Formats.MeanStd(ts, options.ValueScale)) { Stat = ScoreColumns.Stat(ts, options.ValueScale) } : new("—"),
            g.TaskScore?.Ci95HalfWidth is { } ci ? Number(ci * options.ValueScale, Formats.Fixed(ci * options.ValueScale, 1)) : new("—"),
            g.Parameters is { } p ? Number(p.MethodTrainable, Formats.Count(p.MethodTrainable)) : new("—"),
            g.Parameters is { } q ? Number(q.MethodTrainableFraction, Formats.Percent(q.MethodTrainableFraction)) : new("—"),
            Measured(g.PeakMemoryBytes, 1.0 / (1024 * 1024), 0),
            Measured(g.TrainExamplesPerSecond, 1, 0),
            Measured(g.InferenceExamplesPerSecond, 1, 0),
        ]).ToList();
        var caption = $"Every task, model, method and budget: task score mean ± std over the ok seeds" +
                      $"{(options.ValueScale == 1 ? "" : $" (×{Formats.Count(options.ValueScale)})")} with the 95 % Student-t half-width; " +
                      "costs are means over seeds. Click a header to sort.";
        return new Table("All results", caption, columns, rows, []);
    }

    static TableCell Number(double v, string text) => new(text) { SortKey = v.ToString("R", CultureInfo.InvariantCulture) };

    static TableCell Measured(SampleStats? s, double scale, int decimals) =>
        s is null ? new TableCell("—") : Number(s.Mean * scale, Formats.Fixed(s.Mean * scale, decimals));
}
