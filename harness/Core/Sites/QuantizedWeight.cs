using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// The frozen base weight W₀ of an <see cref="AdaptableLinear"/> held in a quantized form (4-bit NF4 codes with their
/// block constants, integer codes with scales and zero points) in place of the float <c>weight</c>, which
/// <see cref="AdaptableLinear.Quantize"/> frees. The host dequantizes it on every forward (never caching a float copy),
/// so memory holds the quantized form only. Frozen tensors are buffers of this module; a method that trains part of
/// the quantized form (PEQA's scales) registers those as parameters here.
/// </summary>
public abstract class QuantizedWeight : nn.Module
{
    protected QuantizedWeight(string name, long outFeatures, long inFeatures) : base(name)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
    }

    public long OutFeatures { get; }
    public long InFeatures { get; }

    /// <summary>W₀ as the float32 [out, in] matrix the codes stand for, computed now (differentiable in any trained part).</summary>
    public abstract Tensor Dequantize();

    /// <summary>
    /// Bytes the base weight occupies as stored: the packed codes and every per-tensor constant (absmax, scales, zero
    /// points, double-quantization constants), not the float tensor it dequantizes to.
    /// </summary>
    public abstract long StoredBytes { get; }

    /// <summary>Bytes of a tensor as held: elements × element size (a uint8 code tensor counts one byte per element).</summary>
    protected static long BytesOf(Tensor t) => t.numel() * t.ElementSize;
}
