// Prefix tuning — Li & Liang, "Prefix-Tuning: Optimizing Continuous Prompts for Generation", ACL 2021 (arXiv 2101.00190),
// §4.1–4.3: every attention layer ℓ attends to l trainable key/value vectors in front of the text's own,
//     K'_ℓ = [P_K^ℓ; K_ℓ],   V'_ℓ = [P_V^ℓ; V_ℓ],   one softmax over both,
// with the backbone frozen. All layers' prefixes form P ∈ ℝ^{l × 2·L·d_kv}, one row per virtual position. §4.3: training P
// directly is unstable, so P = MLP(P') with P' ∈ ℝ^{l×d_kv} and MLP = Linear(d_kv, h) → tanh → Linear(h, 2·L·d_kv)
// (Li & Liang's code: mid_dim h = 512, 800 for summarisation); after training only P is kept. huggingface/peft's
// prefix_projection and the P-tuning v2 release build the same module (peft's default h is d_kv).
// Column layout of P (peft's PREFIX_TUNING prompt_embeddings, viewed [l, 2L, H_kv, d_h]): index 2ℓ holds layer ℓ's
// keys, 2ℓ + 1 its values, per key/value head (grouped-query attention repeats them for the query heads).
// As in the references (Li & Liang's GPT-2 code, P-tuning v2 and peft, through Hugging Face's past_key_values), the
// text's position ids start at l on BERT, RoBERTa, GPT-2 and LLaMA (rotary prefix keys are not rotated); ViT/AST patch
// positions do not move. Init: P (or P') ~ N(0, 1) as nn.Embedding; the MLP's linears as torch.nn.Linear; seeded.
// Trainable: 2·L·l·d_kv without reparameterisation (saved: the same); with it
//     l·d_kv + (d_kv·h + h) + (h·2L·d_kv + 2L·d_kv),   saved: 2·L·l·d_kv (the MLP's output, peft's prompt_embeddings).

using System.Globalization;
using System.Runtime.CompilerServices;
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
/// Settings of prefix tuning and P-tuning v2 (one module, two defaults). <see cref="ReservedInputTokens"/>: where the
/// prefix takes positions from the text (text backbones), this many stay for the text. The head trains at
/// <see cref="HeadLearningRate"/> (a prefix's step would make a weight matrix diverge).
/// </summary>
public sealed record PrefixTuningConfig : MethodConfig
{
    public PrefixTuningConfig() => LearningRate = 1e-3;

    public int PrefixLength { get; init; } = 10;
    /// <summary>Train P = MLP(P') (paper, peft's prefix_projection) instead of P itself.</summary>
    public bool Reparameterize { get; init; } = true;
    /// <summary>Hidden width h of the reparameterisation MLP (Li &amp; Liang: 512; peft's default: d_kv).</summary>
    public int ReparameterizationHidden { get; init; } = 512;
    public int ReservedInputTokens { get; init; } = 32;
    public double HeadLearningRate { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (PrefixLength < 1) yield return $"prefix_length must be at least 1 (got {PrefixLength.ToString(inv)}).";
        if (ReparameterizationHidden < 1) yield return $"reparameterization_hidden must be at least 1 (got {ReparameterizationHidden.ToString(inv)}).";
        if (ReservedInputTokens < 1) yield return $"reserved_input_tokens must be at least 1 (got {ReservedInputTokens.ToString(inv)}).";
        if (!(HeadLearningRate > 0) || double.IsInfinity(HeadLearningRate))
            yield return $"head_learning_rate must be a positive number (got {HeadLearningRate.ToString(inv)}).";
    }
}

/// <summary>Li &amp; Liang's prefix tuning: key/value prefixes in every layer, trained through the reparameterisation MLP.</summary>
public sealed class PrefixTuning : PrefixFamily
{
    public override string Id => "prefix-tuning";
    public override string Citation => "Li & Liang, ACL 2021 (prefix tuning): K' = [P_K; K], V' = [P_V; V] in every layer, P = MLP(P') while training.";
    public override string Description => "l = 10 trainable key/value prefixes in every attention layer, reparameterised by a tanh MLP (h 512) whose output is saved.";
    public override PrefixTuningConfig Defaults => new();
}

/// <summary>
/// What prefix tuning and P-tuning v2 share: one <see cref="PrefixEncoder"/> producing every layer's prefixes, a view of
/// it at each layer's attention, the prefix-length knob, and peft's PREFIX_TUNING layout.
/// </summary>
public abstract class PrefixFamily : PeftMethod<PrefixTuningConfig>, IPeftCheckpointMethod
{
    /// <summary>Name under each layer's prefix site: the encoder's parameters are <c>….layer.0.…prefix_site.prefix.encoder.*</c>.</summary>
    public const string AdapterName = "prefix";

    public override int Version => 1;
    public override string Family => "prompt";
    public override Knob Knob => new("prefix_length", 1, 512);
    public override bool PreservesOutputAtInit => false;

