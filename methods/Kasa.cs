// KaSA — Wang et al., "KaSA: Knowledge-Aware Singular-Value Adaptation of Large Language Models", ICLR 2025
// (arXiv 2412.06071), §3:
//     W_world = W₀ − U_r S_r V_rᵀ   (W₀ = U S Vᵀ; the r *smallest* singular triplets dropped: knowledge-based SVD truncation)
//     W = W_world + ΔU diag(Δσ) ΔVᵀ,   ΔU ∈ ℝ^{d_out×r}, Δσ ∈ ℝ^r, ΔVᵀ ∈ ℝ^{r×d_in}
//     L = L_task + β·‖Δσ‖² + γ·(‖ΔUᵀΔU − I‖_F + ‖ΔVᵀΔV − I‖_F).
// Reading (paper and huggingface/peft's KaSA LoRA variant, its tests: `kasa_config` with beta/gamma, the trainable
// `lora_diag`, "drop the r smallest singular components" of the frozen base weight, `get_kasa_regularization_loss`):
//   • ΔVᵀ is LoRA's A (Kaiming-uniform), ΔU is LoRA's B (zero), Δσ is peft's lora_diag; ΔW = (α/r)·B diag(Δσ) A,
//     so the adapter adds nothing at init but the truncation already changes the output (PreservesOutputAtInit false).
//   • β weighs the singular-value term (Σ Δσ², summed over targets) and γ the orthogonality term (Frobenius norms,
//     not squared, summed over targets), as in the paper's L2/L3 and peft's helper; defaults β = 1e-4, γ = 1e-3
//     (peft's reference GLUE values). METHODS.md's row puts β on the orthogonality term; the paper and peft do not.
//   • [U] Δσ's init is not stated in what we could read; we draw it N(0, 1) from the cell's generator (it must be
//     non-zero, or B and Δσ would both start with zero gradient).
//   • r < min(d_in, d_out), as peft requires, so that at least one base component survives the truncation.
// peft truncates the base weight in place; we keep W₀ untouched and subtract the dropped part in the adapter
// (buffers kasa_U = U_r S_r, kasa_Vh = V_rᵀ computed in float64 from W₀; deterministic). The forward is the same
// function, merge folds ΔW − U_r S_r V_rᵀ into W₀, unmerge restores W₀, and the saved adapter is exactly peft's
// (lora_A.weight, lora_B.weight, lora_diag): peft, too, re-truncates the original base when it loads one.
// Trainable parameters: Σ over targets r(d_in + d_out + 1).

using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>LoRA's settings plus KaSA's regulariser weights β (singular values) and γ (orthogonality).</summary>
public sealed record KasaConfig : LoraConfig
{
    public double Beta { get; init; } = 1e-4;
    public double Gamma { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (!(Beta >= 0) || double.IsInfinity(Beta)) yield return $"beta must be a non-negative number (got {Beta.ToString(CultureInfo.InvariantCulture)}).";
        if (!(Gamma >= 0) || double.IsInfinity(Gamma)) yield return $"gamma must be a non-negative number (got {Gamma.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>SVD-truncates W₀ by its r minor components and adapts with B diag(Δσ) A; mergeable.</summary>
public sealed class Kasa : LoraFamily<KasaConfig>
{
    public override string Id => "kasa";
    public override int Version => 1;
    public override string Citation => "Wang et al., ICLR 2025 (KaSA), §3: W = (W₀ − U_r S_r V_rᵀ) + ΔU diag(Δσ) ΔVᵀ, loss + β‖Δσ‖² + γ(‖ΔUᵀΔU − I‖ + ‖ΔVᵀΔV − I‖).";
    public override string Description => "Drops the r smallest singular components of W₀ and trains a rank-r SVD-form update with orthogonality and singular-value regularisers; mergeable.";
    public override KasaConfig Defaults => new();
    public override bool PreservesOutputAtInit => false;

    protected override long TrainablePerTarget(AdaptableLinear linear, int rank) => base.TrainablePerTarget(linear, rank) + rank;

    protected override Knob? KnobFor(SiteRegistry sites, KasaConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        return targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Min(l => Math.Min(l.InFeatures, l.OutFeatures)) - 1) };
    }

