using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeftBench.Core.Models;

/// <summary>
/// The fields of a Hugging Face BERT/RoBERTa <c>config.json</c> that decide the architecture. Property names are
/// the JSON keys, so a <c>bert-base-uncased</c> or <c>roberta-base</c> config reads unchanged.
/// </summary>
public sealed record EncoderConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; } = 0;

    /// <summary>RoBERTa numbers positions from <c>pad_token_id + 1</c>; BERT from 0.</summary>
    [JsonIgnore] public int PositionOffset => ModelType == "roberta" ? PadTokenId + 1 : 0;

    /// <summary>Longest input (in tokens, soft-prompt positions included) the position table allows.</summary>
    [JsonIgnore] public int MaxSequenceLength => MaxPositionEmbeddings - PositionOffset;

    private static readonly string[] KnownTypes = { "bert", "roberta" };
    private static readonly string[] KnownActivations = { "gelu", "gelu_new", "gelu_pytorch_tanh", "relu" };

    public IEnumerable<string> Validate()
    {
        if (!KnownTypes.Contains(ModelType)) yield return $"model_type '{ModelType}' is not an encoder this harness builds (known: {string.Join(", ", KnownTypes)}).";
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            yield return $"hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}.";
        if (NumHiddenLayers <= 0) yield return $"num_hidden_layers must be positive (got {NumHiddenLayers}).";
        if (VocabSize <= 0) yield return $"vocab_size must be positive (got {VocabSize}).";
        if (!KnownActivations.Contains(HiddenAct)) yield return $"hidden_act '{HiddenAct}' is not supported (known: {string.Join(", ", KnownActivations)}).";
    }

    public static EncoderConfig FromJson(string json, string sourceForErrors)
    {
        var config = JsonSerializer.Deserialize<EncoderConfig>(json)
            ?? throw new InvalidDataException($"{sourceForErrors}: empty config.json.");
        var problems = config.Validate().ToList();
        if (problems.Count > 0) throw new InvalidDataException($"{sourceForErrors}: {string.Join(" ", problems)}");
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}
