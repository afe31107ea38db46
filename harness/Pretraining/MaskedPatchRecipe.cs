using System.Text.Json.Serialization;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The masked-patch recipe shared by tiny-vit (SimMIM: L1, linear head) and tiny-ast (SSAST: MSE reconstruction plus
/// the InfoNCE patch-discrimination loss); everything a replay of the first steps needs besides the shipped examples.
/// Each <see cref="MaskedPatchBackbone.DefaultRecipe"/> sets its model's values; the manifest records the one used.
/// </summary>
public sealed record MaskedPatchRecipe
{
    [JsonPropertyName("objective")] public string Objective { get; init; } = "SimMIM (Xie et al., CVPR 2022)";
    [JsonPropertyName("steps")] public int Steps { get; init; } = 1000;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 128;
    [JsonPropertyName("peak_learning_rate")] public double PeakLearningRate { get; init; } = 1e-3;
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = 100;
    [JsonPropertyName("schedule")] public string Schedule { get; init; } = "linear warm-up to the peak, then cosine decay to 0 at the last step";
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "AdamW(beta1 0.9, beta2 0.999, eps 1e-8); no decay on biases, norms, position embeddings and special/mask tokens";
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.05;
    [JsonPropertyName("gradient_clip_norm")] public double GradientClipNorm { get; init; } = 3.0;
    /// <summary>Share of each example's patches masked: exactly round(ratio · patches), uniformly without replacement.</summary>
    [JsonPropertyName("mask_ratio")] public double MaskRatio { get; init; } = 0.6;
    /// <summary><c>l1</c> (SimMIM) or <c>mse</c> (SSAST's generative loss).</summary>
    [JsonPropertyName("reconstruction_loss")] public string ReconstructionLoss { get; init; } = "l1";
    [JsonPropertyName("target")] public string Target { get; init; } = "masked input patches, each normalised by its own mean and variance ((x - mean) / sqrt(var + 1e-6), MAE's norm_pix_loss)";
    [JsonPropertyName("reconstruction_weight")] public double ReconstructionWeight { get; init; } = 1.0;
    /// <summary>Weight of SSAST's discriminative loss (InfoNCE: each masked position picks its own patch among the example's masked patches); 0 = off.</summary>
    [JsonPropertyName("discriminative_weight")] public double DiscriminativeWeight { get; init; } = 0.0;
    [JsonPropertyName("augmentation")] public string Augmentation { get; init; } = "";
    /// <summary>How many first steps' examples are shipped next to the weights, so a test replays them without the full data.</summary>
    [JsonPropertyName("replay_steps")] public int ReplaySteps { get; init; } = 3;
    [JsonPropertyName("seed")] public long Seed { get; init; } = 20261124;
    [JsonPropertyName("threads")] public int Threads { get; init; } = 2;

    public IEnumerable<string> Validate()
    {
        if (Steps <= 0) yield return "steps must be positive.";
        if (BatchSize <= 0) yield return "batch size must be positive.";
        if (WarmupSteps < 1 || WarmupSteps > Steps) yield return "warm-up steps must lie in 1..steps.";
        if (PeakLearningRate <= 0) yield return "the learning rate must be positive.";
        if (MaskRatio is <= 0 or >= 1) yield return "mask ratio must lie in (0, 1).";
        if (ReconstructionLoss is not ("l1" or "mse")) yield return $"reconstruction loss must be l1 or mse (got '{ReconstructionLoss}').";
        if (ReconstructionWeight < 0 || DiscriminativeWeight < 0 || ReconstructionWeight + DiscriminativeWeight <= 0)
            yield return "loss weights must be non-negative and not both zero.";
        if (ReplaySteps < 1 || ReplaySteps > Steps) yield return "replay steps must lie in 1..steps.";
        if (Threads < 1) yield return "threads must be at least 1.";
    }
}
