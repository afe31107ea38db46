// MoE-LoRA — a sparse mixture of LoRA experts on each targeted linear (MixLoRA, Li et al., arXiv 2404.15159; LoRAMoE,
// Dou et al., ACL 2024), with the shared module of MixtureOfLoraExperts.cs:
//     h = W₀x + Σ_{i ∈ TopK(g(x))} ĝ_i(x)·(α/r)·B_i A_i x,   g = softmax(W_g x),   top-2 of E = 8, ĝ renormalised,
// plus the Switch-style load-balancing loss 0.01 · E·Σ_i f_i P_i. Defaults are MixLoRA's README top-k configuration:
// E = 8, top_k 2, r 8, α 16, dropout 0.05, router N(0, 0.02²) ("router_init_range": 0.02), aux coefficient 0.01.
// Targets: MixLoRA puts its experts in the FFN (gate, up and down projections), so the defaults are the FFN's linears
// (mlp.up, mlp.gate where the family has one, mlp.down); attention linears can be added by role or name. Our reading
// [U]: each target routes on its own input (per-linear, as MoLA and LoRAMoE) instead of MixLoRA's one router per FFN
// block with whole-FFN experts, and MixLoRA's separate plain LoRA on attention is not included.
// Trainable per target: E·r(d_in + d_out) + E·d_in. Knob: r.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>MoE-LoRA settings: E experts per target (8), top-2, LoRA r 8, α 16, dropout 0.05 on the FFN's linears.</summary>
public sealed record MoeLoraConfig : MixtureOfLoraExpertsConfig
{
    public MoeLoraConfig() => Targets = [SiteRoles.MlpUp, SiteRoles.MlpGate, SiteRoles.MlpDown];

    public int Experts { get; init; } = 8;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Experts < 1) yield return $"experts must be at least 1 (got {Experts.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>E LoRA experts and a top-k router on every targeted linear, with a load-balancing loss.</summary>
public sealed class MoeLora : MixtureOfLoraExpertsMethod<MoeLoraConfig>
{
    public override string Id => "moe-lora";
    public override int Version => 1;
    public override string Citation => "MixLoRA (Li et al., 2024) / LoRAMoE: h = W₀x + Σ_{TopK} ĝ_i(x)(α/r)B_iA_i x, g = softmax(W_g x), + Switch load-balancing loss.";
    public override string Description => "8 LoRA experts (r 8, α 16) and a top-2 router on every FFN linear, renormalised top-k weights, load-balancing loss 0.01.";
    public override MoeLoraConfig Defaults => new();

    public override int ExpertsAt(MoeLoraConfig config, int layer, int layerCount) => config.Experts;
}
