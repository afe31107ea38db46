// Mixture of LoRA experts — what MoE-LoRA (MoeLora.cs; MixLoRA, Li et al., arXiv 2404.15159; LoRAMoE) and MoLA (Mola.cs;
// Gao et al., arXiv 2402.08562) share. Each targeted linear keeps W₀ frozen and gets E LoRA experts and a router:
//     h = W₀x + Σ_{i ∈ TopK(g(x))} ĝ_i(x) · (α/r) B_i A_i x,    g(x) = softmax(W_g x),   ĝ_i = g_i / Σ_{j ∈ TopK} g_j,
// per token, A_i ∈ ℝ^{r×d_in} Kaiming-uniform, B_i ∈ ℝ^{d_out×r} = 0 (so h = W₀x at init), W_g ∈ ℝ^{E×d_in} without bias.
// The top-k weights are renormalised to sum to 1, as Mixtral's router, MixLoRA (`routing_weights /= sum`) and MoLA's
// release do; with k = E this is the dense softmax mixture. The router reads x itself, the experts a dropped-out x (MoLA).
// Per-linear routing (each target its own router) is the formulation of MoLA's release and LoRAMoE; MixLoRA instead
// routes once per FFN block to whole-FFN experts (LoRA on gate/up/down sharing one router) — not implemented here.
// Load balancing (Switch Transformer, Fedus et al. 2022, eq. 4–6, in MoLA's per-layer form): for each router over the
// N tokens of the batch, f_i = share of the N·k top-k assignments that went to expert i (Σ f_i = 1), P_i = mean router
// probability of expert i; its loss is E·Σ_i f_i·P_i, which is 1 when the routing is balanced (P_i = 1/E) and up to E when
// it collapses onto one expert. The auxiliary loss added to the task loss is coefficient × the mean over the routers
// (0.01: MixLoRA's README "router_aux_loss_coef"); f carries no gradient, P does (as in the references). Mixtral's and
// MixLoRA's f counts each of the k slots apart (Σ f = k), which is k × this value; MoLA's release sums over layers where
// we average, so the coefficient means the same whatever the number of targets. Padding positions are routed and
// counted like the others (the adapter does not see the attention mask; MoLA's release does the same).
// Computation: every expert runs on every token and the weights outside the top-k are 0, so the numbers (and gradients:
// an unselected expert gets none) are those of sparse dispatch; the cost is that of one LoRA of rank E·r per target,
// which on CPU-sized models is cheaper than E gathers and scatters. Nothing merges (the mixture depends on x).
// Trainable per target: E·r(d_in + d_out) + E·d_in.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>How the router's W_g starts.</summary>
public enum RouterInit
{
    /// <summary>N(0, 0.02²): MixLoRA's router_init_range 0.02.</summary>
    Normal,
    /// <summary>Kaiming-uniform (a = √5), U(±1/√d_in): MoLA's release.</summary>
    KaimingUniform,
}

/// <summary>
/// Settings shared by the LoRA-expert mixtures: LoRA's rank, α, dropout and targets per expert (r 8, α 16, dropout 0.05 as
/// MixLoRA and MoLA), top-k, the load-balancing coefficient and the router's init. A target role the backbone family does
/// not have is skipped (mlp.gate on BERT or GPT-2), so one default serves every family.
/// </summary>
public abstract record MixtureOfLoraExpertsConfig : LoraConfig
{
    protected MixtureOfLoraExpertsConfig()
    {
        Alpha = 16;
        Dropout = 0.05;
    }

    public int TopK { get; init; } = 2;
    /// <summary>Weight of the load-balancing loss; 0 turns it off.</summary>
    public double LoadBalancingCoefficient { get; init; } = 0.01;
    public RouterInit RouterInit { get; init; } = RouterInit.Normal;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (TopK < 1) yield return $"top_k must be at least 1 (got {TopK.ToString(inv)}).";
        if (!(LoadBalancingCoefficient >= 0) || double.IsInfinity(LoadBalancingCoefficient))
            yield return $"load_balancing_coefficient must be 0 or a positive number (got {LoadBalancingCoefficient.ToString(inv)}).";
        if (!Enum.IsDefined(RouterInit)) yield return $"router_init must be one of {string.Join(", ", Enum.GetNames<RouterInit>())}.";
    }
}

