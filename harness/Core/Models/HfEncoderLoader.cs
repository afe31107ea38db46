using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>An encoder loaded from a Hugging Face folder, with the checkpoint keys it deliberately skipped.</summary>
public sealed record LoadedEncoder(BertEncoder Encoder, EncoderConfig Config, IReadOnlyList<string> IgnoredKeys);

/// <summary>
/// Loads a Hugging Face BERT/RoBERTa folder (<c>config.json</c> + <c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>) into a <see cref="BertEncoder"/>. Checkpoints of <c>BertForMaskedLM</c>,
/// <c>…ForSequenceClassification</c> and the bare <c>BertModel</c> all work: the <c>bert.</c>/<c>roberta.</c>
/// prefix is stripped, TF-era <c>LayerNorm.gamma/beta</c> are renamed, and heads the harness does not use
/// (pooler, MLM/LM heads, classifiers, position-id buffers) are skipped and reported. Anything else is strict:
/// a missing backbone weight or a shape mismatch is an error that names the key, so a wrong checkpoint can
/// never silently leave random weights in a benchmark.
/// </summary>
public static class HfEncoderLoader
{
    /// <summary>Checkpoint keys (after prefix stripping) that are not part of the backbone and are skipped.</summary>
    public static readonly IReadOnlyList<string> IgnoredPrefixes = ["pooler.", "cls.", "lm_head.", "classifier.", "qa_outputs."];

    public static LoadedEncoder Load(string folder, Device? device = null)
    {
        var config = ReadConfig(folder);
        var encoder = new BertEncoder(config, device);
        var ignored = LoadInto(encoder, ReadWeights(folder), folder);
        return new LoadedEncoder(encoder, config, ignored);
    }

    public static EncoderConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json (not a Hugging Face model folder).", path);
        return EncoderConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The safetensors files of a folder: the single file, or every shard named by the index.</summary>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        var single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(single)) return [single];
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            var map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject()
                ?? throw new InvalidDataException($"{index}: no weight_map.");
            return map.Select(kv => kv.Value!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal)
                .Select(f => Path.Combine(folder, f)).ToList();
        }
        var hint = File.Exists(Path.Combine(folder, "pytorch_model.bin")) ? " (pytorch_model.bin is a pickle this harness cannot read; convert it to safetensors)" : "";
        throw new FileNotFoundException($"{folder}: no model.safetensors or model.safetensors.index.json{hint}.");
    }

    public static Dictionary<string, Tensor> ReadWeights(string folder)
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var file in WeightFiles(folder))
            foreach (var (k, v) in Safetensors.Read(file).Tensors)
                if (!all.TryAdd(k, v)) throw new InvalidDataException($"{folder}: tensor '{k}' appears in more than one shard.");
        return all;
    }

    /// <summary>Backbone name of a checkpoint key: prefix stripped, legacy LayerNorm names mapped; null when skipped.</summary>
    public static string? MapName(string key)
    {
        var name = key;
        foreach (var prefix in new[] { "bert.", "roberta." })
            if (name.StartsWith(prefix, StringComparison.Ordinal)) { name = name[prefix.Length..]; break; }
        if (IgnoredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) || name.EndsWith("position_ids", StringComparison.Ordinal))
            return null;
        if (name.Contains("LayerNorm.", StringComparison.Ordinal))
        {
            if (name.EndsWith(".gamma", StringComparison.Ordinal)) name = name[..^".gamma".Length] + ".weight";
            else if (name.EndsWith(".beta", StringComparison.Ordinal)) name = name[..^".beta".Length] + ".bias";
        }
        return name;
    }

    /// <summary>Copies a checkpoint into <paramref name="encoder"/>; returns the skipped keys. Throws on missing, unexpected or misshapen keys.</summary>
    public static IReadOnlyList<string> LoadInto(BertEncoder encoder, IReadOnlyDictionary<string, Tensor> checkpoint, string sourceForErrors) =>
        LoadInto(encoder, checkpoint, MapName, sourceForErrors);

    /// <summary>
    /// The strict copy for any backbone: <paramref name="mapName"/> turns a checkpoint key into a state-dict name, or
    /// null for a key that is deliberately skipped (returned). Throws on missing, unexpected or misshapen keys.
    /// </summary>
    public static IReadOnlyList<string> LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> checkpoint, Func<string, string?> mapName,
        string sourceForErrors)
    {
        var ignored = new List<string>();
        var mapped = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        var target = model.state_dict();
        foreach (var (key, value) in checkpoint.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var name = mapName(key);
            if (name is null) { ignored.Add(key); continue; }
            if (!target.ContainsKey(name)) { unexpected.Add(key); continue; }
            mapped[name] = value;
        }
        var missing = target.Keys.Where(k => !mapped.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{sourceForErrors}: checkpoint lacks {missing.Count} backbone weight(s): {string.Join(", ", missing)}.");
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{sourceForErrors}: checkpoint has {unexpected.Count} key(s) this encoder does not know: {string.Join(", ", unexpected)}.");
        var mismatched = mapped
            .Where(kv => !kv.Value.shape.SequenceEqual(target[kv.Key].shape))
            .Select(kv => $"{kv.Key} is [{string.Join(", ", kv.Value.shape)}] in the checkpoint but [{string.Join(", ", target[kv.Key].shape)}] in the model")
            .ToList();
        if (mismatched.Count > 0)
            throw new InvalidDataException($"{sourceForErrors}: shape mismatch: {string.Join("; ", mismatched)} (does config.json match the weights?).");
        using (no_grad())
        {
            foreach (var (name, value) in mapped)
                target[name].copy_(value.to_type(target[name].dtype));
        }
        return ignored;
    }
}
