using System.Text.Json.Serialization;
using PeftBench.Core.Models;

namespace PeftBench.Harness.Pretraining;

/// <summary>The causal-LM recipe of <c>tiny-llama</c>; everything a replay of the first steps needs besides the corpus and tokenizer.</summary>
public sealed record CausalLmRecipe
{
    [JsonPropertyName("steps")] public int Steps { get; init; } = 560;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 8;
    [JsonPropertyName("sequence_length")] public int SequenceLength { get; init; } = 256;
    [JsonPropertyName("peak_learning_rate")] public double PeakLearningRate { get; init; } = 3e-3;
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = 40;
    [JsonPropertyName("final_learning_rate_fraction")] public double FinalLearningRateFraction { get; init; } = 0.1;
    [JsonPropertyName("schedule")] public string Schedule { get; init; } = "linear warm-up to the peak, then cosine decay to final_learning_rate_fraction of the peak at the last step";
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "AdamW(beta1 0.9, beta2 0.95, eps 1e-8); weight decay on matrices and embeddings only";
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.1;
    [JsonPropertyName("gradient_clip_norm")] public double GradientClipNorm { get; init; } = 1.0;
    [JsonPropertyName("init")] public string Init { get; init; } = $"N(0, {DecoderInitialisation.Std}) matrices and embedding, unit RMSNorm scales (transformers' LlamaPreTrainedModel)";
    [JsonPropertyName("packing")] public string Packing { get; init; } = "documents as <|begin_of_text|> text <|end_of_text|>, concatenated and cut into sequence_length + 1 tokens (inputs and shifted targets), stride sequence_length; first epoch in corpus order";
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; } = 4096;
    [JsonPropertyName("held_out_fraction")] public double HeldOutFraction { get; init; } = 0.02;
    [JsonPropertyName("seed")] public long Seed { get; init; } = 20261207;
    /// <summary>One thread: on the shared 2-core machine two OpenMP threads ran 4× slower per step (5.3 s vs 1.4 s at batch 8)
    /// whenever other processes held a core; results are reproducible only at the recorded count.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; } = 1;

    public LearningRateSchedule LearningRates => new(PeakLearningRate, WarmupSteps, Steps, Cosine: true, FinalFraction: FinalLearningRateFraction);

    public IEnumerable<string> Validate()
    {
        if (Steps <= 0) yield return "steps must be positive.";
        if (WarmupSteps < 1 || WarmupSteps > Steps) yield return "warm-up steps must lie in 1..steps.";
        if (BatchSize < 1) yield return "batch size must be positive.";
        if (SequenceLength < 8) yield return "sequence length must be at least 8.";
        if (VocabularySize < 300) yield return "the vocabulary needs room for 256 bytes, 2 special tokens and merges (≥ 300).";
        if (Threads < 1) yield return "threads must be at least 1.";
    }
}

/// <summary>Next-token loss on held-out documents of one domain (or all), against a unigram model of the training tokens.</summary>
public sealed record CausalLmHeldOut
{
    [JsonPropertyName("tokens")] public long Tokens { get; init; }
    [JsonPropertyName("loss")] public double Loss { get; init; }
    [JsonPropertyName("perplexity")] public double Perplexity { get; init; }
    [JsonPropertyName("unigram_loss")] public double UnigramLoss { get; init; }
    [JsonPropertyName("unigram_perplexity")] public double UnigramPerplexity { get; init; }
}
