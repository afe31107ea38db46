using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// Supplies per-layer key/value prefixes to self-attention (prefix tuning, P-tuning v2). Returns tensors of
/// shape [B, heads, l, head_dim] that the attention concatenates in front of its own keys and values, so the
/// queries attend to prefix and text under one softmax.
/// </summary>
public abstract class KeyValuePrefix : nn.Module
{
    protected KeyValuePrefix(string name) : base(name) { }
    public abstract long Length { get; }
    public abstract (Tensor Keys, Tensor Values) Prefix(long batchSize);
}

/// <summary>
/// A second attention over learned prompt positions with its own softmax, added to the attention context before
/// the output projection (LLaMA-Adapter's gated adaption prompt). The prompt's keys and values are the layer's own
/// key/value projections of learned vectors, which the host attention computes through <c>project</c>.
/// </summary>
public abstract class AttentionPrompt : nn.Module
{
    protected AttentionPrompt(string name) : base(name) { }

    /// <param name="queries">[B, heads, T, head_dim], after rotary positions where the family has them.</param>
    /// <param name="project">The layer's key and value projections of hidden vectors [1, l, d], as [1, kv heads, l, head_dim] each.</param>
    /// <returns>[B, heads, T, head_dim], added to the attention context.</returns>
    public abstract Tensor Context(Tensor queries, Func<Tensor, (Tensor Keys, Tensor Values)> project);
}

/// <summary>
/// The attention hook of one layer: an optional key/value prefix (one softmax over prefix and text) and an optional
/// gated prompt attention (a separate softmax). Where <see cref="ShiftsPositions"/>, the prefix occupies the first
/// positions as Hugging Face's <c>past_key_values</c> do (the text's position ids start at the prefix length), which is
/// what huggingface/peft, Li &amp; Liang's and P-tuning v2's releases compute on BERT, RoBERTa, GPT-2 and LLaMA; ViT and
/// AST positions belong to patches and do not move.
/// </summary>
public sealed class KeyValuePrefixSite : nn.Module
{
    private KeyValuePrefix? prefix;
    private AttentionPrompt? prompt;

    public int LayerIndex { get; }
    /// <summary>Key/value heads: the prefix is per key/value head (grouped-query attention repeats it for the query heads).</summary>
    public long Heads { get; }
    public long HeadDim { get; }
    /// <summary>Whether an attached prefix moves the text's position ids by its length (text backbones).</summary>
    public bool ShiftsPositions { get; }
    public string Path { get; internal set; } = "";
    public KeyValuePrefix? Current => prefix;
    public AttentionPrompt? Prompt => prompt;

    public KeyValuePrefixSite(int layerIndex, long heads, long headDim, bool shiftsPositions = false) : base(nameof(KeyValuePrefixSite))
    {
        LayerIndex = layerIndex;
        Heads = heads;
        HeadDim = headDim;
        ShiftsPositions = shiftsPositions;
        RegisterComponents();
    }

    public void Attach(string name, KeyValuePrefix p)
    {
        if (prefix is not null) throw new InvalidOperationException($"{Path}: a key/value prefix is already attached.");
        register_module(name, p);
        prefix = p;
    }

    public void Attach(string name, AttentionPrompt p)
    {
        if (prompt is not null) throw new InvalidOperationException($"{Path}: an attention prompt is already attached.");
        register_module(name, p);
        prompt = p;
    }

    /// <summary>
    /// <paramref name="keys"/> and <paramref name="values"/> ([B, kv heads, T, head_dim]) with the prefix in front, in their
    /// dtype; unchanged without a prefix. The caller extends its mask by <see cref="KeyValuePrefix.Length"/> attended positions.
    /// </summary>
    public (Tensor Keys, Tensor Values) Prepend(Tensor keys, Tensor values)
    {
        if (prefix is null) return (keys, values);
        var (pk, pv) = prefix.Prefix(keys.shape[0]);
        return (cat(new[] { pk.to_type(keys.dtype), keys }, 2), cat(new[] { pv.to_type(values.dtype), values }, 2));
    }

    /// <summary><paramref name="context"/> [B, heads, T, head_dim] plus the gated prompt's term; unchanged without one.</summary>
    public Tensor AddPromptContext(Tensor context, Tensor queries, Func<Tensor, (Tensor Keys, Tensor Values)> project) =>
        prompt is null ? context : context + prompt.Context(queries, project).to_type(context.dtype);
}
