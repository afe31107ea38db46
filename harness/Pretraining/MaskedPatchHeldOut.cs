using System.Text.Json.Serialization;

namespace PeftBench.Harness.Pretraining;

/// <summary>Masked-patch losses of a model on held-out examples, with the zero-prediction baseline on the same patches.</summary>
public sealed record MaskedPatchHeldOut
{
    [JsonPropertyName("examples")] public int Examples { get; init; }
    [JsonPropertyName("masked_patches")] public long MaskedPatches { get; init; }
    [JsonPropertyName("reconstruction_loss")] public string ReconstructionLoss { get; init; } = "";
    [JsonPropertyName("loss")] public double Loss { get; init; }
    /// <summary>The loss of predicting zero for every normalised value, i.e. each masked patch's own mean.</summary>
    [JsonPropertyName("zero_baseline_loss")] public double ZeroBaselineLoss { get; init; }
    /// <summary>SSAST's patch discrimination: how often a masked position picks its own patch among the example's masked patches.</summary>
    [JsonPropertyName("discriminative_accuracy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DiscriminativeAccuracy { get; init; }
    [JsonPropertyName("discriminative_chance"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DiscriminativeChance { get; init; }
    /// <summary>The sanity check of the features: a linear probe on the pretrained backbone against its random init.</summary>
    [JsonPropertyName("linear_probe"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LinearProbeResult? LinearProbe { get; init; }
}

/// <summary>Test accuracy of a linear classifier on frozen features, pretrained against random-init weights.</summary>
public sealed record LinearProbeResult
{
    [JsonPropertyName("task")] public string Task { get; init; } = "";
    [JsonPropertyName("train_examples")] public int TrainExamples { get; init; }
    [JsonPropertyName("test_examples")] public int TestExamples { get; init; }
    [JsonPropertyName("classes")] public int Classes { get; init; }
    [JsonPropertyName("classifier")] public string Classifier { get; init; } = "";
    /// <summary>Feature name (e.g. <c>cls</c>, <c>mean_patch</c>) → test accuracy.</summary>
    [JsonPropertyName("pretrained_accuracy")] public SortedDictionary<string, double> PretrainedAccuracy { get; init; } = new(StringComparer.Ordinal);
    [JsonPropertyName("random_init_accuracy")] public SortedDictionary<string, double> RandomInitAccuracy { get; init; } = new(StringComparer.Ordinal);
}