/// <summary>
/// One <see cref="MixtureOfLoraExperts"/> per targeted linear, with as many experts as <see cref="ExpertsAt"/> gives its
/// layer; the backbone frozen, the load-balancing loss added to the task loss.
/// </summary>
public abstract class MixtureOfLoraExpertsMethod<TConfig> : PeftMethod<TConfig> where TConfig : MixtureOfLoraExpertsConfig
{
    /// <summary>Name under the host linear: <c>….intermediate.dense.moe_lora.lora_A</c>, <c>….router</c>.</summary>
    public const string AdapterName = "moe_lora";

    public override string Family => "mixture";
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;

    /// <summary>E for a target in block <paramref name="layer"/> of <paramref name="layerCount"/>.</summary>
    public abstract int ExpertsAt(TConfig config, int layer, int layerCount);

    protected override TConfig WithKnob(TConfig config, int value) => (TConfig)((LoraConfig)config with { Rank = value });
    protected override int KnobValue(TConfig config) => config.Rank;

    protected override IEnumerable<string> Validate(TConfig config, SiteRegistry sites)
    {
        // A role the family lacks is skipped (BERT has no mlp.gate); a module name or glob that matches nothing is a typo.
        foreach (var problem in LoraFamily<LoraConfig>.TargetProblems(Id, config.Targets.Where(t => !SiteRoles.LinearRoles.Contains(t.Trim())).ToList(), sites))
            yield return problem;
        if (sites.SelectLinears(config.Targets).Count == 0)
            yield return $"{Id}: targets {string.Join(", ", config.Targets)} select no linear layer of this model (roles it has: {string.Join(", ", sites.Linears.Where(l => l.Role != SiteRoles.Head).Select(l => l.Role).Distinct())}).";
        // The settings' own problems are reported already; expert counts cannot be looked up until they are fixed.
        if (config.Validate().Any()) yield break;
        foreach (var l in sites.SelectLinears(config.Targets))
        {
            if (l.LayerIndex < 0 || l.LayerIndex >= sites.LayerCount)
                yield return $"{Id}: {l.Path} is outside the transformer blocks; experts are assigned per block.";
            else if (config.TopK > ExpertsAt(config, l.LayerIndex, sites.LayerCount))
                yield return $"{Id}: top_k {config.TopK} exceeds the {ExpertsAt(config, l.LayerIndex, sites.LayerCount)} experts of {l.Path}; lower top_k or give that layer more experts.";
        }
    }

    /// <summary>E·r(d_in + d_out) for the experts and E·d_in for the router, per target.</summary>
    public static long TrainablePerTarget(long inFeatures, long outFeatures, int rank, int experts) =>
        experts * ((long)rank * (inFeatures + outFeatures) + inFeatures);

    protected override long CountTrainable(SiteRegistry sites, TConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => TrainablePerTarget(l.InFeatures, l.OutFeatures, config.Rank, ExpertsAt(config, l.LayerIndex, sites.LayerCount)));

    protected override MethodAttachment Apply(SequenceClassifier model, TConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var adapters = new List<MixtureOfLoraExperts>();
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            var adapter = new MixtureOfLoraExperts(linear.InFeatures, linear.OutFeatures, ExpertsAt(config, linear.LayerIndex, model.Sites.LayerCount), config, context);
            linear.Attach(AdapterName, adapter);
            adapters.Add(adapter);
        }
        return new LoadBalancingAttachment(config, config.LoadBalancingCoefficient, adapters);
    }
}

/// <summary>Adds coefficient × the mean load-balancing loss of the routers' last training forward pass to the task loss.</summary>
public sealed class LoadBalancingAttachment(MethodConfig config, double coefficient, IReadOnlyList<MixtureOfLoraExperts> routers) : MethodAttachment(config)
{
    public override Tensor? AuxiliaryLoss()
    {
        if (coefficient == 0) return null;
        var losses = routers.Select(r => r.TakeLoadBalancingLoss()).OfType<Tensor>().ToList();
        return losses.Count == 0 ? null : stack(losses).mean().mul(coefficient);
    }
}

