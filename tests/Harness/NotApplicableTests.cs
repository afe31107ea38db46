using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using PeftBench.Reports.Aggregation;
using PeftBench.Tests.Reports;

namespace PeftBench.Tests.Harness;

/// <summary>
/// A method that cannot apply to a backbone is recorded as not applicable with its reason, the rest of the plan goes
/// on, and reports list it apart from failures (issue 5: "the suite goes on").
/// </summary>
public sealed class NotApplicableTests
{
    private static readonly Composition Composition = new();

    [Test]
    public void BitFitOnTinyLlamaIsRecordedNotRefusedAndNotTrained()
    {
        // The shipped tiny-llama has no biases (LLaMA's convention); tiny-bert has them.
        var request = new RunRequest { Tasks = ["glue/rte"], Models = ["tiny-llama", "tiny-bert"], Methods = ["bitfit"], Profile = "smoke", Seeds = ["0-1"] };

        var plan = Planner.Plan(request, Composition.PlanningContext());

        var onView = plan.Cells.Where(c => c.Model.Id == "tiny-llama").ToList();
        var onBert = plan.Cells.Where(c => c.Model.Id == "tiny-bert").ToList();
        Assert.That(onView, Has.Count.EqualTo(2), "one per seed");
        Assert.That(onView.Select(c => c.NotApplicable), Has.All.Contains("no bias terms"));
        Assert.That(onBert.Select(c => c.NotApplicable), Has.All.Null, "the same method still runs where it applies");
        Assert.That(onView.Select(c => c.Key).Intersect(onBert.Select(c => c.Key)), Is.Empty);

        var result = new CellRunner(new ProcessHighWaterMarkProbe()).Run(onView[0]);
        Assert.That(result.Status, Is.EqualTo(CellStatus.NotApplicable));
        Assert.That(result.Error, Does.Contain("no bias terms"));
        Assert.That(result.Metrics, Is.Empty);
    }

    [Test]
    public void ReportsListNotApplicablePairsApartFromFailuresAndTables()
    {
        var cells = CellBuilder.GlueRun();
        var reason = "this backbone has no bias terms in its linears or norms (LLaMA-style), so BitFit would train 0 parameters.";
        cells.AddRange(new[] { "glue/rte", "glue/sst2" }.Select(task => new CellResult
        {
            Key = "na-" + task, Status = CellStatus.NotApplicable, Error = reason,
            Cell = new CellSpec { Task = task, Model = "tiny-llama", Method = "bitfit", Profile = "smoke", Device = "cpu" },
        }));

        var summary = Aggregator.Summarize(cells);

        Assert.That(summary.NotApplicable, Has.Count.EqualTo(1));
        Assert.That(summary.NotApplicable[0], Is.EqualTo(new NotApplicableMethod("tiny-llama", "bitfit", reason, 2)));
        Assert.That(summary.NotOk.Select(c => c.Key), Has.None.StartsWith("na-"), "not a failure: a re-run has nothing to retry");
        Assert.That(summary.Models, Has.No.Member("tiny-llama"), "no empty table for a backbone where nothing applied");
        Assert.That(summary.Cells, Is.EqualTo(cells.Count - 2));
        var markdown = ResultsMarkdown.CountsLine(summary);
        Assert.That(markdown, Does.Contain("2 more not applicable (1 method–backbone pairs)"));
    }
}
