using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face's <c>ViTEncoder</c>, which <c>ASTEncoder</c> copies verbatim: a stack of pre-norm blocks with the
/// names <c>layer.N.layernorm_before</c>, <c>layer.N.attention.attention.{query,key,value}</c>,
/// <c>layer.N.attention.output.dense</c>, <c>layer.N.layernorm_after</c>, <c>layer.N.intermediate.dense</c> and
/// <c>layer.N.output.dense</c>. Written once for both families.
/// </summary>
internal sealed class VitEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<VitLayer> layer;

    public VitEncoder(PatchTransformerConfig c, Device? device, ScalarType? dtype) : base("encoder")
    {
        layer = new ModuleList<VitLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new VitLayer(c, i, device, dtype)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var h = hidden;
        foreach (var block in layer) h = block.call(h);
        return h;
    }
}

/// <summary>
/// One pre-norm block (timm's <c>Block</c>): h += attn(LN₁(h)); h += MLP(LN₂(h)). The residual sites sit on each
/// sublayer's output just before its add, as in the post-norm encoder.
/// </summary>
internal sealed class VitLayer : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm layernorm_before;
    private readonly VitAttention attention;
    private readonly LayerNorm layernorm_after;
    private readonly VitIntermediate intermediate;
    private readonly VitOutput output;
    private readonly HiddenStateSite output_site;

    public VitLayer(PatchTransformerConfig c, int index, Device? device, ScalarType? dtype) : base("layer")
    {
        layernorm_before = nn.LayerNorm(c.HiddenSize, eps: c.LayerNormEps, device: device, dtype: dtype);
        attention = new VitAttention(c, index, device, dtype);
        layernorm_after = nn.LayerNorm(c.HiddenSize, eps: c.LayerNormEps, device: device, dtype: dtype);
        intermediate = new VitIntermediate(c, index, device, dtype);
        output = new VitOutput(c, index, device, dtype);
        output_site = new HiddenStateSite(index, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var h = attention.call(layernorm_before.call(hidden)) + hidden;
        return output_site.call(output.call(intermediate.call(layernorm_after.call(h)), h), null);
    }
}

internal sealed class VitAttention : nn.Module<Tensor, Tensor>
{
    private readonly VitSelfAttention attention;
    private readonly VitSelfOutput output;

    public VitAttention(PatchTransformerConfig c, int index, Device? device, ScalarType? dtype) : base("attention")
    {
        attention = new VitSelfAttention(c, index, device, dtype);
        output = new VitSelfOutput(c, index, device, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => output.call(attention.call(hidden));
}

/// <summary>Multi-head self-attention over every token (images and spectrograms are never padded, so no mask).</summary>
internal sealed class VitSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear query;
    private readonly AdaptableLinear key;
    private readonly AdaptableLinear value;
    private readonly KeyValuePrefixSite prefix_site;
    private readonly long heads;
    private readonly long headDim;
    private readonly double dropoutProbability;

    public VitSelfAttention(PatchTransformerConfig c, int index, Device? device, ScalarType? dtype) : base("attention")
    {
        heads = c.NumAttentionHeads;
        headDim = c.HiddenSize / c.NumAttentionHeads;
        query = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.Query, index, c.QkvBias, device, dtype: dtype);
        key = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.Key, index, c.QkvBias, device, dtype: dtype);
        value = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.Value, index, c.QkvBias, device, dtype: dtype);
        prefix_site = new KeyValuePrefixSite(index, heads, headDim);
        dropoutProbability = c.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Split(Tensor t) => t.view(t.shape[0], -1, heads, headDim).transpose(1, 2);
        var q = Split(query.call(hidden));
        var (k, v) = prefix_site.Prepend(Split(key.call(hidden)), Split(value.call(hidden)));
        var context = F.scaled_dot_product_attention(q, k, v, null, training ? dropoutProbability : 0.0);
        context = prefix_site.AddPromptContext(context, q, p => (Split(key.call(p)), Split(value.call(p))));
        return context.transpose(1, 2).reshape(batch, length, heads * headDim);
    }
}

/// <summary>ViTSelfOutput: dense → dropout → residual site (the block adds the residual).</summary>
internal sealed class VitSelfOutput : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear dense;
    private readonly Dropout dropout;
    private readonly ResidualSite residual_site;

    public VitSelfOutput(PatchTransformerConfig c, int index, Device? device, ScalarType? dtype) : base("output")
    {
        dense = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.AttentionOutput, index, device: device, dtype: dtype);
        dropout = nn.Dropout(c.HiddenDropoutProb);
        residual_site = new ResidualSite(SiteRoles.AfterAttention, index, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor context) => residual_site.call(dropout.call(dense.call(context)));
}

internal sealed class VitIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear dense;
    private readonly string activation;

    public VitIntermediate(PatchTransformerConfig c, int index, Device? device, ScalarType? dtype) : base("intermediate")
    {
        dense = new AdaptableLinear(c.HiddenSize, c.IntermediateSize, SiteRoles.MlpUp, index, device: device, dtype: dtype);
        activation = c.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var h = dense.call(hidden);
        return activation switch
        {
            "relu" => F.relu(h),
            "gelu_new" or "gelu_pytorch_tanh" => F.gelu(h, GELU.Approximate.tanh),
            _ => F.gelu(h),
        };
    }
}

/// <summary>ViTOutput: dense → dropout → residual site → + residual.</summary>
internal sealed class VitOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly AdaptableLinear dense;
    private readonly Dropout dropout;
    private readonly ResidualSite residual_site;

    public VitOutput(PatchTransformerConfig c, int index, Device? device, ScalarType? dtype) : base("output")
    {
        dense = new AdaptableLinear(c.IntermediateSize, c.HiddenSize, SiteRoles.MlpDown, index, device: device, dtype: dtype);
        dropout = nn.Dropout(c.HiddenDropoutProb);
        residual_site = new ResidualSite(SiteRoles.AfterMlp, index, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor mlp, Tensor residual) => residual_site.call(dropout.call(dense.call(mlp))) + residual;
}
