// NF4 with double quantization — Dettmers, Pagnoni, Holtzman & Zettlemoyer, "QLoRA: Efficient Finetuning of Quantized
// LLMs", NeurIPS 2023 (arXiv 2305.14314), §3, as bitsandbytes implements it (bitsandbytes/functional.py:
// get_4bit_type("nf4"), quantize_4bit, quantize_blockwise, create_dynamic_map; csrc kQuantizeBlockwise / dQuantizeNF4).
//
// 4-bit NormalFloat: 16 code values q_i, quantiles of N(0, 1) rescaled to [−1, 1] with an exact zero (7 negative,
// 8 positive values), listed below exactly as bitsandbytes' get_4bit_type("nf4") lists them. A weight W is flattened
// (row-major) and cut into blocks of 64; each block b keeps its absmax c_b = max|W_b| and every element its code
// index argmin_i |W/c_b − q_i| (ties go to the lower value: bitsandbytes' dQuantizeNF4 compares x > midpoint).
// Dequantization: W ≈ q[index] · c_b. The indices are packed two per byte, the first element of each pair in the
// high nibble (kQuantizeBlockwise: packed = q(x₂ⱼ) << 4 | q(x₂ⱼ₊₁)).
//
// Double quantization (§3 "Double Quantization"; quantize_4bit(compress_statistics=True)): the fp32 absmax constants
// c (one per 64 weights, 0.5 bit per weight) are quantized themselves. bitsandbytes subtracts their mean (offset =
// absmax.mean(); "since c₂ are positive, we subtract the mean … to center the values around zero and make use of
// symmetric quantization"), then quantizes the centred constants blockwise to 8 bits in blocks of 256 with the
// signed dynamic map (create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)), each block keeping its own
// fp32 absmax. Stored per weight tensor of n elements: ⌈n/2⌉ code bytes, ⌈n/64⌉ one-byte absmax codes, ⌈n/64/256⌉
// fp32 second-level absmax values and one fp32 offset (0.127 bit per weight of constants, as the paper says:
// 8/64 + 32/(64·256)). The two code tables (16 and 256 values) are constants of the format, not of the tensor, and
// are not counted. A 768×768 weight: 294,912 + 9,216 + 36·4 + 4 = 304,276 bytes, against 2,359,296 in fp32.

using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>The NF4 data type, blockwise absmax quantization and the 8-bit double quantization of the constants.</summary>
public static class Nf4
{
    /// <summary>Weights per absmax constant (bitsandbytes' default blocksize for 4-bit).</summary>
    public const int BlockSize = 64;

    /// <summary>Absmax constants per second-level constant in double quantization (quantize_blockwise(absmax, blocksize=256)).</summary>
    public const int ConstantBlockSize = 256;

