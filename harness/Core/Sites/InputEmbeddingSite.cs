using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// Transforms the token embeddings (and the attention mask with them) before positions are added and the
/// blocks run: soft prompts insert virtual tokens here. The first position (CLS) is kept first so that
/// pooling heads still read it.
/// </summary>
public abstract class InputEmbeddingTransform : nn.Module
{
    protected InputEmbeddingTransform(string name) : base(name) { }

    /// <summary>Number of positions this transform adds to every sequence.</summary>
    public abstract long AddedPositions { get; }

    /// <param name="embeddings">[B, T, d] token embeddings.</param>
    /// <param name="attentionMask">[B, T] with 1 for real tokens.</param>
    public abstract (Tensor Embeddings, Tensor AttentionMask) Transform(Tensor embeddings, Tensor attentionMask);
}

/// <summary>What the sequence at an input site is made of: token embeddings (text) or patch embeddings (images, spectrograms).</summary>
public enum InputKind { Tokens, Patches }

public sealed class InputEmbeddingSite : nn.Module
{
    private InputEmbeddingTransform? transform;

    public long Width { get; }
    /// <summary>Longest sequence the backbone accepts, inserted positions included (soft prompts must leave room for text).</summary>
    public int MaxSequenceLength { get; }
    /// <summary>Tokens or patches: visual prompts (VPT) apply to patch sequences only, text prompts need a vocabulary.</summary>
    public InputKind Kind { get; }
    /// <summary>Positions of the full sequence in front of inserted prompts: [CLS] (1); CLS and AST's distillation token (2).</summary>
    public int LeadingTokens { get; }
    public InputEmbeddingTransform? Current => transform;
    public long AddedPositions => transform?.AddedPositions ?? 0;

    public InputEmbeddingSite(long width, int maxSequenceLength = int.MaxValue, InputKind kind = InputKind.Tokens, int leadingTokens = 1)
        : base(nameof(InputEmbeddingSite))
    {
        Width = width;
        MaxSequenceLength = maxSequenceLength;
        Kind = kind;
        LeadingTokens = leadingTokens;
        RegisterComponents();
    }

    public void Attach(string name, InputEmbeddingTransform t)
    {
        if (transform is not null) throw new InvalidOperationException("The input-embedding site already holds a transform.");
        register_module(name, t);
        transform = t;
    }

    public (Tensor Embeddings, Tensor AttentionMask) Apply(Tensor embeddings, Tensor attentionMask) =>
        transform is null ? (embeddings, attentionMask) : transform.Transform(embeddings, attentionMask);
}
