// DoRA — Liu et al., "DoRA: Weight-Decomposed Low-Rank Adaptation", ICML 2024 (arXiv 2402.09353), eq. (5):
//     W' = m ⊙ (W₀ + s·B A) / ‖W₀ + s·B A‖_c,   m ∈ ℝ^{d_out} initialised to ‖W₀‖_c, s = α/r.
// ‖·‖_c is the norm of each output unit's weight vector (a row of our [d_out, d_in] weight; the paper's
// "column" of W ∈ ℝ^{d_in×d_out}), as peft computes it (torch.linalg.norm(W, dim=1)). A, B are LoRA's
// (Kaiming-uniform, zero), so W' = W₀ at init. Following peft (and the paper's §4.3 "gradient" simplification)
// the norm is treated as a constant in the backward pass: it is computed from a detached s·BA and detached, so
// gradients reach m and BA only through m/‖·‖ times the numerator. Forward as peft's DoraLinearLayer:
//     y = y₀ + (m/‖W₀ + s·BA‖_c − 1) ⊙ W₀x + (m/‖W₀ + s·BA‖_c) ⊙ s·B A x   (y₀ = W₀x + b).
// Merge: ΔW = W' − W₀. Trainable parameters: Σ over targets r(d_in + d_out) + d_out.

using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Sites;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>LoRA's direction update plus a trainable magnitude per output unit; mergeable.</summary>
public sealed class Dora : LoraFamily<LoraConfig>
{
    public override string Id => "dora";
    public override int Version => 1;
    public override string Citation => "Liu et al., ICML 2024 (DoRA), eq. 5: W' = m ⊙ (W₀ + s·BA)/‖W₀ + s·BA‖_c, m = ‖W₀‖_c at init.";
    public override string Description => "Decomposes each targeted weight into magnitude (trained vector) and direction (LoRA-updated); mergeable.";
    public override LoraConfig Defaults => new();

    protected override long TrainablePerTarget(AdaptableLinear linear, int rank) =>
        base.TrainablePerTarget(linear, rank) + linear.OutFeatures;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        new DoraAdapter(linear, config, context);

    protected override void AdjustPeftConfig(JsonObject peftConfig, LoraConfig config) => peftConfig["use_dora"] = true;
}

/// <summary>LoRA's A, B plus peft's <c>lora_magnitude_vector</c> m.</summary>
public sealed class DoraAdapter : LoraAdapter
{
    public Parameter lora_magnitude_vector;

    public DoraAdapter(AdaptableLinear host, LoraConfig config, MethodContext context)
        : base(host.InFeatures, host.OutFeatures, config, context)
    {
        using (no_grad()) lora_magnitude_vector = new Parameter(RowNorm(host.weight.detach()));
        lora_magnitude_vector.DetachFromDisposeScope();
        register_parameter("lora_magnitude_vector", lora_magnitude_vector);
    }

    /// <summary>‖W‖_c: the L2 norm of each output unit's weights. Init and forward use this one function, so m/‖W₀‖_c is exactly 1 at init.</summary>
    private static Tensor RowNorm(Tensor weight) => weight.square().sum(1).sqrt();

    /// <summary>m / ‖W₀ + s·BA‖_c with the norm detached (peft).</summary>
    private Tensor MagnitudeScale(AdaptableLinear host)
    {
        Tensor norm;
        using (no_grad()) norm = RowNorm(host.weight.detach() + LowRankWeight().detach());
        return lora_magnitude_vector / norm;
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        var x = Dropped(input);
        var scale = MagnitudeScale(host);
        // W₀x without the bias: from y₀ when the input was not dropped, else recomputed on the dropped input (peft).
        var baseWithoutBias = DropsInput ? F.linear(x, host.weight)
            : host.bias is null ? baseOutput : baseOutput - host.bias;
        return baseOutput + (scale - 1) * baseWithoutBias + scale * LowRank(x);
    }

    /// <summary>peft saves the magnitude as <c>lora_magnitude_vector</c> (its ".default.weight" stripped).</summary>
    public override IReadOnlyDictionary<string, Tensor> ToPeft() =>
        new Dictionary<string, Tensor>(base.ToPeft()) { ["lora_magnitude_vector"] = lora_magnitude_vector };

    public override void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors)
    {
        base.LoadPeft(tensors);
        PeftAdapterCheckpoint.CopyInto(lora_magnitude_vector, Saved(tensors, "lora_magnitude_vector"), "lora_magnitude_vector");
    }

    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        var w0 = host.weight.detach();
        return MagnitudeScale(host).unsqueeze(1) * (w0 + LowRankWeight()) - w0;
    }
}