/// <summary>
/// E LoRA experts and a router on one linear: lora_A [E, r, d_in], lora_B [E, d_out, r], router [E, d_in]. In training
/// it keeps its last routing (router probabilities and the chosen experts) for the load-balancing loss, which the
/// attachment takes within the same training step.
/// </summary>
public sealed class MixtureOfLoraExperts : LinearAdapter
{
    public Parameter lora_A;
    public Parameter lora_B;
    public Parameter router;
    private readonly Dropout dropout;
    private readonly long inFeatures, outFeatures, rank;
    private Tensor? lastProbabilities, lastSelected;

    public int Experts { get; }
    public int TopK { get; }
    public double Scaling { get; }

    public MixtureOfLoraExperts(long inFeatures, long outFeatures, int experts, MixtureOfLoraExpertsConfig config, MethodContext context)
        : base(nameof(MixtureOfLoraExperts))
    {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        rank = config.Rank;
        Experts = experts;
        TopK = config.TopK;
        Scaling = config.Alpha / config.Rank;
        using (no_grad())
        {
            // Each A_i Kaiming-uniform over its own fan-in d_in (the same bound for all), each B_i = 0.
            lora_A = new Parameter(KaimingUniform.Draw(experts * rank, inFeatures, context).view(experts, rank, inFeatures));
            lora_B = new Parameter(zeros(experts, outFeatures, rank, device: context.Device));
            router = new Parameter(config.RouterInit == RouterInit.Normal
                ? context.Randn(experts, inFeatures).mul_(0.02)
                : KaimingUniform.Draw(experts, inFeatures, context));
        }
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>
    /// Router probabilities g = softmax(logits) over the last dimension, the top-k of them renormalised to sum to 1 and
    /// scattered back to E columns (0 elsewhere), and the chosen experts' indices.
    /// </summary>
    public static (Tensor Weights, Tensor Probabilities, Tensor Selected) Route(Tensor logits, int topK)
    {
        var probabilities = logits.softmax(-1);
        var (top, selected) = probabilities.topk(topK, dim: -1);
        var weights = zeros_like(probabilities).scatter(-1, selected, top / top.sum(-1, keepdim: true));
        return (weights, probabilities, selected);
    }

    /// <summary>
    /// E·Σ_i f_i·P_i for N tokens' router probabilities [N, E] and chosen experts [N, k]: 1 when balanced. P carries the
    /// gradient; f, a count, does not.
    /// </summary>
    public static Tensor LoadBalancingLoss(Tensor probabilities, Tensor selected, int experts)
    {
        Tensor share;
        using (no_grad())
            share = F.one_hot(selected.reshape(-1), experts).to(probabilities.dtype).sum(dim: 0).div(selected.numel());
        return (share * probabilities.mean(new long[] { 0 })).sum().mul(experts);
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        var x = input.reshape(-1, inFeatures);
        var (weights, probabilities, selected) = Route(F.linear(x, router), TopK);
        if (training)
        {
            lastProbabilities = probabilities;
            lastSelected = selected;
        }
        // [N, E·r] → weight each expert's r coordinates by its routing weight → Σ_i ĝ_i B_i (A_i x) as one product with
        // the experts' B side by side ([d_out, E·r], columns i·r … i·r + r − 1 are B_i).
        var down = F.linear(dropout.call(x), lora_A.view(Experts * rank, inFeatures)).view(-1, Experts, rank) * weights.unsqueeze(-1);
        var up = F.linear(down.view(-1, Experts * rank), lora_B.permute(1, 0, 2).reshape(outFeatures, Experts * rank));
        return baseOutput + up.mul(Scaling).view(baseOutput.shape);
    }

    /// <summary>The load-balancing loss of the last training forward pass, once; null when there was none since.</summary>
    public Tensor? TakeLoadBalancingLoss()
    {
        if (lastProbabilities is null || lastSelected is null) return null;
        var loss = LoadBalancingLoss(lastProbabilities, lastSelected, Experts);
        lastProbabilities = lastSelected = null;
        return loss;
    }
}
