using CsvHelper;

namespace PeftBench.Reports.Csv;

/// <summary>
/// cells.csv (one row per cell, wide) and metrics.csv (one row per cell and metric, long), in key order.
/// CsvHelper formats numbers with the invariant culture; files are written through <see cref="AtomicFile"/>.
/// </summary>
public static class CsvExport
{
    public static void WriteCells(IReadOnlyList<CellResult> cells, string path) =>
        Write(path, Sorted(cells).Select(CellRow.From));

    public static void WriteMetrics(IReadOnlyList<CellResult> cells, string path) =>
        Write(path, Sorted(cells).SelectMany(MetricRow.From));

    public static List<CellRow> ReadCells(string path) => Read<CellRow>(path);

    public static List<MetricRow> ReadMetrics(string path) => Read<MetricRow>(path);

    static IEnumerable<CellResult> Sorted(IReadOnlyList<CellResult> cells) => cells.OrderBy(c => c.Key, StringComparer.Ordinal);

    static void Write<T>(string path, IEnumerable<T> rows) => AtomicFile.Write(path, tmp =>
    {
        using var w = CsvWriter.ToFile(tmp, null);
        w.WriteRecords(rows);
    });

    static List<T> Read<T>(string path)
    {
        using var r = CsvReader.FromFile(path, null);
        return r.GetRecords<T>().ToList();
    }
}
