// LoRA-FA — Zhang et al., "LoRA-FA: Memory-efficient Low-rank Adaptation for Large Language Models Fine-tuning",
// arXiv 2308.03303 (2023):
//     h = W₀x + (α/r) · B A x,   A frozen at its random init, only B ∈ ℝ^{d_out×r} trained (B = 0 at init).
// Freezing A means the backward pass needs only the r-dimensional projection Ax, not x, which is where the
// paper's activation-memory saving comes from. peft implements it as an optimizer (create_lorafa_optimizer) that
// projects A's gradient away; here A is simply a frozen buffer, which is the same model and update for B.
// A is Kaiming-uniform as in peft's LoRA. Trainable parameters: Σ over targets r·d_out.

using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>LoRA with the down-projection A frozen (a buffer, not counted); only B trains.</summary>
public sealed class LoraFa : LoraFamily<LoraConfig>
{
    public override string Id => "lora-fa";
    public override int Version => 1;
    public override string Citation => "Zhang et al., arXiv 2308.03303 (LoRA-FA): h = W₀x + (α/r)·B A x with A frozen random, only B trained.";
    public override string Description => "LoRA whose A stays at its random init; trains only B (r·d_out per target); mergeable.";
    public override LoraConfig Defaults => new();

    protected override long TrainablePerTarget(AdaptableLinear linear, int rank) => rank * linear.OutFeatures;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        new LoraAdapter(linear.InFeatures, linear.OutFeatures, config, context, trainA: false);
}
