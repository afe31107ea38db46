// MAM adapter ("mix-and-match") — He, Zhou, Ma, Berg-Kirkpatrick & Neubig, "Towards a Unified View of Parameter-Efficient
// Transfer Learning", ICLR 2022 (arXiv 2110.04366), §4.6 / Table 6: the two placements their analysis found best, together:
//   • prefix tuning on attention (§2.1, "parallel adapter on attention" in the unified view), l = 30 key/value prefixes
//     per layer, K' = [P_K; K], V' = [P_V; V] under one softmax — the prefix-tuning module (PrefixTuning.cs), trained
//     through its reparameterisation MLP P = MLP(P') with hidden width 800 (adapters' MAMConfig: PrefixTuningConfig
//     bottleneck_size = 800; He et al.'s code: mid_dim 800), of which only P is saved;
//   • a scaled parallel adapter on the FFN (§3, Figure 3(c)), h ← FFN(x) + s·(W_up ReLU(W_down x + b_down) + b_up), s = 4,
//     W_down Kaiming-uniform, W_up = 0 — the parallel-adapter block (ParallelAdapter.cs, adapters' ParBnConfig).
// Width m: the paper uses m = 512 on BART-large / mBART-large (d = 1024), i.e. d/2; adapters' ParBnConfig sizes it the
// same way (reduction_factor 2). Here m = ⌊d / 2⌋ by default, so the reference's ratio carries to any model (m = 16 on a
// d = 32 model, 512 at d = 1024), and m is the budget knob (the prefix MLP is fixed by l and h).
// The output changes at init (the prefixes are attended at once); the parallel branch alone would start at zero.
// Trainable: l·d_kv + (d_kv·h + h) + (h·2L·d_kv + 2L·d_kv)  [prefix MLP]  +  L(2dm + d + m)  [parallel adapters];
// saved: 2·L·l·d_kv + L(2dm + d + m).

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>
/// MAM settings: the parallel adapter's (m = d/2, s = 4, ReLU, zero-initialised up projection) and the prefix's
/// (l = 30, MLP width 800, positions kept for the text on text backbones).
/// </summary>
public sealed record MamAdapterConfig : PrefixAndAdapterConfig
{
    public MamAdapterConfig()
    {
        ReductionFactor = 2;
        Scaling = 4;
        Init = BottleneckInit.Lora;
        PrefixLength = 30;
        PrefixHidden = 800;
    }
}

/// <summary>Prefix tuning on attention plus a scaled parallel adapter beside the FFN of every block.</summary>
public sealed class MamAdapter : PrefixAndAdapterMethod<MamAdapterConfig>
{
    public override string Id => "mam-adapter";
    public override int Version => 1;
    public override string Citation => "He et al., ICLR 2022 (MAM adapter): prefix tuning (l = 30) on attention + h ← FFN(x) + s·W_up ReLU(W_down x), s = 4, on the FFN.";
    public override string Description => "l = 30 key/value prefixes per layer (MLP h 800, only P saved) and a parallel FFN adapter (m = d/2, s = 4, zero-initialised up projection).";
    public override MamAdapterConfig Defaults => new();
    protected override string[] Roles => [SiteRoles.AfterMlp];
    protected override bool Parallel => true;
    protected override string AdapterName => "parallel_adapter";
}
