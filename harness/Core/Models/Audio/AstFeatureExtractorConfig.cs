using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face <c>ASTFeatureExtractor</c>'s <c>preprocessor_config.json</c>: sampling rate, mel bins, frames and the
/// dataset statistics the features are normalised with ((x − mean) / (2·std)). The defaults are
/// <c>MIT/ast-finetuned-audioset-10-10-0.4593</c>'s; <see cref="ToLogMelConfig"/> gives the matching front end.
/// </summary>
public sealed record AstFeatureExtractorConfig
{
    public const string FileName = "preprocessor_config.json";

    [JsonPropertyName("feature_extractor_type")] public string FeatureExtractorType { get; init; } = "ASTFeatureExtractor";
    [JsonPropertyName("feature_size")] public int FeatureSize { get; init; } = 1;
    [JsonPropertyName("sampling_rate")] public int SamplingRate { get; init; } = 16000;
    [JsonPropertyName("num_mel_bins")] public int NumMelBins { get; init; } = 128;
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 1024;
    [JsonPropertyName("do_normalize")] public bool DoNormalize { get; init; } = true;
    [JsonPropertyName("mean")] public double Mean { get; init; } = -4.2677393;
    [JsonPropertyName("std")] public double Std { get; init; } = 4.5689974;
    [JsonPropertyName("padding_side")] public string PaddingSide { get; init; } = "right";
    [JsonPropertyName("padding_value")] public double PaddingValue { get; init; } = 0.0;
    [JsonPropertyName("return_attention_mask")] public bool ReturnAttentionMask { get; init; } = false;

    public LogMelConfig ToLogMelConfig() => new()
    {
        SampleRateHz = SamplingRate, NumMelBins = NumMelBins, MaxLength = MaxLength, Normalize = DoNormalize, Mean = Mean, Std = Std,
    };

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    public static AstFeatureExtractorConfig Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {FileName} (the feature extractor settings of this checkpoint).", path);
        return JsonSerializer.Deserialize<AstFeatureExtractorConfig>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty.");
    }
}
