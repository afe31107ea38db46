using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using Spectre.Console.Testing;
using static TorchSharp.torch;

namespace PeftBench.Tests.Harness;

/// <summary>
/// Generation cells end to end (issue 8): a decoder with its own LM head trained on prompt → response examples with the
/// loss on response tokens, then decoding batched with the key/value cache and judged by the task. Runs on a tiny sums
/// task made in the test, so the harness side is checked apart from the math and code tasks.
/// </summary>
public sealed class GenerationCellTests
{
    private static readonly Composition Composition = GenerationTaskFixtures.Composition();

    private static RunRequest Request(string task, params string[] methods) =>
        new() { Tasks = [task], Models = ["tiny-llama"], Methods = methods, Profile = "smoke", Threads = 1 };

    private static PlannedCell Plan(RunRequest request) => Planner.Plan(request, Composition.PlanningContext()).Cells.Single();

    [Test]
    public void EveryRegisteredMethodRunsOnTheDecoderOrIsRecordedNotApplicable()
    {
        // smoke: 24 training examples at batch 16 → 2 steps per cell; 8 test prompts decoded greedily.
        var plan = Planner.Plan(Request(GenerationTaskFixtures.GreedyTaskId, PeftBench.Tasks.Suites.AllMethods), Composition.PlanningContext());
        Assert.That(plan.Cells.Select(c => c.Method.Id).Distinct().Count(), Is.EqualTo(Composition.Methods.Ids.Count), "every registered method is planned");
        var notApplicable = plan.Cells.Where(c => c.NotApplicable is not null).ToDictionary(c => c.Method.Id, c => c.NotApplicable!);
        Assert.That(notApplicable["linear-probe"], Does.Contain("language-model head"), "a head-only method has nothing to train on a generation task");
        Assert.That(notApplicable.Keys, Has.None.AnyOf("prompt-tuning", "prefix-tuning", "p-tuning", "p-tuning-v2", "adaption-prompt", "loreft", "lora", "full-ft"),
            "prompt- and prefix-based methods apply to the decoder");

        var failures = EveryMethodRun.Failures(plan.Cells, result =>
            result.Measurements!.Steps != 2 || !double.IsFinite(result.Measurements.FinalTrainLoss) || !result.Metrics.ContainsKey("exact_match")
                || result.Generations is not { Count: 8 }
                ? $"{result.Measurements.Steps} steps, loss {result.Measurements.FinalTrainLoss}, metrics {string.Join(",", result.Metrics.Keys)}, {result.Generations?.Count} generations"
                : null);
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void TheLossIsOnResponseTokensUnlessTrainOnInputs()
    {
        var tokenizer = Composition.OpenModel("tiny-llama").DecoderTokenizer!;
        var examples = GenerationTaskFixtures.Sums(3, 2);
        var responseOnly = new GenerationSplit(examples, tokenizer, 48, 256, 6, trainOnInputs: false);
        var everything = new GenerationSplit(examples, tokenizer, 48, 256, 6, trainOnInputs: true);
        using var scope = NewDisposeScope();
        var (batch, labels) = responseOnly.Batch([0, 1], CPU, false);
        var (_, allLabels) = everything.Batch([0, 1], CPU, false);
        var ids = ((TokenBatch)batch).InputIds;
        for (var row = 0; row < 2; row++)
        {
            var example = (SumExample)examples[row];
            var prompt = tokenizer.Encode(example.Prompt, addSpecialTokens: true);
            var response = tokenizer.Encode(example.Response, addSpecialTokens: false).Append(tokenizer.EosId!.Value).ToList();
            var length = prompt.Count + response.Count;
            var rowIds = ids[row].data<long>().ToArray();
            var rowLabels = labels[row].data<long>().ToArray();
            var rowAll = allLabels[row].data<long>().ToArray();
            Assert.That(rowIds.Take(length), Is.EqualTo(prompt.Concat(response).Select(t => (long)t)), "prompt then response + eos");
            for (var t = 0; t < rowIds.Length; t++)
            {
                // Position t predicts token t + 1.
                var supervised = t + 1 < length && t + 1 >= prompt.Count;
                Assert.That(rowLabels[t], Is.EqualTo(supervised ? rowIds[t + 1] : GenerationSplit.IgnoreIndex), $"row {row} position {t}");
                Assert.That(rowAll[t], Is.EqualTo(t + 1 < length ? rowIds[t + 1] : GenerationSplit.IgnoreIndex), $"train-on-inputs row {row} position {t}");
            }
            Assert.That(((TokenBatch)batch).InterventionMask![row].data<long>().ToArray().Take(prompt.Count + 1),
                Is.EqualTo(Enumerable.Repeat(1L, prompt.Count).Append(0L)), "interventions act on the prompt only");
        }
    }

    [TestCase(5, 3, 8, 5, 3)]
    [TestCase(20, 30, 48, 20, 28)]
    [TestCase(60, 30, 48, 24, 24)]
    [TestCase(10, 80, 48, 10, 38)]
    public void TruncationKeepsTheResponseAndAtLeastHalfTheRoomForIt(int prompt, int response, int max, int keptPrompt, int keptResponse)
    {
        Assert.That(GenerationSplit.FitTraining(prompt, response, max), Is.EqualTo((keptPrompt, keptResponse)));
    }

    [Test]
    public void BatchedGenerationWithASoftPromptEqualsGeneratingEachPromptAlone()
    {
        // Prompt tuning splices virtual tokens after the first token; batches of one prompt length keep every row unpadded.
        var cell = Plan(Request(GenerationTaskFixtures.GreedyTaskId, "prompt-tuning"));
        var runner = new CellRunner(new ProcessHighWaterMarkProbe());
        var (model, _) = runner.CreateModel(cell, new SeedTree(cell.Seed), CPU);
        using (model)
        {
            // Move the prompt off its init so that it matters.
            using (no_grad()) foreach (var p in model.parameters().Where(p => p.requires_grad)) p.add_(randn_like(p) * 0.05);
            var split = (GenerationSplit)runner.Encode(cell, CellRunner.TextRoom(cell, model))["test"];
            var tokenizer = cell.Model.DecoderTokenizer!;
            var spec = cell.Task.Generation!;
            var batched = GenerationEvaluator.Generate(model, split, 0, 64, spec, tokenizer, null, CPU);
            var alone = GenerationEvaluator.Generate(model, split, 0, 1, spec, tokenizer, null, CPU);
            Assert.That(batched.Continuations, Is.EqualTo(alone.Continuations));
            Assert.That(batched.Continuations.SelectMany(c => c).Distinct().Count(), Is.GreaterThan(1), () => $"the continuations depend on the prompt ({split.Count} prompts, {batched.Continuations.Count}): " + string.Join(" | ", batched.Continuations.SelectMany(c => c)));
        }
    }

    [Test]
    public void TheLanguageModelHeadDropsSoftPromptPositionsAndIsTheEmbeddingTable()
    {
        var cell = Plan(Request(GenerationTaskFixtures.GreedyTaskId, "prompt-tuning"));
        var runner = new CellRunner(new ProcessHighWaterMarkProbe());
        var (model, _) = runner.CreateModel(cell, new SeedTree(cell.Seed), CPU);
        using (model)
        using (var scope = NewDisposeScope())
        {
            var head = (LanguageModelHead)model.Head;
            Assert.That(head.Tied, Is.True, "tiny-llama ties its head to the embeddings");
            Assert.That(head.parameters(), Is.Empty, "a tied head owns no parameter");
            Assert.That(head.Weight.allclose(((DecoderBackbone)model.Backbone).TokenEmbeddings.weight!, 0, 0), Is.True);
            var split = runner.Encode(cell, CellRunner.TextRoom(cell, model))["train"];
            var (batch, labels) = split.Batch([0, 1, 2], CPU, false);
            var logits = model.call(batch);
            Assert.That(logits.shape, Is.EqualTo(new[] { 3, labels.shape[1], 4096L }), "one row of logits per token, soft-prompt positions dropped");
            Assert.That(model.Sites.InputEmbeddings!.AddedPositions, Is.GreaterThan(0));
        }
    }

    [Test]
    public void SampledDecodingIsSeededAndScoredAsPassAtK()
    {
        var cell = Plan(Request(GenerationTaskFixtures.SampledTaskId, "lora"));
        var first = new CellRunner(new ProcessHighWaterMarkProbe()).Run(cell);
        var second = new CellRunner(new ProcessHighWaterMarkProbe()).Run(cell);
        Assert.That(first.Status, Is.EqualTo(CellStatus.Ok), () => first.Error ?? "");
        Assert.That(second.Metrics, Is.EqualTo(first.Metrics));
        Assert.That(second.Generations!.Select(g => g.Continuation), Is.EqualTo(first.Generations!.Select(g => g.Continuation)));
        Assert.That(first.Generations!.All(g => g.Samples == 4 && g.Correct is >= 0 and <= 4));
        Assert.That(first.Cell.Recipe!["input"]!["generation"]!["decoding"]!.GetValue<string>(), Is.EqualTo("sampling"));
    }

    [Test]
    public void TrainOnInputsIsRecordedInTheKeyAndChangesTraining()
    {
        var plain = Plan(Request(GenerationTaskFixtures.GreedyTaskId, "lora"));
        var inputs = Plan(Request(GenerationTaskFixtures.GreedyTaskId, "lora") with { TrainOnInputs = true });
        Assert.That(inputs.Key, Is.Not.EqualTo(plain.Key));
        var a = new CellRunner(new ProcessHighWaterMarkProbe()).Run(plain);
        var b = new CellRunner(new ProcessHighWaterMarkProbe()).Run(inputs);
        Assert.That(a.Cell.Recipe!["input"]!["train_on_inputs"]!.GetValue<bool>(), Is.False, "response-only loss by default");
        Assert.That(b.Cell.Recipe!["input"]!["train_on_inputs"]!.GetValue<bool>(), Is.True);
        Assert.That(b.Measurements!.FinalTrainLoss, Is.Not.EqualTo(a.Measurements!.FinalTrainLoss));
    }

    [Test]
    public void AGenerationTaskOnAnEncoderAndTrainOnInputsWithoutOneAreRefusedUpFront()
    {
        var encoder = Assert.Throws<PlanException>(() => Planner.Plan(Request(GenerationTaskFixtures.GreedyTaskId, "lora") with { Models = ["tiny-bert"] }, Composition.PlanningContext()))!;
        Assert.That(encoder.Problems, Has.Some.Contains("generation task").And.Contains("--models tiny-llama"));
        var flag = Assert.Throws<PlanException>(() => Planner.Plan(new RunRequest { Tasks = ["glue/rte"], Methods = ["lora"], Profile = "smoke", TrainOnInputs = true }, Composition.PlanningContext()))!;
        Assert.That(flag.Problems, Has.Some.Contains("--train-on-inputs applies to generation tasks"));
    }

    [Test]
    public void TheGenerationSuitesPlanTinyLlamaWithTheirSettingsWhichSetOverrides()
    {
        var context = new Composition().PlanningContext();
        var plan = Planner.Plan(new RunRequest { Suite = "math" }, context);
        Assert.That(plan.Profile.Id, Is.EqualTo("instruct"));
        Assert.That(plan.Cells.Select(c => c.Model.Id).Distinct(), Is.EqualTo(new[] { "tiny-llama" }));
        Assert.That(plan.Cells.Select(c => c.Method.Id), Is.EquivalentTo(PeftBench.Tasks.Suites.GenerationMethods));
        Assert.That(plan.Cells.Single(c => c.Method.Id == "full-ft").Config.LearningRate, Is.EqualTo(2e-3), "the suite's full-ft rate");
        Assert.That(plan.Cells.Single(c => c.Method.Id == "lora").Config.LearningRate, Is.EqualTo(2e-3), "LoRA keeps its own default");
        var overridden = Planner.Plan(new RunRequest { Suite = "math", Methods = ["full-ft"], Settings = ["full-ft.learning_rate=5e-4"] }, context);
        Assert.That(overridden.Cells.Single().Config.LearningRate, Is.EqualTo(5e-4), "--set wins over the suite");
        Assert.DoesNotThrow(() => Planner.Plan(new RunRequest { Suite = "code", Methods = ["lora"] }, context), "a suite setting for an unselected method is skipped");
        Assert.That(Planner.Plan(new RunRequest { Suite = "code" }, context).Cells.All(c => c.Task.IsGeneration && c.NotApplicable is null), Is.True);
        Assert.That(Planner.Plan(new RunRequest { Suite = "code" }, context).Cells[0].Task.ScoreMetrics, Is.EqualTo(new[] { "pass@1" }), "code averages pass@1, as papers report it");
    }

    [Test]
    public void ARunThroughTheCommandWritesGenerationResults()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-generation").FullName;
        Assert.That(RunCommand.Execute(Request(GenerationTaskFixtures.GreedyTaskId, "lora", "ia3") with { Out = dir }, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var all = ResultJson.ReadFolder(dir);
        var cells = all.Where(r => r.Cell.Method != CellRunner.ZeroShotMethodId).ToList();
        Assert.That(cells.Select(c => (c.Cell.Method, c.Status)), Is.EquivalentTo(new[] { ("lora", CellStatus.Ok), ("ia3", CellStatus.Ok) }));
        // The reference of a generation task is the pretrained decoder decoding untrained, not a majority class.
        var zeroShot = all.Single(r => r.Cell.Method == CellRunner.ZeroShotMethodId);
        Assert.That((zeroShot.Status, zeroShot.Cell.MethodFamily, zeroShot.Key), Is.EqualTo((CellStatus.Ok, "reference", zeroShot.Key)));
        Assert.That(zeroShot.Key, Does.StartWith("ref-"));
        Assert.That(zeroShot.Metrics["exact_match"], Is.InRange(0.0, 1.0));
        Assert.That(zeroShot.Generations, Has.Count.EqualTo(8));
        Assert.That(all.Any(r => r.Cell.Method == MajorityBaseline.MethodId), Is.False);
        foreach (var c in cells)
        {
            Assert.That(c.Metrics["exact_match"], Is.InRange(0.0, 1.0));
            Assert.That(c.Examples!.Metric, Is.EqualTo("exact_match"));
            Assert.That(c.Measurements!.GeneratedTokensPerSecond, Is.GreaterThan(0));
        }
    }
}