    /// <summary>The 16 NF4 values, ascending, exactly as bitsandbytes' get_4bit_type("nf4").</summary>
    public static IReadOnlyList<float> Values { get; } =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
        0.7229568362236023f, 1.0f,
    ];

    /// <summary>
    /// bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8), the 8-bit code of the
    /// constants: for i = 0…6, the 2^i midpoints of linspace(0.1, 1, 2^i + 1) (float32) times 10^(i − 6), with both
    /// signs, plus 0 and 1; 256 values, sorted.
    /// </summary>
    public static IReadOnlyList<float> DynamicMap { get; } = CreateDynamicMap();

    private static float[] CreateDynamicMap()
    {
        // In float32 throughout, as bitsandbytes computes it with float32 tensors (linspace, midpoints, the scalar product).
        var data = new List<float>();
        for (var i = 0; i < 7; i++)
        {
            var items = (1 << i) + 1;
            var boundaries = new float[items];
            // torch.linspace: start + k·step for the lower half, end − (steps − 1 − k)·step for the upper half.
            var step = (1f - 0.1f) / (items - 1);
            for (var k = 0; k < items; k++)
                boundaries[k] = k < items / 2 ? 0.1f + step * k : 1f - step * (items - 1 - k);
            var scale = (float)Math.Pow(10, i - 6);
            for (var k = 0; k + 1 < items; k++)
            {
                var mean = (boundaries[k] + boundaries[k + 1]) / 2f;
                data.Add(scale * mean);
                data.Add(-(scale * mean));
            }
        }
        data.Add(0f);
        data.Add(1f);
        return data.Order().ToArray();
    }

    /// <summary>
    /// Blockwise absmax quantization of a flat tensor to the nearest value of <paramref name="code"/> (ascending):
    /// per block of <paramref name="blockSize"/> (the last one may be short) the absmax c and each element's index of
    /// the code value nearest x / c. Returns the indices (uint8, one per element) and the absmax constants (float32).
    /// </summary>
    public static (Tensor Indices, Tensor Absmax) QuantizeBlockwise(Tensor flat, int blockSize, IReadOnlyList<float> code)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var n = flat.numel();
        var blocks = (n + blockSize - 1) / blockSize;
        var values = flat.detach().to_type(ScalarType.Float32).reshape(-1);
        var padded = F.pad(values, [0, blocks * blockSize - n]).view(blocks, blockSize);
        var absmax = padded.abs().amax([1]);
        // An all-zero block has absmax 0: divide by 1 instead (every element then takes the code of 0).
        var divisor = where(absmax.gt(0), absmax, ones_like(absmax)).unsqueeze(1);
        var normalized = padded / divisor;
        var codeTensor = tensor(code.ToArray(), device: flat.device);
        var midpoints = (codeTensor.narrow(0, 1, code.Count - 1) + codeTensor.narrow(0, 0, code.Count - 1)) / 2;
        // bucketize(right = false) counts the midpoints strictly below x: x equal to a midpoint takes the lower value.
        var indices = bucketize(normalized.reshape(-1).narrow(0, 0, n).contiguous(), midpoints).to_type(ScalarType.Byte);
        return (indices.MoveToOuterDisposeScope(), absmax.MoveToOuterDisposeScope());
    }

    /// <summary>The inverse of <see cref="QuantizeBlockwise"/>: code[index] · absmax of the element's block, flat float32.</summary>
    public static Tensor DequantizeBlockwise(Tensor indices, Tensor absmax, int blockSize, IReadOnlyList<float> code)
    {
        using var scope = NewDisposeScope();
        var n = indices.numel();
        var codeTensor = tensor(code.ToArray(), device: indices.device);
        var values = codeTensor.index_select(0, indices.reshape(-1).to_type(ScalarType.Int64));
        var blocks = absmax.numel();
        var padded = F.pad(values, [0, blocks * blockSize - n]).view(blocks, blockSize) * absmax.unsqueeze(1);
        return padded.reshape(-1).narrow(0, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Double quantization of the absmax constants (bitsandbytes' compress_statistics): offset = mean(c), then the
    /// centred c − offset quantized blockwise (256) to the 8-bit dynamic map.
    /// </summary>
    public static (Tensor Codes, Tensor Absmax, Tensor Offset) QuantizeConstants(Tensor absmax)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var offset = absmax.mean().reshape(1);
        var (codes, second) = QuantizeBlockwise(absmax - offset, ConstantBlockSize, DynamicMap);
        return (codes.MoveToOuterDisposeScope(), second.MoveToOuterDisposeScope(), offset.MoveToOuterDisposeScope());
    }

    /// <summary>The absmax constants back from their double quantization: dynamic[code] · absmax₂ + offset.</summary>
    public static Tensor DequantizeConstants(Tensor codes, Tensor absmax, Tensor offset) =>
        DequantizeBlockwise(codes, absmax, ConstantBlockSize, DynamicMap) + offset;
}

/// <summary>Two 4-bit codes per byte, the first of each pair in the high nibble (bitsandbytes' layout).</summary>
public static class FourBitPacking
{
    /// <summary>Packs uint8 codes in [0, 16) into ⌈n/2⌉ bytes; an odd count leaves the last low nibble 0.</summary>
    public static Tensor Pack(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var flat = codes.reshape(-1).to_type(ScalarType.Int32);
        if (flat.numel() % 2 == 1) flat = F.pad(flat, [0, 1]);
        var pairs = flat.view(-1, 2);
        var packed = (pairs.select(1, 0) * 16 + pairs.select(1, 1)).to_type(ScalarType.Byte);
        return packed.MoveToOuterDisposeScope();
    }

    /// <summary>The first <paramref name="count"/> codes of <paramref name="packed"/>, as uint8.</summary>
    public static Tensor Unpack(Tensor packed, long count)
    {
        using var scope = NewDisposeScope();
        var bytes = packed.reshape(-1).to_type(ScalarType.Int32);
        var codes = stack([bytes.div(16, RoundingMode.floor), bytes.remainder(16)], 1).reshape(-1).narrow(0, 0, count);
        return codes.to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A base weight stored in NF4 (QLoRA): buffers <c>weight_codes</c> (packed uint8, two codes per byte) and either
/// <c>absmax</c> (fp32, one per 64 weights) or, with double quantization, <c>absmax_codes</c> (uint8),
/// <c>absmax_scales</c> (fp32, one per 256 constants) and <c>absmax_offset</c> (fp32). Dequantized on every forward.
/// </summary>
public sealed class Nf4Weight : QuantizedWeight
{
    public Tensor weight_codes;
    public Tensor? absmax;
    public Tensor? absmax_codes;
    public Tensor? absmax_scales;
    public Tensor? absmax_offset;
    // A constant of the format, not of the tensor: row b holds (NF4[b >> 4], NF4[b & 15]), so a byte decodes with one gather.
    private readonly Tensor pairTable;

    public bool DoubleQuantized => absmax_codes is not null;

    private Nf4Weight(long outFeatures, long inFeatures, Tensor codes, Tensor? absmax, (Tensor Codes, Tensor Absmax, Tensor Offset)? constants)
        : base(nameof(Nf4Weight), outFeatures, inFeatures)
    {
        weight_codes = Keep(codes);
        register_buffer("weight_codes", weight_codes);
        if (constants is { } c)
        {
            absmax_codes = Keep(c.Codes);
            absmax_scales = Keep(c.Absmax);
            absmax_offset = Keep(c.Offset);
            register_buffer("absmax_codes", absmax_codes);
            register_buffer("absmax_scales", absmax_scales);
            register_buffer("absmax_offset", absmax_offset);
        }
        else
        {
            this.absmax = Keep(absmax!);
            register_buffer("absmax", this.absmax);
        }
        var table = Nf4.Values.SelectMany(high => Nf4.Values.Select(low => new[] { high, low })).SelectMany(p => p).ToArray();
        pairTable = tensor(table, device: codes.device).view(256, 2).DetachFromDisposeScope();
    }

    private static Tensor Keep(Tensor t) => t.detach().DetachFromDisposeScope();

    /// <summary>
    /// Quantizes <paramref name="weight"/> [out, in] to NF4 in blocks of 64, with or without double quantization. On the
    /// meta device (shape-only builds) the buffers get their shapes and no values.
    /// </summary>
    public static Nf4Weight Quantize(Tensor weight, bool doubleQuantize)
    {
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1], n = weight.numel();
        var blocks = (n + Nf4.BlockSize - 1) / Nf4.BlockSize;
        if (weight.device.type == DeviceType.META)
        {
            var meta = weight.device;
            var codes = empty((n + 1) / 2, dtype: ScalarType.Byte, device: meta);
            return doubleQuantize
                ? new Nf4Weight(outFeatures, inFeatures, codes, null, (empty(blocks, dtype: ScalarType.Byte, device: meta),
                    empty((blocks + Nf4.ConstantBlockSize - 1) / Nf4.ConstantBlockSize, device: meta), empty(1, device: meta)))
                : new Nf4Weight(outFeatures, inFeatures, codes, empty(blocks, device: meta), null);
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (indices, absmax) = Nf4.QuantizeBlockwise(weight.reshape(-1), Nf4.BlockSize, Nf4.Values);
        var packed = FourBitPacking.Pack(indices);
        var result = doubleQuantize
            ? new Nf4Weight(outFeatures, inFeatures, packed, null, Nf4.QuantizeConstants(absmax))
            : new Nf4Weight(outFeatures, inFeatures, packed, absmax, null);
        return result;
    }

    /// <summary>The per-block absmax constants as used: stored in fp32, or reconstructed from their 8-bit codes.</summary>
    public Tensor Absmax() => DoubleQuantized ? Nf4.DequantizeConstants(absmax_codes!, absmax_scales!, absmax_offset!) : absmax!;

    public override Tensor Dequantize()
    {
        using var scope = NewDisposeScope();
        var n = OutFeatures * InFeatures;
        var constants = Absmax();
        var values = pairTable.index_select(0, weight_codes.to_type(ScalarType.Int64)).reshape(-1);
        var blocks = constants.numel();
        var padded = F.pad(values, [0, blocks * Nf4.BlockSize - values.numel()]).view(blocks, Nf4.BlockSize) * constants.unsqueeze(1);
        return padded.reshape(-1).narrow(0, 0, n).view(OutFeatures, InFeatures).MoveToOuterDisposeScope();
    }

    public override long StoredBytes => BytesOf(weight_codes)
        + (DoubleQuantized ? BytesOf(absmax_codes!) + BytesOf(absmax_scales!) + BytesOf(absmax_offset!) : BytesOf(absmax!));

    protected override void Dispose(bool disposing)
    {
        if (disposing) pairTable.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Name of the quantized base under its linear: buffers are <c>….query.nf4.weight_codes</c> and so on.</summary>
    public const string SiteName = "nf4";

    /// <summary>Quantizes every backbone linear (the head stays float, as bitsandbytes leaves lm_head) that has not been quantized yet.</summary>
    public static void QuantizeBackbone(SequenceClassifier model, bool doubleQuantize)
    {
        foreach (var linear in model.Sites.SelectLinears(AllLinears).Where(l => l.Quantized is null))
            linear.Quantize(SiteName, Quantize(linear.weight, doubleQuantize));
    }

    /// <summary>Every linear of the backbone, head excluded (a glob over all paths; peft's "all-linear").</summary>
    public static IReadOnlyList<string> AllLinears { get; } = ["*"];
}
