using System.Text.Json;
using System.Text.Json.Nodes;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Core.Checkpoints;

/// <summary>A PeftBench adapter folder: the method, its version and canonical config, and the tensors.</summary>
public sealed record NativeAdapterFolder(string MethodId, int Version, string ConfigJson, IReadOnlyDictionary<string, Tensor> Tensors);

/// <summary>
/// Adapter-only checkpoints for methods that huggingface/peft does not implement (FLoRA, SLoRA, NLoRA, IntTune,
/// IncreLoRA, TriAdaptLoRA, MoS …): <c>peftbench_adapter.json</c> (method id, version, resolved config) and
/// <c>adapter_model.safetensors</c> with every tensor the method added — trained or frozen, parameters and buffers
/// (random projections, shard indices, rank masks) — plus the unfrozen backbone weights and the head, under the
/// model's own names. Loading re-attaches the method from the saved config and then overwrites every one of those
/// tensors, strictly: a missing, unexpected or misshapen tensor is an error naming it.
/// </summary>
public static class NativeAdapterCheckpoint
{
    public const string ConfigFile = "peftbench_adapter.json";
    public const string WeightsFile = "adapter_model.safetensors";

    public static void Save(SequenceClassifier model, IPeftMethod method, MethodConfig config, string directory)
    {
        Directory.CreateDirectory(directory);
        var tensors = model.AdapterState().Select(t => KeyValuePair.Create(t.Name, t.Tensor.detach().cpu())).ToList();
        Safetensors.Write(Path.Combine(directory, WeightsFile), tensors);
        var json = new JsonObject
        {
            ["format"] = "peftbench-adapter/1",
            ["method"] = method.Id,
            ["version"] = method.Version,
            ["config"] = JsonNode.Parse(config.ToCanonicalJson()),
            ["backbone"] = model.Backbone.ModelType,
            ["head_outputs"] = model.Outputs,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public static bool IsNativeFolder(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    public static NativeAdapterFolder Load(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{directory}: no {ConfigFile} (not a PeftBench adapter folder).", configPath);
        var json = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() ?? throw new InvalidDataException($"{configPath}: empty.");
        var id = json["method"]?.GetValue<string>() ?? throw new InvalidDataException($"{configPath}: no method.");
        var version = json["version"]?.GetValue<int>() ?? throw new InvalidDataException($"{configPath}: no version.");
        var config = json["config"]?.ToJsonString() ?? throw new InvalidDataException($"{configPath}: no config.");
        return new NativeAdapterFolder(id, version, config, Safetensors.Read(Path.Combine(directory, WeightsFile)).Tensors);
    }

    /// <summary>Attaches <paramref name="method"/> to <paramref name="model"/> with the saved config and loads the saved tensors.</summary>
    public static MethodConfig ApplyTo(NativeAdapterFolder folder, SequenceClassifier model, IPeftMethod method, MethodContext context)
    {
        if (folder.MethodId != method.Id)
            throw new ArgumentException($"the adapter folder holds a {folder.MethodId} adapter, not {method.Id}.");
        if (folder.Version != method.Version)
            throw new InvalidDataException($"the adapter was saved by {method.Id} version {folder.Version}; this build has version {method.Version}, whose math may differ.");
        var config = MethodConfig.FromCanonicalJson(method.DefaultConfig.GetType(), folder.ConfigJson);
        method.Apply(model, config, context);
        LoadInto(folder, model, method);
        return config;
    }

    /// <summary>Overwrites every saved tensor of <paramref name="model"/>, to which <paramref name="method"/> is already attached with the saved config.</summary>
    public static void LoadInto(NativeAdapterFolder folder, SequenceClassifier model, IPeftMethod method)
    {
        if (folder.MethodId != method.Id)
            throw new ArgumentException($"the adapter folder holds a {folder.MethodId} adapter, not {method.Id}.");
        var targets = model.AdapterState().ToDictionary(t => t.Name, t => t.Tensor);
        var missing = targets.Keys.Where(k => !folder.Tensors.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = folder.Tensors.Keys.Where(k => !targets.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"adapter folder does not match {method.Id} on this model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        using (no_grad())
        {
            foreach (var (name, target) in targets)
            {
                var saved = folder.Tensors[name];
                if (!saved.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"{name} is [{string.Join(", ", saved.shape)}] in the adapter folder but [{string.Join(", ", target.shape)}] in the model.");
                target.copy_(saved.to(target.dtype, target.device));
            }
        }
    }
}