    protected override IEnumerable<string> Validate(KasaConfig config, SiteRegistry sites)
    {
        foreach (var problem in base.Validate(config, sites)) yield return problem;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => config.Rank >= Math.Min(l.InFeatures, l.OutFeatures)))
            yield return $"{Id}: rank {config.Rank} must be below min(d_in, d_out) = {Math.Min(l.InFeatures, l.OutFeatures)} of {l.Path}, or the truncation would drop all of W₀.";
    }

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, KasaConfig config, MethodContext context) =>
        new KasaAdapter(linear, config, context);

    protected override MethodAttachment Apply(SequenceClassifier model, KasaConfig config, MethodContext context)
    {
        base.Apply(model, config, context);
        return new KasaAttachment(config, model.Sites.Linears.SelectMany(l => l.Adapters).OfType<KasaAdapter>().ToList());
    }

    protected override void AdjustPeftConfig(JsonObject peftConfig, KasaConfig config) =>
        peftConfig["kasa_config"] = new JsonObject { ["beta"] = config.Beta, ["gamma"] = config.Gamma };

    public override MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        var config = (KasaConfig)base.FromPeftConfig(adapterConfig);
        return adapterConfig["kasa_config"] is JsonObject kasa
            ? config with { Beta = kasa["beta"]?.GetValue<double>() ?? config.Beta, Gamma = kasa["gamma"]?.GetValue<double>() ?? config.Gamma }
            : config;
    }

    /// <summary>Adds β·Σ‖Δσ‖² + γ·Σ(‖BᵀB − I‖_F + ‖AAᵀ − I‖_F) over the targets to the task loss.</summary>
    private sealed class KasaAttachment(KasaConfig config, IReadOnlyList<KasaAdapter> adapters) : MethodAttachment(config)
    {
        public override Tensor? AuxiliaryLoss()
        {
            if (adapters.Count == 0 || (config.Beta == 0 && config.Gamma == 0)) return null;
            Tensor? total = null;
            foreach (var a in adapters)
            {
                var term = a.lora_diag.square().sum().mul(config.Beta) + a.OrthogonalityPenalty().mul(config.Gamma);
                total = total is null ? term : total + term;
            }
            return total;
        }
    }
}

/// <summary>LoRA's A, B plus peft's <c>lora_diag</c> Δσ, and the dropped minor part of W₀ as frozen buffers.</summary>
public sealed class KasaAdapter : LoraAdapter
{
    public Parameter lora_diag;
    /// <summary>U_r S_r and V_rᵀ of W₀'s r smallest singular triplets: the part the truncation removes.</summary>
    public Tensor kasa_U, kasa_Vh;

    public KasaAdapter(AdaptableLinear host, KasaConfig config, MethodContext context)
        : base(host.InFeatures, host.OutFeatures, config, context)
    {
        lora_diag = new Parameter(context.Randn(config.Rank));
        lora_diag.DetachFromDisposeScope();
        register_parameter("lora_diag", lora_diag);
        (kasa_U, kasa_Vh) = MinorComponents(host.weight, config.Rank);
        register_buffer("kasa_U", kasa_U);
        register_buffer("kasa_Vh", kasa_Vh);
    }

    /// <summary>U_r S_r and V_rᵀ over the r smallest singular values of <paramref name="weight"/> (float64 SVD).</summary>
    public static (Tensor U, Tensor Vh) MinorComponents(Tensor weight, int rank)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (u, s, vh) = linalg.svd(weight.detach().to_type(ScalarType.Float64), fullMatrices: false);
        var from = s.shape[0] - rank;
        var us = (u.narrow(1, from, rank) * s.narrow(0, from, rank).unsqueeze(0)).to_type(weight.dtype).contiguous();
        var v = vh.narrow(0, from, rank).to_type(weight.dtype).contiguous();
        return (us.DetachFromDisposeScope(), v.DetachFromDisposeScope());
    }

    private Tensor Minor(Tensor input) => F.linear(F.linear(input, kasa_Vh), kasa_U);

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        var update = F.linear(F.linear(Dropped(input), lora_A) * lora_diag, lora_B).mul(Scaling);
        return baseOutput - Minor(input) + update;
    }

    /// <summary>ΔW = s·B diag(Δσ) A − U_r S_r V_rᵀ: the whole change from W₀, truncation included.</summary>
    public override Tensor DeltaWeight(AdaptableLinear host) =>
        (lora_B * lora_diag.unsqueeze(0)).mm(lora_A).mul(Scaling) - kasa_U.mm(kasa_Vh);

    /// <summary>‖BᵀB − I‖_F + ‖AAᵀ − I‖_F (the paper's L3 on ΔU and ΔV).</summary>
    public Tensor OrthogonalityPenalty()
    {
        var r = lora_A.shape[0];
        var identity = eye(r, dtype: lora_A.dtype, device: lora_A.device);
        return (lora_B.t().mm(lora_B) - identity).norm() + (lora_A.mm(lora_A.t()) - identity).norm();
    }

    public override IReadOnlyDictionary<string, Tensor> ToPeft() =>
        new Dictionary<string, Tensor>(base.ToPeft()) { ["lora_diag"] = lora_diag };

    public override void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors)
    {
        base.LoadPeft(tensors);
        PeftAdapterCheckpoint.CopyInto(lora_diag, Saved(tensors, "lora_diag"), "lora_diag");
    }
}
