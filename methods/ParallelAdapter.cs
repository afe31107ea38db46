// Parallel adapter — He, Zhou, Ma, Berg-Kirkpatrick & Neubig, "Towards a Unified View of Parameter-Efficient Transfer
// Learning", ICLR 2022 (arXiv 2110.04366), §3 / Figure 3(c), on the FFN as their best placement (§4.4):
//     h ← FFN(x) + s · (W_up ReLU(W_down x + b_down) + b_up),   s = 4,
// x the FFN's input (after the pre-norm in pre-LN blocks), the sum taken before the residual add. Defaults are
// adapters' ParBnConfig ("par_bn"): reduction factor 2 (m = d/2; the paper's MAM uses m = 512 on BART-large, d = 1024),
// s = 4, ReLU, init_weights "mam_adapter" (W_down Kaiming-uniform a = √5, W_up = 0, biases 0): the identity at init.
// The branch reads x where the FFN's up projection receives it (SublayerInput) and adds at the FFN's residual site.
// Trainable: L·(2dm + d + m).

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>Parallel-adapter settings: adapters' ParBnConfig (m = d/2, s = 4, ReLU, "mam_adapter" init).</summary>
public sealed record ParallelAdapterConfig : BottleneckConfig
{
    public ParallelAdapterConfig()
    {
        ReductionFactor = 2;
        Scaling = 4;
        Init = BottleneckInit.Lora;
    }
}

/// <summary>A scaled bottleneck beside the FFN of every block, reading the FFN's input.</summary>
public sealed class ParallelAdapter : BottleneckMethod<ParallelAdapterConfig>
{
    public override string Id => "parallel-adapter";
    public override int Version => 1;
    public override string Citation => "He et al., ICLR 2022 (parallel adapter): h ← FFN(x) + s·W_up ReLU(W_down x), s = 4, beside the FFN.";
    public override string Description => "A bottleneck (m = d/2, ReLU, zero-initialised up projection) in parallel with every FFN, added with scale s = 4 (adapters' par_bn).";
    public override ParallelAdapterConfig Defaults => new();
    protected override string[] Roles => [SiteRoles.AfterMlp];
    protected override bool Parallel => true;
    protected override string AdapterName => "parallel_adapter";
}
