using PeftBench.Core.Sites;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// The attention step GPT-2 and LLaMA share once q, k and v are projected (and rotated): extend with the cache,
/// prepend a key/value prefix if one is attached (after rotation: prefix keys carry no rotary position, as in
/// huggingface/peft, and are prepended afresh at every generation step rather than cached), repeat key/value heads
/// for grouped-query attention (Ainslie et al., 2023), run scaled dot-product attention under the additive mask, and
/// add a gated prompt attention's term where one is attached.
/// </summary>
internal static class DecoderAttention
{
    /// <param name="q">[B, heads, T, d]</param>
    /// <param name="k">[B, kv heads, T, d] (this step's keys)</param>
    /// <param name="v">[B, kv heads, T, d]</param>
    /// <param name="bias">[B, 1, T, past + T] additive mask</param>
    /// <param name="project">The layer's key/value projection of hidden vectors [1, l, d] to [1, kv heads, l, d] (no rotation).</param>
    /// <returns>[B, T, heads · d]</returns>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor bias, KeyValuePrefixSite prefixSite, KeyValueCache? cache,
        int layer, double dropout, Func<Tensor, (Tensor Keys, Tensor Values)> project)
    {
        long batch = q.shape[0], heads = q.shape[1], length = q.shape[2], headDim = q.shape[3];
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        (k, v) = prefixSite.Prepend(k, v);
        if (prefixSite.Current is { } prefix)
            bias = cat(new[] { zeros(batch, 1, length, prefix.Length, dtype: bias.dtype, device: bias.device), bias }, 3);
        long groups = heads / k.shape[1];
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        var context = F.scaled_dot_product_attention(q, k, v, bias, dropout);
        context = prefixSite.AddPromptContext(context, q, project);
        return context.transpose(1, 2).reshape(batch, length, heads * headDim);
    }
}
