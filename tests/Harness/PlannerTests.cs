using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Planning;

namespace PeftBench.Tests.Harness;

/// <summary>Everything is validated before any training: each problem is named, with a way to fix it.</summary>
public class PlannerTests
{
    private static readonly Composition Composition = new();

    private static PlanException Refused(RunRequest request) =>
        Assert.Throws<PlanException>(() => Planner.Plan(request, Composition.PlanningContext()))!;

    [Test]
    public void UnknownIdsSuggestNearMatches()
    {
        var e = Refused(new RunRequest { Suite = "glue", Methods = new[] { "lroa" }, Profile = "smoke" });
        Assert.That(e.Problems, Has.Some.Contains("unknown method 'lroa'").And.Contains("'lora'"));

        e = Refused(new RunRequest { Tasks = new[] { "glue/sst" }, Profile = "smoke" });
        Assert.That(e.Problems, Has.Some.Contains("unknown task 'glue/sst'").And.Contains("'glue/sst2'"));

        e = Refused(new RunRequest { Suite = "gleu", Profile = "smoke" });
        Assert.That(e.Problems, Has.Some.Contains("unknown suite 'gleu'").And.Contains("'glue'"));

        e = Refused(new RunRequest { Suite = "glue", Models = new[] { "tiny-brt" }, Profile = "smoke" });
        Assert.That(e.Problems, Has.Some.Contains("tiny-brt").And.Contains("tiny-bert"));
    }

    [Test]
    public void ShardsAreDisjointAndCoverThePlan()
    {
        var request = new RunRequest { Suite = "glue", Methods = new[] { "lora", "bitfit", "linear-probe" }, Profile = "smoke", Seeds = new[] { "0-1" } };
        var whole = Planner.Plan(request, Composition.PlanningContext()).Cells.Select(c => c.Key).ToList();
        var shards = Enumerable.Range(1, 4)
            .Select(i => Planner.Plan(request with { Shard = $"{i}/4" }, Composition.PlanningContext()).Cells.Select(c => c.Key).ToList())
            .ToList();
        Assert.That(shards.SelectMany(s => s).Order(), Is.EqualTo(whole.Order()), "together the shards are the plan");
        Assert.That(shards.SelectMany(s => s).Distinct().Count(), Is.EqualTo(whole.Count), "no cell runs twice");
        Assert.That(shards.Select(s => s.Count).Max() - shards.Select(s => s.Count).Min(), Is.LessThanOrEqualTo(1), "balanced by count");
        Assert.That(Planner.Plan(request with { Shard = "1/4" }, Composition.PlanningContext()).Cells.Select(c => c.Key), Is.EqualTo(shards[0]), "deterministic");

        var e = Refused(request with { Shard = "5/4" });
        Assert.That(e.Problems, Has.Some.Contains("--shard '5/4'"));
    }

    [Test]
    public void AllProblemsAreReportedTogether()
    {
        var e = Refused(new RunRequest
        {
            Suite = "glue", Methods = new[] { "lora" }, Budgets = new[] { "lots" }, Seeds = new[] { "x" },
            Profile = "fast", Threads = 0, Settings = new[] { "lora.rnak=4" },
        });
        Assert.That(e.Problems, Has.Some.Contains("budget 'lots'"));
        Assert.That(e.Problems, Has.Some.Contains("--seeds"));
        Assert.That(e.Problems, Has.Some.Contains("unknown profile 'fast'"));
        Assert.That(e.Problems, Has.Some.Contains("--threads"));
        Assert.That(e.Problems, Has.Some.Contains("unknown setting 'rnak'").And.Contains("rank"));
    }

    [Test]
    public void InvalidHyperparametersAreRefused()
    {
        var e = Refused(new RunRequest { Suite = "glue", Methods = new[] { "lora" }, Profile = "smoke", Settings = new[] { "lora.rank=0" } });
        Assert.That(e.Problems, Has.Some.Contains("lora"));
        e = Refused(new RunRequest { Suite = "glue", Methods = new[] { "lora" }, Profile = "smoke", Settings = new[] { "lora.learning_rate=-1" } });
        Assert.That(e.Problems, Has.Some.Contains("learning_rate"));
    }

