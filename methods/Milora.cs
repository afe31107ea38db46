// MiLoRA — Wang et al., "MiLoRA: Harnessing Minor Singular Components for Parameter-Efficient LLM Finetuning",
// NAACL 2025 (arXiv 2406.09044), §3 [U in METHODS.md; our reading]:
//     W₀ = U S Vᵀ split into a principal part (the d − r largest triplets, frozen) and a minor part W_min =
//     U_{:, −r:} S_{−r:} V_{:, −r:}ᵀ; the adapter starts at B = U_{:, −r:} S_{−r:}^{½}, A = S_{−r:}^{½} V_{:, −r:}ᵀ,
//     h = W_res x + B A x with W_res = W₀ − BA.
// The paper's argument: the principal components hold pretrained knowledge, the minor ones noise / long-tail
// information, so adapting the minor subspace disturbs the pretrained model less than PiSSA. It is PiSSA with the
// other end of the spectrum, so we use PiSSA's exact-SVD factorisation and its treatment of LoRA's scaling
// (S/s, so that s·B₀A₀ = W_min). Not in peft. Output unchanged at init; deterministic (W₀ alone decides).
// Trainable parameters: Σ over targets r(d_in + d_out).

using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>LoRA initialised with W₀'s r smallest singular triplets; the principal part is frozen.</summary>
public sealed class Milora : LoraFamily<LoraConfig>
{
    public override string Id => "milora";
    public override int Version => 1;
    public override string Citation => "Wang et al., NAACL 2025 (MiLoRA): B = U_min S_min^½, A = S_min^½ V_minᵀ from the r smallest singular triplets; principal part frozen.";
    public override string Description => "LoRA initialised from the r minor singular triplets of W₀, the principal part frozen; output unchanged at init; mergeable.";
    public override LoraConfig Defaults => new();
    protected override bool SplitsWeight => true;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        ResidualLoraAdapter.FromSvd(linear.weight, config, largest: false);
}
