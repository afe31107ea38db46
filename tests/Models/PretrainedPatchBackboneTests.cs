using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Pretraining;
using PeftBench.Tasks;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// The shipped tiny-vit and tiny-ast are what their manifests say: the recipe replays to the recorded first losses
/// from the shipped first-step examples, the weights reconstruct held-out masked patches far better than the
/// trivial baseline, and each loads as an ordinary ViT/AST (resolver, loader, parameter count, a fresh
/// classification head, <c>params</c>), with pretraining data disjoint from what the downstream tasks evaluate on.
/// </summary>
public sealed class PretrainedPatchBackboneTests
{
    private const double RelativeTolerance = 1e-4;

    public static IEnumerable<string> Ids() => MaskedPatchBackbone.All.Select(b => b.Id);

    private static ZooEntry Entry(string id) => new ModelZoo().Shipped.Get(id);

    [TestCaseSource(nameof(Ids))]
    public void FirstStepsReplayToTheRecordedLosses(string id)
    {
        var entry = Entry(id);
        var recipe = entry.Manifest.RecipeAs<MaskedPatchRecipe>();
        Assert.That(entry.Manifest.FirstLosses, Has.Length.AtLeast(recipe.ReplaySteps));
        // The replay pins libtorch's (process-wide) thread count to the recorded one; give the other tests theirs back.
        var threads = TorchSharp.torch.get_num_threads();
        List<float> losses;
        try { losses = MaskedPatchPretrainer.ReplayFirstSteps(entry.Folder, recipe.ReplaySteps); }
        finally { TorchSharp.torch.set_num_threads(threads); }
        for (int i = 0; i < recipe.ReplaySteps; i++)
            Assert.That(losses[i], Is.EqualTo(entry.Manifest.FirstLosses[i]).Within(RelativeTolerance * Math.Abs(entry.Manifest.FirstLosses[i])),
                $"step {i + 1} (threads {recipe.Threads}, seed {recipe.Seed})");
    }

    [TestCaseSource(nameof(Ids))]
    public void ReconstructsHeldOutMaskedPatchesBetterThanTheirMean(string id)
    {
        var heldOut = MaskedPatchPretrainer.EvaluateShipped(Entry(id).Folder);
        TestContext.Out.WriteLine($"{id}: held-out {heldOut.ReconstructionLoss} {heldOut.Loss:F4} vs zero baseline {heldOut.ZeroBaselineLoss:F4} over {heldOut.Examples} examples");
        Assert.That(heldOut.Loss, Is.LessThan(0.8 * heldOut.ZeroBaselineLoss));
        if (heldOut.DiscriminativeAccuracy is { } accuracy) Assert.That(accuracy, Is.GreaterThan(5 * heldOut.DiscriminativeChance!.Value));
        // The manifest's figure (over the whole held-out set) tells the same story.
        var recorded = Entry(id).Manifest.HeldOutAs<MaskedPatchHeldOut>();
        Assert.That(recorded.Loss, Is.LessThan(0.8 * recorded.ZeroBaselineLoss));
    }

    [TestCaseSource(nameof(Ids))]
    public void LoadsAsAPlainBackboneAndClassifiesWithAFreshHead(string id)
    {
        var entry = Entry(id);
        ModelZoo.Verify(entry);
        Assert.That(entry.Manifest.Sha256.Keys, Is.SupersetOf(new[] { "config.json", "model.safetensors", "preprocessor_config.json", MaskedPatchModel.HeadFile }));
        foreach (var (file, sha) in entry.Manifest.Sha256) Assert.That(ZooManifest.Sha256Of(Path.Combine(entry.Folder, file)), Is.EqualTo(sha), file);

        var source = ModelResolver.Resolve(id);
        Assert.That((source.Kind, source.ModelType), Is.EqualTo((ModelSourceKind.Shipped, entry.Manifest.ModelType)));
        var loaded = HfVisionLoader.Load(source.Folder!);
        Assert.That(loaded.IgnoredKeys, Is.Empty);
        Assert.That(loaded.Model.parameters().Sum(p => p.numel()), Is.EqualTo(entry.Manifest.ParameterCount));
        Assert.That(ModelZoo.CountParameters(source.Folder!), Is.EqualTo(entry.Manifest.ParameterCount));

        var examples = MaskedPatchBackbone.Find(id)!.OpenShipped(entry.Folder, MaskedPatchBackbone.HeldOutSlice);
        using var _ = no_grad();
        var backbone = loaded.Model;
        backbone.eval();
        using var head = backbone.CreateClassificationHead(10, 0.0);
        var inputs = examples.Batch([0, 1, 2, 3], new Random(0), augment: false).ToInputs();
        var logits = head.call(backbone.Forward(inputs), inputs);
        Assert.That(logits.shape, Is.EqualTo(new long[] { 4, 10 }));
        Assert.That(logits.isfinite().all().item<bool>(), Is.True);
    }

    [TestCaseSource(nameof(Ids))]
    public void ParamsCountsLoraWithATenClassHead(string id)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = ParamsCommand.Execute(new ParamsCommand.Request(id, "lora", [], 10, Json: true), new Composition(), output, error);
        Assert.That(exit, Is.EqualTo(ExitCodes.Ok), error.ToString());
        var json = JsonNode.Parse(output.ToString())!;
        // LoRA r 8 on query and value of 4 layers at d 128: 2 sites × 4 layers × 8·(128 + 128).
        Assert.That(json["adapter_params"]!.GetValue<long>(), Is.EqualTo(2 * 4 * 8 * (128 + 128)));
        Assert.That(json["backbone_params"]!.GetValue<long>(), Is.EqualTo(Entry(id).Manifest.ParameterCount));
        Assert.That(json["head_params"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(128 * 10 + 10));
    }

    [Test]
    public void PretrainingDataLeavesTheDownstreamEvaluationDataAlone()
    {
        var vit = Entry("tiny-vit").Manifest.Corpus;
        Assert.That(vit.Lines, Is.EqualTo(DownstreamHoldout.FashionMnistPretrainEnd));
        Assert.That(vit.Splits!["pretrain"], Does.EndWith($"[0:{DownstreamHoldout.FashionMnistPretrainEnd}]"));
        Assert.That(vit.Splits["reserved_for_downstream"], Does.Contain($"[{DownstreamHoldout.FashionMnistReservedStart}:60000]").And.Contain("t10k"));

        var words = TinyAst.Words();
        Assert.That(words, Has.Count.EqualTo(900).And.Unique);
        Assert.That(words.Where(DownstreamHoldout.IsReservedSpokenWord), Is.Empty);
        Assert.That(words.Where((_, i) => TinyAst.IsHeldOutWord(i)).Count(), Is.EqualTo(100));
        var ast = Entry("tiny-ast").Manifest.Corpus;
        Assert.That((ast.Lines, ast.HeldOutLines), Is.EqualTo((800 * TinyAst.Voices().Count, 100 * TinyAst.Voices().Count)));
    }
}
