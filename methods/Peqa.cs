// PEQA — Kim, Lee, Kim, Park, Yoo, Kwon & Lee, "Memory-Efficient Fine-Tuning of Compressed Large Language Models via
// sub-4-bit Integer Quantization", NeurIPS 2023 (arXiv 2305.14152), §3.2, eq. (1)–(2):
//     W₀ ≈ s₀ ⊙ (W̄₀ − z₀),   then fine-tune   Ŵ = (s₀ + Δs) ⊙ (W̄₀ − z₀),
// with W̄₀ ∈ {0, …, 2^b − 1}^{d_out×d_in} and the zero points z₀ ∈ ℤ^{d_out} frozen and only the per-output-channel
// scales s ∈ ℝ^{d_out} trained (d_out parameters per linear). The paper initialises W̄₀, s₀, z₀ by round-to-nearest
// (RTN) with per-channel asymmetric min-max quantization, which is what we do, with the usual convention (GPTQ's
// quantizer) that the range includes 0: per row, lo = min(min W, 0), hi = max(max W, 0), s₀ = (hi − lo)/(2^b − 1),
// z₀ = round(−lo/s₀), W̄₀ = clamp(round(W/s₀) + z₀, 0, 2^b − 1) (an all-zero row takes lo = −1, hi = 1). Default b = 4
// (the paper's 3- and 4-bit settings). Group-wise scales (the paper's "per group" variant) are not implemented.
// Targets: every linear of the backbone (attention and FFN); the head stays float. Codes of b ≤ 4 bits are packed two
// per byte (as stored: 4 bits per weight even at 3 bits), wider codes one per byte; zero points one byte per row.
// The scales are the trained parameters (counted as the method's, not the backbone's stored bytes).
// Output at init differs from the float model by the quantization error. Merge is trivial: the trained model *is*
// the quantized model with new scales, so nothing folds and inference runs as during training.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// PEQA settings: code width <see cref="Bits"/> (default 4) and the linears quantized (default all). Learning rate 2e-4
/// (not swept; the paper's are per model, and the scales are small numbers that Adam moves by about the learning rate each step).
/// </summary>
public sealed record PeqaConfig : MethodConfig
{
    public PeqaConfig() => LearningRate = 2e-4;

    public int Bits { get; init; } = 4;
    public IReadOnlyList<string> Targets { get; init; } = Nf4Weight.AllLinears;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Bits is < 2 or > 8) yield return $"bits must be between 2 and 8 (got {Bits.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    // Lists compare by reference in the compiler's record equality: compare elements instead.
    public bool Equals(PeqaConfig? other) =>
        other is not null && base.Equals(other) && Bits == other.Bits && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Bits);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Integer-quantized backbone whose per-channel scales alone are fine-tuned; the model stays low-bit.</summary>
public sealed class Peqa : PeftMethod<PeqaConfig>
{
    /// <summary>Name of the quantized base under its linear: <c>….query.peqa.scales</c>, <c>….query.peqa.weight_codes</c>.</summary>
    public const string SiteName = "peqa";

    public override string Id => "peqa";
    public override int Version => 1;
    public override string Family => "quantization";
    public override string Citation => "Kim et al., NeurIPS 2023 (PEQA), eq. 2: W = s ⊙ (W̄ − z), W̄ b-bit RTN codes and z frozen, per-channel s trained.";
    public override string Description => "Quantizes every linear to b-bit integers (per-channel min-max RTN) and trains only the per-output-channel scales; the trained model stays quantized.";
    public override PeqaConfig Defaults => new();
    public override bool PreservesOutputAtInit => false;
    public override bool CanMerge => true;

    protected override IEnumerable<string> Validate(PeqaConfig config, SiteRegistry sites) =>
        LoraFamily<LoraConfig>.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, PeqaConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => l.OutFeatures);

    protected override MethodAttachment Apply(SequenceClassifier model, PeqaConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Quantize(SiteName, PeqaWeight.Quantize(linear.weight, config.Bits));
        return new MethodAttachment(config);
    }
}

/// <summary>
/// W = s ⊙ (W̄ − z) for one linear: buffers <c>weight_codes</c> (uint8; two codes per byte for b ≤ 4) and
/// <c>zero_points</c> (uint8, one per output channel), and the trainable <c>scales</c> (fp32, one per output channel).
/// </summary>
public sealed class PeqaWeight : QuantizedWeight
{
    public Tensor weight_codes;
    public Tensor zero_points;
    public Parameter scales;

    public int Bits { get; }
    private bool Packed => Bits <= 4;

    private PeqaWeight(long outFeatures, long inFeatures, int bits, Tensor codes, Tensor zeroPoints, Tensor scales) : base(nameof(PeqaWeight), outFeatures, inFeatures)
    {
        Bits = bits;
        weight_codes = codes.detach().DetachFromDisposeScope();
        zero_points = zeroPoints.detach().DetachFromDisposeScope();
        this.scales = new Parameter(scales.detach().clone());
        this.scales.DetachFromDisposeScope();
        register_buffer("weight_codes", weight_codes);
        register_buffer("zero_points", zero_points);
        register_parameter("scales", this.scales);
    }

    /// <summary>Per-channel asymmetric min-max RTN of <paramref name="weight"/> [out, in] to <paramref name="bits"/>-bit codes.</summary>
    public static PeqaWeight Quantize(Tensor weight, int bits)
    {
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        if (weight.device.type == DeviceType.META)
        {
            var meta = weight.device;
            var count = bits <= 4 ? (outFeatures * inFeatures + 1) / 2 : outFeatures * inFeatures;
            return new PeqaWeight(outFeatures, inFeatures, bits, empty(count, dtype: ScalarType.Byte, device: meta),
                empty(outFeatures, dtype: ScalarType.Byte, device: meta), empty(outFeatures, device: meta));
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var w = weight.detach().to_type(ScalarType.Float32);
        var maxCode = (1 << bits) - 1;
        var lo = w.amin([1]).clamp_max(0);
        var hi = w.amax([1]).clamp_min(0);
        var flat = lo.eq(hi);
        lo = where(flat, full_like(lo, -1), lo);
        hi = where(flat, full_like(hi, 1), hi);
        var scale = (hi - lo) / maxCode;
        var zero = (-lo / scale).round();
        var codes = ((w / scale.unsqueeze(1)).round() + zero.unsqueeze(1)).clamp(0, maxCode).to_type(ScalarType.Byte);
        var stored = bits <= 4 ? FourBitPacking.Pack(codes) : codes.reshape(-1);
        return new PeqaWeight(outFeatures, inFeatures, bits, stored, zero.to_type(ScalarType.Byte), scale);
    }

    /// <summary>The integer codes W̄ as a uint8 [out, in] matrix.</summary>
    public Tensor Codes() => (Packed ? FourBitPacking.Unpack(weight_codes, OutFeatures * InFeatures) : weight_codes).view(OutFeatures, InFeatures);

    public override Tensor Dequantize()
    {
        using var scope = NewDisposeScope();
        var centred = Codes().to_type(ScalarType.Float32) - zero_points.to_type(ScalarType.Float32).unsqueeze(1);
        return (scales.unsqueeze(1) * centred).MoveToOuterDisposeScope();
    }

    /// <summary>The codes and zero points; the scales are the method's trained parameters and counted there.</summary>
    public override long StoredBytes => BytesOf(weight_codes) + BytesOf(zero_points);
}
