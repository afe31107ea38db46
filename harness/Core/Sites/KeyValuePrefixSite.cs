using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// Supplies per-layer key/value prefixes to self-attention (prefix tuning, P-tuning v2). Returns tensors of
/// shape [B, heads, l, head_dim] that the attention concatenates in front of its own keys and values.
/// </summary>
public abstract class KeyValuePrefix : nn.Module
{
    protected KeyValuePrefix(string name) : base(name) { }
    public abstract long Length { get; }
    public abstract (Tensor Keys, Tensor Values) Prefix(long batchSize);
}

public sealed class KeyValuePrefixSite : nn.Module
{
    private KeyValuePrefix? prefix;

    public int LayerIndex { get; }
    public long Heads { get; }
    public long HeadDim { get; }
    public string Path { get; internal set; } = "";
    public KeyValuePrefix? Current => prefix;

    public KeyValuePrefixSite(int layerIndex, long heads, long headDim) : base(nameof(KeyValuePrefixSite))
    {
        LayerIndex = layerIndex;
        Heads = heads;
        HeadDim = headDim;
        RegisterComponents();
    }

    public void Attach(string name, KeyValuePrefix p)
    {
        if (prefix is not null) throw new InvalidOperationException($"{Path}: a key/value prefix is already attached.");
        register_module(name, p);
        prefix = p;
    }
}
