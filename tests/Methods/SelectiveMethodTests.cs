using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Methods;

/// <summary>
/// What the layer-selection and sparse methods compute beyond the shared contract: LISA's schedule and its frozen
/// layers, HFT's halves, SpIEL's drop/regrow and forward, DSEE's count, support and forward.
/// </summary>
[TestFixture]
public sealed class SelectiveMethodTests
{
    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    // Tiny-BERT's parameter counts by hand (d 32, FFN 64, vocab 200, 64 positions, 2 token types):
    // embeddings 200·32 + 64·32 + 2·32 + LayerNorm 2·32 = 8,576; one block: q, k, v, o 4·(32·32 + 32) = 4,224,
    // up 32·64 + 64 = 2,112, down 64·32 + 32 = 2,080, two LayerNorms 2·64 = 128, total 8,544.
    private const long Embeddings = 8_576, PerBlock = 8_544;

    /// <summary>The contract encoder with <paramref name="layers"/> blocks (same seed, same widths).</summary>
    private static SequenceClassifier Tiny(int layers)
    {
        torch.manual_seed(TinyBert.BackboneSeed);
        var model = new SequenceClassifier(new BertEncoder(TinyBert.Config with { NumHiddenLayers = layers }), TinyBert.Classes, headDropout: 0.1);
        model.eval();
        return model;
    }

    private static optim.Optimizer AdamW(SequenceClassifier model, MethodAttachment attachment, double weightDecay) =>
        optim.AdamW(attachment.ParameterGroups(model).Select(g => new AdamW.ParamGroup(g.Parameters, lr: 0.01, weight_decay: weightDecay)).ToList());

    private static Dictionary<string, Tensor> Snapshot(SequenceClassifier model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static IEnumerable<string> BlockNames(SequenceClassifier model, int layer) =>
        model.named_parameters().Select(p => p.name).Where(n => n.StartsWith($"bert.encoder.layer.{layer}.", StringComparison.Ordinal));

    // ---- LISA ----

    [Test]
    public void LisaCountsEmbeddingsPlusGammaBlocks()
    {
        using var model = Tiny(4);
        var config = new LisaConfig { ActivatedLayers = 1 };
        var lisa = new Lisa();
        Assert.That(lisa.CountTrainable(model.Sites, config), Is.EqualTo(Embeddings + PerBlock));
        lisa.Apply(model, config, TinyBert.Context(7));
        Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(Embeddings + PerBlock));
        Assert.That(lisa.Validate(new LisaConfig { ActivatedLayers = 5 }, model.Sites), Has.Some.Contains("exceeds the 4 blocks"));
    }

    [Test]
    public void LisaUpdatesOnlyTheSampledLayersAndLeavesSwitchedOffLayersBitIdentical()
    {
        using var model = Tiny(4);
        var (batch, labels) = TinyBert.Batch();
        var attachment = (LisaAttachment)new Lisa().Apply(model, new LisaConfig { ActivatedLayers = 1, Interval = 1 }, TinyBert.Context(7));
        // Weight decay makes the check bite: a frozen block left with a zeroed (not absent) gradient would still shrink.
        using var optimizer = AdamW(model, attachment, weightDecay: 0.1);
        attachment.OptimizerCreated(optimizer);
        var switchesChecked = 0;
        for (var step = 0; step < 12; step++)
        {
            var active = attachment.ActiveLayers.Single();
            var before = Snapshot(model);
            TinyBert.Step(model, optimizer, batch, labels);
            var after = Snapshot(model);
            Assert.Multiple(() =>
            {
                for (var layer = 0; layer < 4; layer++)
                    foreach (var name in BlockNames(model, layer))
                        Assert.That(Same(before[name], after[name]), Is.EqualTo(layer != active), $"step {step}: {name} (active layer {active})");
                Assert.That(Same(before["bert.embeddings.word_embeddings.weight"], after["bert.embeddings.word_embeddings.weight"]), Is.False, "embeddings always train");
            });
            attachment.AfterOptimizerStep(step, 100);
            if (attachment.ActiveLayers.Single() != active) switchesChecked++;
        }
        Assert.That(switchesChecked, Is.GreaterThan(2), "the schedule switched layers, so the frozen-after-training case was exercised");
    }

