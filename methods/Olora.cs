// OLoRA — Büyükakyüz, "OLoRA: Orthonormal Low-Rank Adaptation of Large Language Models", arXiv 2406.01775 (2024):
//     W₀ = Q R,  B = Q_{:, :r} (orthonormal columns),  A = R_{:r, :},  W_res = W₀ − s·B A (frozen),
//     h = W_res x + s·B A x,  s = α/r.
// As peft's olora_init: QR of the [d_out, d_in] weight, no division of the factors by s. Orthonormal B is the
// paper's point (better-conditioned, faster convergence). Output unchanged at init; deterministic (W₀ alone
// decides). See ResidualLoraAdapter for how the residual is held. Trainable parameters: Σ over targets r(d_in + d_out).

using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>LoRA initialised from the QR decomposition of W₀; the residual is frozen.</summary>
public sealed class Olora : LoraFamily<LoraConfig>
{
    public override string Id => "olora";
    public override int Version => 1;
    public override string Citation => "Büyükakyüz, arXiv 2406.01775 (OLoRA): W₀ = QR, B = Q_{:, :r}, A = R_{:r, :}, W_res = W₀ − s·BA frozen.";
    public override string Description => "LoRA initialised from the QR decomposition of W₀ (orthonormal B), the residual frozen; output unchanged at init; mergeable.";
    public override LoraConfig Defaults => new();
    protected override bool SplitsWeight => true;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        ResidualLoraAdapter.FromQr(linear.weight, config);
}
