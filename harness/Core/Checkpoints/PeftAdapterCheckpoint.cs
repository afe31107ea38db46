using System.Text.Json;
using System.Text.Json.Nodes;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Core.Checkpoints;

/// <summary>A linear adapter that can be stored in huggingface/peft's layout, keyed relative to its host module.</summary>
public interface IPeftAdapterTensors
{
    /// <summary>Tensors under peft's names relative to the host (<c>lora_A.weight</c>, <c>lora_magnitude_vector</c>).</summary>
    IReadOnlyDictionary<string, Tensor> ToPeft();

    /// <summary>Copies <see cref="ToPeft"/>-shaped tensors into this adapter; throws on a missing name or shape.</summary>
    void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors);
}

/// <summary>A method whose adapters can be stored in peft's layout: its <c>adapter_config.json</c> both ways.</summary>
public interface IPeftCheckpointMethod
{
    /// <summary>peft's adapter_config.json for <paramref name="config"/>, with HF module names as target_modules.</summary>
    JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules);

    /// <summary>Our config from a peft adapter_config.json (used when the folder was not written by PeftBench).</summary>
    MethodConfig FromPeftConfig(JsonObject adapterConfig);

    /// <summary>
    /// Adds what training decided to adapter_config.json (AdaLoRA's <c>rank_pattern</c>); nothing by default.
    /// <paramref name="modulePrefix"/> is the backbone's model type (<c>bert</c>), which peft's keys start with.
    /// </summary>
    void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix) { }
}

/// <summary>What a peft adapter folder holds: the method to rebuild, its config (ours, when we wrote it) and the tensors.</summary>
public sealed record PeftAdapterFolder(string MethodId, string? ConfigJson, JsonObject AdapterConfig, IReadOnlyDictionary<string, Tensor> Tensors);