    [Test]
    public void ABudgetAMethodCannotMeetIsRefusedWithTheFeasibleRange()
    {
        var e = Refused(new RunRequest { Suite = "glue", Methods = new[] { "lora" }, Budgets = new[] { "10" }, Profile = "smoke" });
        Assert.That(e.Problems, Has.Some.Contains("lora cannot meet budget 10").And.Contains("between"));
    }

    [Test]
    public void MissingDataFolderIsRefusedWithItsPath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "peftbench-no-such-glue");
        var e = Refused(new RunRequest { Suite = "glue", Profile = "smoke", DataDir = missing });
        Assert.That(e.Problems, Has.Some.Contains(missing));

        var empty = Directory.CreateTempSubdirectory("peftbench-empty-glue").FullName;
        e = Refused(new RunRequest { Tasks = new[] { "glue/sst2" }, Profile = "smoke", DataDir = empty });
        Assert.That(e.Problems, Has.Some.Contains("SST-2"));
    }

    [Test]
    public void TheMatrixExpandsKnoblessMethodsOncePerBudgetSet()
    {
        var plan = Planner.Plan(new RunRequest
        {
            Tasks = new[] { "glue/rte", "glue/wnli" }, Methods = new[] { "lora", "bitfit" }, Budgets = new[] { "0.5%", "1%" },
            Seeds = new[] { "0-1" }, Profile = "smoke",
        }, Composition.PlanningContext());
        // lora: 2 budgets × 2 tasks × 2 seeds; bitfit has a fixed count: 2 tasks × 2 seeds.
        Assert.That(plan.Cells.Count(c => c.Method.Id == "lora"), Is.EqualTo(8));
        Assert.That(plan.Cells.Count(c => c.Method.Id == "bitfit"), Is.EqualTo(4));
        Assert.That(plan.Cells.Select(c => c.Key).Distinct().Count(), Is.EqualTo(plan.Cells.Count));
        foreach (var c in plan.Cells.Where(c => c.Budget is not null))
            Assert.That(Math.Abs(c.Budget!.RelativeError), Is.LessThanOrEqualTo(PeftBench.Core.Methods.BudgetFitter.MaxRelativeError));
    }

    [Test]
    public void SuiteGlueHasTheNineTasks()
    {
        var plan = Planner.Plan(new RunRequest { Suite = "glue", Methods = new[] { "linear-probe" }, Profile = "smoke" }, Composition.PlanningContext());
        Assert.That(plan.Cells.Select(c => c.Task.Id), Is.EquivalentTo(new[]
            { "glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb", "glue/qqp", "glue/mnli", "glue/qnli", "glue/rte", "glue/wnli" }));
    }

    [Test]
    public void GlueRunsTheFoundationMethodsAndCiEveryRegisteredOneAtItsPinnedDefaults()
    {
        var glue = Planner.Plan(new RunRequest { Suite = "glue", Profile = "smoke" }, Composition.PlanningContext());
        Assert.That(glue.Cells.Select(c => c.Method.Id).Distinct(), Is.EquivalentTo(PeftBench.Tasks.Suites.FoundationMethods));

        var ci = Planner.Plan(new RunRequest { Suite = "ci" }, Composition.PlanningContext());
        Assert.That(ci.Cells.Select(c => c.Method.Id).Distinct(), Is.EquivalentTo(Composition.Methods.Ids));
        Assert.That(ci.Profile.Id, Is.EqualTo("ci"));
        Assert.That(ci.Cells.Select(c => c.Threads).Distinct(), Is.EqualTo(new[] { 2 }));
        Assert.That(ci.Cells.All(c => c.Budget is null), "ci runs every method at its default configuration");
        Assert.That(ci.Cells.Select(c => c.Seed).Distinct(), Is.EqualTo(new[] { 0L }));

        var overridden = Planner.Plan(new RunRequest { Suite = "ci", Methods = new[] { "lora" }, Threads = 1 }, Composition.PlanningContext());
        Assert.That(overridden.Cells.Select(c => (c.Method.Id, c.Threads)).Distinct(), Is.EqualTo(new[] { ("lora", 1) }));
    }
}
