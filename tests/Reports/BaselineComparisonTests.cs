using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Comparison;

namespace PeftBench.Tests.Reports;

/// <summary>The regression gate on synthetic results (no training): planted regressions are caught, reruns pass.</summary>
public class BaselineComparisonTests
{
    static List<CellResult> Run() =>
    [
        CellBuilder.Ok("glue/sst2", "lora", 0, new Dictionary<string, double> { ["accuracy"] = 0.70 }, "0.5%", adapter: 7_168),
        CellBuilder.Ok("glue/stsb", "lora", 0, new Dictionary<string, double> { ["pearson"] = 0.30, ["spearman"] = 0.28 }, "0.5%", adapter: 7_168),
        CellBuilder.Ok("glue/sst2", "bitfit", 0, new Dictionary<string, double> { ["accuracy"] = 0.66 }, other: 1_280),
    ];

    static BaselineFile Baseline(IReadOnlyList<CellResult> cells, double floor = 0.001) =>
        BaselineJson.FromResults(cells, "ci", new Tolerances { MetricFloor = floor }, "make baseline SUITE=ci");

    static ComparisonResult Compare(IReadOnlyList<CellResult> baseline, IEnumerable<CellResult> current, Tolerances? t = null)
    {
        var b = Baseline(baseline);
        return Comparer.Compare(b, current.Select(BaselineCell.From).ToList(), t ?? b.Tolerances);
    }

    static CellResult WithMetric(CellResult r, string metric, double value) =>
        r with { Metrics = new Dictionary<string, double>(r.Metrics) { [metric] = value } };

    [Test]
    public void AnIdenticalRerunPasses()
    {
        var result = Compare(Run(), Run());
        Assert.That(result.Verdict, Is.EqualTo("pass"));
        Assert.That(result.Findings, Is.Empty);
        Assert.That(result.MatchedCells, Is.EqualTo(3));
    }

    [Test]
    public void AMetricDropBeyondTheFloorIsARegressionAndWithinItIsNot()
    {
        var current = Run();
        current[0] = WithMetric(current[0], "accuracy", 0.69);
        var result = Compare(Run(), current);
        Assert.That(result.Verdict, Is.EqualTo("regression"));
        var f = result.Findings.Single();
        Assert.That((f.Kind, f.Metric, f.Baseline, f.Current), Is.EqualTo(("metric", "accuracy", 0.70, 0.69)));

        current[0] = WithMetric(current[0], "accuracy", 0.6995);
        Assert.That(Compare(Run(), current).Verdict, Is.EqualTo("pass"));
    }

    [Test]
    public void AnImprovementIsReportedButPasses()
    {
        var current = Run();
        current[2] = WithMetric(current[2], "accuracy", 0.80);
        var result = Compare(Run(), current);
        Assert.That(result.Verdict, Is.EqualTo("pass"));
        Assert.That(result.Findings.Single().Kind, Is.EqualTo("improved"));
    }

    [Test]
    public void TheSeedSpreadWidensTheTolerance()
    {
        // Three seeds with std 0.01: a drop of 0.02 is within 3 × std, a drop of 0.05 is not.
        List<CellResult> Seeds(double first) =>
            [.. new[] { first, 0.71, 0.72 }.Select((v, i) => CellBuilder.Ok("glue/sst2", "lora", i, new Dictionary<string, double> { ["accuracy"] = v }, "0.5%", adapter: 7_168))];
        Assert.That(Compare(Seeds(0.70), Seeds(0.68)).Verdict, Is.EqualTo("pass"));
        Assert.That(Compare(Seeds(0.70), Seeds(0.65)).Verdict, Is.EqualTo("regression"));
    }

    [Test]
    public void AChangedTrainableCountIsARegression()
    {
        var current = Run();
        current[0] = CellBuilder.Ok("glue/sst2", "lora", 0, current[0].Metrics, "0.5%", adapter: 7_200);
        var result = Compare(Run(), current);
        Assert.That(result.Verdict, Is.EqualTo("regression"));
        Assert.That(result.Findings.Select(f => f.Kind).Distinct(), Is.EqualTo(new[] { "parameters" }));
        Assert.That(result.Findings.First().Detail, Does.Contain("7168 → 7200").Or.Contain("7426 → 7458"));
    }

    [Test]
    public void AMissingCellIsARegressionAndAnAddedOneIsNot()
    {
        var current = Run();
        current.RemoveAt(1);
        var result = Compare(Run(), current);
        Assert.That(result.Verdict, Is.EqualTo("regression"));
        Assert.That(result.Findings.Single().Kind, Is.EqualTo("removed"));

        var added = Run();
        added.Add(CellBuilder.Ok("glue/mrpc", "lora", 0, new Dictionary<string, double> { ["f1"] = 0.8, ["accuracy"] = 0.7 }, "0.5%", adapter: 7_168));
        result = Compare(Run(), added);
        Assert.That(result.Verdict, Is.EqualTo("pass"));
        Assert.That(result.Findings.Single().Kind, Is.EqualTo("added"));
    }

    [Test]
    public void ANewlyFailingCellIsARegression()
    {
        var current = Run();
        current[2] = CellBuilder.NotOk("glue/sst2", "bitfit", 0, CellStatus.Failed, "boom");
        var result = Compare(Run(), current);
        Assert.That(result.Findings.Single().Kind, Is.EqualTo("newly-failing"));
        Assert.That(result.Verdict, Is.EqualTo("regression"));
    }

