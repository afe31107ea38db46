using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// BERT / RoBERTa encoder (Devlin et al., 2019; Liu et al., 2019) with Hugging Face parameter names
/// (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c> …), so the
/// state dict of a <c>BertModel</c>/<c>RobertaModel</c> loads unchanged. Every projection is an
/// <see cref="AdaptableLinear"/>; each block has residual sites after attention and after the MLP, and a
/// key/value prefix site; the embeddings have an input site for soft prompts. The pooler is omitted: heads
/// read the first token themselves (RoBERTa-style), so an untrained pooler never enters the comparison.
/// </summary>
public sealed class BertEncoder : EncoderBackbone
{
    private readonly BertEmbeddings embeddings;
    private readonly BertStack encoder;
    private readonly SiteRegistry sites;

    public EncoderConfig Config { get; }
    public override string ModelType => Config.ModelType;
    public override long HiddenSize => Config.HiddenSize;
    public override SiteRegistry Sites => sites;
    public override int MaxSequenceLength => Config.MaxSequenceLength;

    public BertEncoder(EncoderConfig config, Device? device = null) : base(nameof(BertEncoder))
    {
        Config = config;
        embeddings = new BertEmbeddings(config, device);
        encoder = new BertStack(config, device);
        RegisterComponents();
        sites = SiteRegistry.Discover(this, config.NumHiddenLayers, config.HiddenSize);
    }

    public Embedding WordEmbeddings => embeddings.WordEmbeddings;
    public override Tensor? TokenEmbeddingWeight => embeddings.WordEmbeddings.weight;

    public override Tensor Encode(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds)
    {
        var (hidden, mask) = embeddings.call(inputIds, attentionMask, tokenTypeIds, sites.PrefixPositions);
        return encoder.call(hidden, mask);
    }
}

/// <summary>
/// Word + position + segment embeddings, LayerNorm, dropout. Position ids start after the key/value prefix where one is
/// attached (<c>prefixPositions</c>), as Hugging Face's BERT and RoBERTa number them after <c>past_key_values</c>.
/// </summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor?, long, (Tensor, Tensor)>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly InputEmbeddingSite input_site;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly EncoderConfig config;

    public Embedding WordEmbeddings => word_embeddings;

    public BertEmbeddings(EncoderConfig c, Device? device) : base("embeddings")
    {
        config = c;
        word_embeddings = nn.Embedding(c.VocabSize, c.HiddenSize, padding_idx: c.PadTokenId, device: device);
        position_embeddings = nn.Embedding(c.MaxPositionEmbeddings, c.HiddenSize, device: device);
        token_type_embeddings = nn.Embedding(c.TypeVocabSize, c.HiddenSize, device: device);
        input_site = new InputEmbeddingSite(c.HiddenSize, c.MaxSequenceLength);
        LayerNorm = nn.LayerNorm(c.HiddenSize, eps: c.LayerNormEps, device: device);
        dropout = nn.Dropout(c.HiddenDropoutProb);
        RegisterComponents();
    }

    public override (Tensor, Tensor) forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds, long prefixPositions)
    {
        var words = word_embeddings.call(inputIds);
        var (tokens, mask) = input_site.Apply(words, attentionMask);
        long batch = tokens.shape[0], length = tokens.shape[1];
        if (length + prefixPositions > config.MaxSequenceLength)
            throw new ArgumentException(prefixPositions == 0
                ? $"Sequence of {length} positions exceeds the model's {config.MaxSequenceLength} (max_position_embeddings)."
                : $"Sequence of {length} positions after a prefix of {prefixPositions} exceeds the model's {config.MaxSequenceLength} (max_position_embeddings).");
        var types = tokenTypeIds ?? zeros(batch, inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device);
        var added = input_site.AddedPositions;
        if (added > 0)
        {
            // Inserted virtual tokens sit right after the first token and take segment 0 (as PEFT does).
            var fill = zeros(batch, added, dtype: ScalarType.Int64, device: types.device);
            types = cat(new[] { types.narrow(1, 0, 1), fill, types.narrow(1, 1, types.shape[1] - 1) }, 1);
        }
        var first = config.PositionOffset + prefixPositions;
        var positions = arange(first, first + length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var sum = tokens + position_embeddings.call(positions) + token_type_embeddings.call(types);
        return (dropout.call(LayerNorm.call(sum)), mask);
    }
}

