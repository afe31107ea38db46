using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// A pretrained network with explicit adapter sites. Encoders map token ids to hidden states; other families
/// (decoders, ViT, audio) derive from this too.
/// </summary>
public abstract class Backbone : nn.Module
{
    protected Backbone(string name) : base(name) { }

    /// <summary>Hugging Face <c>model_type</c>, also the prefix its checkpoints use (<c>bert.</c>, <c>roberta.</c>).</summary>
    public abstract string ModelType { get; }
    public abstract long HiddenSize { get; }
    public abstract SiteRegistry Sites { get; }
}

/// <summary>A bidirectional encoder over token ids (BERT, RoBERTa).</summary>
public abstract class EncoderBackbone : Backbone
{
    protected EncoderBackbone(string name) : base(name) { }

    /// <summary>Hidden states [B, T + added, d]; position 0 is the first input token (CLS / &lt;s&gt;).</summary>
    public abstract Tensor Encode(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds);

    /// <summary>Longest input in tokens (soft-prompt positions included).</summary>
    public abstract int MaxSequenceLength { get; }
}
