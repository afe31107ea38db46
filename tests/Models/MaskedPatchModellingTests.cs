using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Harness.Pretraining;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>The masked-patch objective's parts on a tiny random ViT: masks, targets in the patch grid's order, the masked forward.</summary>
public sealed class MaskedPatchModellingTests
{
    private static readonly VitConfig Tiny = new()
    {
        ImageSize = 8, PatchSize = 4, NumChannels = 1, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32,
    };

    [Test]
    public void MasksHoldExactlyKDistinctPatchesPerExample()
    {
        var masks = PatchMasking.Sample(5, 49, PatchMasking.MaskedCount(49, 0.6), new Random(1));
        Assert.That(PatchMasking.MaskedCount(49, 0.6), Is.EqualTo(29));
        Assert.That(PatchMasking.MaskedCount(96, 0.75), Is.EqualTo(72));
        foreach (var row in masks.Chunk(29))
            Assert.That(row, Is.Unique.And.All.InRange(0L, 48L));
        Assert.That(PatchMasking.Sample(5, 49, 29, new Random(1)), Is.EqualTo(masks), "seeded");
    }

    [Test]
    public void TargetsArePerPatchNormalisedInTheConvolutionsGridOrder()
    {
        // An 8 × 8 plane with value 10·row + column: patch 1 is rows 0–3, columns 4–7.
        var plane = tensor(Enumerable.Range(0, 64).Select(i => (float)(10 * (i / 8) + i % 8)).ToArray(), new long[] { 1, 1, 8, 8 });
        var targets = PatchMasking.Targets(plane, Tiny);
        Assert.That(targets.shape, Is.EqualTo(new long[] { 1, 4, 16 }));
        var patch1 = Enumerable.Range(0, 16).Select(i => 10.0 * (i / 4) + 4 + i % 4).ToArray();
        double mean = patch1.Average(), std = Math.Sqrt(patch1.Sum(x => (x - mean) * (x - mean)) / 15 + PatchMasking.NormEpsilon);
        Assert.That(targets[0, 1].data<float>().ToArray(), Is.EqualTo(patch1.Select(x => (float)((x - mean) / std)).ToArray()).Within(1e-5));
        Assert.That(targets.mean(new long[] { -1 }).abs().max().item<float>(), Is.LessThan(1e-5));
    }

    [Test]
    public void MaskedForwardEqualsForwardWhenNothingIsMaskedAndTrainsTheMaskToken()
    {
        manual_seed(3);
        var recipe = new MaskedPatchRecipe();
        var model = new MaskedPatchModel(new VitModel(Tiny), discriminative: true);
        BertInitialisation.Apply(model);
        var inputs = new PixelBatch(randn(2, 1, 8, 8));
        var none = zeros(2, 4, dtype: ScalarType.Bool);
        var token = randn(1, 1, 16);
        Assert.That(model.Backbone.ForwardMasked(inputs, none, token).allclose(model.Backbone.Forward(inputs)), Is.True);
        var some = tensor(new[] { true, false, false, false, false, false, true, false }, new long[] { 2, 4 });
        Assert.That(model.Backbone.ForwardMasked(inputs, some, token).allclose(model.Backbone.Forward(inputs)), Is.False);

        var losses = model.Losses(inputs, tensor(new long[] { 0, 3, 2, 1 }, new long[] { 2, 2 }), recipe with { DiscriminativeWeight = 1 });
        losses.Total.backward();
        var maskToken = model.named_parameters().Single(p => p.name == "mask_token").parameter;
        Assert.That(maskToken.grad!.abs().sum().item<float>(), Is.GreaterThan(0f));
        Assert.That(losses.Discriminative, Is.Not.Null);
        Assert.That(model.HeadState().Select(kv => kv.Key), Is.EquivalentTo(new[] { "mask_token", "decoder.weight", "decoder.bias", "discriminator.weight", "discriminator.bias" }));
        Assert.That(() => model.Backbone.ForwardMasked(inputs, zeros(2, 5, dtype: ScalarType.Bool), token), Throws.ArgumentException);
    }
}
