using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeftBench.Core.Models;

/// <summary>
/// The <c>config.json</c> fields that ViT and the audio spectrogram transformer share (Hugging Face's ASTLayer is
/// a copy of ViTLayer): the pre-norm encoder blocks and the patch size. Property names are the JSON keys and the
/// defaults are Hugging Face's, so <c>google/vit-base-patch16-224</c> and <c>MIT/ast-finetuned-audioset-10-10-0.4593</c>
/// configs read unchanged; unknown keys (<c>id2label</c>, <c>architectures</c> …) are ignored.
/// </summary>
public abstract record PatchTransformerConfig
{
    /// <summary>Hugging Face <c>model_type</c>; fixed by the family, written to config.json, checked by the loader.</summary>
    [JsonPropertyName("model_type")] public abstract string ModelType { get; }

    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.0;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.0;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 16;
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; } = true;

    /// <summary>Patch tokens per input (the position table holds these plus the special tokens).</summary>
    [JsonIgnore] public abstract int NumPatches { get; }

    /// <summary>Strides of the patch convolution along height and width (ViT: the patch size; AST: frequency and time strides).</summary>
    [JsonIgnore] public abstract (int Height, int Width) PatchStride { get; }

    /// <summary>Rows and columns of the convolution's output grid; patch tokens follow it in row-major order.</summary>
    [JsonIgnore] public abstract (int Rows, int Columns) PatchGrid { get; }

    /// <summary>Tokens before the patches: CLS for ViT, CLS and distillation for AST.</summary>
    [JsonIgnore] public abstract int SpecialTokens { get; }

    private static readonly string[] KnownActivations = { "gelu", "gelu_new", "gelu_pytorch_tanh", "relu" };

    public virtual IEnumerable<string> Validate()
    {
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            yield return $"hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}.";
        if (NumHiddenLayers <= 0) yield return $"num_hidden_layers must be positive (got {NumHiddenLayers}).";
        if (IntermediateSize <= 0) yield return $"intermediate_size must be positive (got {IntermediateSize}).";
        if (PatchSize <= 0) yield return $"patch_size must be positive (got {PatchSize}).";
        if (!KnownActivations.Contains(HiddenAct)) yield return $"hidden_act '{HiddenAct}' is not supported (known: {string.Join(", ", KnownActivations)}).";
        if (HiddenDropoutProb is < 0 or >= 1 || AttentionProbsDropoutProb is < 0 or >= 1)
            yield return "dropout probabilities must lie in [0, 1).";
    }

    /// <summary>Reads and validates a config.json; readable errors name the source.</summary>
    public static T FromJson<T>(string json, string sourceForErrors) where T : PatchTransformerConfig
    {
        T config;
        try
        {
            config = JsonSerializer.Deserialize<T>(json) ?? throw new InvalidDataException($"{sourceForErrors}: empty config.json.");
        }
        catch (JsonException ex) { throw new InvalidDataException($"{sourceForErrors}: {ex.Message}", ex); }
        var problems = config.Validate().ToList();
        if (problems.Count > 0) throw new InvalidDataException($"{sourceForErrors}: {string.Join(" ", problems)}");
        return config;
    }

    /// <summary>The config as Hugging Face writes it (every field of the concrete family, <c>model_type</c> included).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), new JsonSerializerOptions { WriteIndented = true });
}
