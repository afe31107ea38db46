using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeftBench.Harness.Planning;

/// <summary>
/// The training recipe shared by every cell of a run, so methods are compared under the same budget of steps,
/// batch size and schedule (learning rates are per method, in its config). Part of the cell key.
/// </summary>
public sealed record TrainingRecipe
{
    public int BatchSize { get; init; } = 32;
    public int EvalBatchSize { get; init; } = 128;
    /// <summary>Tokens per example after truncation (pairs truncated longest-first).</summary>
    public int MaxSequenceLength { get; init; } = 64;
    public int Epochs { get; init; } = 3;
    /// <summary>Caps the step count of large tasks so one cell stays short; 0 = no cap.</summary>
    public int MaxSteps { get; init; } = 0;
    /// <summary>Training examples used per task (a seeded subset); 0 = all.</summary>
    public int MaxTrainExamples { get; init; } = 0;
    /// <summary>Evaluation examples per split (the first N, fixed across seeds); 0 = all.</summary>
    public int MaxEvalExamples { get; init; } = 0;
    public double WarmupFraction { get; init; } = 0.06;
    public double WeightDecay { get; init; } = 0.01;
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Steps excluded from throughput timing (allocator and kernel warm-up).</summary>
    public int WarmupStepsUntimed { get; init; } = 3;

    public IEnumerable<string> Validate()
    {
        if (BatchSize < 1) yield return "batch_size must be at least 1.";
        if (EvalBatchSize < 1) yield return "eval_batch_size must be at least 1.";
        if (MaxSequenceLength < 8) yield return "max_sequence_length must be at least 8.";
        if (Epochs < 1) yield return "epochs must be at least 1.";
        if (MaxSteps < 0 || MaxTrainExamples < 0 || MaxEvalExamples < 0) yield return "max_steps, max_train_examples and max_eval_examples must be ≥ 0.";
        if (WarmupFraction is < 0 or >= 1) yield return "warmup_fraction must be in [0, 1).";
        if (WeightDecay < 0) yield return "weight_decay must be ≥ 0.";
        if (MaxGradNorm <= 0) yield return "max_grad_norm must be positive.";
    }

    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!.AsObject();
}

/// <summary>A named recipe plus the seeds it runs by default.</summary>
public sealed record Profile(string Id, string Description, TrainingRecipe Recipe, IReadOnlyList<long> DefaultSeeds);

public static class Profiles
{
    /// <summary>
    /// smoke: seconds per cell, for tests (checks that everything runs, not what wins).
    /// ci: the <c>ci</c> suite's recipe, a little longer than smoke so metrics are not all the majority class.
    /// default: every cell once (seed 0), 200 steps: the whole GLUE matrix in about a quarter of an hour on 2 cores.
    /// paper: three seeds and full epochs, for mean ± std.
    /// </summary>
    public static readonly IReadOnlyList<Profile> All = new[]
    {
        new Profile("smoke", "a few steps on small subsets: checks that every cell runs (tests, CI)",
            new TrainingRecipe { BatchSize = 16, EvalBatchSize = 64, MaxSequenceLength = 48, Epochs = 1, MaxSteps = 6, MaxTrainExamples = 96, MaxEvalExamples = 64, WarmupStepsUntimed = 2 },
            new long[] { 0 }),
        // ci: enough steps and eval rows that metrics move off the majority class on sst2, so a broken method shows
        // up as a metric change and not only as a crash; sized so ~30 methods × 3 tasks stay within minutes on 2 cores.
        new Profile("ci", "the regression gate's recipe: 24 steps on 384 examples, 128 eval rows (deterministic at fixed threads)",
            new TrainingRecipe { BatchSize = 16, EvalBatchSize = 64, MaxSequenceLength = 48, Epochs = 1, MaxSteps = 24, MaxTrainExamples = 384, MaxEvalExamples = 128, WarmupStepsUntimed = 2 },
            new long[] { 0 }),
        new Profile("default", "the full comparison on the embedded data, sized for a 2-core CPU",
            new TrainingRecipe { BatchSize = 32, EvalBatchSize = 128, MaxSequenceLength = 64, Epochs = 3, MaxSteps = 200, MaxTrainExamples = 0, MaxEvalExamples = 0 },
            new long[] { 0 }),
        // instruct: instruction tuning of a decoder on the generation tasks (math, code). Long enough sequences for a worked
        // solution or a program (tiny-llama has 256 positions), 40 epochs over the 165 embedded code problems (440 steps), a
        // step cap that gives the 2,000 math problems 6.4 epochs; smaller batches, as instruction-tuning recipes use. At 400
        // steps tiny-llama had not yet begun to copy the question's numbers into its solutions (issue 8's trial runs).
        new Profile("instruct", "instruction tuning on the generation tasks: batch 16, 256 tokens, up to 40 epochs or 800 steps",
            new TrainingRecipe { BatchSize = 16, EvalBatchSize = 64, MaxSequenceLength = 256, Epochs = 40, MaxSteps = 800, WarmupFraction = 0.03 },
            new long[] { 0 }),
        new Profile("paper", "three seeds and three full epochs per task (no step cap): mean ± std for a paper table; about 10× the default's time",
            new TrainingRecipe { BatchSize = 32, EvalBatchSize = 128, MaxSequenceLength = 64, Epochs = 3, MaxSteps = 0 },
            new long[] { 0, 1, 2 }),
    };

    public static Profile? Find(string id) => All.FirstOrDefault(p => p.Id == id);
}