internal sealed class BertStack : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    public BertStack(EncoderConfig c, Device? device) : base("encoder")
    {
        layer = new ModuleList<BertLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new BertLayer(c, i, device)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        var h = hidden;
        foreach (var block in layer) h = block.call(h, attentionMask);
        return h;
    }
}

internal sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertSublayerOutput output;
    private readonly HiddenStateSite output_site;

    public BertLayer(EncoderConfig c, int index, Device? device) : base("layer")
    {
        attention = new BertAttention(c, index, device);
        intermediate = new BertIntermediate(c, index, device);
        output = new BertSublayerOutput(c.IntermediateSize, c.HiddenSize, SiteRoles.MlpDown, SiteRoles.AfterMlp, index, c, device);
        output_site = new HiddenStateSite(index, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        var attended = attention.call(hidden, attentionMask);
        return output_site.call(output.call(intermediate.call(attended), attended), attentionMask);
    }
}

internal sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertSublayerOutput output;

    public BertAttention(EncoderConfig c, int index, Device? device) : base("attention")
    {
        self = new BertSelfAttention(c, index, device);
        output = new BertSublayerOutput(c.HiddenSize, c.HiddenSize, SiteRoles.AttentionOutput, SiteRoles.AfterAttention, index, c, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attentionMask) => output.call(self.call(hidden, attentionMask), hidden);
}

internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly AdaptableLinear query;
    private readonly AdaptableLinear key;
    private readonly AdaptableLinear value;
    private readonly KeyValuePrefixSite prefix_site;
    private readonly long heads;
    private readonly long headDim;
    private readonly double dropoutProbability;

    public BertSelfAttention(EncoderConfig c, int index, Device? device) : base("self")
    {
        heads = c.NumAttentionHeads;
        headDim = c.HiddenSize / c.NumAttentionHeads;
        query = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.Query, index, device: device);
        key = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.Key, index, device: device);
        value = new AdaptableLinear(c.HiddenSize, c.HiddenSize, SiteRoles.Value, index, device: device);
        prefix_site = new KeyValuePrefixSite(index, heads, headDim, shiftsPositions: true);
        dropoutProbability = c.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Split(Tensor t) => t.view(t.shape[0], -1, heads, headDim).transpose(1, 2);
        var q = Split(query.call(hidden));
        var (k, v) = prefix_site.Prepend(Split(key.call(hidden)), Split(value.call(hidden)));
        var keyMask = attentionMask;
        if (prefix_site.Current is { } prefix)
            keyMask = cat(new[] { ones(batch, prefix.Length, dtype: attentionMask.dtype, device: attentionMask.device), attentionMask }, 1);
        // Additive mask: 0 where attended, a large negative number on padding (as Hugging Face's extended mask).
        var bias = (1.0f - keyMask.to_type(q.dtype)).mul(-1e9f).view(batch, 1, 1, -1);
        var context = F.scaled_dot_product_attention(q, k, v, bias, training ? dropoutProbability : 0.0);
        context = prefix_site.AddPromptContext(context, q, p => (Split(key.call(p)), Split(value.call(p))));
        return context.transpose(1, 2).reshape(batch, length, heads * headDim);
    }
}

/// <summary>BertSelfOutput / BertOutput: dense → dropout → residual site → LayerNorm(· + residual).</summary>
internal sealed class BertSublayerOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly AdaptableLinear dense;
    private readonly ResidualSite residual_site;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertSublayerOutput(long inFeatures, long hidden, string linearRole, string residualRole, int index, EncoderConfig c, Device? device)
        : base("output")
    {
        dense = new AdaptableLinear(inFeatures, hidden, linearRole, index, device: device);
        residual_site = new ResidualSite(residualRole, index, hidden);
        LayerNorm = nn.LayerNorm(hidden, eps: c.LayerNormEps, device: device);
        dropout = nn.Dropout(c.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor sublayerOutput, Tensor residual) =>
        LayerNorm.call(residual_site.call(dropout.call(dense.call(sublayerOutput))) + residual);
}

internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear dense;
    private readonly string activation;

    public BertIntermediate(EncoderConfig c, int index, Device? device) : base("intermediate")
    {
        dense = new AdaptableLinear(c.HiddenSize, c.IntermediateSize, SiteRoles.MlpUp, index, device: device);
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