/// <summary>
/// Adapter-only checkpoints in huggingface/peft's layout: <c>adapter_config.json</c> plus
/// <c>adapter_model.safetensors</c> with peft's key names for a sequence classifier, e.g.
/// <c>base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight</c>, DoRA's
/// <c>….query.lora_magnitude_vector</c>, and the head as a modules_to_save entry (<c>base_model.model.classifier.dense.weight</c>;
/// peft strips <c>modules_to_save.default</c> on saving). Our method id and canonical config travel in the
/// safetensors metadata (<c>peftbench.method</c>, <c>peftbench.config</c>) so that adapter_config.json stays
/// exactly peft's; a folder without them (written by peft) is read as the method its config names.
/// </summary>
public static class PeftAdapterCheckpoint
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    public static bool Supports(IPeftMethod method) => method is IPeftCheckpointMethod;

    public static void Save(SequenceClassifier model, IPeftMethod method, MethodConfig config, string directory)
    {
        var exporter = method as IPeftCheckpointMethod
            ?? throw new NotSupportedException($"{method.Id} has no peft adapter layout yet.");
        Directory.CreateDirectory(directory);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var adapted = model.Sites.Linears.Where(l => l.Adapters.Count > 0).ToList();
        foreach (var linear in adapted)
        {
            if (linear.Adapters is not [IPeftAdapterTensors adapter])
                throw new NotSupportedException($"{linear.Path}: only one peft-layout adapter per linear can be saved.");
            foreach (var (name, tensor) in adapter.ToPeft())
                tensors[$"{Prefix}{model.Backbone.BaseModelPrefix}.{linear.Path}.{name}"] = tensor;
        }
        foreach (var (name, p) in model.Head.named_parameters())
            tensors[$"{Prefix}{model.Head.HeadName}.{name}"] = p;

        var targetModules = adapted.Select(l => l.Path[(l.Path.LastIndexOf('.') + 1)..]).Distinct().ToList();
        var adapterConfig = exporter.ToPeftConfig(config, targetModules);
        exporter.AddTrainedState(adapterConfig, model, model.Backbone.ModelType);
        adapterConfig["task_type"] = "SEQ_CLS";
        adapterConfig["modules_to_save"] = new JsonArray("classifier", "score");
        adapterConfig["inference_mode"] = true;
        var json = adapterConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var configPath = Path.Combine(directory, ConfigFile);
        File.WriteAllText(configPath + ".tmp", json);
        File.Move(configPath + ".tmp", configPath, overwrite: true);
        Safetensors.Write(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string>
        {
            ["format"] = "pt", ["peftbench.method"] = method.Id, ["peftbench.config"] = config.ToCanonicalJson(),
        });
    }

    public static PeftAdapterFolder Load(string directory)
    {
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ConfigFile)))!.AsObject();
        var (tensors, metadata) = Safetensors.Read(Path.Combine(directory, WeightsFile));
        var id = metadata.TryGetValue("peftbench.method", out var m) ? m : InferMethod(adapterConfig);
        return new PeftAdapterFolder(id, metadata.GetValueOrDefault("peftbench.config"), adapterConfig, tensors);
    }

    /// <summary>peft's own type and LoRA flags name the method for a folder we did not write.</summary>
    private static string InferMethod(JsonObject config)
    {
        var type = config["peft_type"]?.GetValue<string>();
        if (type == "ADALORA") return "adalora";
        if (type != "LORA") throw new NotSupportedException($"peft_type '{type}' is not supported; only LORA and ADALORA adapters load.");
        if (config["use_dora"]?.GetValue<bool>() == true) return "dora";
        if (config["kasa_config"] is JsonObject) return "kasa";
        return config["use_rslora"]?.GetValue<bool>() == true ? "rslora" : "lora";
    }

    /// <summary>
    /// Applies <paramref name="method"/> to a fresh <paramref name="model"/> with the folder's config, then copies
    /// the saved adapter and head tensors in. Every tensor in the folder must land somewhere.
    /// </summary>
    public static MethodConfig ApplyTo(PeftAdapterFolder folder, SequenceClassifier model, IPeftMethod method, MethodContext context)
    {
        if (method.Id != folder.MethodId) throw new ArgumentException($"the folder holds a {folder.MethodId} adapter, not {method.Id}.");
        var importer = method as IPeftCheckpointMethod
            ?? throw new NotSupportedException($"{method.Id} has no peft adapter layout yet.");
        var config = folder.ConfigJson is { } json
            ? MethodConfig.FromCanonicalJson(method.DefaultConfig.GetType(), json)
            : importer.FromPeftConfig(folder.AdapterConfig);
        method.Apply(model, config, context);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var linear in model.Sites.Linears.Where(l => l.Adapters.Count > 0))
        {
            var prefix = $"{Prefix}{model.Backbone.BaseModelPrefix}.{linear.Path}.";
            var own = folder.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            ((IPeftAdapterTensors)linear.Adapters[0]).LoadPeft(own);
            used.UnionWith(own.Keys.Select(k => prefix + k));
        }
        using (no_grad())
        {
            foreach (var (name, p) in model.Head.named_parameters())
            {
                var key = $"{Prefix}{model.Head.HeadName}.{name}";
                if (!folder.Tensors.TryGetValue(key, out var saved)) throw new InvalidDataException($"the adapter folder has no '{key}'.");
                CopyInto(p, saved, key);
                used.Add(key);
            }
        }
        var unused = folder.Tensors.Keys.Where(k => !used.Contains(k)).ToList();
        if (unused.Count > 0) throw new InvalidDataException($"tensors in the adapter folder that match no module of the model: {string.Join(", ", unused.Take(5))}.");
        return config;
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="target"/> in place, after checking the shape.</summary>
    public static void CopyInto(Tensor target, Tensor source, string name)
    {
        if (!target.shape.SequenceEqual(source.shape))
            throw new InvalidDataException($"'{name}': saved shape [{string.Join(", ", source.shape)}], model expects [{string.Join(", ", target.shape)}].");
        using var _ = no_grad();
        target.copy_(source);
    }
}
