// UniPELT — Mao, Mathias, Hou, Almahairi, Ma, Han, Yih & Khabsa, "UniPELT: A Unified Framework for Parameter-Efficient
// Language Model Tuning", ACL 2022 (arXiv 2110.07577), §3 / Figure 1: three submodules in every layer, each scaled by its
// own learned gate G = σ(W_G x + b_G) ∈ (0, 1), so the model learns which to use:
//   • adapter (sequential bottleneck after the FFN, adapters' SeqBn: m = d/16, ReLU, "bert" init N(0, 0.02²)):
//         h ← h + G_A · (W_up ReLU(W_down h + b_down) + b_up),   G_A from the adapter's input h;
//   • prefix (l = 10 key/value prefixes, reparameterised by the tanh MLP of prefix tuning, h 512, only P saved):
//         K' = [G_P·P_K; K],  V' = [G_P·P_V; V],   G_P from the attention's input (what the query projection reads);
//   • LoRA on query and value (r = 8):  h = W₀x + G_L · B A x,   G_L from the projection's input x.
// Where each gate's input comes from and how it is pooled follows the authors' release (morningmoni/UniPELT:
// modeling_bert.py's prefix_gate(hidden_states), lora_layers.py's lora_gate(x), the adapter's gate(x)) and adapters'
// UniPELTConfig: every gate is a Linear(d_in, 1) whose sigmoid is averaged over the sequence positions, one gate per
// example (padding positions included, as both implementations average over dim 1 without the mask). Gates are
// initialised as torch.nn.Linear (the release's; adapters draws the weight from N(0, 0.02²)). One gate per LoRA target
// (query and value each have their own, as in the release), one shared by the prefix's keys and values (the release;
// adapters' shared_gating). Our readings: (1) LoRA's α/r is not applied: in both implementations the gate takes the place
// of the scaling (`self.scaling = sigmoid(lora_gate(x))…`), so adapters' α = 2 has no effect and is not a setting here;
// (2) adapters' SeqBn also re-applies the block's LayerNorm around the adapter (original_ln_before/after), which PeftBench's
// residual sites do not expose (as for `pfeiffer`); the adapter acts on the FFN's output before the residual add.
// The budget knob is the adapter width m; the prefix MLP, the LoRA rank and the gates stay at their defaults.
// Trainable: L(2dm + d + m) + L(d + 1)  [gated adapters]  +  l·d_kv + (d_kv·h + h) + (h·2L·d_kv + 2L·d_kv) + L(d + 1)
// [prefix MLP, prefix gates]  +  Σ_{q,v} r(d_in + d_out) + (d_in + 1)  [gated LoRA];  saved: the same with 2·L·l·d_kv
// in place of the prefix MLP.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// UniPELT settings: the adapter's (adapters' SeqBnConfig: m = d/16, ReLU, "bert" init), the prefix's (l = 10, MLP h 512)
/// and LoRA's rank on query and value (r = 8).
/// </summary>
public sealed record UniPeltConfig : PrefixAndAdapterConfig
{
    public UniPeltConfig()
    {
        PrefixLength = 10;
        PrefixHidden = 512;
    }

    public int LoraRank { get; init; } = 8;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (LoraRank < 1) yield return $"lora_rank must be at least 1 (got {LoraRank.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>A gated serial adapter after the FFN, gated key/value prefixes and gated LoRA on query and value, in every layer.</summary>
public sealed class UniPelt : PrefixAndAdapterMethod<UniPeltConfig>
{
    private static readonly string[] LoraTargets = [SiteRoles.Query, SiteRoles.Value];

    public override string Id => "unipelt";
    public override int Version => 1;
    public override string Citation => "Mao et al., ACL 2022 (UniPELT): adapter, prefix and LoRA each scaled by a learned gate G = σ(W_G x), per layer.";
    public override string Description => "Gated adapter after the FFN (m = d/16), gated prefixes (l = 10, MLP h 512, only P saved) and gated LoRA on query and value (r = 8).";
    public override UniPeltConfig Defaults => new();
    protected override string[] Roles => [SiteRoles.AfterMlp];
    protected override bool Parallel => false;
    protected override string AdapterName => "adapter";

    protected override IEnumerable<string> Validate(UniPeltConfig config, SiteRegistry sites)
    {
        foreach (var problem in base.Validate(config, sites)) yield return problem;
        foreach (var problem in LoraFamily<LoraConfig>.TargetProblems(Id, LoraTargets, sites)) yield return problem;
        foreach (var site in sites.KeyValuePrefixes.Where(s => AttentionInput(sites, s.LayerIndex) is null))
            yield return $"{Id}: {site.Path} has no attention input to read the prefix gate from (no '{SiteRoles.AfterAttention}' site with a query projection in layer {site.LayerIndex}).";
    }

    /// <summary>The residual site after layer <paramref name="layer"/>'s attention, whose input projection (the query) reads the attention's input.</summary>
    private static ResidualSite? AttentionInput(SiteRegistry sites, int layer) =>
        sites.SelectResiduals(SiteRoles.AfterAttention).FirstOrDefault(r => r.LayerIndex == layer && sites.InputProjectionOf(r) is not null);

