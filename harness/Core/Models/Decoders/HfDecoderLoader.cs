using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>A decoder backbone loaded from a Hugging Face folder, with the checkpoint keys it deliberately skipped.</summary>
public sealed record LoadedDecoder(DecoderBackbone Backbone, DecoderConfig Config, IReadOnlyList<string> IgnoredKeys);

/// <summary>A causal LM (backbone + <c>lm_head</c>) loaded from a Hugging Face folder.</summary>
public sealed record LoadedCausalLm(CausalLm Model, DecoderConfig Config, IReadOnlyList<string> IgnoredKeys);

/// <summary>
/// Loads Hugging Face GPT-2 / LLaMA / Mistral / Qwen2 folders (<c>config.json</c> + <c>model.safetensors</c>, or the
/// shards of <c>model.safetensors.index.json</c>). Bare-model keys (<c>h.0…</c>, as <c>openai-community/gpt2</c>
/// ships) and task-model keys (<c>transformer.h.0…</c>, <c>model.layers.0…</c>) both load; GPT-2's Conv1D
/// weights are transposed to [out, in]; bf16/fp16 tensors are converted to the model's dtype. Heads the harness
/// does not use (<c>score.</c>, a tied or unwanted <c>lm_head</c>) and stale buffers (GPT-2's <c>attn.bias</c>
/// causal-mask buffers, <c>rotary_emb.inv_freq</c>) are skipped and reported. Anything else is strict, as
/// <see cref="HfEncoderLoader"/>: a missing, unknown or misshapen weight is an error that names the key.
/// </summary>
public static partial class HfDecoderLoader
{
    /// <summary>Keys (prefix stripped) that belong to heads this harness rebuilds itself.</summary>
    public static readonly IReadOnlyList<string> IgnoredPrefixes = ["score.", "classifier.", "lm_head."];

    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$|rotary_emb\.inv_freq$")]
    private static partial Regex StaleBuffer();

    public static DecoderConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json (not a Hugging Face model folder).", path);
        return DecoderConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The backbone alone (any LM head in the checkpoint is skipped and reported).</summary>
    public static LoadedDecoder LoadBackbone(string folder, Device? device = null, ScalarType? dtype = null)
    {
        var config = ReadConfig(folder);
        var backbone = DecoderBackbones.Create(config, device, dtype);
        var ignored = LoadInto(backbone, null, HfEncoderLoader.ReadWeights(folder), folder);
        return new LoadedDecoder(backbone, config, ignored);
    }

    /// <summary>Backbone + LM head; an untied config requires <c>lm_head.weight</c> in the checkpoint.</summary>
    public static LoadedCausalLm LoadCausalLm(string folder, Device? device = null, ScalarType? dtype = null)
    {
        var config = ReadConfig(folder);
        var model = CausalLm.Create(config, device, dtype);
        var ignored = LoadInto(model.Backbone, model, HfEncoderLoader.ReadWeights(folder), folder);
        return new LoadedCausalLm(model, config, ignored);
    }

    /// <summary>Backbone-relative name of a checkpoint key; null when the key is skipped.</summary>
    public static string? MapName(string key, string baseModelPrefix, bool wantsLmHead)
    {
        var name = key.StartsWith(baseModelPrefix + ".", StringComparison.Ordinal) ? key[(baseModelPrefix.Length + 1)..] : key;
        if (name == "lm_head.weight") return wantsLmHead ? name : null;
        if (IgnoredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) || StaleBuffer().IsMatch(name)) return null;
        return name;
    }

    /// <summary>
    /// Copies a checkpoint into <paramref name="backbone"/> (and the untied head of <paramref name="model"/>, if given);
    /// returns the skipped keys. Throws on missing, unexpected or misshapen keys.
    /// </summary>
    public static IReadOnlyList<string> LoadInto(DecoderBackbone backbone, CausalLm? model, IReadOnlyDictionary<string, Tensor> checkpoint, string sourceForErrors)
    {
        var target = backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var wantsHead = model is { Tied: false };
        if (wantsHead) target["lm_head.weight"] = model!.LmHeadWeight;
        var transposed = TransposedWeights(backbone);
        var ignored = new List<string>();
        var unexpected = new List<string>();
        var mapped = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in checkpoint.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var name = MapName(key, backbone.BaseModelPrefix, wantsHead);
            if (name is null) ignored.Add(key);
            else if (!target.ContainsKey(name)) unexpected.Add(key);
            else if (!mapped.TryAdd(name, value))
                throw new InvalidDataException($"{sourceForErrors}: '{key}' and '{backbone.BaseModelPrefix}.{name}' both hold {name}; keep one.");
        }
        var missing = target.Keys.Where(k => !mapped.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            var hint = missing.Contains("lm_head.weight") ? " (config.json says tie_word_embeddings: false, so lm_head.weight must be stored)" : "";
            throw new InvalidDataException($"{sourceForErrors}: checkpoint lacks {missing.Count} weight(s): {string.Join(", ", missing)}{hint}.");
        }
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{sourceForErrors}: checkpoint has {unexpected.Count} key(s) this {backbone.ModelType} model does not know: {string.Join(", ", unexpected)}.");
        var mismatched = new List<string>();
        foreach (var (name, value) in mapped)
        {
            var expected = transposed.Contains(name) ? target[name].shape.Reverse().ToArray() : target[name].shape;
            if (!value.shape.SequenceEqual(expected))
                mismatched.Add($"{name} is [{string.Join(", ", value.shape)}] in the checkpoint but the model expects [{string.Join(", ", expected)}]"
                    + (transposed.Contains(name) ? " (Conv1D layout [in, out])" : ""));
        }
        if (mismatched.Count > 0)
            throw new InvalidDataException($"{sourceForErrors}: shape mismatch: {string.Join("; ", mismatched)} (does config.json match the weights?).");
        using (no_grad())
        {
            foreach (var (name, value) in mapped)
            {
                var source = transposed.Contains(name) ? value.t() : value;
                target[name].copy_(source.to_type(target[name].dtype));
            }
        }
        return ignored;
    }

    /// <summary>Backbone-relative names of weights stored as [in, out] in Hugging Face checkpoints (GPT-2's Conv1D).</summary>
    public static HashSet<string> TransposedWeights(DecoderBackbone backbone) =>
        backbone.Sites.Linears.Where(l => l.CheckpointTransposed).Select(l => l.Path + ".weight").ToHashSet(StringComparer.Ordinal);
}
