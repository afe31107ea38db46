// PiSSA — Meng, Wang & Zhang, "PiSSA: Principal Singular Values and Singular Vectors Adaptation of Large
// Language Models", NeurIPS 2024 (arXiv 2404.02948), §3:
//     W₀ = U S Vᵀ,  B = U_{:, :r} S_{:r}^{½},  A = S_{:r}^{½} V_{:, :r}ᵀ,  W_res = W₀ − BA (frozen),  h = W_res x + B A x.
// The principal r components are trained and the rest frozen, so the update starts where the weight matters
// most. With LoRA's scaling s = α/r the factors use S/s (peft's pissa init), so s·B₀A₀ is the principal part.
// We use the exact SVD (peft "pissa"; not the randomised "pissa_niter_k"). The output at init equals the base
// model's (the residual split reproduces W₀); see ResidualLoraAdapter for how the residual is held and why merge,
// unmerge and saving stay exact. Deterministic: the init depends on W₀ only, not on the seed.
// Trainable parameters: Σ over targets r(d_in + d_out).

using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>LoRA initialised with W₀'s principal singular triplets; the residual is frozen.</summary>
public sealed class Pissa : LoraFamily<LoraConfig>
{
    public override string Id => "pissa";
    public override int Version => 1;
    public override string Citation => "Meng et al., NeurIPS 2024 (PiSSA): B = U_r S_r^½, A = S_r^½ V_rᵀ, W_res = W₀ − BA frozen.";
    public override string Description => "LoRA initialised from the top-r singular triplets of W₀, the residual frozen; output unchanged at init; mergeable.";
    public override LoraConfig Defaults => new();
    protected override bool SplitsWeight => true;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        ResidualLoraAdapter.FromSvd(linear.weight, config, largest: true);
}
