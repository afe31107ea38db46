using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>
/// Light-PEFT beyond the shared contract: the L1 penalty's gradient, which units the pruning picks, that pruned heads and
/// neurons contribute nothing, the trainable count by hand, the sliced LoRA's merge, and determinism of the estimation.
/// </summary>
[TestFixture]
public sealed class LightPeftTests
{
    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static readonly LightPeft Method = new();

    private static (SequenceClassifier Model, MethodAttachment Attachment) Applied(ulong seed = 7, LightPeftConfig? config = null)
    {
        var model = TinyBert.Create();
        var attachment = Method.Apply(model, config ?? Method.Defaults, TinyBert.Context(seed));
        return (model, attachment);
    }

    /// <summary>B = 0 at init makes every LoRA a no-op; random B's make the tests see what the factors read and write.</summary>
    private static void RandomiseLoraB(SequenceClassifier model, Generator g)
    {
        using var _ = no_grad();
        foreach (var (_, p) in model.named_parameters().Where(p => p.name.EndsWith("lora_B", StringComparison.Ordinal)))
            p.copy_(randn(p.shape, generator: g));
    }

    [Test]
    public void MaskPenaltyGradientIsTheSignOfEachMask()
    {
        using var heads = tensor(new[] { 2f, -3f, 0.5f }).requires_grad_(true);
        using var ffn = tensor(new[] { -0.25f, 4f }).requires_grad_(true);
        var penalty = LightPeft.MaskL1(new[] { heads, ffn });
        Assert.That(penalty.item<float>(), Is.EqualTo(2 + 3 + 0.5 + 0.25 + 4).Within(1e-6));
        penalty.backward();
        Assert.That(heads.grad!.data<float>().ToArray(), Is.EqualTo(new[] { 1f, -1f, 1f }));
        Assert.That(ffn.grad!.data<float>().ToArray(), Is.EqualTo(new[] { -1f, 1f }));
    }