    [Test]
    public void ACellNotApplicableInBothIsInformationNotAWarning()
    {
        static List<CellResult> WithNotApplicable()
        {
            var cells = Run();
            cells[2] = CellBuilder.NotOk("glue/sst2", "bitfit", 0, CellStatus.NotApplicable, "no bias terms");
            return cells;
        }
        var result = Compare(WithNotApplicable(), WithNotApplicable());
        Assert.That(result.Findings.Single().Kind, Is.EqualTo("not-applicable"));
        Assert.That(result.Findings.Single().Severity, Is.EqualTo(Severity.Info));
        Assert.That(result.Verdict, Is.EqualTo("pass"));
    }

    [Test]
    public void MemoryAndThroughputWarnByDefaultAndFailWhenAsked()
    {
        var current = Run();
        current[0] = current[0] with { Measurements = current[0].Measurements! with { PeakMemoryBytes = current[0].Measurements!.PeakMemoryBytes * 2, TrainExamplesPerSecond = 10 } };
        var result = Compare(Run(), current);
        Assert.That(result.Verdict, Is.EqualTo("pass"));
        Assert.That(result.Findings.Select(f => (f.Kind, f.Severity)), Is.EquivalentTo(new[] { ("memory", Severity.Warning), ("throughput", Severity.Warning) }));
        Assert.That(result.Findings.First(f => f.Kind == "memory").Ratio, Is.EqualTo(2.0).Within(0.01));

        result = Compare(Run(), current, new Tolerances { MetricFloor = 0.001, FailOnPerformance = true });
        Assert.That(result.Verdict, Is.EqualTo("regression"));
    }

    [Test]
    public void ADifferentThreadCountIsNotComparable()
    {
        var current = Run().Select(r => r with { Cell = r.Cell with { Threads = 1 } }).ToList();
        var result = Compare(Run(), current);
        Assert.That(result.Verdict, Is.EqualTo("not-comparable"));
        Assert.That(result.NotComparable.Single(), Does.Contain("baseline ran at 2 thread(s), the current run at 1"));
    }

    [Test]
    public void ABaselineFileIsSortedOneCellPerLineAndRoundTrips()
    {
        var file = Baseline(Run());
        var text = BaselineJson.Serialize(file);
        var cellLines = text.Split('\n').Where(l => l.StartsWith("    {", StringComparison.Ordinal)).ToList();
        Assert.That(cellLines, Has.Count.EqualTo(3));
        Assert.That(cellLines, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        var back = BaselineJson.Parse(text, "test.json");
        Assert.That(back.Cells.Select(c => c.Key), Is.EqualTo(file.Cells.Select(c => c.Key)));
        Assert.That(back.Cells[0].Metrics, Is.EqualTo(file.Cells[0].Metrics));
        Assert.That(back.Tolerances, Is.EqualTo(file.Tolerances));
        Assert.That(back.Provenance.Threads, Is.EqualTo(new[] { 2 }));
        Assert.That(Comparer.Compare(back, Run().Select(BaselineCell.From).ToList(), back.Tolerances).Verdict, Is.EqualTo("pass"));
    }

    [TestCase("not json at all", "not a valid baseline file")]
    [TestCase("{\"schema\": 7, \"provenance\": {}, \"tolerances\": {}, \"cells\": []}", "schema 7 is not supported")]
    [TestCase("{\"schema\": 1, \"provenance\": {}, \"tolerances\": {}}", "not a valid baseline file")]
    [TestCase("{\"schema\": 1, \"provenance\": {}, \"tolerances\": {}, \"cells\": [{\"key\": \"a\", \"task\": \"t\", \"model\": \"m\", \"method\": \"x\", \"status\": \"weird\"}]}", "unknown status 'weird'")]
    [TestCase("{\"schema\": 1, \"provenance\": {}, \"tolerances\": {}, \"cells\": [{\"key\": \"a\", \"task\": \"t\", \"model\": \"m\", \"method\": \"x\", \"status\": \"ok\"}, {\"key\": \"a\", \"task\": \"t\", \"model\": \"m\", \"method\": \"x\", \"status\": \"ok\"}]}", "key a appears 2 times")]
    [TestCase("null", "is empty")]
    public void AMalformedBaselineGivesAClearError(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => BaselineJson.Parse(json, "results/baselines/ci.json"))!;
        Assert.That(e.Message, Does.Contain("results/baselines/ci.json").And.Contain(expected).And.Contain("make baseline"));
    }

    [Test]
    public void TheMarkdownSummaryNamesTheVerdictAndTheRegressedCell()
    {
        var current = Run();
        current[0] = WithMetric(current[0], "accuracy", 0.5);
        var md = ComparisonRenderer.Markdown(Compare(Run(), current));
        Assert.That(md, Does.StartWith("## ❌ PeftBench regression check"));
        Assert.That(md, Does.Contain("| FAIL | glue/sst2 · tiny-bert-2l · lora @0.5% · seed 0 | metric: accuracy | 0.7 | 0.5 |"));
        Assert.That(ComparisonRenderer.Json(Compare(Run(), current), 1), Does.Contain("\"verdict\": \"regression\"").And.Contain("\"exit_code\": 1"));
    }
}
