using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// LLaMA (Touvron et al., 2023) and its relatives Mistral (sliding window) and Qwen2 (bias on q/k/v only):
/// pre-RMSNorm blocks, rotary positions (with Llama-3's frequency scaling), grouped-query attention and a SwiGLU
/// MLP (Shazeer, 2020: down(silu(gate x) ⊙ up x)). Parameter names are transformers' <c>LlamaModel</c>
/// (<c>embed_tokens</c>, <c>layers.N.self_attn.q_proj</c> …, <c>norm</c>).
/// </summary>
public sealed class LlamaModel : DecoderBackbone
{
    private readonly Embedding embed_tokens;
    private readonly InputEmbeddingSite input_site;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding rotary;
    private readonly SiteRegistry sites;

    public override DecoderConfig Config { get; }
    public override string BaseModelPrefix => "model";
    public override SiteRegistry Sites => sites;
    public override Embedding TokenEmbeddings => embed_tokens;
    protected override InputEmbeddingSite InputSite => input_site;

    public LlamaModel(DecoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaModel))
    {
        if (config.IsGpt2) throw new ArgumentException("LlamaModel builds llama, mistral and qwen2; use Gpt2Model for gpt2.");
        Config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId, device: device, dtype: dtype);
        input_site = new InputEmbeddingSite(config.HiddenSize, config.MaxPositionEmbeddings);
        layers = new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, device, dtype)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.NormEps, device, dtype);
        rotary = new RotaryEmbedding(config);
        RegisterComponents();
        sites = SiteRegistry.Discover(this, config.NumHiddenLayers, config.HiddenSize);
    }

    protected override Tensor RunBlocks(Tensor tokens, Tensor positions, Tensor attentionBias, KeyValueCache? cache, Tensor? interventionMask)
    {
        var (cos, sin) = rotary.CosSin(positions, tokens.dtype);
        var hidden = tokens;
        foreach (var layer in layers) hidden = layer.call(hidden, new RotaryAngles(cos, sin), attentionBias, cache, interventionMask);
        return norm.call(hidden);
    }
}

/// <summary>cos/sin [B, 1, T, d] of one forward pass, shared by every layer.</summary>
internal sealed record RotaryAngles(Tensor Cos, Tensor Sin);

internal sealed class LlamaDecoderLayer : nn.Module<Tensor, RotaryAngles, Tensor, KeyValueCache?, Tensor?, Tensor>
{
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly RmsNorm input_layernorm;
    private readonly RmsNorm post_attention_layernorm;
    private readonly ResidualSite attn_residual_site;
    private readonly ResidualSite mlp_residual_site;
    private readonly HiddenStateSite output_site;

    public LlamaDecoderLayer(DecoderConfig c, int index, Device? device, ScalarType? dtype) : base("layer")
    {
        self_attn = new LlamaAttention(c, index, device, dtype);
        mlp = new LlamaMlp(c, index, device, dtype);
        input_layernorm = new RmsNorm(c.HiddenSize, c.NormEps, device, dtype);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.NormEps, device, dtype);
        attn_residual_site = new ResidualSite(SiteRoles.AfterAttention, index, c.HiddenSize);
        mlp_residual_site = new ResidualSite(SiteRoles.AfterMlp, index, c.HiddenSize);
        output_site = new HiddenStateSite(index, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, RotaryAngles angles, Tensor bias, KeyValueCache? cache, Tensor? interventionMask)
    {
        var h = hidden + attn_residual_site.call(self_attn.call(input_layernorm.call(hidden), angles, bias, cache));
        h = h + mlp_residual_site.call(mlp.call(post_attention_layernorm.call(h)));
        return interventionMask is null ? h : output_site.call(h, interventionMask);
    }
}

internal sealed class LlamaAttention : nn.Module<Tensor, RotaryAngles, Tensor, KeyValueCache?, Tensor>
{
    private readonly AdaptableLinear q_proj;
    private readonly AdaptableLinear k_proj;
    private readonly AdaptableLinear v_proj;
    private readonly AdaptableLinear o_proj;
    private readonly KeyValuePrefixSite prefix_site;
    private readonly int layer;
    private readonly long heads, kvHeads, headDim;
    private readonly double attentionDropout;

    public LlamaAttention(DecoderConfig c, int index, Device? device, ScalarType? dtype) : base("self_attn")
    {
        layer = index;
        heads = c.NumAttentionHeads;
        kvHeads = c.NumKeyValueHeads;
        headDim = c.HeadDim;
        attentionDropout = c.AttentionDropout;
        var qkvBias = c.AttentionBias;
        var outputBias = c.AttentionBias && c.ModelType != "qwen2";
        q_proj = new AdaptableLinear(c.HiddenSize, heads * headDim, SiteRoles.Query, index, qkvBias, device, dtype: dtype);
        k_proj = new AdaptableLinear(c.HiddenSize, kvHeads * headDim, SiteRoles.Key, index, qkvBias, device, dtype: dtype);
        v_proj = new AdaptableLinear(c.HiddenSize, kvHeads * headDim, SiteRoles.Value, index, qkvBias, device, dtype: dtype);
        o_proj = new AdaptableLinear(heads * headDim, c.HiddenSize, SiteRoles.AttentionOutput, index, outputBias, device, dtype: dtype);
        // Prefixes are per key/value head, as huggingface/peft sizes them for grouped-query models.
        prefix_site = new KeyValuePrefixSite(index, kvHeads, headDim, shiftsPositions: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, RotaryAngles angles, Tensor bias, KeyValueCache? cache)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        var q = q_proj.call(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(batch, length, kvHeads, headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, angles.Cos, angles.Sin);
        k = RotaryEmbedding.Apply(k, angles.Cos, angles.Sin);
        // Gated prompts (LLaMA-Adapter) are projected without rotation, as huggingface/peft's adaption prompt.
        (Tensor, Tensor) Project(Tensor p) => (
            k_proj.call(p).view(1, -1, kvHeads, headDim).transpose(1, 2),
            v_proj.call(p).view(1, -1, kvHeads, headDim).transpose(1, 2));
        var context = DecoderAttention.Attend(q, k, v, bias, prefix_site, cache, layer, training ? attentionDropout : 0.0, Project);
        return o_proj.call(context);
    }
}

internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear gate_proj;
    private readonly AdaptableLinear up_proj;
    private readonly AdaptableLinear down_proj;
    private readonly string activation;

    public LlamaMlp(DecoderConfig c, int index, Device? device, ScalarType? dtype) : base("mlp")
    {
        gate_proj = new AdaptableLinear(c.HiddenSize, c.IntermediateSize, SiteRoles.MlpGate, index, c.MlpBias, device, dtype: dtype);
        up_proj = new AdaptableLinear(c.HiddenSize, c.IntermediateSize, SiteRoles.MlpUp, index, c.MlpBias, device, dtype: dtype);
        down_proj = new AdaptableLinear(c.IntermediateSize, c.HiddenSize, SiteRoles.MlpDown, index, c.MlpBias, device, dtype: dtype);
        activation = c.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) =>
        down_proj.call(Activations.Apply(activation, gate_proj.call(hidden)) * up_proj.call(hidden));
}
