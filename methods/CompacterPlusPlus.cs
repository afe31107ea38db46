// Compacter++ — Karimi Mahabadi, Henderson & Ruder, "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers",
// NeurIPS 2021 (arXiv 2106.04647), §3 "Compacter++": Compacter's adapter, h ← h + U(GeLU(D(h))) with PHM projections
//     W = Σ_{i=1}^{n} A_i ⊗ (s_i t_iᵀ),   A_i shared by all layers,
// but only one per block, after the feed-forward sublayer (adapters' CompacterPlusPlusConfig). Settings, init and
// counting are Compacter's (Compacter.cs). Trainable: L·(2r(d + k) + d + k) + n³ + the layer norms.

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>Compacter++: one PHM adapter after the FFN of every block, plus the layer norms.</summary>
public sealed class CompacterPlusPlus : CompacterFamily
{
    public override string Id => "compacter-pp";
    public override string Citation => "Karimi Mahabadi et al., NeurIPS 2021 (Compacter++): one adapter per block after the FFN, W = Σ A_i ⊗ (s_i t_iᵀ), A_i shared.";
    public override string Description => "Compacter with one PHM adapter per block, after the FFN only (n = 4, k = d/32, GeLU, shared A_i), plus the layer norms.";
    protected override string[] Roles => [SiteRoles.AfterMlp];
}
