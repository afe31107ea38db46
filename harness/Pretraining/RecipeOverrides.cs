using PeftBench.Core.Models;

namespace PeftBench.Harness.Pretraining;

/// <summary>The recipe settings <c>pretrain</c> takes on the command line; null keeps the model's recipe default.</summary>
public sealed record RecipeOverrides(int? Steps, int? BatchSize, double? PeakLearningRate, int? WarmupSteps, long? Seed, int? Threads)
{
    public MlmRecipe Apply(MlmRecipe r) => r with
    {
        Steps = Steps ?? r.Steps, BatchSize = BatchSize ?? r.BatchSize, PeakLearningRate = PeakLearningRate ?? r.PeakLearningRate,
        WarmupSteps = WarmupSteps ?? r.WarmupSteps, Seed = Seed ?? r.Seed, Threads = Threads ?? r.Threads,
    };

    public CausalLmRecipe Apply(CausalLmRecipe r) => r with
    {
        Steps = Steps ?? r.Steps, BatchSize = BatchSize ?? r.BatchSize, PeakLearningRate = PeakLearningRate ?? r.PeakLearningRate,
        WarmupSteps = WarmupSteps ?? r.WarmupSteps, Seed = Seed ?? r.Seed, Threads = Threads ?? r.Threads,
    };

    public MaskedPatchRecipe Apply(MaskedPatchRecipe r) => r with
    {
        Steps = Steps ?? r.Steps, BatchSize = BatchSize ?? r.BatchSize, PeakLearningRate = PeakLearningRate ?? r.PeakLearningRate,
        WarmupSteps = WarmupSteps ?? r.WarmupSteps, Seed = Seed ?? r.Seed, Threads = Threads ?? r.Threads,
    };
}
