using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Trains a <see cref="MaskedPatchModel"/> under one <see cref="MaskedPatchRecipe"/>. The full pretraining run and the
/// replay test both go through <see cref="Train"/>. Determinism: init from <c>manual_seed(init)</c> (Hugging Face's
/// N(0, 0.02) / zero bias / unit norm, <see cref="BertInitialisation"/>), masks and augmentation from their own
/// seeded <see cref="Random"/>s consumed in example order, example order given by the caller, no dropout, and the
/// thread count pinned.
/// </summary>
public sealed class MaskedPatchTrainer
{
    private readonly MaskedPatchRecipe recipe;
    private readonly SeedTree seeds;

    public MaskedPatchModel Model { get; }
    public List<double> StepMilliseconds { get; } = new();
    public LearningRateSchedule Schedule => new(recipe.PeakLearningRate, recipe.WarmupSteps, recipe.Steps, Cosine: true);
    public int MaskedPerExample => PatchMasking.MaskedCount(Model.Config.NumPatches, recipe.MaskRatio);

    public MaskedPatchTrainer(MaskedPatchRecipe recipe, PatchTransformerConfig config)
    {
        this.recipe = recipe;
        seeds = new SeedTree(recipe.Seed);
        torch.set_num_threads(recipe.Threads);
        Model = CreateInitialised(config, recipe);
        seeds.SeedGlobal("dropout");
    }

    /// <summary>The model as pretraining starts (also the random-init control of the linear probe).</summary>
    public static MaskedPatchModel CreateInitialised(PatchTransformerConfig config, MaskedPatchRecipe recipe)
    {
        new SeedTree(recipe.Seed).SeedGlobal("init");
        var model = new MaskedPatchModel(HfVisionLoader.Create(config), recipe.DiscriminativeWeight > 0);
        BertInitialisation.Apply(model);
        return model;
    }

    /// <summary>Runs steps 0 … <paramref name="stopAfter"/>−1 of the recipe on examples in <paramref name="order"/>; returns each step's loss.</summary>
    public List<float> Train(IPatchCorpus data, IEnumerable<int> order, int? stopAfter = null, Action<int, float>? onStep = null)
    {
        var steps = Math.Min(stopAfter ?? recipe.Steps, recipe.Steps);
        using var next = order.GetEnumerator();
        var maskRng = seeds.Random("mask");
        var augmentRng = seeds.Random("augment");
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in Model.named_parameters())
            (p.dim() >= 2 && !name.EndsWith("token", StringComparison.Ordinal) && !name.EndsWith("position_embeddings", StringComparison.Ordinal) ? decay : noDecay).Add(p);
        using var optimizer = optim.AdamW(new List<AdamW.ParamGroup>
        {
            new(decay, lr: recipe.PeakLearningRate, weight_decay: recipe.WeightDecay),
            new(noDecay, lr: recipe.PeakLearningRate, weight_decay: 0.0),
        }, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        Model.train();
        int k = MaskedPerExample;
        return PretrainingLoop.Run(optimizer, decay.Concat(noDecay).ToList(), steps, Schedule, recipe.GradientClipNorm,
            _ =>
            {
                var indices = new int[recipe.BatchSize];
                for (int i = 0; i < indices.Length; i++) indices[i] = next.MoveNext() ? next.Current : throw new InvalidOperationException("the example order ran out.");
                return (Examples: data.Batch(indices, augmentRng, augment: true), Masked: PatchMasking.Sample(indices.Length, Model.Config.NumPatches, k, maskRng));
            },
            batch => Model.Losses(batch.Examples.ToInputs(), tensor(batch.Masked, new long[] { batch.Examples.Count, k }), recipe).Total,
            StepMilliseconds, onStep);
    }

    /// <summary>Held-out losses of <paramref name="model"/> (eval mode, no augmentation, masks and placement from <paramref name="seed"/>).</summary>
    public static MaskedPatchHeldOut Evaluate(MaskedPatchModel model, MaskedPatchRecipe recipe, IPatchCorpus data, long seed, int batchSize = 64)
    {
        var seeds = new SeedTree(seed);
        var maskRng = seeds.Random("held-out-mask");
        var exampleRng = seeds.Random("held-out-examples");
        int k = PatchMasking.MaskedCount(model.Config.NumPatches, recipe.MaskRatio);
        double loss = 0, baseline = 0;
        long correct = 0;
        bool discriminative = false;
        model.eval();
        using (no_grad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var indices = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).ToArray();
                var batch = data.Batch(indices, exampleRng, augment: false);
                var masked = tensor(PatchMasking.Sample(indices.Length, model.Config.NumPatches, k, maskRng), new long[] { indices.Length, k });
                var losses = model.Losses(batch.ToInputs(), masked, recipe);
                // Every example has the same number of masked values, so example-weighted means are exact.
                loss += losses.Reconstruction.item<float>() * indices.Length;
                baseline += losses.ZeroBaseline.item<float>() * indices.Length;
                if (losses.DiscriminativeCorrect is { } c) { correct += c.item<long>(); discriminative = true; }
            }
        }
        model.train();
        return new MaskedPatchHeldOut
        {
            Examples = data.Count,
            MaskedPatches = (long)data.Count * k,
            ReconstructionLoss = recipe.ReconstructionLoss,
            Loss = loss / data.Count,
            ZeroBaselineLoss = baseline / data.Count,
            DiscriminativeAccuracy = discriminative ? (double)correct / ((long)data.Count * k) : null,
            DiscriminativeChance = discriminative ? 1.0 / k : null,
        };
    }
}
