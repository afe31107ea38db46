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

/// <summary>
/// Tensors that one model-wide object shares among its adapters, which peft stores once at the model level as
/// <c>base_model.&lt;name&gt;</c> (VeRA's frozen projections <c>vera_A</c>, <c>vera_B</c>). Every adapter that holds them
/// reports the same tensors; they are written once and copied into each (the same storage, so once in effect).
/// </summary>
public interface IPeftSharedTensors
{
    /// <summary>The shared tensors under their peft names relative to <c>base_model.</c>.</summary>
    IReadOnlyDictionary<string, Tensor> SharedToPeft();

    /// <summary>Copies the folder's shared tensors (keys relative to <c>base_model.</c>) in; throws on a wrong shape.</summary>
    void LoadSharedPeft(IReadOnlyDictionary<string, Tensor> tensors);
}

/// <summary>A method whose adapters can be stored in peft's layout: its <c>adapter_config.json</c> both ways.</summary>
public interface IPeftCheckpointMethod
{
    /// <summary>peft's adapter_config.json for <paramref name="config"/>, with HF module names as target_modules.</summary>
    JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules);

    /// <summary>Our config from a peft adapter_config.json (used when the folder was not written by PeftBench).</summary>
    MethodConfig FromPeftConfig(JsonObject adapterConfig);

    /// <summary>
    /// Adds what depends on the model or on training to adapter_config.json (AdaLoRA's <c>rank_pattern</c>; (IA)³'s
    /// target and feed-forward module names, which must tell two layers with the same last name apart); nothing by
    /// default. <paramref name="modulePrefix"/> is the backbone's model type (<c>bert</c>), which peft's keys start with.
    /// </summary>
    void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix) { }

    /// <summary>
    /// Tensors the method stores outside linear adapters, by module path relative to the backbone, each under peft's
    /// name relative to that module (LN-tuning's norms: <c>ln_tuning_layers.weight</c>). They are the live tensors:
    /// saving writes them, loading copies the folder's values into them. The modules' last names join target_modules.
    /// None by default.
    /// </summary>
    IEnumerable<(string ModulePath, IReadOnlyDictionary<string, Tensor> Tensors)> PeftModuleTensors(SequenceClassifier model) => [];

    /// <summary>
    /// Tensors peft keys at the model level rather than per adapted linear, by their full key in adapter_model.safetensors:
    /// prompt learning's <c>prompt_embeddings</c>, the adaption prompt's <c>base_model.model.….self_attn.adaption_prompt</c>.
    /// Empty (the default) for linear adapters.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> ModelTensorsToPeft(SequenceClassifier model) => new Dictionary<string, Tensor>();

    /// <summary>Copies the folder's model-level tensors (all of the folder's tensors are offered) into the applied method; returns the keys it used.</summary>
    IReadOnlyCollection<string> LoadModelTensors(SequenceClassifier model, IReadOnlyDictionary<string, Tensor> tensors) => Array.Empty<string>();

    /// <summary>
    /// Where peft keys the head: <c>base_model.model.</c> under a tuner (LoRA …, adaption prompt), <c>base_model.</c> for
    /// prompt learning, whose PeftModel holds the transformers model directly.
    /// </summary>
    string HeadKeyPrefix => "base_model.model.";
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
/// exactly peft's; a folder without them (written by peft) is read as the method its config's peft_type names
/// (LORA, LOHA, LOKR, OFT, BOFT, VERA, FOURIERFT, HRA, PREFIX_TUNING, P_TUNING, ADAPTION_PROMPT). Tensors shared by all
/// adapters are stored once at the model level (VeRA's <c>base_model.vera_A</c>, see <see cref="IPeftSharedTensors"/>);
/// prompt learning stores <c>prompt_embeddings</c> and keys the head <c>base_model.classifier.…</c> (see
/// <see cref="IPeftCheckpointMethod.ModelTensorsToPeft"/>). Checked against peft 0.21's own folders in PeftInteropTests.
/// </summary>
public static class PeftAdapterCheckpoint
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";
    private const string SharedPrefix = "base_model.";

    /// <summary>peft_type → our method id, for folders peft wrote (LORA is refined by its use_dora / use_rslora flags).</summary>
    private static readonly IReadOnlyDictionary<string, string> MethodOfPeftType = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LORA"] = "lora", ["LOHA"] = "loha", ["LOKR"] = "lokr", ["OFT"] = "oft", ["BOFT"] = "boft",
        ["VERA"] = "vera", ["FOURIERFT"] = "fourierft", ["HRA"] = "hra", ["ADALORA"] = "adalora",
        ["IA3"] = "ia3", ["LN_TUNING"] = "ln-tuning",
        // P-tuning v2 writes PREFIX_TUNING too; a folder peft wrote is read as prefix tuning with the folder's prefix_projection.
        ["PREFIX_TUNING"] = "prefix-tuning", ["P_TUNING"] = "p-tuning", ["ADAPTION_PROMPT"] = "adaption-prompt",
    };

    /// <summary>
    /// peft settings that select layers or vary the config per layer; PeftBench applies one config to every target,
    /// so a folder that uses them is refused with its reason rather than loaded wrongly.
    /// </summary>
    private static readonly string[] PerLayerFields =
        ["layers_to_transform", "layers_pattern", "exclude_modules", "rank_pattern", "alpha_pattern", "n_frequency_pattern"];

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
        foreach (var shared in adapted.Select(l => l.Adapters[0]).OfType<IPeftSharedTensors>())
        foreach (var (name, tensor) in shared.SharedToPeft())
            tensors[SharedPrefix + name] = tensor;
        var modules = exporter.PeftModuleTensors(model).ToList();
        foreach (var (path, own) in modules)
        foreach (var (name, tensor) in own)
            tensors[$"{Prefix}{model.Backbone.BaseModelPrefix}.{path}.{name}"] = tensor;
        foreach (var (name, tensor) in exporter.ModelTensorsToPeft(model))
            tensors[name] = tensor;
        foreach (var (name, p) in model.Head.named_parameters())
            tensors[$"{exporter.HeadKeyPrefix}{model.Head.HeadName}.{name}"] = p;

        var targetModules = adapted.Select(l => l.Path).Concat(modules.Select(m => m.ModulePath))
            .Select(path => path[(path.LastIndexOf('.') + 1)..]).Distinct().ToList();
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

    /// <summary>peft_type (and LoRA's own flags) name the method for a folder we did not write.</summary>
    private static string InferMethod(JsonObject config)
    {
        var type = config["peft_type"]?.GetValue<string>();
        if (type is null || !MethodOfPeftType.TryGetValue(type, out var id))
            throw new NotSupportedException($"peft_type '{type}' is not supported; adapters of types {string.Join(", ", MethodOfPeftType.Keys)} load.");
        if (type != "LORA") return id;
        if (config["use_dora"]?.GetValue<bool>() == true) return "dora";
        if (config["kasa_config"] is JsonObject) return "kasa";
        return config["use_rslora"]?.GetValue<bool>() == true ? "rslora" : "lora";
    }

    /// <summary>
    /// The shortest dotted suffix of <paramref name="moduleName"/> that, under peft's matching (a module matches a target
    /// when its name equals it or ends with <c>"." + target</c>), selects only modules that <paramref name="allowed"/>
    /// accepts among <paramref name="moduleNames"/> (every module of the model, by full name): <c>key</c>, but
    /// <c>layer.0.output.dense</c> where <c>output.dense</c> would also select <c>attention.output.dense</c>. A suffix
    /// never starts with a layer number (<c>layer.0.output.dense</c>, not <c>0.output.dense</c>), for readability.
    /// </summary>
    public static string PeftSuffix(string moduleName, IReadOnlyCollection<string> moduleNames, Func<string, bool> allowed)
    {
        var segments = moduleName.Split('.');
        for (var n = 1; n < segments.Length; n++)
        {
            if (long.TryParse(segments[^n], out _)) continue;
            var suffix = string.Join('.', segments[^n..]);
            if (moduleNames.Where(m => m == suffix || m.EndsWith("." + suffix, StringComparison.Ordinal)).All(allowed)) return suffix;
        }
        return moduleName;
    }

    /// <summary>
    /// Our targets for peft's target_modules names: a plain name stays a name (it matches the last name, as in peft), a
    /// dotted one becomes the glob <c>*.name</c> (peft's "ends with .name").
    /// </summary>
    public static string[] TargetsFromPeftNames(IEnumerable<string> names) =>
        names.Select(n => n.Contains('.') ? "*." + n : n).ToArray();

    /// <summary>target_modules as peft writes it: a JSON list of module names.</summary>
    public static JsonArray TargetList(IReadOnlyList<string> targetModules) => new(targetModules.Select(t => (JsonNode)t).ToArray());

    /// <summary>peft's target_modules as a list of module names (a regex string cannot be mapped to our targets).</summary>
    public static string[] TargetModules(JsonObject adapterConfig) => adapterConfig["target_modules"] switch
    {
        JsonArray list => list.Select(t => t!.GetValue<string>()).ToArray(),
        var other => throw new NotSupportedException($"target_modules {other?.ToJsonString() ?? "null"}: only a list of module names can be loaded."),
    };

    /// <summary>A field of peft's config, or <paramref name="fallback"/> (peft's default) where the folder omits it or holds null.</summary>
    public static T Field<T>(JsonObject adapterConfig, string name, T fallback) =>
        adapterConfig[name] is JsonValue v ? v.GetValue<T>() : fallback;

    /// <summary>Refuses a setting PeftBench does not implement, naming it, when the folder's value differs from the default.</summary>
    public static void Require<T>(JsonObject adapterConfig, string name, T supported)
    {
        var value = Field(adapterConfig, name, supported);
        if (!EqualityComparer<T>.Default.Equals(value, supported))
            throw new NotSupportedException($"{name} = {value} is not supported here (only {supported}).");
    }

    private static void RefusePerLayerSettings(JsonObject adapterConfig)
    {
        // AdaLoRA's rank_pattern is not a per-layer setting but the allocation training chose, which its loader applies.
        var adaLora = adapterConfig["peft_type"]?.GetValue<string>() == "ADALORA";
        foreach (var field in PerLayerFields.Where(f => !(adaLora && f == "rank_pattern")))
        {
            var node = adapterConfig[field];
            var empty = node is null || node is JsonObject { Count: 0 } || node is JsonArray { Count: 0 };
            if (!empty) throw new NotSupportedException($"{field} = {node!.ToJsonString()}: PeftBench applies one config to every target and cannot load per-layer settings.");
        }
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
        if (folder.ConfigJson is null) RefusePerLayerSettings(folder.AdapterConfig);
        var config = folder.ConfigJson is { } json
            ? MethodConfig.FromCanonicalJson(method.DefaultConfig.GetType(), json)
            : importer.FromPeftConfig(folder.AdapterConfig);
        method.Apply(model, config, context);
        LoadInto(folder, model, method);
        return config;
    }

    /// <summary>
    /// Copies the folder's adapter and head tensors into <paramref name="model"/>, to which <paramref name="method"/> is
    /// already attached with the folder's config (the merge step attaches it from the cell seed first, to keep the
    /// method's init). Every tensor in the folder must land somewhere.
    /// </summary>
    public static void LoadInto(PeftAdapterFolder folder, SequenceClassifier model, IPeftMethod method)
    {
        if (method.Id != folder.MethodId) throw new ArgumentException($"the folder holds a {folder.MethodId} adapter, not {method.Id}.");
        var importer = method as IPeftCheckpointMethod
            ?? throw new NotSupportedException($"{method.Id} has no peft adapter layout yet.");
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var linear in model.Sites.Linears.Where(l => l.Adapters.Count > 0))
        {
            var prefix = $"{Prefix}{model.Backbone.BaseModelPrefix}.{linear.Path}.";
            var own = folder.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            ((IPeftAdapterTensors)linear.Adapters[0]).LoadPeft(own);
            used.UnionWith(own.Keys.Select(k => prefix + k));
            if (linear.Adapters[0] is IPeftSharedTensors shared)
            {
                var common = folder.Tensors.Where(kv => kv.Key.StartsWith(SharedPrefix, StringComparison.Ordinal) && !kv.Key.StartsWith(Prefix, StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key[SharedPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
                shared.LoadSharedPeft(common);
                used.UnionWith(common.Keys.Select(k => SharedPrefix + k));
            }
        }
        foreach (var (path, targets) in importer.PeftModuleTensors(model))
        {
            var prefix = $"{Prefix}{model.Backbone.BaseModelPrefix}.{path}.";
            var own = folder.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            CopyNamed(own, targets);
            used.UnionWith(own.Keys.Select(k => prefix + k));
        }
        used.UnionWith(importer.LoadModelTensors(model, folder.Tensors));
        using (no_grad())
        {
            foreach (var (name, p) in model.Head.named_parameters())
            {
                var key = $"{importer.HeadKeyPrefix}{model.Head.HeadName}.{name}";
                if (!folder.Tensors.TryGetValue(key, out var saved)) throw new InvalidDataException($"the adapter folder has no '{key}'.");
                CopyInto(p, saved, key);
                used.Add(key);
            }
        }
        var unused = folder.Tensors.Keys.Where(k => !used.Contains(k)).ToList();
        if (unused.Count > 0) throw new InvalidDataException($"tensors in the adapter folder that match no module of the model: {string.Join(", ", unused.Take(5))}.");
    }

    /// <summary>
    /// Copies the saved tensors of one layer into <paramref name="targets"/> (an adapter's live <see cref="IPeftAdapterTensors.ToPeft"/>):
    /// every target must be saved with its shape, and every saved tensor must be a target (a LoKr W₂ saved as
    /// factors where a full W₂ is expected would otherwise pass unnoticed).
    /// </summary>
    public static void CopyNamed(IReadOnlyDictionary<string, Tensor> saved, IReadOnlyDictionary<string, Tensor> targets)
    {
        var unexpected = saved.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"the adapter folder holds {string.Join(", ", unexpected)} for this layer, where {string.Join(", ", targets.Keys)} are expected.");
        foreach (var (name, target) in targets)
            CopyInto(target, saved.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"the adapter folder has no '{name}' for this layer."), name);
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
