using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// A pretrained network with explicit adapter sites: encoders (BERT, RoBERTa), decoders (GPT-2, LLaMA, Qwen2),
/// ViT and the audio spectrogram transformer all derive from this, so every method attaches to every family
/// through the same <see cref="SiteRegistry"/>.
/// </summary>
public abstract class Backbone : nn.Module
{
    protected Backbone(string name) : base(name) { }

    /// <summary>Hugging Face <c>model_type</c> (<c>bert</c>, <c>gpt2</c>, <c>llama</c>, <c>vit</c> …).</summary>
    public abstract string ModelType { get; }

    /// <summary>
    /// The prefix under which Hugging Face's task models hold this backbone (<c>base_model_prefix</c>:
    /// <c>bert.</c>, <c>roberta.</c>, <c>transformer.</c> for GPT-2, <c>model.</c> for LLaMA, <c>vit.</c> …).
    /// </summary>
    public virtual string BaseModelPrefix => ModelType;

    public abstract long HiddenSize { get; }
    public abstract SiteRegistry Sites { get; }

    /// <summary>The token-embedding table [vocab, d] of text backbones (soft prompts initialise from it); null otherwise.</summary>
    public virtual Tensor? TokenEmbeddingWeight => null;

    /// <summary>Final hidden states [B, T, d] for a batch of this family's inputs.</summary>
    public abstract Tensor Forward(ModelInputs inputs);

    /// <summary>
    /// The sequence-classification head of this family's Hugging Face convention (RoBERTa: dense + out_proj on
    /// the first token; decoders: a bias-free <c>score</c> on the last real token; ViT: a linear classifier on CLS …).
    /// </summary>
    public abstract SequenceHead CreateClassificationHead(long outputs, double dropoutProbability, Device? device = null);
}

/// <summary>A bidirectional encoder over token ids (BERT, RoBERTa).</summary>
public abstract class EncoderBackbone : Backbone
{
    protected EncoderBackbone(string name) : base(name) { }

    /// <summary>Hidden states [B, T + added, d]; position 0 is the first input token (CLS / &lt;s&gt;).</summary>
    public abstract Tensor Encode(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds);

    /// <summary>Longest input in tokens (soft-prompt positions included).</summary>
    public abstract int MaxSequenceLength { get; }

    public override Tensor Forward(ModelInputs inputs) => inputs switch
    {
        TokenBatch t => Encode(t.InputIds, t.AttentionMask, t.TokenTypeIds),
        _ => throw new ArgumentException($"{ModelType} reads token batches, not {inputs.GetType().Name}."),
    };

    /// <summary>
    /// RoBERTa's head for every encoder (BERT's pooler + classifier has the same shapes: H² + H + H·N + N), so
    /// that no untrained pooler enters the comparison.
    /// </summary>
    public override SequenceHead CreateClassificationHead(long outputs, double dropoutProbability, Device? device = null) =>
        new ClassificationHead(HiddenSize, outputs, dropoutProbability, device);
}
