// Pfeiffer adapter — Pfeiffer, Kamath, Rücklé, Cho & Gurevych, "AdapterFusion: Non-Destructive Task Composition for
// Transfer Learning", EACL 2021 (arXiv 2005.00247), §3 / Figure 5: one bottleneck per layer, after the feed-forward
// sublayer only (the attention sublayer gets none):
//     h ← h + W_up ReLU(W_down h + b_down) + b_up,   W_down ∈ ℝ^{m×d}, m = d / 16.
// Defaults are adapters' SeqBnConfig ("seq_bn"): reduction factor 16, ReLU, init_weights "bert" (both weights
// N(0, 0.02²), biases 0, so the output changes slightly at init), only the adapter trains.
// Our reading of the position: h is the FFN's output at its residual site, before the residual add (and, in post-LN
// encoders, before the LayerNorm), as He et al. (ICLR 2022, §2) formalise the sequential adapter. adapters' SeqBn
// additionally feeds the adapter LN(h + x) (original_ln_before) and re-applies the pretrained LayerNorm afterwards;
// that needs the block's residual and norm at the site, which PeftBench's sites do not expose, so it is not done here.
// Trainable: L·(2dm + d + m).

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>Pfeiffer settings: adapters' SeqBnConfig (m = d/16, ReLU, "bert" init).</summary>
public sealed record PfeifferConfig : BottleneckConfig;

/// <summary>One serial bottleneck after the FFN of every block.</summary>
public sealed class Pfeiffer : BottleneckMethod<PfeifferConfig>
{
    public override string Id => "pfeiffer";
    public override int Version => 1;
    public override string Citation => "Pfeiffer et al., EACL 2021 (AdapterFusion's adapter): h ← h + W_up ReLU(W_down h) after the FFN only, m = d/16.";
    public override string Description => "One serial bottleneck adapter (m = d/16, ReLU, adapters' seq_bn) after the FFN of every block.";
    public override PfeifferConfig Defaults => new();
    protected override string[] Roles => [SiteRoles.AfterMlp];
    protected override bool Parallel => false;
    protected override string AdapterName => "adapter";
}
