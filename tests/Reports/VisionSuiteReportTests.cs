using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Tables;

namespace PeftBench.Tests.Reports;

/// <summary>
/// A grouped suite (VTAB-style) in the results table: both averages papers report, each labelled, the groups present
/// named, computed from the groups the cell results record; a hand-made set of results with known means.
/// </summary>
public class VisionSuiteReportTests
{
    // natural: a, b; structured: c. Per seed: mean over tasks (a + b + c) / 3, mean of group means ((a + b) / 2 + c) / 2.
    static readonly Dictionary<string, (string Group, double[] Accuracy)> Tasks = new()
    {
        ["vision/a"] = ("natural", [0.90, 0.80]),
        ["vision/b"] = ("natural", [0.70, 0.60]),
        ["vision/c"] = ("structured", [0.30, 0.50]),
    };

    static List<CellResult> Cells(string method, double shift) =>
        Tasks.SelectMany(t => t.Value.Accuracy.Select((acc, seed) =>
            CellBuilder.Ok(t.Key, method, seed, new Dictionary<string, double> { ["accuracy"] = acc + shift, ["val_accuracy"] = 0.5 },
                    adapter: 1000, taskScore: acc + shift)
                with { Suites = ["vision"], Group = t.Value.Group, ScoreMetrics = ["accuracy"] })).ToList();

    static readonly ReportOptions Options = new() { Suite = "vision", TaskOrder = ["vision/a", "vision/b", "vision/c"] };

    [Test]
    public void BothAveragesAreComputedFromTheRecordedGroups()
    {
        var s = Aggregator.Summarize(Cells("lora", 0), Options);
        var a = s.SuiteAverages.Single();
        Assert.That(a.Rule, Is.EqualTo(SuiteAveraging.MeanOfGroupMeans));
        Assert.That(a.GroupTasks.Keys, Is.EqualTo(new[] { "natural", "structured" }));
        Assert.That(a.PerSeed[0], Is.EqualTo(((0.90 + 0.70) / 2 + 0.30) / 2).Within(1e-12));
        Assert.That(a.PerSeed[1], Is.EqualTo(((0.80 + 0.60) / 2 + 0.50) / 2).Within(1e-12));
        Assert.That(a.MeanOverTasksPerSeed[0], Is.EqualTo((0.90 + 0.70 + 0.30) / 3).Within(1e-12));
        Assert.That(a.MeanOverTasks!.Mean, Is.EqualTo(((0.90 + 0.70 + 0.30) / 3 + (0.80 + 0.60 + 0.50) / 3) / 2).Within(1e-12));
        Assert.That(a.Score!.Mean, Is.EqualTo((0.55 + 0.6) / 2).Within(1e-12));
        Assert.That(a.GroupScores["natural"].Mean, Is.EqualTo((0.80 + 0.70) / 2).Within(1e-12));

        // An empty group given in the options (VTAB's specialized, when no such task ran) is left out, not averaged as 0.
        var declared = Options with
        {
            SuiteGroups = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>
            {
                ["vision"] = new Dictionary<string, IReadOnlyList<string>> { ["natural"] = ["vision/a", "vision/b"], ["specialized"] = [], ["structured"] = ["vision/c"] },
            },
        };
        Assert.That(Aggregator.Summarize(Cells("lora", 0), declared).SuiteAverages.Single().PerSeed[0], Is.EqualTo(a.PerSeed[0]).Within(1e-12));
    }

    [Test]
    public void TheResultsTableLabelsBothAveragesAndNamesTheGroupsPresent()
    {
        var s = Aggregator.Summarize(Cells("lora", 0).Concat(Cells("bitfit", -0.1)).ToList(), Options);
        var t = ResultsTableBuilder.Build(s, CellBuilder.Model, Options);
        var headers = t.Columns.Select(c => c.Header).ToList();
        Assert.That(headers, Is.EqualTo(new[] { "Method", "a", "b", "c", "Vision: mean over tasks", "Vision: mean of group means (natural, structured)", "Params" }));
        var lora = t.Rows.Single(r => r[0].Text == "lora");
        Assert.That(lora[4].Text, Does.StartWith("63.3"), "(63.3 + 63.3) / 2 over tasks");
        Assert.That(lora[5].Text, Does.StartWith("57.5"), "(55 + 60) / 2 of group means");
        Assert.That(lora[5].Best, Is.True);
        Assert.That(t.Caption, Does.Contain("Groups present: natural (a and b); structured (c)"));
        foreach (var rendered in new[] { MarkdownRenderer.Render(t), LatexRenderer.Render(t) })
        {
            Assert.That(rendered, Does.Contain("mean over tasks"));
            Assert.That(rendered, Does.Contain("mean of group means (natural, structured)"));
        }
    }

    [Test]
    public void ARealDataTaskOfAnotherGroupJoinsTheSuiteTheOptionsList()
    {
        // The suite as declared lists a, b, c; a run that added a specialized task (via --tasks and --data-dir) reports three groups.
        var options = Options with { SuiteTasks = new Dictionary<string, IReadOnlyList<string>> { ["vision"] = ["vision/a", "vision/b", "vision/c"] } };
        var extra = Cells("lora", 0).Where(c => c.Cell.Task == "vision/c")
            .Select(c => c with { Key = c.Key + "-d", Cell = c.Cell with { Task = "vision/d" }, Group = "specialized", TaskScore = 0.4 });
        var a = Aggregator.Summarize(Cells("lora", 0).Concat(extra).ToList(), options).SuiteAverages.Single();
        Assert.That(a.GroupTasks.Keys, Is.EqualTo(new[] { "natural", "structured", "specialized" }));
        Assert.That(a.PerSeed[0], Is.EqualTo(((0.90 + 0.70) / 2 + 0.30 + 0.4) / 3).Within(1e-12));
        Assert.That(a.MeanOverTasksPerSeed[0], Is.EqualTo((0.90 + 0.70 + 0.30 + 0.4) / 4).Within(1e-12));
    }

    [Test]
    public void ASuiteWithOneGroupHasOneAverage()
    {
        // ESC-50's five folds share one group: the mean of one group's mean is the mean over tasks, shown once.
        var cells = Cells("lora", 0).Select(c => c with { Group = "esc50" }).ToList();
        var s = Aggregator.Summarize(cells, Options);
        Assert.That(s.SuiteAverages.Single().Rule, Is.EqualTo(SuiteAveraging.MeanOverTasks));
        Assert.That(ResultsTableBuilder.Build(s, CellBuilder.Model, Options).Columns.Select(c => c.Header), Does.Contain("Vision avg."));
    }

    [Test]
    public void TextCellsWriteNoGroupKey()
    {
        var text = CellBuilder.Ok("glue/sst2", "lora", 0, new Dictionary<string, double> { ["accuracy"] = 0.9 });
        Assert.That(ResultJson.Serialize(text), Does.Not.Contain("\"group\""));
        Assert.That(ResultJson.Serialize(Cells("lora", 0)[0]), Does.Contain("\"group\": \"natural\""));
    }
}
