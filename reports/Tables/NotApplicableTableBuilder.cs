using System.Globalization;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>Methods that cannot apply to a backbone, with the reason each gave: they are absent from the tables by design, not by failure.</summary>
public static class NotApplicableTableBuilder
{
    public static Table Build(RunSummary s)
    {
        var columns = new List<Column> { new("Model", false), new("Method", false), new("Cells", true), new("Reason", false) };
        var rows = s.NotApplicable.Select(n => (IReadOnlyList<TableCell>)
            [new(n.Model), new(n.Method), new(n.Cells.ToString(CultureInfo.InvariantCulture)), new(n.Reason)]).ToList();
        var caption = $"{s.NotApplicable.Count} method–backbone pair{(s.NotApplicable.Count == 1 ? "" : "s")} not applicable " +
                      "(the method's own reason); their cells were recorded, not trained, and a re-run does not retry them.";
        return new Table("Not applicable", caption, columns, rows, []);
    }
}
