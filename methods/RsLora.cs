// rsLoRA — Kalajdzievski, "A Rank Stabilization Scaling Factor for Fine-Tuning with LoRA", arXiv 2312.03732 (2023):
//     h = W₀x + (α/√r) · B A x.
// The paper shows that α/r collapses the learning signal as r grows, while γ_r = α/√r keeps activations and
// gradients rank-stable. Everything else is LoRA (peft: LoraConfig(use_rslora=True)): A Kaiming-uniform, B = 0,
// so ΔW = 0 at init; ΔW = (α/√r)·B·A merges. Trainable parameters: Σ over targets r(d_in + d_out).

using System.Text.Json.Nodes;
using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>LoRA with the rank-stabilised scaling α/√r; same config, defaults and parameter names as LoRA.</summary>
public sealed class RsLora : LoraFamily<LoraConfig>
{
    public override string Id => "rslora";
    public override int Version => 1;
    public override string Citation => "Kalajdzievski, arXiv 2312.03732 (rsLoRA): h = W₀x + (α/√r)·B A x.";
    public override string Description => "LoRA with the rank-stabilised scaling α/√r instead of α/r; mergeable.";
    public override LoraConfig Defaults => new();

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        new LoraAdapter(linear.InFeatures, linear.OutFeatures, config, context, scaling: config.Alpha / Math.Sqrt(config.Rank));

    protected override void AdjustPeftConfig(JsonObject peftConfig, LoraConfig config) => peftConfig["use_rslora"] = true;
}
