using CsvHelper;

namespace PeftBench.Reports.Tables;

/// <summary>
/// Table → CSV for spreadsheets: the header row, then the rows as displayed, plus for every score column its mean, std
/// and 95 % CI half-width as numbers (columns "HEADER mean", "HEADER std", "HEADER ci95") and the marks. No emphasis.
/// </summary>
public static class TableCsv
{
    public static void Write(Table t, string path) => AtomicFile.Write(path, tmp =>
    {
        using var w = CsvWriter.ToFile(tmp, null);
        var scored = Enumerable.Range(0, t.Columns.Count).Where(c => t.Rows.Any(r => r[c].Stat is not null)).ToList();
        foreach (var c in t.Columns) w.WriteField(c.Header);
        foreach (var c in scored)
            foreach (var suffix in new[] { "mean", "std", "ci95", "marks" }) w.WriteField($"{t.Columns[c].Header} {suffix}");
        w.EndRecord();
        foreach (var row in t.Rows)
        {
            foreach (var cell in row) w.WriteField(cell.TextWithMarker);
            foreach (var c in scored)
            {
                var s = row[c].Stat;
                w.WriteField(s?.Mean ?? "");
                w.WriteField(s?.Std ?? "");
                w.WriteField(s?.Ci95 ?? "");
                w.WriteField(row[c].Marks);
            }
            w.EndRecord();
        }
    });
}
