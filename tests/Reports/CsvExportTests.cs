using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Csv;

namespace PeftBench.Tests.Reports;

public class CsvExportTests
{
    string _dir = "";

    [SetUp] public void SetUp() => _dir = Directory.CreateTempSubdirectory("peftbench-csv-").FullName;
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void CellsCsvRoundTrips()
    {
        var cells = CellBuilder.GlueRun();
        cells[0] = cells[0] with { Error = "a, \"quoted\"\nmultiline error" };
        var path = Path.Combine(_dir, "cells.csv");
        CsvExport.WriteCells(cells, path);

        var read = CsvExport.ReadCells(path);
        var expected = cells.OrderBy(c => c.Key, StringComparer.Ordinal).Select(CellRow.From).ToList();
        Assert.That(read, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < read.Count; i++)
            Assert.That(Flat(read[i]), Is.EqualTo(Flat(expected[i])), $"row {i} ({expected[i].Key})");
        Assert.That(File.ReadLines(path).First(), Does.StartWith("key,status,error,task,"));
    }

    [Test]
    public void MetricsCsvRoundTripsOneRowPerMetric()
    {
        var cells = CellBuilder.GlueRun();
        var path = Path.Combine(_dir, "metrics.csv");
        CsvExport.WriteMetrics(cells, path);

        var read = CsvExport.ReadMetrics(path);
        Assert.That(read, Has.Count.EqualTo(cells.Sum(c => c.Metrics.Count)));
        var byKey = cells.ToDictionary(c => c.Key);
        foreach (var row in read)
        {
            Assert.That(row.Value, Is.EqualTo(byKey[row.Key].Metrics[row.Metric]), "doubles round-trip exactly");
            Assert.That(row.Primary, Is.EqualTo(row.Metric == byKey[row.Key].PrimaryMetric));
        }
    }

    /// <summary>Every column as invariant text; a string column written as null reads back as "".</summary>
    static string[] Flat(CellRow r) => typeof(CellRow).GetProperties()
        .Select(p => p.GetValue(r) switch
        {
            null => "",
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        }).ToArray();
}
