using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeftBench.Core.Models;

/// <summary>
/// RoPE frequency scaling (<c>rope_scaling</c> of a Hugging Face config). <c>llama3</c> is Llama-3.1/3.2's
/// wavelength-dependent scaling (transformers' <c>_compute_llama3_parameters</c>); <c>linear</c> divides every
/// frequency by <see cref="Factor"/>.
/// </summary>
public sealed record RopeScaling(string RopeType, double Factor, double LowFreqFactor = 1.0, double HighFreqFactor = 4.0,
    int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// The architecture of a decoder-only Hugging Face model (<c>gpt2</c>, <c>llama</c>, <c>mistral</c>, <c>qwen2</c>),
/// read from and written back to <c>config.json</c> under each family's own JSON names (GPT-2's <c>n_embd</c>,
/// <c>n_layer</c> …; LLaMA's <c>hidden_size</c>, <c>num_key_value_heads</c> …) with transformers' defaults for
/// absent fields. One record for every family so sweeps and cache keys treat them alike; the properties are
/// the architecture, not the JSON spelling.
/// </summary>
public sealed record DecoderConfig
{
    public static readonly IReadOnlyList<string> KnownTypes = ["gpt2", "llama", "mistral", "qwen2"];

    public string ModelType { get; init; } = "llama";
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    /// <summary>Per-head width; <c>hidden_size / num_attention_heads</c> unless the config sets <c>head_dim</c>.</summary>
    public int HeadDim { get; init; } = 128;
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>LayerNorm epsilon for GPT-2 (<c>layer_norm_epsilon</c>), RMSNorm epsilon otherwise (<c>rms_norm_eps</c>).</summary>
    public double NormEps { get; init; } = 1e-6;
    /// <summary><c>activation_function</c> (GPT-2) or <c>hidden_act</c>.</summary>
    public string HiddenAct { get; init; } = "silu";
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Bias on q/k/v (and on o for LLaMA's <c>attention_bias</c>); Qwen2 has it on q/k/v only.</summary>
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; } = 1;
    /// <summary>End-of-sequence ids; Llama-3 instruct configs list several (<c>eos_token_id: [128001, 128008, 128009]</c>).</summary>
    public TokenIdList EosTokenIds { get; init; } = new(2);
    public int? PadTokenId { get; init; }
    /// <summary>Mistral's sliding attention window in tokens; null attends to the whole prefix.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>GPT-2's <c>embd_pdrop</c>/<c>attn_pdrop</c>/<c>resid_pdrop</c>; LLaMA's <c>attention_dropout</c> (attention only).</summary>
    public double EmbeddingDropout { get; init; }
    public double AttentionDropout { get; init; }
    public double ResidualDropout { get; init; }

    public bool IsGpt2 => ModelType == "gpt2";
    public int? EosTokenId => EosTokenIds.Count > 0 ? EosTokenIds[0] : null;

    /// <summary>Hugging Face's defaults for <paramref name="modelType"/> (e.g. <c>GPT2Config()</c>, <c>Qwen2Config()</c>).</summary>
    public static DecoderConfig Defaults(string modelType) => modelType switch
    {
        "gpt2" => new DecoderConfig
        {
            ModelType = "gpt2", VocabSize = 50257, HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12,
            NumAttentionHeads = 12, NumKeyValueHeads = 12, HeadDim = 64, MaxPositionEmbeddings = 1024, NormEps = 1e-5,
            HiddenAct = "gelu_new", AttentionBias = true, MlpBias = true, TieWordEmbeddings = true,
            BosTokenId = 50256, EosTokenIds = new(50256), EmbeddingDropout = 0.1, AttentionDropout = 0.1, ResidualDropout = 0.1,
        },
        "llama" => new DecoderConfig(),
        "mistral" => new DecoderConfig
        {
            ModelType = "mistral", IntermediateSize = 14336, NumKeyValueHeads = 8, MaxPositionEmbeddings = 4096 * 32, SlidingWindow = 4096,
        },
        "qwen2" => new DecoderConfig
        {
            ModelType = "qwen2", VocabSize = 151936, IntermediateSize = 22016, MaxPositionEmbeddings = 32768,
            AttentionBias = true, BosTokenId = null, EosTokenIds = new(), PadTokenId = null,
        },
        _ => throw new InvalidDataException(UnknownType(modelType)),
    };

    private static string UnknownType(string? modelType) =>
        $"model_type '{modelType}' is not a decoder this harness builds (known: {string.Join(", ", KnownTypes)}); " +
        "encoders (bert, roberta) load through HfEncoderLoader.";

    public IEnumerable<string> Validate()
    {
        if (!KnownTypes.Contains(ModelType)) yield return UnknownType(ModelType);
        if (HiddenSize <= 0 || NumAttentionHeads <= 0) yield return $"hidden size {HiddenSize} and attention heads {NumAttentionHeads} must be positive.";
        else if (IsGpt2 && HiddenSize % NumAttentionHeads != 0)
            yield return $"n_embd {HiddenSize} must be a multiple of n_head {NumAttentionHeads}.";
        if (NumKeyValueHeads <= 0 || NumAttentionHeads % Math.Max(1, NumKeyValueHeads) != 0)
            yield return $"num_attention_heads {NumAttentionHeads} must be a multiple of num_key_value_heads {NumKeyValueHeads} (grouped-query attention shares each key/value head among a whole group).";
        if (HeadDim <= 0 || (!IsGpt2 && HeadDim % 2 != 0)) yield return $"head_dim {HeadDim} must be positive and even (RoPE rotates pairs).";
        if (NumHiddenLayers <= 0) yield return $"the number of layers must be positive (got {NumHiddenLayers}).";
        if (VocabSize <= 0) yield return $"vocab_size must be positive (got {VocabSize}).";
        if (IntermediateSize <= 0) yield return $"the MLP width must be positive (got {IntermediateSize}).";
        if (MaxPositionEmbeddings <= 0) yield return $"the position limit must be positive (got {MaxPositionEmbeddings}).";
        var activations = IsGpt2 ? Gpt2Activations : LlamaActivations;
        if (!activations.Contains(HiddenAct))
            yield return $"{(IsGpt2 ? "activation_function" : "hidden_act")} '{HiddenAct}' is not supported (known: {string.Join(", ", activations)}).";
        if (RopeScaling is { } r)
        {
            if (IsGpt2) yield return "GPT-2 has learned positions; rope_scaling does not apply.";
            if (r.RopeType is not ("llama3" or "linear"))
                yield return $"rope_scaling type '{r.RopeType}' is not supported (known: default, linear, llama3); remove rope_scaling or use a model without it.";
            if (r.Factor <= 0) yield return $"rope_scaling.factor must be positive (got {r.Factor}).";
            if (r.RopeType == "llama3" && r.HighFreqFactor <= r.LowFreqFactor)
                yield return $"rope_scaling.high_freq_factor {r.HighFreqFactor} must exceed low_freq_factor {r.LowFreqFactor}.";
        }
        if (PadTokenId is { } pad && (pad < 0 || pad >= VocabSize)) yield return $"pad_token_id {pad} lies outside the vocabulary of {VocabSize}.";
    }

    private static readonly string[] Gpt2Activations = ["gelu_new", "gelu", "gelu_pytorch_tanh", "relu", "silu"];
    private static readonly string[] LlamaActivations = ["silu", "gelu", "gelu_pytorch_tanh", "relu"];

    /// <summary>Reads a <c>config.json</c>; <paramref name="sourceForErrors"/> prefixes every message.</summary>
    public static DecoderConfig FromJson(string json, string sourceForErrors)
    {
        JsonObject root;
        try { root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{sourceForErrors}: config.json is not a JSON object."); }
        catch (JsonException ex) { throw new InvalidDataException($"{sourceForErrors}: config.json is not valid JSON ({ex.Message}).", ex); }
        var modelType = root["model_type"]?.GetValue<string>()
            ?? throw new InvalidDataException($"{sourceForErrors}: config.json has no model_type; add e.g. \"model_type\": \"llama\".");
        if (!KnownTypes.Contains(modelType)) throw new InvalidDataException($"{sourceForErrors}: {UnknownType(modelType)}");
        var reader = new JsonFields(root, sourceForErrors);
        var d = Defaults(modelType);
        var unsupported = new List<string>();
        DecoderConfig config;
        if (modelType == "gpt2")
        {
            var hidden = reader.Int("n_embd", d.HiddenSize);
            var heads = reader.Int("n_head", d.NumAttentionHeads);
            config = d with
            {
                VocabSize = reader.Int("vocab_size", d.VocabSize),
                HiddenSize = hidden,
                NumHiddenLayers = reader.Int("n_layer", d.NumHiddenLayers),
                NumAttentionHeads = heads,
                NumKeyValueHeads = heads,
                HeadDim = heads > 0 ? hidden / heads : 0,
                IntermediateSize = reader.IntOrNull("n_inner") ?? 4 * hidden,
                MaxPositionEmbeddings = reader.Int("n_positions", d.MaxPositionEmbeddings),
                NormEps = reader.Double("layer_norm_epsilon", d.NormEps),
                HiddenAct = reader.String("activation_function", d.HiddenAct),
                EmbeddingDropout = reader.Double("embd_pdrop", d.EmbeddingDropout),
                AttentionDropout = reader.Double("attn_pdrop", d.AttentionDropout),
                ResidualDropout = reader.Double("resid_pdrop", d.ResidualDropout),
            };
            if (!reader.Bool("scale_attn_weights", true)) unsupported.Add("scale_attn_weights: false");
            if (reader.Bool("scale_attn_by_inverse_layer_idx", false)) unsupported.Add("scale_attn_by_inverse_layer_idx: true");
            if (reader.Bool("add_cross_attention", false)) unsupported.Add("add_cross_attention: true");
        }
        else
        {
            var hidden = reader.Int("hidden_size", d.HiddenSize);
            var heads = reader.Int("num_attention_heads", d.NumAttentionHeads);
            config = d with
            {
                VocabSize = reader.Int("vocab_size", d.VocabSize),
                HiddenSize = hidden,
                IntermediateSize = reader.Int("intermediate_size", d.IntermediateSize),
                NumHiddenLayers = reader.Int("num_hidden_layers", d.NumHiddenLayers),
                NumAttentionHeads = heads,
                NumKeyValueHeads = reader.IntOrNull("num_key_value_heads") ?? (modelType == "llama" ? heads : d.NumKeyValueHeads),
                HeadDim = reader.IntOrNull("head_dim") ?? (heads > 0 ? hidden / heads : 0),
                MaxPositionEmbeddings = reader.Int("max_position_embeddings", d.MaxPositionEmbeddings),
                NormEps = reader.Double("rms_norm_eps", d.NormEps),
                HiddenAct = reader.String("hidden_act", d.HiddenAct),
                // transformers ≥ 5 writes rope_parameters {rope_theta, rope_type, …}; older configs rope_theta + rope_scaling.
                RopeTheta = root["rope_parameters"] is JsonObject rp
                    ? new JsonFields(rp, $"{sourceForErrors}: rope_parameters").Double("rope_theta", d.RopeTheta)
                    : reader.Double("rope_theta", d.RopeTheta),
                RopeScaling = ReadRopeScaling(root["rope_parameters"] ?? root["rope_scaling"], sourceForErrors),
                // Qwen2 hard-codes bias on q/k/v (and none on o); LLaMA/Mistral read attention_bias.
                AttentionBias = modelType == "qwen2" || reader.Bool("attention_bias", false),
                MlpBias = reader.Bool("mlp_bias", false),
                AttentionDropout = reader.Double("attention_dropout", 0.0),
                SlidingWindow = modelType == "mistral" ? reader.IntOrNull("sliding_window", d.SlidingWindow) : null,
            };
            if (modelType == "qwen2" && reader.Bool("use_sliding_window", false)) unsupported.Add("use_sliding_window: true");
            if (modelType != "mistral" && root["layer_types"] is JsonArray types && types.Any(t => t?.GetValue<string>() != "full_attention"))
                unsupported.Add("layer_types other than full_attention");
            if (reader.Double("partial_rotary_factor", 1.0) != 1.0) unsupported.Add("partial_rotary_factor other than 1");
        }
        config = config with
        {
            TieWordEmbeddings = reader.Bool("tie_word_embeddings", d.TieWordEmbeddings),
            BosTokenId = reader.IntOrNull("bos_token_id", d.BosTokenId),
            EosTokenIds = root.ContainsKey("eos_token_id") ? ReadIds(root["eos_token_id"], sourceForErrors) : d.EosTokenIds,
            PadTokenId = reader.IntOrNull("pad_token_id", d.PadTokenId),
        };
        var problems = unsupported.Select(u => $"{u} is not supported by this harness's {modelType} implementation; use a standard checkpoint.")
            .Concat(config.Validate()).ToList();
        if (problems.Count > 0) throw new InvalidDataException($"{sourceForErrors}: {string.Join(" ", problems)}");
        return config;
    }

    private static RopeScaling? ReadRopeScaling(JsonNode? node, string source)
    {
        if (node is null) return null;
        if (node is not JsonObject o) throw new InvalidDataException($"{source}: rope_scaling / rope_parameters must be an object or null.");
        var type = (o["rope_type"] ?? o["type"])?.GetValue<string>() ?? "default";
        if (type == "default") return null;
        var f = new JsonFields(o, $"{source}: rope_scaling");
        return new RopeScaling(type, f.Double("factor", 1.0), f.Double("low_freq_factor", 1.0), f.Double("high_freq_factor", 4.0),
            f.Int("original_max_position_embeddings", 8192));
    }

    private static TokenIdList ReadIds(JsonNode? node, string source) => node switch
    {
        null => new(),
        JsonArray a => new(a.Select(n => n!.GetValue<int>()).ToArray()),
        JsonValue v when v.TryGetValue<int>(out var id) => new(id),
        _ => throw new InvalidDataException($"{source}: eos_token_id must be an integer, a list of integers or null."),
    };

    /// <summary>The config as Hugging Face writes it for this family (the <c>*ForCausalLM</c> architecture).</summary>
    public string ToJson()
    {
        var o = new JsonObject { ["model_type"] = ModelType };
        if (IsGpt2)
        {
            o["architectures"] = new JsonArray("GPT2LMHeadModel");
            o["vocab_size"] = VocabSize; o["n_embd"] = HiddenSize; o["n_layer"] = NumHiddenLayers; o["n_head"] = NumAttentionHeads;
            o["n_inner"] = IntermediateSize; o["n_positions"] = MaxPositionEmbeddings; o["layer_norm_epsilon"] = NormEps;
            o["activation_function"] = HiddenAct; o["embd_pdrop"] = EmbeddingDropout; o["attn_pdrop"] = AttentionDropout;
            o["resid_pdrop"] = ResidualDropout;
        }
        else
        {
            o["architectures"] = new JsonArray(ModelType switch { "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" });
            o["vocab_size"] = VocabSize; o["hidden_size"] = HiddenSize; o["intermediate_size"] = IntermediateSize;
            o["num_hidden_layers"] = NumHiddenLayers; o["num_attention_heads"] = NumAttentionHeads; o["num_key_value_heads"] = NumKeyValueHeads;
            o["head_dim"] = HeadDim; o["max_position_embeddings"] = MaxPositionEmbeddings; o["rms_norm_eps"] = NormEps; o["hidden_act"] = HiddenAct;
            // Both spellings: rope_parameters for transformers ≥ 5, rope_theta + rope_scaling for older readers.
            o["rope_theta"] = RopeTheta;
            o["rope_scaling"] = RopeJson();
            var parameters = RopeJson() ?? new JsonObject { ["rope_type"] = "default" };
            parameters["rope_theta"] = RopeTheta;
            o["rope_parameters"] = parameters;
            if (ModelType != "qwen2") o["attention_bias"] = AttentionBias;
            o["mlp_bias"] = MlpBias; o["attention_dropout"] = AttentionDropout;
            if (ModelType == "mistral") o["sliding_window"] = SlidingWindow;
        }
        o["tie_word_embeddings"] = TieWordEmbeddings;
        o["bos_token_id"] = BosTokenId;
        o["eos_token_id"] = EosTokenIds.Count == 1 ? JsonValue.Create(EosTokenIds[0]) : EosTokenIds.Count == 0 ? null : new JsonArray(EosTokenIds.ToList().Select(i => (JsonNode)i).ToArray());
        o["pad_token_id"] = PadTokenId;
        o["dtype"] = "float32";
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private JsonObject? RopeJson() => RopeScaling is { } r
        ? r.RopeType == "linear"
            ? new JsonObject { ["rope_type"] = r.RopeType, ["factor"] = r.Factor }
            : new JsonObject
            {
                ["rope_type"] = r.RopeType, ["factor"] = r.Factor, ["low_freq_factor"] = r.LowFreqFactor,
                ["high_freq_factor"] = r.HighFreqFactor, ["original_max_position_embeddings"] = r.OriginalMaxPositionEmbeddings,
            }
        : null;

    /// <summary>Typed reads of optional JSON fields, with errors that name the field and what was found.</summary>
    private readonly record struct JsonFields(JsonObject Root, string Source)
    {
        private T Get<T>(string name, T fallback, Func<JsonValue, T?> convert, string expected) where T : struct
        {
            if (!Root.TryGetPropertyValue(name, out var node) || node is null) return fallback;
            return node is JsonValue v && convert(v) is { } value ? value
                : throw new InvalidDataException($"{Source}: '{name}' must be {expected}, not {node.ToJsonString()}.");
        }

        public int Int(string name, int fallback) => Get(name, fallback, v => v.TryGetValue<int>(out var i) ? i
            : v.TryGetValue<double>(out var d) && d == Math.Floor(d) ? (int)d : null, "an integer");
        public int? IntOrNull(string name, int? fallback = null) =>
            Root.TryGetPropertyValue(name, out var node) ? node is null ? null : Int(name, 0) : fallback;
        public double Double(string name, double fallback) => Get(name, fallback, v => v.TryGetValue<double>(out var d) ? d : null, "a number");
        public bool Bool(string name, bool fallback) => Get(name, fallback, v => v.TryGetValue<bool>(out var b) ? b : null, "true or false");
        public string String(string name, string fallback) =>
            !Root.TryGetPropertyValue(name, out var node) || node is null ? fallback
            : node is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new InvalidDataException($"{Source}: '{name}' must be a string, not {node.ToJsonString()}.");
    }
}

/// <summary>An immutable list of token ids with value equality, so configs holding one compare by content.</summary>
public sealed class TokenIdList : IEquatable<TokenIdList>
{
    private readonly int[] ids;
    public TokenIdList(params int[] ids) => this.ids = ids.ToArray();
    public int Count => ids.Length;
    public int this[int index] => ids[index];
    public bool Contains(int id) => ids.Contains(id);
    public IReadOnlyList<int> ToList() => ids;
    public bool Equals(TokenIdList? other) => other is not null && ids.AsSpan().SequenceEqual(other.ids);
    public override bool Equals(object? obj) => Equals(obj as TokenIdList);
    public override int GetHashCode() => ids.Aggregate(17, (h, i) => h * 31 + i);
    public override string ToString() => "[" + string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]";
}
