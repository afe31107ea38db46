// LLaMA-Adapter (adaption prompt) — Zhang, Han, Liu, Gao, Lu, Zhou, Li, Gao & Qiao, "LLaMA-Adapter: Efficient Fine-tuning
// of Language Models with Zero-init Attention", ICLR 2024 (arXiv 2303.16199), §3.1–3.2, eq. (7)–(10): in each of the
// top L' layers, l learnable adaption prompts P_ℓ ∈ ℝ^{l×d} are projected by the layer's own frozen key and value
// projections and attended by the text's queries under a softmax of their own, scaled by a zero-initialised gate:
//     O_ℓ = softmax(Q Kᵀ/√d_h + mask) V  +  g_ℓ · softmax(Q (P_ℓ W_k)ᵀ/√d_h) (P_ℓ W_v),   g_ℓ = 0 at init,
// so training starts from exactly the pretrained model. As huggingface/peft's adaption_prompt: P ~ N(0, 1) (the
// official code's nn.Embedding), one scalar gate per layer (adaption_gate), the prompt's softmax in float32, its keys
// not rotated (no RoPE) and repeated for grouped-query attention, the layers counted from the top (adapter_layers).
// peft adds o_proj(gated term) to the attention's output; the term is added here before the output projection, the
// same for LLaMA's bias-free o_proj, and keeping a projection's bias once where it has one (GPT-2, BERT, ViT).
// Encoders: the gated term needs no causal mask (every query may see the prompt), so the same attention applies to
// BERT, RoBERTa and ViT; it is the paper's mechanism, not a published encoder recipe.
// Trainable: L'·(l·d + 1).

using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>
/// Adaption-prompt settings: l = 10 prompts (the paper's), in the top <see cref="AdapterLayers"/> layers (0 = every
/// layer; the paper adapts 30 of LLaMA-7B's 32), lr 9e-3 (the paper's) for prompts and gates, the head at 1e-3.
/// </summary>
public sealed record AdaptionPromptConfig : MethodConfig
{
    public AdaptionPromptConfig() => LearningRate = 9e-3;

    public int AdapterLength { get; init; } = 10;
    /// <summary>Adapted layers counted from the top; 0 adapts every layer.</summary>
    public int AdapterLayers { get; init; }
    public double HeadLearningRate { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (AdapterLength < 1) yield return $"adapter_length must be at least 1 (got {AdapterLength.ToString(inv)}).";
        if (AdapterLayers < 0) yield return $"adapter_layers must be 0 (every layer) or positive (got {AdapterLayers.ToString(inv)}).";
        if (!(HeadLearningRate > 0) || double.IsInfinity(HeadLearningRate))
            yield return $"head_learning_rate must be a positive number (got {HeadLearningRate.ToString(inv)}).";
    }
}

/// <summary>Zero-gated prompt attention in the top layers; the output is unchanged at init.</summary>
public sealed class AdaptionPrompt : PeftMethod<AdaptionPromptConfig>, IPeftCheckpointMethod
{
    /// <summary>Name under a layer's prefix site: parameters are <c>….prefix_site.adaption.adaption_prompt</c> and <c>adaption_gate</c>.</summary>
    public const string AdapterName = "adaption";

    public override string Id => "adaption-prompt";
    public override int Version => 1;
    public override string Family => "prompt";
    public override string Citation => "Zhang et al., ICLR 2024 (LLaMA-Adapter): O = attn(Q, K, V) + g·softmax(Q (P W_k)ᵀ/√d_h)(P W_v) in the top layers, gate g = 0 at init.";
    public override string Description => "10 adaption prompts per layer attended through the frozen k/v projections under a zero-initialised gate (every layer by default).";
    public override AdaptionPromptConfig Defaults => new();
    public override Knob Knob => new("adapter_length", 1, 512);
    public override bool PreservesOutputAtInit => true;

    protected override AdaptionPromptConfig WithKnob(AdaptionPromptConfig config, int value) => config with { AdapterLength = value };
    protected override int KnobValue(AdaptionPromptConfig config) => config.AdapterLength;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.KeyValuePrefixes.Count > 0 ? null : "the backbone has no attention layers to add adaption prompts to.";

    protected override IEnumerable<string> Validate(AdaptionPromptConfig config, SiteRegistry sites)
    {
        if (config.AdapterLayers > sites.KeyValuePrefixes.Count)
            yield return $"{Id}: adapter_layers {config.AdapterLayers} exceeds the model's {sites.KeyValuePrefixes.Count} attention layers.";
    }

    /// <summary>The top adapter_layers attention layers (all for 0), bottom first.</summary>
    private static IReadOnlyList<KeyValuePrefixSite> Adapted(SiteRegistry sites, AdaptionPromptConfig config)
    {
        var all = sites.KeyValuePrefixes;
        var count = config.AdapterLayers == 0 ? all.Count : Math.Min(config.AdapterLayers, all.Count);
        return all.Skip(all.Count - count).ToList();
    }

