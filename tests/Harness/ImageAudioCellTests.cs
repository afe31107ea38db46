using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using Spectre.Console.Testing;

namespace PeftBench.Tests.Harness;

/// <summary>
/// Image and audio cells end to end (issue 9): tiny-vit and tiny-ast through the planner and the cell runner with a
/// synthetic task made in the test; every registered method runs or is recorded not applicable; the modality check;
/// determinism; --augment in image/audio keys only.
/// </summary>
public sealed class ImageAudioCellTests
{
    private static readonly Composition Composition = MediaTaskFixtures.Composition();

    private static RunRequest Request(string task, string model, params string[] methods) =>
        new() { Tasks = [task], Models = [model], Methods = methods, Profile = "smoke", Threads = 1 };

    private static PlannedCell Plan(RunRequest request) => Planner.Plan(request, Composition.PlanningContext()).Cells.Single();

    [TestCase(MediaTaskFixtures.ImageTaskId, "tiny-vit")]
    [TestCase(MediaTaskFixtures.AudioTaskId, "tiny-ast")]
    public void EveryRegisteredMethodRunsOrIsRecordedNotApplicable(string task, string model)
    {
        // smoke: 24 training examples at batch 16 → 2 steps per cell; 8 validation examples.
        var plan = Planner.Plan(Request(task, model) with { Methods = [PeftBench.Tasks.Suites.AllMethods] }, Composition.PlanningContext());
        Assert.That(plan.Cells.Select(c => c.Method.Id).Distinct().Count(), Is.EqualTo(Composition.Methods.Ids.Count), "every registered method is planned");

        var notApplicable = plan.Cells.Where(c => c.NotApplicable is not null).ToDictionary(c => c.Method.Id, c => c.NotApplicable!);
        Assert.That(notApplicable.Keys, Is.SupersetOf(new[] { "prompt-tuning", "p-tuning", "dept" }), "token soft prompts need a token-embedding table");
        Assert.That(notApplicable["prompt-tuning"], Does.Contain("token-embedding table"));
        Assert.That(notApplicable.Keys, Has.None.StartsWith("vpt-"), "visual prompts apply to ViT and AST");

        var failures = EveryMethodRun.Failures(plan.Cells, result =>
            result.Measurements!.Steps != 2 || !double.IsFinite(result.Measurements.FinalTrainLoss) || !result.Metrics.ContainsKey("accuracy")
                ? $"{result.Measurements.Steps} steps, loss {result.Measurements.FinalTrainLoss}, metrics {string.Join(",", result.Metrics.Keys)}"
                : null);
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void TwoMethodImageAndAudioRunsGoThroughThePlannerAndRecordTheirInputSettings()
    {
        foreach (var (task, model) in new[] { (MediaTaskFixtures.ImageTaskId, "tiny-vit"), (MediaTaskFixtures.AudioTaskId, "tiny-ast") })
        {
            var dir = Directory.CreateTempSubdirectory("peftbench-media").FullName;
            var request = Request(task, model, "lora", "vpt-shallow") with { Out = dir };
            Assert.That(RunCommand.Execute(request, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
            var cells = ResultJson.ReadFolder(dir).Where(r => r.Cell.Method != MajorityBaseline.MethodId).ToList();
            Assert.That(cells.Select(c => (c.Cell.Method, c.Status)), Is.EquivalentTo(new[] { ("lora", CellStatus.Ok), ("vpt-shallow", CellStatus.Ok) }));
            foreach (var c in cells)
            {
                var input = c.Cell.Recipe!["input"]!;
                Assert.That(input["pooling"]!.GetValue<string>(), Is.EqualTo("mean_patches"), "tiny-vit/tiny-ast pool their patch tokens");
                Assert.That(input["augment"]!.GetValue<bool>(), Is.False, "augmentation is off by default");
                Assert.That(c.Metrics["accuracy"], Is.InRange(0.0, 1.0));
            }
            Assert.That(ResultJson.ReadFolder(dir).Count(r => r.Cell.Method == MajorityBaseline.MethodId), Is.EqualTo(1), "the majority-class reference works for any modality");
        }
    }

    [TestCase(MediaTaskFixtures.ImageTaskId, "tiny-vit", false)]
    [TestCase(MediaTaskFixtures.ImageTaskId, "tiny-vit", true)]
    [TestCase(MediaTaskFixtures.AudioTaskId, "tiny-ast", false)]
    [TestCase(MediaTaskFixtures.AudioTaskId, "tiny-ast", true)]
    public void SameSeedSameNumbers(string task, string model, bool augment)
    {
        var cell = Plan(Request(task, model, "lora") with { Augment = augment });
        var first = new CellRunner(new ProcessHighWaterMarkProbe()).Run(cell);
        var second = new CellRunner(new ProcessHighWaterMarkProbe()).Run(cell);
        Assert.That(first.Status, Is.EqualTo(CellStatus.Ok), () => first.Error ?? "");
        Assert.That(second.Metrics, Is.EqualTo(first.Metrics));
        Assert.That(second.Measurements!.FinalTrainLoss, Is.EqualTo(first.Measurements!.FinalTrainLoss));
        Assert.That(second.History, Is.EqualTo(first.History));
    }

    [TestCase(MediaTaskFixtures.ImageTaskId, "tiny-vit")]
    [TestCase(MediaTaskFixtures.AudioTaskId, "tiny-ast")]
    public void AugmentationChangesTrainingOnlyWhenAskedFor(string task, string model)
    {
        var plain = Plan(Request(task, model, "lora"));
        var augmented = Plan(Request(task, model, "lora") with { Augment = true });
        Assert.That(augmented.Key, Is.Not.EqualTo(plain.Key), "--augment is part of an image/audio cell's key");
        var a = new CellRunner(new ProcessHighWaterMarkProbe()).Run(plain);
        var b = new CellRunner(new ProcessHighWaterMarkProbe()).Run(augmented);
        Assert.That(b.Measurements!.FinalTrainLoss, Is.Not.EqualTo(a.Measurements!.FinalTrainLoss), "augmented batches differ");
        Assert.That(b.Cell.Recipe!["input"]!["augment"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public void AugmentLeavesTextCellKeysAlone()
    {
        var request = new RunRequest { Tasks = ["glue/rte", "glue/sst2"], Methods = ["lora", "bitfit"], Profile = "smoke" };
        var keys = Planner.Plan(request, Composition.PlanningContext()).Cells.Select(c => c.Key).ToList();
        var augmented = Planner.Plan(request with { Augment = true }, Composition.PlanningContext()).Cells.Select(c => c.Key).ToList();
        Assert.That(augmented, Is.EqualTo(keys));
    }

    [Test]
    public void TheCiSuitesTextCellKeysAreThoseOfTheCommittedBaseline()
    {
        // The regression gate finds its baseline cells by key: a change to how text cells are keyed would orphan all of them.
        var baseline = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "results", "baselines", "ci.json")))!["cells"]!.AsArray()
            .Select(c => c!["key"]!.GetValue<string>()).ToHashSet();
        var planned = Planner.Plan(new RunRequest { Suite = "ci" }, new Composition().PlanningContext()).Cells.Select(c => c.Key).ToHashSet();
        Assert.That(baseline.Count(k => !k.StartsWith("ref-", StringComparison.Ordinal)), Is.GreaterThan(100), "the committed ci baseline holds the suite's cells");
        // The majority-class references (ref-*) are keyed apart, by MajorityBaseline.
        Assert.That(baseline.Where(k => !k.StartsWith("ref-", StringComparison.Ordinal)).Except(planned), Is.Empty);
    }

    [TestCase("glue/sst2", "tiny-vit", "glue/sst2 is a text task; tiny-vit", "--models tiny-bert")]
    [TestCase(MediaTaskFixtures.ImageTaskId, "tiny-bert", "is an image task; tiny-bert", "--models tiny-vit")]
    [TestCase(MediaTaskFixtures.AudioTaskId, "tiny-vit", "is an audio task; tiny-vit", "--models tiny-ast")]
    public void ATaskOfAnotherModalityThanTheBackboneIsRefusedUpFront(string task, string model, string what, string fix)
    {
        var e = Assert.Throws<PlanException>(() => Planner.Plan(Request(task, model, "lora"), Composition.PlanningContext()))!;
        Assert.That(e.Problems, Has.Some.Contains(what).And.Contains(fix));
    }

    [Test]
    public void TheZoosPatchBackbonesPoolTheirPatchesAndReadTheirPreprocessing()
    {
        Assert.That(Composition.OpenModel("tiny-vit").ClassifierPooling, Is.EqualTo("mean_patches"));
        Assert.That(Composition.OpenModel("tiny-ast:random-init").ClassifierPooling, Is.EqualTo("mean_patches"));
        Assert.That(Composition.OpenModel("tiny-bert").ClassifierPooling, Is.Null);
        var ast = Composition.OpenModel("tiny-ast");
        Assert.That(ast.Audio!.Features.NumMelBins, Is.EqualTo(64));
        Assert.That(ast.Audio.Features.MaxLength, Is.EqualTo(96));
        var vit = Composition.OpenModel("tiny-vit").Image!;
        Assert.That((vit.Channels, vit.Height, vit.Width, vit.Tokens), Is.EqualTo((1, 28, 28, 50)));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bench.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("no Bench.sln above the test binaries.");
    }
}
