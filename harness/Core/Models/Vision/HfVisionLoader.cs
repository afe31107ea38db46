using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PeftBench.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>A ViT or AST backbone loaded from a Hugging Face folder, with the checkpoint keys it deliberately skipped.</summary>
public sealed record LoadedPatchTransformer(PatchTransformer Model, PatchTransformerConfig Config, IReadOnlyList<string> IgnoredKeys);

/// <summary>
/// Reads and writes Hugging Face ViT and AST folders (<c>config.json</c> + <c>model.safetensors</c>, or shards named by
/// <c>model.safetensors.index.json</c>). The family comes from <c>model_type</c> (<c>vit</c>,
/// <c>audio-spectrogram-transformer</c>). Bare <c>ViTModel</c>/<c>ASTModel</c> checkpoints and the task models
/// (<c>ViTForImageClassification</c>, <c>ASTForAudioClassification</c>) both load: the <c>vit.</c> /
/// <c>audio_spectrogram_transformer.</c> prefix is stripped, the <c>classifier.*</c> head and ViT's
/// <c>pooler.*</c> are skipped and reported. Everything else is strict (see <see cref="HfEncoderLoader.LoadInto(nn.Module, IReadOnlyDictionary{string, Tensor}, Func{string, string?}, string)"/>).
/// </summary>
public static class HfVisionLoader
{
    public static readonly IReadOnlyList<string> Prefixes = ["vit.", "audio_spectrogram_transformer."];
    public static readonly IReadOnlyList<string> IgnoredPrefixes = ["classifier.", "pooler."];

    public static LoadedPatchTransformer Load(string folder, Device? device = null, ScalarType? dtype = null)
    {
        var config = ReadConfig(folder);
        var model = Create(config, device, dtype);
        var ignored = HfEncoderLoader.LoadInto(model, HfEncoderLoader.ReadWeights(folder), MapName, folder);
        return new LoadedPatchTransformer(model, config, ignored);
    }

    /// <summary>Builds the backbone a config describes (random weights; on the meta device, shapes only).</summary>
    public static PatchTransformer Create(PatchTransformerConfig config, Device? device = null, ScalarType? dtype = null) => config switch
    {
        VitConfig v => new VitModel(v, device, dtype),
        AstConfig a => new AstModel(a, device, dtype),
        _ => throw new ArgumentException($"No patch transformer for {config.GetType().Name}."),
    };

    public static PatchTransformerConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json (not a Hugging Face model folder).", path);
        return ConfigFromJson(File.ReadAllText(path), path);
    }

    /// <summary>A ViT or AST config from config.json text, chosen by its <c>model_type</c>.</summary>
    public static PatchTransformerConfig ConfigFromJson(string json, string sourceForErrors)
    {
        var type = JsonNode.Parse(json)?["model_type"]?.GetValue<string>();
        return type switch
        {
            VitConfig.Type => PatchTransformerConfig.FromJson<VitConfig>(json, sourceForErrors),
            AstConfig.Type => PatchTransformerConfig.FromJson<AstConfig>(json, sourceForErrors),
            _ => throw new InvalidDataException(
                $"{sourceForErrors}: model_type '{type}' is not a family this loader reads (known: {VitConfig.Type}, {AstConfig.Type})."),
        };
    }

    /// <summary>
    /// Backbone name of a checkpoint key (task-model prefix stripped), or null for a skipped head/pooler key.
    /// Files hold the names above (transformers 5 still writes them), but transformers 5 names its modules
    /// <c>layers.N.attention.q_proj</c>, <c>layers.N.mlp.fc1</c> … in memory; a state dict saved straight from such a
    /// model is mapped back too.
    /// </summary>
    public static string? MapName(string key)
    {
        var name = key;
        foreach (var prefix in Prefixes)
            if (name.StartsWith(prefix, StringComparison.Ordinal)) { name = name[prefix.Length..]; break; }
        if (IgnoredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) return null;
        var v5 = TransformersV5Layer.Match(name);
        if (!v5.Success) return name;
        var module = v5.Groups[2].Value;
        var mapped = V5Modules.TryGetValue(module, out var m) ? m : module;
        return $"encoder.layer.{v5.Groups[1].Value}.{mapped}.{v5.Groups[3].Value}";
    }

    private static readonly Regex TransformersV5Layer = new(@"^layers\.(\d+)\.(.+)\.(weight|bias)$", RegexOptions.CultureInvariant);

    private static readonly IReadOnlyDictionary<string, string> V5Modules = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["attention.q_proj"] = "attention.attention.query",
        ["attention.k_proj"] = "attention.attention.key",
        ["attention.v_proj"] = "attention.attention.value",
        ["attention.o_proj"] = "attention.output.dense",
        ["mlp.fc1"] = "intermediate.dense",
        ["mlp.fc2"] = "output.dense",
    };

    /// <summary>Loads a task model's <c>classifier.*</c> weights from <paramref name="folder"/> into a head, strictly.</summary>
    public static void LoadHead(string folder, SequenceHead head)
    {
        var prefix = head.HeadName + ".";
        HfEncoderLoader.LoadInto(head, HfEncoderLoader.ReadWeights(folder),
            key => key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : null, folder);
    }

    /// <summary>
    /// Writes a bare <c>ViTModel</c>/<c>ASTModel</c> folder. Only the backbone's own weights are written (merged
    /// adapters included, attached unmerged ones not), so the folder loads back here and in transformers.
    /// </summary>
    public static void Save(string folder, PatchTransformer model) => Write(folder, model, null, 0);

    /// <summary>Writes a task-model folder (ViTForImageClassification / ASTForAudioClassification): prefixed backbone, <c>classifier.*</c>, labels.</summary>
    public static void Save(string folder, SequenceClassifier classifier) =>
        Write(folder, classifier.Backbone as PatchTransformer
            ?? throw new ArgumentException($"{classifier.Backbone.ModelType} is not a ViT/AST backbone."), classifier.Head, classifier.Outputs);

    private static void Write(string folder, PatchTransformer model, SequenceHead? head, long outputs)
    {
        Directory.CreateDirectory(folder);
        var config = model.TransformerConfig;
        // The backbone's Hugging Face keys are those of a fresh, shape-only twin; adapter parameters are not among them.
        using var twin = Create(config, new Device("meta"));
        var keys = twin.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        var prefix = head is null ? "" : model.BaseModelPrefix + ".";
        var tensors = model.state_dict().Where(kv => keys.Contains(kv.Key)).Select(kv => KeyValuePair.Create(prefix + kv.Key, kv.Value)).ToList();
        if (head is not null)
            tensors.AddRange(head.state_dict().Select(kv => KeyValuePair.Create($"{head.HeadName}.{kv.Key}", kv.Value)));
        Safetensors.Write(Path.Combine(folder, "model.safetensors"), tensors);

        var json = JsonNode.Parse(config.ToJson())!.AsObject();
        var family = config is VitConfig ? "ViT" : "AST";
        var task = config is VitConfig ? "ForImageClassification" : "ForAudioClassification";
        json["architectures"] = new JsonArray(JsonValue.Create(head is null ? $"{family}Model" : family + task));
        if (head is not null)
        {
            var labels = Enumerable.Range(0, (int)outputs).ToList();
            json["id2label"] = new JsonObject(labels.Select(i => KeyValuePair.Create(i.ToString(CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create($"LABEL_{i}"))));
            json["label2id"] = new JsonObject(labels.Select(i => KeyValuePair.Create($"LABEL_{i}", (JsonNode?)JsonValue.Create(i))));
        }
        var path = Path.Combine(folder, "config.json");
        var tmp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }
}