    [Test]
    public void LisaRestartsAdamWOnTheActivatedLayersOnly()
    {
        using var model = Tiny(4);
        var (batch, labels) = TinyBert.Batch();
        var attachment = (LisaAttachment)new Lisa().Apply(model, new LisaConfig { ActivatedLayers = 2, Interval = 3 }, TinyBert.Context(7));
        using var optimizer = AdamW(model, attachment, weightDecay: 0.0);
        attachment.OptimizerCreated(optimizer);
        var moments = new AdamWMoments(optimizer);
        for (var step = 0; step < 3; step++)
        {
            TinyBert.Step(model, optimizer, batch, labels);
            attachment.AfterOptimizerStep(step, 100);
        }
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Multiple(() =>
        {
            Assert.That(moments.Of(parameters["bert.embeddings.word_embeddings.weight"])!.step, Is.EqualTo(3), "always-trained state is kept");
            foreach (var layer in attachment.ActiveLayers)
                foreach (var name in BlockNames(model, layer))
                    Assert.That(moments.Of(parameters[name])!.step, Is.EqualTo(0), $"{name} starts a fresh AdamW period");
            foreach (var layer in Enumerable.Range(0, 4).Except(attachment.ActiveLayers))
                foreach (var name in BlockNames(model, layer))
                    Assert.That(parameters[name].grad, Is.Null, $"{name} is frozen with no gradient");
        });
    }

    [Test]
    public void LisaScheduleIsDeterministicFromTheSeed()
    {
        List<string> Schedule(ulong seed)
        {
            using var model = Tiny(4);
            var attachment = (LisaAttachment)new Lisa().Apply(model, new LisaConfig { ActivatedLayers = 2, Interval = 1 }, TinyBert.Context(seed));
            var periods = new List<string> { string.Join(",", attachment.ActiveLayers) };
            for (var step = 0; step < 15; step++)
            {
                attachment.AfterOptimizerStep(step, 100);
                periods.Add(string.Join(",", attachment.ActiveLayers));
            }
            return periods;
        }
        var first = Schedule(11);
        Assert.Multiple(() =>
        {
            Assert.That(Schedule(11), Is.EqualTo(first));
            Assert.That(Schedule(12), Is.Not.EqualTo(first));
            Assert.That(first.Distinct().Count(), Is.GreaterThan(1), "the layers are re-sampled");
        });
    }

    // ---- HFT ----