    protected override long CountTrainable(SiteRegistry sites, UniPeltConfig config)
    {
        var adapterGates = sites.SelectResiduals(Roles).Sum(r => SeededLinear.Count(r.Width, 1));
        var prefixGates = sites.KeyValuePrefixes.Sum(s => AttentionInput(sites, s.LayerIndex) is { } a ? SeededLinear.Count(sites.InputProjectionOf(a)!.InFeatures, 1) : 0);
        var lora = sites.SelectLinears(LoraTargets).Sum(l => (long)config.LoraRank * (l.InFeatures + l.OutFeatures) + SeededLinear.Count(l.InFeatures, 1));
        return base.CountTrainable(sites, config) + adapterGates + prefixGates + lora;
    }

    protected override nn.Module<Tensor, Tensor> CreateBlock(ResidualSite site, UniPeltConfig config, MethodContext context, SublayerInput? input) =>
        new GatedBottleneck((BottleneckAdapter)base.CreateBlock(site, config, context, input), site.Width, context);

    protected override KeyValuePrefix PrefixAt(SiteRegistry sites, KeyValuePrefixSite site, LayerPrefix view, MethodContext context)
    {
        var attention = AttentionInput(sites, site.LayerIndex)!;
        return new GatedPrefix(view, SublayerInput.Tap(sites, attention), sites.InputProjectionOf(attention)!.InFeatures, context);
    }

    protected override MethodAttachment Apply(SequenceClassifier model, UniPeltConfig config, MethodContext context)
    {
        var attachment = base.Apply(model, config, context);
        foreach (var linear in model.Sites.SelectLinears(LoraTargets))
            linear.Attach(LoraFamily<LoraConfig>.AdapterName, new GatedLoraAdapter(linear, config.LoraRank, context));
        return attachment;
    }
}

/// <summary>UniPELT's gate: G = mean over positions of σ(W_G x + b_G), one value per example ([B, 1, 1] for x of [B, T, d]).</summary>
public static class SequenceGate
{
    public static Tensor Of(SeededLinear gate, Tensor x) => gate.call(x).sigmoid().mean(new long[] { -2 }, keepdim: true);
}

/// <summary>h + G(h)·Δ(h): the serial bottleneck's contribution scaled by a gate read from the adapter's input.</summary>
public sealed class GatedBottleneck : nn.Module<Tensor, Tensor>
{
    private readonly BottleneckAdapter adapter;
    private readonly SeededLinear adapter_gate;

    public GatedBottleneck(BottleneckAdapter adapter, long width, MethodContext context) : base(nameof(GatedBottleneck))
    {
        this.adapter = adapter;
        adapter_gate = new SeededLinear(width, 1, context);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => hidden + SequenceGate.Of(adapter_gate, hidden) * adapter.Delta(hidden);
}

/// <summary>
/// A layer's prefix keys and values scaled by G_P, read from the attention's input (the query projection's input, taken
/// by <see cref="SublayerInput"/> once per forward pass).
/// </summary>
public sealed class GatedPrefix : KeyValuePrefix
{
    private readonly LayerPrefix layer_prefix;
    private readonly SeededLinear prefix_gate;
    private readonly SublayerInput attentionInput;

    public GatedPrefix(LayerPrefix prefix, SublayerInput attentionInput, long width, MethodContext context) : base(nameof(GatedPrefix))
    {
        layer_prefix = prefix;
        this.attentionInput = attentionInput;
        prefix_gate = new SeededLinear(width, 1, context);
        RegisterComponents();
    }

    public override long Length => layer_prefix.Length;

    public override (Tensor Keys, Tensor Values) Prefix(long batchSize)
    {
        var gate = SequenceGate.Of(prefix_gate, attentionInput.Take()).unsqueeze(-1); // [B, 1, 1, 1]
        var (keys, values) = layer_prefix.Prefix(batchSize);
        return (keys * gate, values * gate);
    }
}

/// <summary>W₀x + G_L(x)·B A x: LoRA whose scale is the gate (the release and adapters replace α/r by it). Does not merge.</summary>
public sealed class GatedLoraAdapter : LoraAdapter
{
    public SeededLinear lora_gate;

    public GatedLoraAdapter(AdaptableLinear host, int rank, MethodContext context)
        : base(host.InFeatures, host.OutFeatures, new LoraConfig { Rank = rank }, context, scaling: 1.0)
    {
        lora_gate = new SeededLinear(host.InFeatures, 1, context);
        register_module("lora_gate", lora_gate);
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + SequenceGate.Of(lora_gate, input) * LowRank(Dropped(input));

    public override bool CanMerge => false;

    public override Tensor DeltaWeight(AdaptableLinear host) =>
        throw new NotSupportedException("UniPELT's gated LoRA depends on the input through its gate and cannot be merged.");
}