    protected override long CountTrainable(SiteRegistry sites, AdaptionPromptConfig config) =>
        Adapted(sites, config).Count * (config.AdapterLength * sites.HiddenSize + 1);

    protected override MethodAttachment Apply(SequenceClassifier model, AdaptionPromptConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var site in Adapted(model.Sites, config))
            site.Attach(AdapterName, new GatedAdaptionPrompt(config.AdapterLength, model.Sites.HiddenSize, context));
        return new HeadRateAttachment(config, config.HeadLearningRate);
    }

    /// <summary>peft's key of a layer's tensors: the attention module holding the prefix site (<c>model.layers.0.self_attn</c>).</summary>
    private static string AttentionPath(SequenceClassifier model, KeyValuePrefixSite site) =>
        $"base_model.model.{model.Backbone.BaseModelPrefix}.{site.Path[..site.Path.LastIndexOf('.')]}";

    private static IEnumerable<(KeyValuePrefixSite Site, GatedAdaptionPrompt Prompt)> Prompts(SequenceClassifier model) =>
        model.Sites.KeyValuePrefixes.Where(s => s.Prompt is GatedAdaptionPrompt).Select(s => (s, (GatedAdaptionPrompt)s.Prompt!));

    // peft's ADAPTION_PROMPT layout: base_model.model.<attention>.adaption_prompt [1, l, d] and .adaption_gate [1] per adapted layer.
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules) => new()
    {
        ["peft_type"] = "ADAPTION_PROMPT", ["adapter_len"] = ((AdaptionPromptConfig)config).AdapterLength,
        ["auto_mapping"] = null, ["base_model_name_or_path"] = null, ["revision"] = null,
    };

    public void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix)
    {
        var adapted = Prompts(model).ToList();
        adapterConfig["adapter_layers"] = adapted.Count;
        var path = adapted[0].Site.Path[..adapted[0].Site.Path.LastIndexOf('.')];
        adapterConfig["target_modules"] = path[(path.LastIndexOf('.') + 1)..];
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig) => Defaults with
    {
        AdapterLength = PeftAdapterCheckpoint.Field(adapterConfig, "adapter_len", 0),
        AdapterLayers = PeftAdapterCheckpoint.Field(adapterConfig, "adapter_layers", 0),
    };

    public IReadOnlyDictionary<string, Tensor> ModelTensorsToPeft(SequenceClassifier model)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (site, prompt) in Prompts(model))
        {
            tensors[$"{AttentionPath(model, site)}.adaption_prompt"] = prompt.adaption_prompt;
            tensors[$"{AttentionPath(model, site)}.adaption_gate"] = prompt.adaption_gate;
        }
        return tensors;
    }

    public IReadOnlyCollection<string> LoadModelTensors(SequenceClassifier model, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var used = new List<string>();
        foreach (var (site, prompt) in Prompts(model))
        foreach (var (name, target) in new[] { ("adaption_prompt", prompt.adaption_prompt), ("adaption_gate", prompt.adaption_gate) })
        {
            var key = $"{AttentionPath(model, site)}.{name}";
            PeftAdapterCheckpoint.CopyInto(target, tensors.TryGetValue(key, out var saved) ? saved : throw new InvalidDataException($"the adapter folder has no '{key}'."), key);
            used.Add(key);
        }
        return used;
    }
}

/// <summary>g · softmax(Q (P W_k)ᵀ/√d_h)(P W_v) for one layer, P ∈ ℝ^{1×l×d} and g ∈ ℝ¹ under peft's names.</summary>
public sealed class GatedAdaptionPrompt : AttentionPrompt
{
    public Parameter adaption_prompt;
    public Parameter adaption_gate;

    public GatedAdaptionPrompt(long length, long width, MethodContext context) : base(nameof(GatedAdaptionPrompt))
    {
        adaption_prompt = new Parameter(context.Randn(1, length, width));
        adaption_gate = new Parameter(zeros(1, device: context.Device));
        RegisterComponents();
    }

    public override Tensor Context(Tensor queries, Func<Tensor, (Tensor Keys, Tensor Values)> project)
    {
        long batch = queries.shape[0], heads = queries.shape[1];
        var (keys, values) = project(adaption_prompt.to_type(queries.dtype));
        Tensor Expand(Tensor t) => (heads > t.shape[1] ? t.repeat_interleave(heads / t.shape[1], dim: 1) : t).expand(batch, -1, -1, -1);
        // softmax(Q Kᵀ/√d_h) V in float32 (peft upcasts the prompt's softmax), then the gate.
        var attended = F.scaled_dot_product_attention(queries.to_type(ScalarType.Float32), Expand(keys).to_type(ScalarType.Float32),
            Expand(values).to_type(ScalarType.Float32));
        return adaption_gate.to_type(ScalarType.Float32) * attended;
    }
}
