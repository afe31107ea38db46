// MoLA — Gao, Chen, Rao, Sun, Liu, Peng, Cheng, Chen, Liu, Hua, Zhang & Yao, "Higher Layers Need More LoRA Experts",
// arXiv 2402.08562 (NAACL Findings 2025 as "MoLA: MoE LoRA with Layer-wise Expert Allocation"): the mixture of LoRA
// experts of MixtureOfLoraExperts.cs with a number of experts E_ℓ that depends on the layer,
//     h = W₀x + Σ_{i ∈ TopK(g(x))} ĝ_i(x)·(α/r)·B_i A_i x   with E_ℓ experts in block ℓ,
// default "2-4-6-8" (the arXiv paper's ▽ / "MoLA-▽": more experts in higher layers). Defaults follow the release
// (GCYZSL/MoLA): every linear of the blocks (q, k, v, o, gate, up, down), top-2, r 8, α 16, dropout 0.05, routers
// Kaiming-uniform without bias, renormalised top-k weights, and the per-layer load-balancing loss (coefficient 0.01, the
// mean over routers: see MixtureOfLoraExperts.cs).
// Groups to layers [U]: the release takes one count per layer (LLaMA-2-7B's 32 layers: "2,…,2,4,…,4,6,…,6,8,…,8", 8 of
// each). Here layer_experts lists G counts ("2-4-6-8", or one per layer) and layer ℓ of L takes count ⌊ℓ·G/L⌋: G equal
// contiguous groups where G divides L (the release's allocation on 32 layers; 3 layers per group on 12), group sizes
// differing by at most one otherwise, and with fewer layers than groups the layers take evenly spaced groups (a 2-layer
// model: 2 and 6 experts). A list of L counts is used as it is.
// Trainable: Σ_targets E_ℓ·(r(d_in + d_out) + d_in). Knob: r.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>MoLA settings: expert counts over depth ("2-4-6-8"), top-2, LoRA r 8, α 16, dropout 0.05 on every block linear.</summary>
public sealed record MolaConfig : MixtureOfLoraExpertsConfig
{
    public MolaConfig()
    {
        Targets = [SiteRoles.Query, SiteRoles.Key, SiteRoles.Value, SiteRoles.AttentionOutput, SiteRoles.MlpGate, SiteRoles.MlpUp, SiteRoles.MlpDown];
        RouterInit = RouterInit.KaimingUniform;
    }

    /// <summary>Expert counts from the lowest to the highest layers, '-' or ',' between them: G groups spread over the depth, or one per layer.</summary>
    public string LayerExperts { get; init; } = "2-4-6-8";

    /// <summary>The counts of <see cref="LayerExperts"/>; throws <see cref="FormatException"/> on anything but positive integers.</summary>
    public IReadOnlyList<int> ExpertGroups() =>
        LayerExperts.Split(['-', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new FormatException($"layer_experts: '{t}' is not a positive whole number of experts."))
            .ToList();

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        string? error = null;
        try { if (ExpertGroups().Count == 0) error = "layer_experts must list at least one count of experts (e.g. 2-4-6-8)."; }
        catch (FormatException e) { error = $"{e.Message} Write counts such as 2-4-6-8 (groups over the depth) or one per layer."; }
        if (error is not null) yield return error;
    }
}

/// <summary>LoRA experts with top-k routers on every block linear, more experts in higher layers.</summary>
public sealed class Mola : MixtureOfLoraExpertsMethod<MolaConfig>
{
    public override string Id => "mola";
    public override int Version => 1;
    public override string Citation => "Gao et al., arXiv 2402.08562 (MoLA): MoE-LoRA with E_ℓ experts in layer ℓ (2-4-6-8 over depth), top-2, load balancing.";
    public override string Description => "LoRA experts (r 8, α 16) with a top-2 router on every block linear; 2, 4, 6, 8 experts from the lowest to the highest quarter of layers.";
    public override MolaConfig Defaults => new();

    public override int ExpertsAt(MolaConfig config, int layer, int layerCount) => ExpertsPerLayer(config.ExpertGroups(), layerCount)[layer];

    /// <summary>E_ℓ for each of <paramref name="layers"/> layers: layer ℓ takes group ⌊ℓ·G/L⌋ (one per layer when G = L).</summary>
    public static IReadOnlyList<int> ExpertsPerLayer(IReadOnlyList<int> groups, int layers) =>
        Enumerable.Range(0, layers).Select(l => groups[(int)((long)l * groups.Count / layers)]).ToList();
}