    protected override PrefixTuningConfig WithKnob(PrefixTuningConfig config, int value) => config with { PrefixLength = value };
    protected override int KnobValue(PrefixTuningConfig config) => config.PrefixLength;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.KeyValuePrefixes.Count > 0 ? null : "the backbone has no attention layers to give key/value prefixes to.";

    /// <summary>Where prefixes take positions from the text (text backbones): at most the model's positions minus the reserve for text.</summary>
    protected override Knob? KnobFor(SiteRegistry sites, PrefixTuningConfig config) =>
        PromptRoom.Cap(Knob, PromptRoom.MaxLength(PositionedInput(sites), config.ReservedInputTokens));

    private static InputEmbeddingSite? PositionedInput(SiteRegistry sites) =>
        sites.KeyValuePrefixes.Any(s => s.ShiftsPositions) ? sites.InputEmbeddings : null;

    protected override IEnumerable<string> Validate(PrefixTuningConfig config, SiteRegistry sites) => PrefixProblems(Id, sites, config);

    /// <summary>The prefix length against the positions the model leaves once the text's reserve is taken (text backbones).</summary>
    public static IEnumerable<string> PrefixProblems(string methodId, SiteRegistry sites, PrefixTuningConfig config) =>
        PromptRoom.Problems(methodId, "prefix_length", config.PrefixLength, PositionedInput(sites), config.ReservedInputTokens);

    /// <summary>d_kv: key/value heads × head dim of one layer (every layer has the same).</summary>
    private static long Width(SiteRegistry sites) => sites.KeyValuePrefixes.Count == 0 ? 0 : sites.KeyValuePrefixes[0].Heads * sites.KeyValuePrefixes[0].HeadDim;

    protected override long CountTrainable(SiteRegistry sites, PrefixTuningConfig config) => PrefixParameters(sites, config);

    /// <summary>Trainable elements of every layer's prefixes: 2·L·l·d_kv, or P' and the MLP when reparameterised.</summary>
    public static long PrefixParameters(SiteRegistry sites, PrefixTuningConfig config)
    {
        long l = config.PrefixLength, w = Width(sites), output = 2L * sites.KeyValuePrefixes.Count * w, h = config.ReparameterizationHidden;
        return config.Reparameterize
            ? l * w + SeededLinear.Count(w, h) + SeededLinear.Count(h, output)
            : l * output;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, PrefixTuningConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var encoder = AttachPrefixes(model, config, context);
        return new HeadRateAttachment(config, config.HeadLearningRate, config.Reparameterize ? encoder.SavedParameters : null);
    }

    /// <summary>
    /// One <see cref="PrefixEncoder"/> for every layer and a view of it at each attention layer, attached as that layer's
    /// prefix; <paramref name="wrap"/>, where given, wraps each view first (UniPELT's gate). Returns the encoder.
    /// </summary>
    public static PrefixEncoder AttachPrefixes(SequenceClassifier model, PrefixTuningConfig config, MethodContext context,
        Func<KeyValuePrefixSite, LayerPrefix, KeyValuePrefix>? wrap = null)
    {
        var sites = model.Sites.KeyValuePrefixes;
        var encoder = new PrefixEncoder(config, sites.Count, sites[0].Heads, sites[0].HeadDim, context);
        // The encoder is registered once, under the first layer's prefix; the other layers read its output.
        foreach (var site in sites)
        {
            var view = new LayerPrefix(encoder, site.LayerIndex, site.Heads, site.HeadDim, owner: site == sites[0]);
            site.Attach(AdapterName, wrap is null ? view : wrap(site, view));
        }
        return encoder;
    }

    private static PrefixEncoder Encoder(SequenceClassifier model) =>
        (model.Sites.KeyValuePrefixes.Select(s => s.Current).OfType<LayerPrefix>().FirstOrDefault()
         ?? throw new InvalidOperationException("no prefix is attached to the model.")).Encoder;

