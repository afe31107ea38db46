using NUnit.Framework;
using System.Text.Json;
using PeftBench.Reports;
using PeftBench.Reports.Pareto;
using SkiaSharp;

namespace PeftBench.Tests.Reports;

public class RunReportTests
{
    string _dir = "";

    [SetUp] public void SetUp() => _dir = Directory.CreateTempSubdirectory("peftbench-report-").FullName;
    /// <summary>PEFTBENCH_KEEP_TEST_OUTPUT=1 keeps the report folder to look at the plots.</summary>
    [TearDown]
    public void TearDown()
    {
        if (Environment.GetEnvironmentVariable("PEFTBENCH_KEEP_TEST_OUTPUT") == "1") TestContext.Out.WriteLine($"kept {_dir}");
        else Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void AFontIsInstalled()
    {
        // ScottPlot writes plots with no text at all when SkiaSharp finds no font.
        var families = SKFontManager.Default.GetFontFamilies();
        Assert.That(families.Any(f => !string.IsNullOrWhiteSpace(f)), Is.True,
            "SkiaSharp sees no font family: plots would have no text. Install fonts (Debian: apt-get install fonts-dejavu-core).");
    }

    [Test]
    public void WritesEveryFile()
    {
        var paths = RunReport.Write(CellBuilder.GlueRun(), _dir, new ReportOptions());

        foreach (var f in new[] { paths.ResultsMarkdown, paths.CellsCsv, paths.MetricsCsv, paths.SummaryJson })
            Assert.That(new FileInfo(f).Length, Is.GreaterThan(100), f);
        Assert.That(paths.Plots.Select(Path.GetFileName), Is.EqualTo(new[] { "params", "memory", "train_throughput", "inference_throughput" }
            .SelectMany(axis => new[] { $"pareto_{axis}.png", $"pareto_{axis}.svg" })));
        Assert.That(new FileInfo(paths.Plots[0]).Length, Is.GreaterThan(10_000), "PNG is non-trivial");
        var svg = File.ReadAllText(paths.Plots[1]);
        Assert.That(svg.Length, Is.GreaterThan(5_000));
        Assert.That(svg, Does.Contain("Trainable parameters"), "the SVG carries the axis label as text");
        Assert.That(Directory.GetFiles(_dir, ".*"), Is.Empty, "no temporary files left behind");

        using var json = JsonDocument.Parse(File.ReadAllText(paths.SummaryJson));
        Assert.That(json.RootElement.GetProperty("suite_averages").GetArrayLength(), Is.EqualTo(5));
        Assert.That(paths.ConsoleSummary, Does.Contain("GLUE avg."));
    }

    [Test]
    public void PlotLeavesOutPointsWithNoParameters()
    {
        var left = ParetoPlot.Save([new("probe", "head-only", 0, 70, null), new("lora", "lora", 8_000, 80, 0.5), new("full", "full", 1.4e6, 82, 0.3)],
            "t", "y", Path.Combine(_dir, "p.png"), Path.Combine(_dir, "p.svg"), 600, 400);
        Assert.That(left.Select(p => p.Label), Is.EqualTo(new[] { "probe" }));
        Assert.That(File.Exists(Path.Combine(_dir, "p.png")), Is.True);
    }

    [Test]
    public void AnEmptyRunStillWritesAReport()
    {
        var paths = RunReport.Write([], _dir, new ReportOptions());
        Assert.That(File.ReadAllText(paths.ResultsMarkdown), Does.Contain("0 cells: 0 ok"));
        Assert.That(paths.Plots, Is.Empty);
        Assert.That(CsvExportReadBack(paths.CellsCsv), Is.Empty);
    }

    [Test]
    public void EachModelGetsItsTablesAndPlot()
    {
        var cells = CellBuilder.GlueRun();
        cells.AddRange(CellBuilder.GlueRun().Where(c => c.IsOk && c.Cell.Method is "full" or "lora")
            .Select(c => c with { Key = c.Key + "-big", Cell = c.Cell with { Model = "tiny-bert-4l" } }));
        var paths = RunReport.Write(cells, _dir, new ReportOptions { Plots = true });
        var md = File.ReadAllText(paths.ResultsMarkdown);
        Assert.That(md, Does.Contain("## Results: tiny-bert-2l").And.Contain("## Results: tiny-bert-4l"));
        Assert.That(paths.Plots.Select(f => Path.GetFileName(f)).Where(f => f.StartsWith("pareto_params", StringComparison.Ordinal)), Is.EquivalentTo(new[]
        {
            "pareto_params_tiny-bert-2l.png", "pareto_params_tiny-bert-2l.svg", "pareto_params_tiny-bert-4l.png", "pareto_params_tiny-bert-4l.svg",
        }));
        Assert.That(paths.Plots, Has.Count.EqualTo(2 * 4 * 2), "two models × four axes × PNG and SVG");
        Assert.That(md, Does.Contain("## Backbones"), "methods × backbones");
    }

    [Test]
    public void RegeneratesFromResultFilesAlone()
    {
        var cells = CellBuilder.GlueRun();
        foreach (var c in cells) AtomicFile.WriteAllText(Path.Combine(_dir, "cells", c.Key + ".json"), ResultJson.Serialize(c));
        var options = new ReportOptions { Plots = false, TaskOrder = ["glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb"] };

        var paths = RunReport.WriteForFolder(_dir, options);

        Assert.That(paths.Directory, Is.EqualTo(Path.Combine(_dir, "report")));
        var fromCode = PeftBench.Reports.ResultsMarkdown.Render(PeftBench.Reports.Aggregation.Aggregator.Summarize(cells, options), options, []);
        Assert.That(File.ReadAllText(paths.ResultsMarkdown), Is.EqualTo(fromCode), "JSON round trip changes nothing in the report");
    }

    static List<PeftBench.Reports.Csv.CellRow> CsvExportReadBack(string path) => PeftBench.Reports.Csv.CsvExport.ReadCells(path);
}
