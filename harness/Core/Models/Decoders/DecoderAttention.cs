using PeftBench.Core.Sites;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// The attention step GPT-2 and LLaMA share once q, k and v are projected (and rotated): extend with the cache,
/// prepend a key/value prefix if one is attached, repeat key/value heads for grouped-query attention (Ainslie et
/// al., 2023), and run scaled dot-product attention under the additive mask.
/// </summary>
internal static class DecoderAttention
{
    /// <param name="q">[B, heads, T, d]</param>
    /// <param name="k">[B, kv heads, T, d] (this step's keys)</param>
    /// <param name="v">[B, kv heads, T, d]</param>
    /// <param name="bias">[B, 1, T, past + T] additive mask</param>
    /// <returns>[B, T, heads · d]</returns>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor bias, KeyValuePrefixSite prefixSite, KeyValueCache? cache,
        int layer, double dropout)
    {
        long batch = q.shape[0], heads = q.shape[1], length = q.shape[2], headDim = q.shape[3];
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        if (prefixSite.Current is { } prefix)
        {
            var (pk, pv) = prefix.Prefix(batch);
            k = cat(new[] { pk.to_type(k.dtype), k }, 2);
            v = cat(new[] { pv.to_type(v.dtype), v }, 2);
            bias = cat(new[] { zeros(batch, 1, length, prefix.Length, dtype: bias.dtype, device: bias.device), bias }, 3);
        }
        long groups = heads / k.shape[1];
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        var context = F.scaled_dot_product_attention(q, k, v, bias, dropout);
        return context.transpose(1, 2).reshape(batch, length, heads * headDim);
    }
}
