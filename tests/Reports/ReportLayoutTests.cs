using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Csv;
using PeftBench.Reports.Curves;
using PeftBench.Reports.Html;
using PeftBench.Reports.Pareto;
using PeftBench.Reports.Tables;

namespace PeftBench.Tests.Reports;

/// <summary>The table layouts, the significance marks, the suite-average hook, the Pareto axes and the curves.</summary>
public class ReportLayoutTests
{
    static readonly ReportOptions Options = new() { TaskOrder = ["glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb"] };

    [Test]
    public void MethodsByBudgetHasBudgetsAsPercentOfTheBackbone()
    {
        var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), Options);
        var t = CrossTableBuilder.MethodsByBudget(s, CellBuilder.Model, Options)!;
        Assert.That(t.Columns.Select(c => c.Header), Is.EqualTo(new[] { "Method", "0.100%", "0.500%", "fixed" }));
        Assert.That(t.Rows.Select(r => r[0].Text), Is.EqualTo(new[] { "full", "lora", "houlsby", "bitfit" }));
        var lora = t.Rows.Single(r => r[0].Text == "lora");
        Assert.That(lora[1].Text, Is.Not.EqualTo("—"));
        Assert.That(lora[3].Text, Is.EqualTo("—"), "lora has no fixed-count run");
        Assert.That(t.Caption, Does.Contain("1.40M parameters"));
        Assert.That(Formats.BudgetFraction("100k", 2e6), Is.EqualTo(0.05).Within(1e-12));
        Assert.That(Formats.BudgetFraction("0.5%", null), Is.EqualTo(0.005).Within(1e-12));
    }

    [Test]
    public void MethodsByBackboneNeedsTwoBackbones()
    {
        var cells = CellBuilder.NoisyGlueRun();
        var s1 = Aggregator.Summarize(cells, Options);
        Assert.That(CrossTableBuilder.MethodsByBackbone(s1, Options), Is.Null);
        cells.AddRange(cells.Where(c => c.Cell.Method is "full" or "bitfit")
            .Select(c => c with { Key = c.Key + "-4l", Cell = c.Cell with { Model = "tiny-bert-4l" } }).ToList());
        var t = CrossTableBuilder.MethodsByBackbone(Aggregator.Summarize(cells, Options), Options)!;
        Assert.That(t.Columns.Select(c => c.Header), Is.EqualTo(new[] { "Method", "tiny-bert-2l (1.40M parameters)", "tiny-bert-4l (1.40M parameters)" }));
        Assert.That(t.Rows.Single(r => r[0].Text == "lora (0.5%)")[2].Text, Is.EqualTo("—"));
    }

    [Test]
    public void SignificanceMarksFollowThePairedTests()
    {
        var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), Options);
        var t = ResultsTableBuilder.Build(s, CellBuilder.Model, Options);
        var sst2 = t.Columns.Select(c => c.Header).ToList().IndexOf("SST-2");
        var rows = t.Rows.ToDictionary(r => r[0].Text, r => r[sst2]);
        // SST-2: full 88.0 is best; lora (0.5%) 87.6 is within seed noise (paired t) and 1 of 64 examples away (bootstrap).
        Assert.That(rows["full"].Best, Is.True);
        Assert.That(rows["full"].Marks, Is.Empty, "the reference is not marked");
        Assert.That(rows["lora (0.5%)"].Marks, Is.EqualTo("†‡"));
        Assert.That(rows["bitfit"].Marks, Is.Empty, "5 points below with little noise: significant on both");
        Assert.That(t.Caption, Does.Contain("paired t-test over seeds").And.Contain("paired bootstrap over examples of accuracy"));

        // Exact Wilcoxon over 3 seeds cannot go below p = 0.25: every row not tied with the best is marked †.
        var wilcoxon = Options with { Significance = new SignificanceOptions { SeedTest = SeedTest.Wilcoxon } };
        var w = ResultsTableBuilder.Build(s, CellBuilder.Model, wilcoxon);
        Assert.That(w.Rows.Where(r => !r[sst2].Best).Select(r => r[sst2].Marks), Has.All.StartWith("†"));
        Assert.That(w.Caption, Does.Contain("exact Wilcoxon signed-rank test over seeds"));
    }

    [Test]
    public void AbsoluteBudgetsShowTheirShareOfTheBackbone()
    {
        var cells = CellBuilder.NoisyGlueRun().Select(c => c.Cell.Budget == "0.1%" ? c with { Cell = c.Cell with { Budget = "14k" } } : c).ToList();
        var s = Aggregator.Summarize(cells, Options);
        var t = ResultsTableBuilder.Build(s, CellBuilder.Model, Options);
        Assert.That(t.Rows.Select(r => r[0].Text), Does.Contain("lora (14k = 1.00%)"));
        Assert.That(t.Caption, Does.Contain("Budgets 0.500% and 1.00% of the backbone"));
    }

    [Test]
    public void GroupedSuitesAverageTheGroupMeans()
    {
        // A VTAB-style hook: two groups of unequal size; the headline is the mean of the group means.
        var options = Options with
        {
            SuiteGroups = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>
            {
                ["glue"] = new Dictionary<string, IReadOnlyList<string>> { ["single"] = ["glue/cola", "glue/sst2", "glue/mrpc"], ["pairs"] = ["glue/stsb"] },
            },
        };
        var cells = CellBuilder.NoisyGlueRun().Where(c => c.Cell.Method == "bitfit").ToList();
        var a = Aggregator.Summarize(cells, options).SuiteAverages.Single();
        var seed0 = cells.Where(c => c.Cell.Seed == 0).ToDictionary(c => c.Cell.Task, c => c.TaskScore!.Value);
        var single = (seed0["glue/cola"] + seed0["glue/sst2"] + seed0["glue/mrpc"]) / 3;
        Assert.That(a.Rule, Is.EqualTo(SuiteAveraging.MeanOfGroupMeans));
        Assert.That(a.PerSeed[0], Is.EqualTo((single + seed0["glue/stsb"]) / 2).Within(1e-12));
        Assert.That(a.GroupScores.Keys, Is.EquivalentTo(new[] { "single", "pairs" }));
        Assert.That(a.MeanOverTasks!.Mean, Is.Not.EqualTo(a.Score!.Mean).Within(1e-6), "both are reported and differ");
        Assert.That(Aggregator.Summarize(cells, Options).SuiteAverages.Single().Rule, Is.EqualTo(SuiteAveraging.MeanOverTasks));
    }

    [Test]
    public void ParetoAxesHaveTheirDirections()
    {
        var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), Options);
        var memory = ParetoPoints.For(s, "glue", CellBuilder.Model, 100, ParetoAxis.PeakMemory);
        Assert.That(memory, Has.Count.EqualTo(5));
        // CellBuilder: memory grows and training throughput falls with trainable parameters.
        Assert.That(memory.Single(p => p.Label == "full").X, Is.GreaterThan(memory.Single(p => p.Label == "bitfit").X));
        var front = ParetoPoints.Front(memory, ParetoAxis.PeakMemory);
        Assert.That(front[0], Is.EqualTo("bitfit"), "least memory first");
        Assert.That(front[^1], Is.EqualTo("full"), "highest score at the most memory");
        var speed = ParetoPoints.For(s, "glue", CellBuilder.Model, 100, ParetoAxis.TrainThroughput);
        Assert.That(ParetoPoints.Front(speed, ParetoAxis.TrainThroughput), Is.EqualTo(front), "faster = less memory here: the same front");
        Assert.That(ParetoPoints.For(s, "glue", CellBuilder.Model, 100, ParetoAxis.InferenceThroughput).All(p => p.X == 3600));
        var families = ParetoPoints.For(s, "glue", CellBuilder.Model, 100).ToDictionary(p => p.Label, p => p.Family);
        Assert.That(families["lora (0.1%)"], Is.EqualTo("reparameterization"));
    }

    [Test]
    public void FamiliesComeFromTheOptionsWhenResultsHaveNone()
    {
        var cells = CellBuilder.NoisyGlueRun().Select(c => c with { Cell = c.Cell with { MethodFamily = null } }).ToList();
        var s = Aggregator.Summarize(cells, Options);
        var points = ParetoPoints.For(s, "glue", CellBuilder.Model, 100, families: new Dictionary<string, string> { ["lora"] = "lowrank" });
        Assert.That(points.Single(p => p.Label == "lora (0.5%)").Family, Is.EqualTo("lowrank"));
        Assert.That(points.Single(p => p.Label == "bitfit").Family, Is.EqualTo("bitfit"), "unknown: the method id");
    }

    [Test]
    public void CurvesAverageSeedsAtSharedSteps()
    {
        var cells = CellBuilder.NoisyGlueRun().Where(c => c.Cell.Task == "glue/cola" && c.Cell.Method == "bitfit")
            .Select(c => c with { History = [new(1, 1.0 + c.Cell.Seed, null), new(2, 0.5 + c.Cell.Seed, 0.4), new(3, 0.2, null)] })
            .ToList();
        cells[0] = cells[0] with { History = [.. cells[0].History!.Take(2)] };
        var s = Aggregator.Summarize(cells, Options);
        var loss = CurveSeries.OverlayForTask(cells, s, "glue/cola", CellBuilder.Model, CurveKind.TrainLoss).Single();
        Assert.That(loss.Points, Is.EqualTo(new[] { (1, 2.0), (2, 1.5) }), "seeds 0, 1, 2: step 3 is missing in seed 0");
        var dev = CurveSeries.OverlayForTask(cells, s, "glue/cola", CellBuilder.Model, CurveKind.DevScore, 100).Single();
        Assert.That(dev.Points.Single().Step, Is.EqualTo(2));
        Assert.That(dev.Points.Single().Value, Is.EqualTo(40).Within(1e-12));
        Assert.That(dev.Family, Is.EqualTo("selective"));
    }

    [Test]
    public void OldResultFilesWithoutHistoryStillRead()
    {
        var json = ResultJson.Serialize(CellBuilder.GlueRun()[0]);
        var old = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        old.Remove("history");
        old.Remove("examples");
        var r = ResultJson.Deserialize(old.ToJsonString(), "old.json");
        Assert.That((r.History, r.Examples), Is.EqualTo(((List<HistoryPoint>?)null, (ExampleScores?)null)));
        var withHistory = CellBuilder.GlueRun()[0] with { History = [new(5, 0.6, 0.7)], Examples = new("validation", "accuracy", [1, 0]) };
        var back = ResultJson.Deserialize(ResultJson.Serialize(withHistory), "new.json");
        Assert.That(back.History, Is.EqualTo(withHistory.History));
        Assert.That(back.Examples!.Values, Is.EqualTo(new[] { 1.0, 0.0 }));
    }

    [Test]
    public void AggregatesFrameHoldsEveryMetricWithItsInterval()
    {
        var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), Options);
        var df = AggregatesFrame.Build(s);
        // 5 rows × (cola 1 + sst2 1 + mrpc 2 + stsb 2 metrics + 4 task scores).
        Assert.That(df.Rows.Count, Is.EqualTo(5 * (6 + 4)));
        var g = s.Group("glue/sst2", new MethodKey(CellBuilder.Model, "bitfit", null))!;
        var row = df.Rows.Single(r => (string)r[0] == "glue/sst2" && (string)r[2] == "bitfit" && (string)r[5] == "accuracy");
        Assert.That((double)row[7], Is.EqualTo(g.Metrics["accuracy"].Mean));
        Assert.That((double?)row[9], Is.EqualTo(g.Metrics["accuracy"].Ci95HalfWidth));
    }

    [Test]
    public void InlineSvgPrefixesIdsAndDropsTheDeclaration()
    {
        var svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"90\" height=\"60\"><clipPath id=\"cl_5\"/><g clip-path=\"url(#cl_5)\"/><use href=\"#cl_5\"/></svg>";
        var inline = InlineSvg.Prepare(svg, "p3");
        Assert.That(inline, Does.StartWith("<svg").And.Contain("viewBox=\"0 0 90 60\""));
        Assert.That(inline, Does.Contain("id=\"p3-cl_5\"").And.Contain("url(#p3-cl_5)").And.Contain("href=\"#p3-cl_5\""));
    }

    [Test]
    public void TableCsvSplitsOutTheNumbers()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-tablecsv-").FullName;
        try
        {
            var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), Options);
            var path = Path.Combine(dir, "t.csv");
            TableCsv.Write(ResultsTableBuilder.Build(s, CellBuilder.Model, Options), path);
            var lines = File.ReadAllLines(path);
            Assert.That(lines[0], Does.StartWith("Method,CoLA,SST-2,MRPC,STS-B,GLUE avg.,Params,CoLA mean,CoLA std,CoLA ci95,CoLA marks"));
            Assert.That(lines, Has.Length.EqualTo(6));
        }
        finally { Directory.Delete(dir, true); }
    }
}
