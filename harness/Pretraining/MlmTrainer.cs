using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Masked-LM training of a <see cref="BertForMaskedLm"/> under one <see cref="MlmRecipe"/>. The full
/// pretraining run and the reproducibility test both go through <see cref="Train"/>, so the test replays
/// exactly the code that made the shipped weights. Determinism: init from <c>manual_seed(init)</c>, dropout
/// from the global generator re-seeded after init, masking from a seeded <see cref="Random"/>, data in corpus
/// order, and the thread count pinned (results differ between thread counts).
/// </summary>
public sealed class MlmTrainer
{
    private readonly MlmRecipe recipe;
    private readonly ITextTokenizer tokenizer;
    private readonly SeedTree seeds;
    private readonly HashSet<int> specialIds;

    public BertForMaskedLm Model { get; }
    public List<double> StepMilliseconds { get; } = new();

    public MlmTrainer(MlmRecipe recipe, EncoderConfig config, ITextTokenizer tokenizer)
    {
        this.recipe = recipe;
        this.tokenizer = tokenizer;
        seeds = new SeedTree(recipe.Seed);
        torch.set_num_threads(recipe.Threads);
        specialIds = [tokenizer.PadId, tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId];
        seeds.SeedGlobal("init");
        Model = new BertForMaskedLm(config);
        Model.InitialiseLikeBert();
        seeds.SeedGlobal("dropout");
    }

    /// <summary>Linear warm-up to the peak, then linear decay to zero at the last step.</summary>
    public LearningRateSchedule Schedule => new(recipe.PeakLearningRate, recipe.WarmupSteps, recipe.Steps);

    /// <summary>Runs steps 0 … <paramref name="stopAfter"/>−1 of the recipe (all of it by default); returns each step's loss.</summary>
    public List<float> Train(IEnumerable<string> trainLines, int? stopAfter = null, Action<int, float>? onStep = null)
    {
        var steps = Math.Min(stopAfter ?? recipe.Steps, recipe.Steps);
        var data = new PackedChunks(PackedChunks.Pack(trainLines, tokenizer, recipe.SequenceLength), seeds);
        var maskRng = seeds.Random("mask");
        var parameters = Model.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr: recipe.PeakLearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: recipe.WeightDecay);
        Model.train();
        return PretrainingLoop.Run(optimizer, parameters, steps, Schedule, recipe.GradientClipNorm,
            _ => MlmMasking.Mask(Enumerable.Range(0, recipe.BatchSize).Select(_ => data.Next()).ToList(), recipe.MaskRate, tokenizer.MaskId, FirstOrdinaryId, tokenizer.VocabSize, specialIds, maskRng),
            Loss, StepMilliseconds, onStep);
    }

    /// <summary>The first id that is not a special token (specials come first in the vocabulary).</summary>
    public int FirstOrdinaryId => specialIds.Max() + 1;

    private Tensor Loss(MaskedBatch batch)
    {
        var ids = tensor(batch.InputIds, new long[] { batch.BatchSize, batch.SequenceLength });
        var mask = ones(batch.BatchSize, batch.SequenceLength, dtype: ScalarType.Int64);
        var logits = Model.MaskedLogits(ids, mask, tensor(batch.Positions));
        return F.cross_entropy(logits, tensor(batch.Targets));
    }

    /// <summary>Masked-token loss and accuracy of the current weights on held-out chunks (eval mode, fixed masking seed).</summary>
    public (double Loss, double Accuracy, long Count, long[] Targets) Evaluate(IReadOnlyList<int[]> chunks, string maskPurpose, int batchSize = 64)
    {
        var rng = seeds.Random(maskPurpose);
        double lossSum = 0;
        long correct = 0, count = 0;
        var allTargets = new List<long>();
        Model.eval();
        using (no_grad())
        {
            for (int start = 0; start < chunks.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var part = chunks.Skip(start).Take(batchSize).ToList();
                var batch = MlmMasking.Mask(part, recipe.MaskRate, tokenizer.MaskId, FirstOrdinaryId, tokenizer.VocabSize, specialIds, rng);
                if (batch.Positions.Length == 0) continue;
                var ids = tensor(batch.InputIds, new long[] { batch.BatchSize, batch.SequenceLength });
                var logits = Model.MaskedLogits(ids, ones(batch.BatchSize, batch.SequenceLength, dtype: ScalarType.Int64), tensor(batch.Positions));
                var targets = tensor(batch.Targets);
                lossSum += F.cross_entropy(logits, targets, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(targets).sum().item<long>();
                count += batch.Positions.Length;
                allTargets.AddRange(batch.Targets);
            }
        }
        Model.train();
        return (count > 0 ? lossSum / count : double.NaN, count > 0 ? (double)correct / count : double.NaN, count, allTargets.ToArray());
    }
}
