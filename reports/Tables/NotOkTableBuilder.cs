using System.Globalization;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>The cells that failed or diverged, with the first line of their error: they are never averaged in.</summary>
public static class NotOkTableBuilder
{
    const int MaxErrorLength = 120;

    public static Table Build(RunSummary s)
    {
        var columns = new List<Column>
        {
            new("Status", false), new("Task", false), new("Model", false), new("Method", false), new("Seed", true),
            new("Error", false), new("Key", false),
        };
        var rows = s.NotOk.Select(c => (IReadOnlyList<TableCell>)
        [
            new(c.Status), new(c.Task), new(c.Model), new(new MethodKey(c.Model, c.Method, c.Budget).Label),
            new(c.Seed.ToString(CultureInfo.InvariantCulture)), new(FirstLine(c.Error)), new(c.Key),
        ]).ToList();
        var failed = s.NotOk.Count(c => c.Status == CellStatus.Failed);
        var diverged = s.NotOk.Count(c => c.Status == CellStatus.Diverged);
        var caption = $"{s.NotOk.Count} of {s.Cells} cells are not ok ({failed} failed, {diverged} diverged" +
                      $"{(s.NotOk.Count - failed - diverged > 0 ? $", {s.NotOk.Count - failed - diverged} other" : "")}); " +
                      "they are excluded from every mean. A re-run retries them.";
        return new Table("Cells not ok", caption, columns, rows, []);
    }

    static string FirstLine(string? error)
    {
        if (string.IsNullOrWhiteSpace(error)) return "";
        var line = error.Split('\n')[0].Trim();
        return line.Length <= MaxErrorLength ? line : line[..(MaxErrorLength - 1)] + "…";
    }
}