    [Test]
    public void PruningTakesTheLeastImportantUnits()
    {
        // Signed scores, as the released code's quantile over raw mask values: −1 is less important than 0.1.
        var scores = new[] { 0.5, -1.0, 2.0, 0.1, 0.1 };
        Assert.Multiple(() =>
        {
            Assert.That(LightPeft.Smallest(scores, 2), Is.EqualTo(new[] { 1, 3 }));
            Assert.That(LightPeft.Kept(scores, 2), Is.EqualTo(new[] { 0, 2, 4 }));
            Assert.That(LightPeft.Kept(scores, 0), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
            Assert.That(LightPeft.HeadColumns(new[] { 0, 2 }, 3), Is.EqualTo(new[] { 0, 1, 2, 6, 7, 8 }));
            Assert.That(LightPeft.Pruned(12, 1.0 / 3), Is.EqualTo(4));
            Assert.That(LightPeft.Pruned(2, 0.75), Is.EqualTo(1));
            Assert.That(LightPeft.Pruned(8, 0.5), Is.EqualTo(4));
        });
    }

    [Test]
    public void CountMatchesTheHandCount()
    {
        // Tiny-BERT: d 32, 4 heads of 8, FFN 64, 2 layers. Pruned: round(4/3) = 1 head (24 head dims kept), round(64/3) = 21
        // neurons (43 kept); one of each role's two modules kept (2 − min(1, round(1.5))); ranks 8 − 4 = 4.
        // q, k, v: 4·(32 + 24) each; o: 4·(24 + 32); up: 4·(32 + 43); down: 4·(43 + 32).
        const long expected = 3 * 4 * (32 + 24) + 4 * (24 + 32) + 4 * (32 + 43) + 4 * (43 + 32);
        var (model, attachment) = Applied();
        using (model)
        {
            var trainable = model.named_parameters().Where(p => p.parameter.requires_grad && model.OriginOf(p.name) != ParameterOrigin.Head).Sum(p => p.parameter.numel());
            var report = attachment.Report()!;
            Assert.Multiple(() =>
            {
                Assert.That(Method.CountTrainable(model.Sites, Method.Defaults), Is.EqualTo(expected));
                Assert.That(trainable, Is.EqualTo(expected));
                Assert.That(report.Ranks.Where(kv => !kv.Key.Contains(':')).Count(kv => kv.Value == 4), Is.EqualTo(6));
                Assert.That(report.Ranks.Where(kv => !kv.Key.Contains(':')).Count(kv => kv.Value == 0), Is.EqualTo(6));
                Assert.That(report.Ranks.Where(kv => kv.Key.StartsWith("heads_kept:", StringComparison.Ordinal)).Select(kv => kv.Value), Is.EqualTo(new[] { 3, 3 }));
                Assert.That(report.Ranks.Where(kv => kv.Key.StartsWith("neurons_kept:", StringComparison.Ordinal)).Select(kv => kv.Value), Is.EqualTo(new[] { 43, 43 }));
            });
        }
    }

    [Test]
    public void PrunedHeadsAndNeuronsContributeNothing()
    {
        var (model, _) = Applied();
        using (model)
        {
            using var g = new Generator(5, CPU);
            // Give every LoRA a non-zero B, so that a sliced factor that still read a pruned unit would show.
            RandomiseLoraB(model, g);
            foreach (var host in model.Sites.Linears.Where(l => l.Role is SiteRoles.AttentionOutput or SiteRoles.MlpDown))
            {
                var keep = ((KeptUnits)host.Adapters.Single(a => a is KeptUnits)).keep;
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var x = randn(new long[] { 2, 5, host.InFeatures }, generator: g);
                var pruned = (1 - keep).unsqueeze(0).unsqueeze(0);
                var changed = x + randn(x.shape, generator: g) * pruned;
                var keptChanged = x + randn(x.shape, generator: g) * keep.unsqueeze(0).unsqueeze(0);
                Assert.That(keep.sum().item<float>(), Is.LessThan(host.InFeatures), host.Path);
                Assert.That(host.call(changed).allclose(host.call(x), rtol: 0, atol: 1e-6), Is.True, $"{host.Path}: a pruned unit changed the output");
                Assert.That(host.call(keptChanged).allclose(host.call(x), rtol: 0, atol: 1e-3), Is.False, $"{host.Path}: kept units must matter");
            }
        }
    }

    [Test]
    public void SlicedLoraMergesIntoTheSameFunction()
    {
        var (model, _) = Applied();
        using (model)
        {
            using var g = new Generator(11, CPU);
            RandomiseLoraB(model, g);
            var (batch, _) = TinyBert.Batch();
            var before = TinyBert.Logits(model, batch);
            foreach (var l in model.Sites.Linears) l.Merge();
            var merged = TinyBert.Logits(model, batch);
            Assert.That(merged.allclose(before, rtol: 1e-4, atol: 1e-5), Is.True);
        }
    }

    [Test]
    public void SameSeedSamePruningAndInit()
    {
        var (a, ra) = Applied(7);
        var (b, rb) = Applied(7);
        using (a)
        using (b)
        {
            Assert.That(ra.Report()!.Ranks, Is.EqualTo(rb.Report()!.Ranks));
            var pa = a.named_parameters().Where(p => p.parameter.requires_grad).ToList();
            var pb = b.named_parameters().Where(p => p.parameter.requires_grad).ToList();
            Assert.That(pa.Select(p => p.name), Is.EqualTo(pb.Select(p => p.name)));
            for (var i = 0; i < pa.Count; i++)
                Assert.That(pa[i].parameter.eq(pb[i].parameter).all().item<bool>(), Is.True, pa[i].name);
            var (batch, _) = TinyBert.Batch();
            Assert.That(TinyBert.Logits(a, batch).eq(TinyBert.Logits(b, batch)).all().item<bool>(), Is.True);
        }
    }

    [Test]
    public void EstimationShrinksTheMasksUnderAStrongPenalty()
    {
        // With only the penalty mattering (λ large), every mask moves towards 0 from its initial 1.
        var model = TinyBert.Create();
        using (model)
        {
            var config = Method.Defaults with { L1Coefficient = 10, EstimationSteps = 4 };
            var blocks = LightPeft.Blocks(model.Sites);
            var targets = model.Sites.SelectLinears(config.Targets);
            using var g = new Generator(3, CPU);
            var initialA = targets.Select(t => randn(new long[] { config.Rank, t.InFeatures }, generator: g) * 0.1).ToList();
            model.FreezeAll();
            model.SetHeadTrainable(true);
            var estimate = LightPeft.RunEstimation(model, config, blocks, targets, initialA, new LabelledCalibration(new[] { TinyBert.Batch() }, false));
            Assert.Multiple(() =>
            {
                Assert.That(estimate.HeadMasks.SelectMany(m => m).All(v => v < 1), Is.True);
                Assert.That(estimate.FfnMasks.SelectMany(m => m).All(v => v < 1), Is.True);
                Assert.That(estimate.ModuleImportance.All(double.IsFinite), Is.True);
                Assert.That(estimate.RankImportance.All(r => r.Length == config.Rank), Is.True);
            });
        }
    }

    [Test]
    public void PruneKeepsTheUnitsModulesAndRanksTheEstimateRanksHighest()
    {
        // A hand-made estimate on Tiny-BERT (4 heads of 8, FFN 64, 2 layers; one module of each role's two kept, 4 of 8 ranks).
        var model = TinyBert.Create();
        using (model)
        {
            var config = Method.Defaults;
            model.FreezeAll();
            model.SetHeadTrainable(true);
            var targets = model.Sites.SelectLinears(config.Targets);
            var initialA = targets.Select((t, i) => arange(config.Rank * t.InFeatures, dtype: ScalarType.Float32).reshape(config.Rank, t.InFeatures) + 1000 * i).ToList();
            var expectedA = initialA.Select(a => a.clone()).ToList();
            var ffn = Enumerable.Range(0, 64).Select(i => (double)((i * 37) % 64)).ToArray(); // a permutation of 0..63
            var estimate = new LightPeft.Estimate(
                HeadMasks: [[0.9, -0.2, 0.5, 0.1], [0.3, 0.4, 0.05, 0.6]],
                FfnMasks: [ffn, ffn.Select(v => -v).ToArray()],
                // Targets in model order: layer 0 q, k, v, o, up, down, then layer 1: layer 1 wins for q, layer 0 for the rest.
                ModuleImportance: [0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1],
                RankImportance: targets.Select(_ => new[] { 5.0, 1, 7, 2, 8, 3, 6, 4 }).ToList());
            var report = Method.Prune(model, config, initialA, estimate, CPU).Report()!;
            var layer0 = model.Sites.Linears.Where(l => l.LayerIndex == 0).ToList();
            var layer1 = model.Sites.Linears.Where(l => l.LayerIndex == 1).ToList();
            float[] Keep(AdaptableLinear l) => ((KeptUnits)l.Adapters.Single(a => a is KeptUnits)).keep.data<float>().ToArray();
            Assert.Multiple(() =>
            {
                // Head 1 (mask −0.2) of layer 0 and head 2 (0.05) of layer 1 go: their 8 columns of the output projection.
                Assert.That(Keep(layer0.Single(l => l.Role == SiteRoles.AttentionOutput)), Is.EqualTo(Enumerable.Range(0, 32).Select(c => c / 8 == 1 ? 0f : 1f)));
                Assert.That(Keep(layer1.Single(l => l.Role == SiteRoles.AttentionOutput)), Is.EqualTo(Enumerable.Range(0, 32).Select(c => c / 8 == 2 ? 0f : 1f)));
                // Layer 0 drops the 21 neurons with the smallest scores (values 0..20); layer 1, with negated scores, the largest.
                Assert.That(Keep(layer0.Single(l => l.Role == SiteRoles.MlpDown)), Is.EqualTo(ffn.Select(v => v < 21 ? 0f : 1f)));
                Assert.That(Keep(layer1.Single(l => l.Role == SiteRoles.MlpDown)), Is.EqualTo(ffn.Select(v => v > 42 ? 0f : 1f)));
                Assert.That(layer0.Single(l => l.Role == SiteRoles.AttentionOutput).weight.index_select(1, arange(8, 16)).abs().sum().item<float>(), Is.EqualTo(0));
                Assert.That(report.Ranks[layer0.Single(l => l.Role == SiteRoles.Query).Path], Is.EqualTo(0));
                Assert.That(report.Ranks[layer1.Single(l => l.Role == SiteRoles.Query).Path], Is.EqualTo(4));
                Assert.That(report.Ranks[layer0.Single(l => l.Role == SiteRoles.Key).Path], Is.EqualTo(4));
                Assert.That(report.Ranks[layer1.Single(l => l.Role == SiteRoles.Key).Path], Is.EqualTo(0));
                // Ranks 4, 2, 6 and 0 (importance 8, 7, 6, 5) stay, in index order; the query's B writes the 24 kept head dimensions.
                var query = (SlicedLoraAdapter)layer1.Single(l => l.Role == SiteRoles.Query).Adapters.Single(a => a is SlicedLoraAdapter);
                Assert.That(query.lora_A.eq(expectedA[6].index_select(0, tensor(new long[] { 0, 2, 4, 6 }))).all().item<bool>(), Is.True);
                Assert.That(query.lora_B.shape, Is.EqualTo(new long[] { 24, 4 }));
                // The output projection's A reads only the kept heads' 24 columns.
                var output = (SlicedLoraAdapter)layer0.Single(l => l.Role == SiteRoles.AttentionOutput).Adapters.Single(a => a is SlicedLoraAdapter);
                var keptColumns = tensor(Enumerable.Range(0, 32).Where(c => c / 8 != 1).Select(c => (long)c).ToArray());
                Assert.That(output.lora_A.eq(expectedA[3].index_select(0, tensor(new long[] { 0, 2, 4, 6 })).index_select(1, keptColumns)).all().item<bool>(), Is.True);
            });
        }
    }

    [Test]
    public void RefusesWithoutLabelledData()
    {
        var model = TinyBert.Create();
        using (model)
            Assert.Throws<InvalidOperationException>(() => Method.Apply(model, Method.Defaults, new MethodContext(CPU, new Generator(1, CPU))));
    }
}
