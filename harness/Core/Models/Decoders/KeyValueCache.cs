using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, plus their attention mask, so that each generated
/// token attends to the prefix without recomputing it. Keys are stored after RoPE and before grouped-query
/// repetition ([B, kv heads, T, head_dim]); key/value prefixes of prefix tuning are not cached (they are
/// prepended afresh at every step). Long-lived across a generation loop's per-step dispose scopes: the loop moves
/// <see cref="Tensors"/> out of each step's scope, and superseded tensors are disposed as they are replaced.
/// </summary>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] keys;
    private readonly Tensor?[] values;

    public KeyValueCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Mask [B, Length] of the cached positions (1 = real token), soft-prompt positions included.</summary>
    public Tensor? AttentionMask { get; private set; }
    public long Length => AttentionMask?.shape[1] ?? 0;

    /// <summary>Appends this step's keys/values of <paramref name="layer"/> and returns the whole sequence's.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var (oldK, oldV) = (keys[layer], values[layer]);
        keys[layer] = oldK is null ? k : cat(new[] { oldK, k }, 2);
        values[layer] = oldV is null ? v : cat(new[] { oldV, v }, 2);
        // Under autograd the old tensors may still be needed for backward; otherwise free them now.
        if (!is_grad_enabled()) { oldK?.Dispose(); oldV?.Dispose(); }
        return (keys[layer]!, values[layer]!);
    }

    internal void Advance(Tensor fullMask)
    {
        var old = AttentionMask;
        AttentionMask = fullMask;
        if (!ReferenceEquals(old, fullMask) && !is_grad_enabled()) old?.Dispose();
    }

    /// <summary>Every tensor the cache holds (to move out of a dispose scope).</summary>
    public IEnumerable<Tensor> Tensors() =>
        keys.Concat(values).Append(AttentionMask).Where(t => t is not null).Select(t => t!);

    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
        AttentionMask = null;
    }
}
