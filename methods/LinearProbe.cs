// Linear probe: the frozen-feature baseline (as in PETL benchmarks, e.g. PETL_AST's `lr_linear`).
// Forward: y = W_c · pool(f_θ₀(x)) + b_c; only the head (W_c, b_c) is trained, θ₀ stays frozen.

using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>Linear probe. The head is the harness's RoBERTa-style head (dense → tanh → out_proj), so strictly it is a
/// small MLP probe; it is counted as head, never as the method's parameters.</summary>
public sealed record LinearProbeConfig : MethodConfig
{
    public LinearProbeConfig() => LearningRate = 1e-3;
}

/// <summary>Backbone frozen, head trained: the lower baseline at 0 method parameters.</summary>
public sealed class LinearProbe : PeftMethod<LinearProbeConfig>
{
    public override string Id => "linear-probe";
    public override int Version => 1;
    public override string Family => "baseline";
    public override string Citation => "Linear probe on frozen features: y = W_c·pool(f_θ₀(x)) + b_c, θ₀ frozen.";
    public override string Description => "Freezes the whole backbone and trains only the classification head.";
    public override LinearProbeConfig Defaults => new();
    public override bool PreservesOutputAtInit => true;

    protected override long CountTrainable(SiteRegistry sites, LinearProbeConfig config) => 0;

    protected override MethodAttachment Apply(SequenceClassifier model, LinearProbeConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        return new MethodAttachment(config);
    }
}
