using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// GPT-2 (Radford et al., 2019): learned positions, pre-LayerNorm blocks, a fused q/k/v projection, GELU MLP.
/// Parameter names are transformers' <c>GPT2Model</c> (<c>wte</c>, <c>wpe</c>, <c>h.N.attn.c_attn</c> …, <c>ln_f</c>).
/// GPT-2's <c>Conv1D</c> stores weights as [in, out]; here every projection is an <see cref="AdaptableLinear"/>
/// holding [out, in] with <c>checkpointTransposed</c> set, and the loader and writer transpose.
/// </summary>
public sealed class Gpt2Model : DecoderBackbone
{
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly InputEmbeddingSite input_site;
    private readonly Dropout drop;
    private readonly ModuleList<Gpt2Block> h;
    private readonly LayerNorm ln_f;
    private readonly SiteRegistry sites;

    public override DecoderConfig Config { get; }
    public override string BaseModelPrefix => "transformer";
    public override SiteRegistry Sites => sites;
    public override Embedding TokenEmbeddings => wte;
    protected override InputEmbeddingSite InputSite => input_site;

    public Gpt2Model(DecoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(Gpt2Model))
    {
        if (!config.IsGpt2) throw new ArgumentException($"Gpt2Model builds model_type gpt2, not {config.ModelType}.");
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        wpe = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, device: device, dtype: dtype);
        input_site = new InputEmbeddingSite(config.HiddenSize, config.MaxPositionEmbeddings);
        drop = nn.Dropout(config.EmbeddingDropout);
        h = new ModuleList<Gpt2Block>(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new Gpt2Block(config, i, device, dtype)).ToArray());
        ln_f = nn.LayerNorm(config.HiddenSize, eps: config.NormEps, device: device, dtype: dtype);
        RegisterComponents();
        sites = SiteRegistry.Discover(this, config.NumHiddenLayers, config.HiddenSize);
    }

    protected override Tensor RunBlocks(Tensor tokens, Tensor positions, Tensor attentionBias, KeyValueCache? cache, Tensor? interventionMask)
    {
        if (positions.numel() > 0 && positions.max().item<long>() >= Config.MaxPositionEmbeddings)
            throw new ArgumentException($"position {positions.max().item<long>()} exceeds GPT-2's {Config.MaxPositionEmbeddings} learned positions (n_positions).");
        var hidden = drop.call(tokens + wpe.call(positions));
        foreach (var block in h) hidden = block.call(hidden, attentionBias, cache, interventionMask);
        return ln_f.call(hidden);
    }
}

internal sealed class Gpt2Block : nn.Module<Tensor, Tensor, KeyValueCache?, Tensor?, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly Gpt2Attention attn;
    private readonly ResidualSite attn_residual_site;
    private readonly LayerNorm ln_2;
    private readonly Gpt2Mlp mlp;
    private readonly ResidualSite mlp_residual_site;
    private readonly HiddenStateSite output_site;

    public Gpt2Block(DecoderConfig c, int index, Device? device, ScalarType? dtype) : base("block")
    {
        ln_1 = nn.LayerNorm(c.HiddenSize, eps: c.NormEps, device: device, dtype: dtype);
        attn = new Gpt2Attention(c, index, device, dtype);
        attn_residual_site = new ResidualSite(SiteRoles.AfterAttention, index, c.HiddenSize);
        ln_2 = nn.LayerNorm(c.HiddenSize, eps: c.NormEps, device: device, dtype: dtype);
        mlp = new Gpt2Mlp(c, index, device, dtype);
        mlp_residual_site = new ResidualSite(SiteRoles.AfterMlp, index, c.HiddenSize);
        output_site = new HiddenStateSite(index, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor bias, KeyValueCache? cache, Tensor? interventionMask)
    {
        var h = hidden + attn_residual_site.call(attn.call(ln_1.call(hidden), bias, cache));
        h = h + mlp_residual_site.call(mlp.call(ln_2.call(h)));
        return interventionMask is null ? h : output_site.call(h, interventionMask);
    }
}

internal sealed class Gpt2Attention : nn.Module<Tensor, Tensor, KeyValueCache?, Tensor>
{
    private readonly AdaptableLinear c_attn;
    private readonly AdaptableLinear c_proj;
    private readonly Dropout resid_dropout;
    private readonly KeyValuePrefixSite prefix_site;
    private readonly int layer;
    private readonly long heads, headDim, width;
    private readonly double attentionDropout;

    public Gpt2Attention(DecoderConfig c, int index, Device? device, ScalarType? dtype) : base("attn")
    {
        layer = index;
        width = c.HiddenSize;
        heads = c.NumAttentionHeads;
        headDim = c.HeadDim;
        attentionDropout = c.AttentionDropout;
        c_attn = new AdaptableLinear(width, 3 * width, SiteRoles.FusedQkv, index, device: device, checkpointTransposed: true, dtype: dtype);
        c_proj = new AdaptableLinear(width, width, SiteRoles.AttentionOutput, index, device: device, checkpointTransposed: true, dtype: dtype);
        resid_dropout = nn.Dropout(c.ResidualDropout);
        prefix_site = new KeyValuePrefixSite(index, heads, headDim, shiftsPositions: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor bias, KeyValueCache? cache)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        var qkv = c_attn.call(hidden).split(width, 2);
        Tensor Split(Tensor t) => t.view(t.shape[0], t.shape[1], heads, headDim).transpose(1, 2);
        (Tensor, Tensor) Project(Tensor p)
        {
            var parts = c_attn.call(p).split(width, 2);
            return (Split(parts[1]), Split(parts[2]));
        }
        var context = DecoderAttention.Attend(Split(qkv[0]), Split(qkv[1]), Split(qkv[2]), bias, prefix_site, cache, layer,
            training ? attentionDropout : 0.0, Project);
        return resid_dropout.call(c_proj.call(context));
    }
}

internal sealed class Gpt2Mlp : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear c_fc;
    private readonly AdaptableLinear c_proj;
    private readonly Dropout dropout;
    private readonly string activation;

    public Gpt2Mlp(DecoderConfig c, int index, Device? device, ScalarType? dtype) : base("mlp")
    {
        c_fc = new AdaptableLinear(c.HiddenSize, c.IntermediateSize, SiteRoles.MlpUp, index, device: device, checkpointTransposed: true, dtype: dtype);
        c_proj = new AdaptableLinear(c.IntermediateSize, c.HiddenSize, SiteRoles.MlpDown, index, device: device, checkpointTransposed: true, dtype: dtype);
        dropout = nn.Dropout(c.ResidualDropout);
        activation = c.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => dropout.call(c_proj.call(Activations.Apply(activation, c_fc.call(hidden))));
}

/// <summary>Hugging Face's activation names (<c>ACT2FN</c>) for the ones decoders use.</summary>
internal static class Activations
{
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu_new" or "gelu_pytorch_tanh" => F.gelu(x, GELU.Approximate.tanh),
        "gelu" => F.gelu(x),
        "relu" => F.relu(x),
        "silu" => F.silu(x),
        _ => throw new ArgumentException($"activation '{name}' is not supported."),
    };
}