    // peft's PREFIX_TUNING layout: adapter_config.json with the prompt-learning fields, prompt_embeddings = P, the head under base_model.
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (PrefixTuningConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "PREFIX_TUNING", ["num_virtual_tokens"] = c.PrefixLength, ["prefix_projection"] = c.Reparameterize,
            ["encoder_hidden_size"] = c.ReparameterizationHidden, ["num_transformer_submodules"] = 1, ["init_weights"] = null,
            ["auto_mapping"] = null, ["base_model_name_or_path"] = null, ["revision"] = null,
        };
    }

    /// <summary>The model's sizes, which peft's prompt-learning config records (token_dim is d_kv, heads the key/value heads, as peft for GQA).</summary>
    public void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix)
    {
        var sites = model.Sites.KeyValuePrefixes;
        adapterConfig["token_dim"] = Width(model.Sites);
        adapterConfig["num_layers"] = sites.Count;
        adapterConfig["num_attention_heads"] = sites[0].Heads;
        if (!((PrefixTuningConfig)Encoder(model).Config).Reparameterize) adapterConfig["encoder_hidden_size"] = Width(model.Sites);
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        PeftAdapterCheckpoint.Require(adapterConfig, "num_transformer_submodules", 1);
        var projection = PeftAdapterCheckpoint.Field(adapterConfig, "prefix_projection", false);
        return Defaults with
        {
            PrefixLength = PeftAdapterCheckpoint.Field(adapterConfig, "num_virtual_tokens", 0),
            Reparameterize = projection,
            ReparameterizationHidden = projection ? PeftAdapterCheckpoint.Field(adapterConfig, "encoder_hidden_size", Defaults.ReparameterizationHidden)
                : Defaults.ReparameterizationHidden,
        };
    }

    public string HeadKeyPrefix => "base_model.";

    public IReadOnlyDictionary<string, Tensor> ModelTensorsToPeft(SequenceClassifier model) => PromptRoom.ToPeft(Encoder(model).Output);

    /// <summary>P as saved: the reloaded model uses it directly, as peft's inference mode does (the MLP is not run).</summary>
    public IReadOnlyCollection<string> LoadModelTensors(SequenceClassifier model, IReadOnlyDictionary<string, Tensor> tensors) =>
        PromptRoom.LoadPeft(tensors, Encoder(model).Pin);
}

/// <summary>
/// P ∈ ℝ^{l × 2·L·d_kv}: an embedding table, or an embedding table of width d_kv through Linear → tanh → Linear. After
/// a checkpoint is loaded, <see cref="Output"/> is the saved P (peft's inference mode).
/// </summary>
public sealed class PrefixEncoder : nn.Module
{
    public Parameter embedding;
    private readonly SeededLinear? transform_0;
    private readonly SeededLinear? transform_2;
    private Tensor? pinned;

    public MethodConfig Config { get; }
    public long Length { get; }
    public long OutputWidth { get; }
    /// <summary>Elements of P, what is saved.</summary>
    public long SavedParameters => Length * OutputWidth;

    public PrefixEncoder(PrefixTuningConfig config, int layers, long heads, long headDim, MethodContext context) : base(nameof(PrefixEncoder))
    {
        Config = config;
        Length = config.PrefixLength;
        var width = heads * headDim;
        OutputWidth = 2L * layers * width;
        embedding = new Parameter(context.Randn(Length, config.Reparameterize ? width : OutputWidth));
        if (config.Reparameterize)
        {
            transform_0 = new SeededLinear(width, config.ReparameterizationHidden, context);
            transform_2 = new SeededLinear(config.ReparameterizationHidden, OutputWidth, context);
        }
        RegisterComponents();
    }

    /// <summary>[l, 2·L·d_kv]; the same tensor op whether trained, saved or reloaded, so a reloaded model is bit-identical.</summary>
    public Tensor Output() =>
        pinned ?? (transform_0 is null ? embedding : transform_2!.call(transform_0.call(embedding).tanh()));

    /// <summary>Uses the saved P ([l, 2 · num_layers · token_dim]) from now on.</summary>
    public void Pin(Tensor saved) => pinned = PromptRoom.Pinned(saved, [Length, OutputWidth], embedding, "prefix");
}

/// <summary>
/// Layer ℓ's keys and values from P, as [B, H_kv, l, d_h]. Only the first layer's view registers the shared encoder (its
/// parameters must appear once); every view reads its output, computed whole so that trained, saved and reloaded
/// prefixes are the same numbers.
/// </summary>
public sealed class LayerPrefix : KeyValuePrefix
{
    // A StrongBox, not a field of module type: a non-owning view must not register the encoder as its child.
    private readonly StrongBox<PrefixEncoder> encoder;
    private readonly int layer;
    private readonly long heads, headDim, layers;

    public PrefixEncoder Encoder => encoder.Value!;
    public override long Length => Encoder.Length;

    public LayerPrefix(PrefixEncoder encoder, int layer, long heads, long headDim, bool owner) : base(nameof(LayerPrefix))
    {
        this.encoder = new StrongBox<PrefixEncoder>(encoder);
        this.layer = layer;
        this.heads = heads;
        this.headDim = headDim;
        layers = encoder.OutputWidth / (2 * heads * headDim);
        RegisterComponents();
        if (owner) register_module("encoder", encoder);
    }

    public override (Tensor Keys, Tensor Values) Prefix(long batchSize)
    {
        // [l, 2L·H·d_h] → [l, 2L, H, d_h]; index 2ℓ is layer ℓ's keys, 2ℓ + 1 its values (peft's past_key_values order).
        var all = Encoder.Output().view(Encoder.Length, 2 * layers, heads, headDim);
        Tensor Take(int index) => all.select(1, index).transpose(0, 1).unsqueeze(0).expand(batchSize, -1, -1, -1);
        return (Take(2 * layer), Take(2 * layer + 1));
    }
}
