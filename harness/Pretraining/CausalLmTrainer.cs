using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Core.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Next-token training of a <see cref="CausalLm"/> under one <see cref="CausalLmRecipe"/>. The full pretraining run and
/// the reproducibility test both go through <see cref="Train"/>, so the test replays exactly the code that made the
/// shipped weights. Determinism: init from <c>manual_seed(init)</c>, data in corpus order (then seeded epochs), no
/// dropout, and the thread count pinned (results differ between thread counts).
/// </summary>
public sealed class CausalLmTrainer
{
    private readonly CausalLmRecipe recipe;
    private readonly IDecoderTokenizer tokenizer;
    private readonly SeedTree seeds;

    public CausalLm Model { get; }
    public List<double> StepMilliseconds { get; } = new();

    public CausalLmTrainer(CausalLmRecipe recipe, DecoderConfig config, IDecoderTokenizer tokenizer)
    {
        this.recipe = recipe;
        this.tokenizer = tokenizer;
        seeds = new SeedTree(recipe.Seed);
        torch.set_num_threads(recipe.Threads);
        seeds.SeedGlobal("init");
        Model = CausalLm.Create(config);
        DecoderInitialisation.Apply(Model);
    }

    /// <summary>Runs steps 0 … <paramref name="stopAfter"/>−1 of the recipe (all of it by default); returns each step's loss.</summary>
    public List<float> Train(IEnumerable<string> trainDocuments, int? stopAfter = null, Action<int, float>? onStep = null)
    {
        var steps = Math.Min(stopAfter ?? recipe.Steps, recipe.Steps);
        var data = new PackedChunks(CausalLmPacking.Pack(trainDocuments, tokenizer, recipe.SequenceLength), seeds);
        var parameters = Model.parameters().ToList();
        // Weight decay on matrices and the embedding only (norm scales are not decayed), as LLaMA and nanoGPT do.
        var groups = new[] { (Decay: recipe.WeightDecay, Parameters: parameters.Where(p => p.dim() >= 2)), (Decay: 0.0, Parameters: parameters.Where(p => p.dim() < 2)) }
            .Select(g => new AdamW.ParamGroup(g.Parameters, lr: recipe.PeakLearningRate, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: g.Decay));
        using var optimizer = optim.AdamW(groups.ToList(), lr: recipe.PeakLearningRate, beta1: 0.9, beta2: 0.95, eps: 1e-8);
        Model.train();
        return PretrainingLoop.Run(optimizer, parameters, steps, recipe.LearningRates, recipe.GradientClipNorm,
            _ => Enumerable.Range(0, recipe.BatchSize).Select(_ => data.Next()).ToList(), Loss, StepMilliseconds, onStep);
    }

    private Tensor Loss(IReadOnlyList<int[]> windows)
    {
        var (inputs, targets) = Split(windows);
        var logits = Model.call(inputs, ones_like(inputs));
        return F.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1));
    }

    private static (Tensor Inputs, Tensor Targets) Split(IReadOnlyList<int[]> windows)
    {
        long batch = windows.Count, length = windows[0].Length - 1;
        var all = tensor(windows.SelectMany(w => w).Select(i => (long)i).ToArray(), new[] { batch, length + 1 });
        return (all.narrow(1, 0, length), all.narrow(1, 1, length));
    }

    /// <summary>Mean next-token loss (nats) of the current weights over <paramref name="windows"/>, and the targets scored.</summary>
    public (double Loss, long[] Targets) Evaluate(IReadOnlyList<int[]> windows, int batchSize = 16)
    {
        double lossSum = 0;
        var targets = new List<long>();
        Model.eval();
        using (no_grad())
        {
            for (int start = 0; start < windows.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var (inputs, target) = Split(windows.Skip(start).Take(batchSize).ToList());
                var logits = Model.call(inputs, ones_like(inputs));
                lossSum += F.cross_entropy(logits.reshape(-1, logits.shape[^1]), target.reshape(-1), reduction: nn.Reduction.Sum).item<float>();
                targets.AddRange(target.reshape(-1).data<long>().ToArray());
            }
        }
        Model.train();
        return (targets.Count > 0 ? lossSum / targets.Count : double.NaN, targets.ToArray());
    }
}
