// LoftQ — Li, Yu, Liang, He, Karampatziakis, Chen & Zhao, "LoftQ: LoRA-Fine-Tuning-Aware Quantization for Large
// Language Models", ICLR 2024 (arXiv 2310.08659), Algorithm 1: jointly approximate W ≈ Q + B A by alternating, for
// t = 1…T,
//     Q_t = q_N(W − s·B_{t−1} A_{t−1})          (NF4 quantization, as QLoRA's; B₀A₀ = 0)
//     s·B_t A_t = SVD_r(W − Q_t)                (the best rank-r approximation of the quantization residual),
// then fine-tune LoRA from (A_T, B_T) on the frozen quantized Q_T: h = dequant(Q_T) x + s · B A dropout(x).
// As huggingface/peft's init_lora_weights="loftq" (utils/loftq_utils.py, loftq_init): 4 bits, T = 1 by default, and the
// SVD factors split the singular values evenly, B = U_r √S_r, A = √S_r V_rᵀ. Where we differ from peft: peft sets those
// factors without the LoRA scaling s = α/r (its forward then adds s·BA, which reproduces the LoftQ approximation only
// when α = r); we divide S by s first, B = U_r √(S_r/s), A = √(S_r/s) V_rᵀ (as peft's PiSSA and CorDA inits do), so that
// Q + s·BA is Algorithm 1's approximation whatever α is. At the defaults (α = r) the two are the same. The quantizer is
// the stored NF4 form itself (blocks of 64, double quantization as configured), so the Q used in the alternation is
// exactly the Q the model holds; peft's loop quantizes without double quantization. The SVD is computed in float64.
// Linears that are not targeted are quantized plainly (as QLoRA). Deterministic: the init depends on W alone.
// Merge as QLoRA: into the dequantized fp32 weights only. Trainable parameters: Σ over targets r(d_in + d_out).

using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>QLoRA's settings plus peft's <c>loftq_iter</c> T (the alternation's iterations, default 1). 4-bit NF4 only.</summary>
public sealed record LoftqConfig : QloraConfig
{
    public int Iterations { get; init; } = 1;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Iterations < 1) yield return $"iterations must be at least 1 (got {Iterations.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>QLoRA initialised by LoftQ's alternating quantization and SVD of the residual.</summary>
public sealed class Loftq : LoraFamily<LoftqConfig>
{
    public override string Id => "loftq";
    public override int Version => 1;
    public override string Family => "quantization";
    public override string Citation => "Li et al., ICLR 2024 (LoftQ), Alg. 1: Q = q_NF4(W − sBA), sBA = SVD_r(W − Q), T times; LoRA on Q from (A, B).";
    public override string Description => "QLoRA whose NF4 base Q and LoRA init (A, B) jointly approximate W (alternating quantization and rank-r SVD); merges only into dequantized fp32 weights.";
    public override LoftqConfig Defaults => new();
    public override bool PreservesOutputAtInit => false;
    protected override bool RankBoundedByWeight => true;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoftqConfig config, MethodContext context) =>
        throw new NotSupportedException("LoftQ builds its adapters while quantizing (see Apply).");

    protected override MethodAttachment Apply(SequenceClassifier model, LoftqConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var scaling = config.Alpha / config.Rank;
        var adapters = new List<(AdaptableLinear Linear, LinearAdapter Adapter)>();
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            var (quantized, a, b) = Decompose(linear.weight, config.Rank, scaling, config.Iterations, config.DoubleQuant);
            linear.Quantize(Nf4Weight.SiteName, quantized);
            adapters.Add((linear, new LoraAdapter(a, b, scaling, config.Dropout)));
        }
        Nf4Weight.QuantizeBackbone(model, config.DoubleQuant);
        foreach (var (linear, adapter) in adapters) linear.Attach(AdapterName, adapter);
        return Attachment(config);
    }

    /// <summary>
    /// Algorithm 1 on one weight W [out, in]: the NF4 form of Q_T and the factors A_T [r, in], B_T [out, r] with
    /// <paramref name="scaling"/>·B A = SVD_r(W − Q_T). On the meta device (shape-only builds) only the shapes.
    /// </summary>
    public static (Nf4Weight Quantized, Tensor A, Tensor B) Decompose(Tensor weight, int rank, double scaling, int iterations, bool doubleQuant)
    {
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        if (weight.device.type == DeviceType.META)
            return (Nf4Weight.Quantize(weight, doubleQuant), empty(rank, inFeatures, device: weight.device), empty(outFeatures, rank, device: weight.device));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var w = weight.detach().to_type(ScalarType.Float32);
        var target = w;
        Nf4Weight? quantized = null;
        Tensor a = null!, b = null!;
        for (var t = 0; t < iterations; t++)
        {
            quantized?.Dispose();
            quantized = Nf4Weight.Quantize(target, doubleQuant);
            var residual = (w - quantized.Dequantize()).to_type(ScalarType.Float64);
            var (u, s, vh) = linalg.svd(residual, fullMatrices: false);
            var root = s.narrow(0, 0, rank).div(scaling).sqrt();
            b = (u.narrow(1, 0, rank) * root.unsqueeze(0)).to_type(weight.dtype);
            a = (root.unsqueeze(1) * vh.narrow(0, 0, rank)).to_type(weight.dtype);
            target = w - b.mm(a).mul(scaling);
        }
        return (quantized!, a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }

    /// <summary>peft's LoftQ fields: init_lora_weights "loftq" and loftq_config (4 bits, T iterations).</summary>
    protected override void AdjustPeftConfig(JsonObject peftConfig, LoftqConfig config)
    {
        peftConfig["init_lora_weights"] = "loftq";
        peftConfig["loftq_config"] = new JsonObject { ["loftq_bits"] = 4, ["loftq_iter"] = config.Iterations };
    }

    public override MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        var config = (LoftqConfig)base.FromPeftConfig(adapterConfig);
        if (adapterConfig["loftq_config"] is JsonObject loftq)
        {
            if (loftq["loftq_bits"]?.GetValue<int>() is { } bits && bits != 4)
                throw new NotSupportedException($"loftq_bits = {bits}: PeftBench's LoftQ quantizes to 4-bit NF4 only.");
            if (loftq["loftq_iter"]?.GetValue<int>() is { } iterations) config = config with { Iterations = iterations };
        }
        return config;
    }
}
