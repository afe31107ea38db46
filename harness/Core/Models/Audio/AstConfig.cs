using System.Text.Json.Serialization;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face <c>ASTConfig</c> (Gong et al., 2021, "AST: Audio Spectrogram Transformer"): a ViT over the
/// [mel × time] plane of a log-mel filterbank, cut into <c>patch_size</c>² patches that overlap
/// (strides <c>frequency_stride</c>, <c>time_stride</c> smaller than the patch). The defaults are
/// <c>MIT/ast-finetuned-audioset-10-10-0.4593</c>: 128 mel bins × 1024 frames → 12 × 101 patches.
/// </summary>
public sealed record AstConfig : PatchTransformerConfig
{
    public const string Type = "audio-spectrogram-transformer";

    [JsonPropertyName("model_type")] public override string ModelType => Type;
    [JsonPropertyName("frequency_stride")] public int FrequencyStride { get; init; } = 10;
    [JsonPropertyName("time_stride")] public int TimeStride { get; init; } = 10;
    /// <summary>Frames every input is padded or truncated to (the position table is fixed to this length).</summary>
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 1024;
    [JsonPropertyName("num_mel_bins")] public int NumMelBins { get; init; } = 128;

    /// <summary>Patch rows along frequency: (mel bins − patch) / stride + 1, as a convolution's output size.</summary>
    [JsonIgnore] public int FrequencyPatches => (NumMelBins - PatchSize) / FrequencyStride + 1;
    [JsonIgnore] public int TimePatches => (MaxLength - PatchSize) / TimeStride + 1;
    public override int NumPatches => FrequencyPatches * TimePatches;
    public override (int Height, int Width) PatchStride => (FrequencyStride, TimeStride);
    public override (int Rows, int Columns) PatchGrid => (FrequencyPatches, TimePatches);
    public override int SpecialTokens => 2;

    /// <summary><c>MIT/ast-finetuned-audioset-10-10-0.4593</c>'s backbone.</summary>
    public static AstConfig Base => new();

    public override IEnumerable<string> Validate()
    {
        foreach (var p in base.Validate()) yield return p;
        if (FrequencyStride <= 0 || TimeStride <= 0) yield return "frequency_stride and time_stride must be positive.";
        if (NumMelBins < PatchSize || MaxLength < PatchSize)
            yield return $"num_mel_bins {NumMelBins} and max_length {MaxLength} must each be at least patch_size {PatchSize}.";
    }
}