    [TestCase(4)]
    [TestCase(3)]
    public void HftTrainsHalfOfEveryCategoryAndCountsIt(int layers)
    {
        using var model = Tiny(layers);
        var hft = new Hft();
        var predicted = hft.CountTrainable(model.Sites, new HftConfig());
        var attachment = (HftAttachment)hft.Apply(model, new HftConfig(), TinyBert.Context(7));
        var trained = attachment.TrainedGroups.ToHashSet();
        Assert.Multiple(() =>
        {
            // BERT's categories halve exactly in every block: 2 of q/k/v/o, 1 of up/down, 1 of the 2 LayerNorms.
            foreach (var block in attachment.AllGroups.GroupBy(g => g.Block))
                foreach (var category in block.GroupBy(g => g.Category))
                    Assert.That(category.Count(trained.Contains), Is.EqualTo(category.Count() / 2), $"block {block.Key} {category.Key}");
            foreach (var g in attachment.AllGroups)
                foreach (var p in g.Parameters)
                    Assert.That(p.requires_grad, Is.EqualTo(trained.Contains(g)), $"block {g.Block} {g.Category} {g.Member}");
            Assert.That(predicted, Is.EqualTo(layers / 2 * PerBlock + (layers % 2 == 1 ? 2 * (32 * 32 + 32) + 2_112 + 64 : 0)));
            Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(predicted));
            Assert.That(model.Backbone.named_parameters().Where(p => p.name.StartsWith("embeddings.", StringComparison.Ordinal)).All(p => !p.parameter.requires_grad));
        });
        if (layers % 2 == 0)
            // Paired blocks train complementary halves: every group trains in exactly half of the blocks.
            foreach (var member in attachment.AllGroups.GroupBy(g => (g.Category, g.Member)))
                Assert.That(member.Count(trained.Contains), Is.EqualTo(layers / 2), $"{member.Key}");
    }

    [Test]
    public void HftSelectionComesFromTheSeed()
    {
        string Selection(ulong seed)
        {
            using var model = Tiny(4);
            var attachment = (HftAttachment)new Hft().Apply(model, new HftConfig(), TinyBert.Context(seed));
            return string.Join(" ", attachment.TrainedGroups.Select(g => $"{g.Block}{g.Category}{g.Member}").Order());
        }
        Assert.Multiple(() =>
        {
            Assert.That(Selection(11), Is.EqualTo(Selection(11)));
            Assert.That(Selection(12), Is.Not.EqualTo(Selection(11)));
        });
    }

    [Test]
    public void HftCanTrainTheEmbeddingsToo()
    {
        using var model = Tiny(2);
        var config = new HftConfig { TrainEmbeddings = true };
        Assert.That(new Hft().CountTrainable(model.Sites, config), Is.EqualTo(Embeddings + PerBlock));
        new Hft().Apply(model, config, TinyBert.Context(7));
        Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(Embeddings + PerBlock));
    }

    // ---- SpIEL ----

    [Test]
    public void SpielForwardIsTheDenseWeightPlusTheScatteredDelta()
    {
        using var model = TinyBert.Create();
        var attachment = (SpielAttachment)new Spiel().Apply(model, new SpielConfig { Density = 0.05 }, TinyBert.Context(7));
        var linear = model.Sites.Linears.First(l => l.Role == SiteRoles.Query);
        var adapter = (SparseDeltaAdapter)linear.Adapters.Single();
        using (no_grad()) adapter.values.copy_(randn(adapter.values.shape[0], generator: new Generator(5, CPU)));
        // θ₀ + Δ element by element.
        var dense = linear.weight.detach().clone();
        var flat = dense.view(-1);
        var positions = adapter.indices.data<long>().ToArray();
        var values = adapter.values.detach().data<float>().ToArray();
        for (var i = 0; i < positions.Length; i++) flat[positions[i]] = flat[positions[i]] + values[i];
        var x = randn(new long[] { 3, 32 }, generator: new Generator(6, CPU));
        using var _ = no_grad();
        var expected = F.linear(x, dense, linear.bias);
        Assert.Multiple(() =>
        {
            Assert.That(positions.Length, Is.EqualTo(Spiel.IndexCount(linear, 0.05)).And.EqualTo(51), "k = round(0.05 · 1024)");
            Assert.That(positions.Distinct().Count(), Is.EqualTo(positions.Length));
            Assert.That((linear.call(x) - expected).abs().max().item<float>(), Is.LessThan(1e-6f));
        });
    }

    [Test]
    public void SpielDropsTheSmallestDeltasAndRegrowsWhereTheAccumulatedGradientIsLargest()
    {
        using var model = TinyBert.Create();
        var attachment = (SpielAttachment)new Spiel().Apply(model, new SpielConfig { Density = 0.05 }, TinyBert.Context(7));
        var adapter = attachment.Adapters[0];
        var k = (int)adapter.values.shape[0];
        using (no_grad()) adapter.values.copy_(randn(k, generator: new Generator(5, CPU)));
        var gradient = randn(adapter.Size, generator: new Generator(8, CPU));
        var oldPositions = adapter.indices.data<long>().ToArray();
        var oldValues = adapter.values.detach().data<float>().ToArray();
        var g = gradient.data<float>().ToArray();

        attachment.Reselect(adapter, gradient, gradient * gradient, rate: 0.5);

        // By hand: drop the ⌊k/2⌋ smallest |Δ|, regrow the ⌊k/2⌋ largest |g| off the kept positions.
        var n = k / 2;
        var dropped = Enumerable.Range(0, k).OrderBy(i => Math.Abs(oldValues[i])).Take(n).ToHashSet();
        var kept = Enumerable.Range(0, k).Where(i => !dropped.Contains(i)).Select(i => oldPositions[i]).ToHashSet();
        var grown = Enumerable.Range(0, g.Length).Where(p => !kept.Contains(p)).OrderByDescending(p => Math.Abs(g[p])).Take(n).Select(p => (long)p).ToHashSet();
        var newPositions = adapter.indices.data<long>().ToArray();
        var newValues = adapter.values.detach().data<float>().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(newPositions.Length, Is.EqualTo(k), "|η| = k");
            Assert.That(newPositions.Distinct().Count(), Is.EqualTo(k), "positions stay distinct");
            Assert.That(newPositions.ToHashSet().SetEquals(kept.Concat(grown)), "η = kept ∪ regrown");
            for (var i = 0; i < k; i++)
            {
                if (!dropped.Contains(i)) Assert.That((newPositions[i], newValues[i]), Is.EqualTo((oldPositions[i], oldValues[i])), $"kept slot {i}");
                else if (newPositions[i] == oldPositions[i]) Assert.That(newValues[i], Is.EqualTo(oldValues[i]), $"slot {i} dropped and regrown keeps its value");
                else Assert.That(newValues[i], Is.EqualTo(0f), $"regrown slot {i} starts at 0");
            }
        });
    }

    [Test]
    public void SpielScheduleReselectsAndKeepsKThroughTraining()
    {
        using var model = TinyBert.Create();
        var (batch, labels) = TinyBert.Batch();
        var config = new SpielConfig { Density = 0.05, ReselectionSteps = 4, AccumulationSteps = 2 };
        var attachment = (SpielAttachment)new Spiel().Apply(model, config, TinyBert.Context(7));
        var initial = attachment.Adapters.Select(a => a.indices.clone()).ToList();
        var k = attachment.Adapters.Select(a => a.values.shape[0]).ToList();
        model.train();
        using var optimizer = optim.AdamW(attachment.ParameterGroups(model).Select(gr => new AdamW.ParamGroup(gr.Parameters, lr: 0.01)).ToList());
        attachment.OptimizerCreated(optimizer);
        for (var step = 0; step < 12; step++)
        {
            TinyBert.Step(model, optimizer, batch, labels);
            attachment.AfterOptimizerStep(step, 12);
        }
        model.eval();
        Assert.Multiple(() =>
        {
            for (var i = 0; i < attachment.Adapters.Count; i++)
            {
                var positions = attachment.Adapters[i].indices.data<long>().ToArray();
                Assert.That(positions.Length, Is.EqualTo(k[i]));
                Assert.That(positions.Distinct().Count(), Is.EqualTo(positions.Length));
                Assert.That(Same(attachment.Adapters[i].indices, initial[i]), Is.False, "the first selection (p = 1) moved η");
            }
            Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(new Spiel().CountTrainable(model.Sites, config)));
        });
    }

    // ---- DSEE ----

    [Test]
    public void DseeCountsLowRankPlusSparseEntriesPerTarget()
    {
        using var model = TinyBert.Create();
        var dsee = new Dsee();
        // query and value in 2 blocks: 4 targets × (16·(32 + 32) + 16).
        Assert.That(dsee.CountTrainable(model.Sites, new DseeConfig()), Is.EqualTo(4 * (16 * 64 + 16)));
        Assert.That(dsee.CountTrainable(model.Sites, new DseeConfig { Rank = 2, SparseEntries = 5 }), Is.EqualTo(4 * (2 * 64 + 5)));
    }

    [Test]
    public void DseeSparseSupportFindsTheSpikesOfALowRankMatrix()
    {
        using var g = new Generator(3, CPU);
        var u = randn(new long[] { 24, 1 }, generator: g);
        var v = randn(new long[] { 1, 20 }, generator: g);
        var w = u.mm(v);
        var spikes = new long[] { 7, 130, 333, 401 };
        var flat = w.view(-1);
        foreach (var p in spikes) flat[p] = flat[p] + 3.0f;
        var support = Dsee.SparseSupport(w, spikes.Length, rank: 1).data<long>().ToArray();
        Assert.That(support, Is.EqualTo(spikes));
    }

    [TestCase(0.0)]
    [TestCase(0.5)]
    public void DseeForwardIsTheMaskedLowRankPlusSparseUpdate(double pruning)
    {
        using var model = TinyBert.Create();
        new Dsee().Apply(model, new DseeConfig { Rank = 2, SparseEntries = 5, PruningSparsity = pruning }, TinyBert.Context(7));
        var linear = model.Sites.Linears.First(l => l.Role == SiteRoles.Value);
        var adapter = (DseeAdapter)linear.Adapters.Single();
        using var gen = new Generator(5, CPU);
        using (no_grad())
        {
            adapter.lora_B.copy_(randn(adapter.lora_B.shape, generator: gen));
            adapter.sparse_values.copy_(randn(adapter.sparse_values.shape, generator: gen));
        }
        var delta = adapter.lora_B.detach().mm(adapter.lora_A.detach());
        var flat = delta.view(-1);
        var positions = adapter.sparse_indices.data<long>().ToArray();
        var values = adapter.sparse_values.detach().data<float>().ToArray();
        for (var i = 0; i < positions.Length; i++) flat[positions[i]] = flat[positions[i]] + values[i];
        var weight = linear.weight.detach() + delta * (32.0 / 2);
        if (pruning > 0)
        {
            // The mask keeps the larger half of |W₀|.
            var threshold = linear.weight.detach().abs().reshape(-1).sort().Values[linear.weight.numel() / 2 - 1].item<float>();
            weight = weight * linear.weight.detach().abs().gt(threshold);
        }
        var x = randn(new long[] { 3, 32 }, generator: gen);
        using var _ = no_grad();
        Assert.That((linear.call(x) - F.linear(x, weight, linear.bias)).abs().max().item<float>(), Is.LessThan(1e-5f));
        Assert.That(model.TryMerge(), Is.True);
        Assert.That((linear.call(x) - F.linear(x, weight, linear.bias)).abs().max().item<float>(), Is.LessThan(1e-5f), "merged");
        model.Unmerge();
    }
}
