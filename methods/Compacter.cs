// Compacter — Karimi Mahabadi, Henderson & Ruder, "Compacter: Efficient Low-Rank Hypercomplex Adapter Layers",
// NeurIPS 2021 (arXiv 2106.04647), §3, eq. (4)–(5): Houlsby's adapter h ← h + U(GeLU(D(h))) with each projection a
// parameterised hypercomplex multiplication (PHM) layer
//     y = x·W + b,   W = Σ_{i=1}^{n} A_i ⊗ B_i,   B_i = s_i t_iᵀ (low rank),
// A_i ∈ ℝ^{n×n} shared by every Compacter layer of the model, s_i ∈ ℝ^{(in/n)×r}, t_i ∈ ℝ^{r×(out/n)} per layer
// (the paper: rank r = 1). Compacter places adapters after the attention and the feed-forward sublayers (Houlsby's
// positions), Compacter++ after the feed-forward only (CompacterPlusPlus.cs). As in the paper, the backbone's layer
// norms train too. Defaults are adapters' CompacterConfig: n = 4, bottleneck k = d/32, GeLU, A ~ N(0, 10⁻⁸)
// (phm_init_range 1e-4), s_i and t_i Glorot-uniform per i, biases 0; k is rounded down to a multiple of n (at least
// n) so that both PHM layers factor. A is tiny, so the adapter is near the identity at init: on the contract model the
// logits move by less than 10⁻⁶, which PeftBench counts as unchanged (PreservesOutputAtInit).
// Trainable per adapter: r(d + k) + k (down) + r(k + d) + d (up); plus n³ once, plus the layer norms.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>
/// Compacter settings (Compacter and Compacter++). The knob is the rank r of B_i = s_i t_iᵀ: the count is nearly flat in
/// k (d dominates r(d + k)), so r is what moves it. Learning rate 3e-3 as the paper's GLUE runs.
/// </summary>
public sealed record CompacterConfig : MethodConfig
{
    public CompacterConfig() => LearningRate = 3e-3;

    /// <summary>n: the number of Kronecker terms and the block count of each PHM weight.</summary>
    public int PhmDim { get; init; } = 4;
    /// <summary>r, the rank of each B_i.</summary>
    public int PhmRank { get; init; } = 1;
    /// <summary>k; 0 means d / reduction_factor rounded down to a multiple of n (at least n).</summary>
    public int Bottleneck { get; init; }
    public double ReductionFactor { get; init; } = 32;
    /// <summary>σ of the shared A_i's N(0, σ²) init (adapters' phm_init_range).</summary>
    public double PhmInitRange { get; init; } = 1e-4;
    public bool TrainLayerNorm { get; init; } = true;

    /// <summary>k for a residual stream of width <paramref name="width"/>.</summary>
    public long BottleneckFor(long width) =>
        Bottleneck > 0 ? Bottleneck : Math.Max(PhmDim, PhmDim * (long)Math.Floor(width / ReductionFactor / PhmDim));

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (PhmDim < 1) yield return $"phm_dim must be at least 1 (got {PhmDim}).";
        if (PhmRank < 1) yield return $"phm_rank must be at least 1 (got {PhmRank}).";
        if (Bottleneck < 0) yield return $"bottleneck must be at least 1, or 0 for d / reduction_factor (got {Bottleneck}).";
        if (!(ReductionFactor > 0) || double.IsInfinity(ReductionFactor)) yield return $"reduction_factor must be a positive number (got {ReductionFactor.ToString(inv)}).";
        if (!(PhmInitRange > 0) || double.IsInfinity(PhmInitRange)) yield return $"phm_init_range must be a positive number (got {PhmInitRange.ToString(inv)}).";
    }
}

/// <summary>Compacter: PHM adapters after the attention and after the FFN of every block, plus the layer norms.</summary>
public sealed class Compacter : CompacterFamily
{
    public override string Id => "compacter";
    public override string Citation => "Karimi Mahabadi et al., NeurIPS 2021 (Compacter): Houlsby adapters with W = Σ A_i ⊗ (s_i t_iᵀ), A_i shared, after attention and FFN.";
    public override string Description => "Houlsby-placed adapters whose projections are low-rank PHM layers (n = 4, k = d/32, GeLU, shared A_i), plus the layer norms.";
    protected override string[] Roles => [SiteRoles.AfterAttention, SiteRoles.AfterMlp];
}

/// <summary>What Compacter and Compacter++ share; they differ only in where the adapters go.</summary>
public abstract class CompacterFamily : PeftMethod<CompacterConfig>
{
    /// <summary>Name under the residual site: <c>….residual_site.adapter.phm_down.W_left</c>.</summary>
    public const string AdapterName = "adapter";

    protected abstract string[] Roles { get; }

    public override int Version => 1;
    public override string Family => "adapter";
    public override CompacterConfig Defaults => new();
    public override Knob Knob => new("phm_rank", 1, 256);
    public override bool PreservesOutputAtInit => true;

    protected override CompacterConfig WithKnob(CompacterConfig config, int value) => config with { PhmRank = value };
    protected override int KnobValue(CompacterConfig config) => config.PhmRank;

    protected override IEnumerable<string> Validate(CompacterConfig config, SiteRegistry sites)
    {
        foreach (var problem in ResidualAdapterSites.MissingRoles(Id, Roles, sites)) yield return problem;
        if (config.PhmDim < 1) yield break;
        foreach (var width in sites.SelectResiduals(Roles).Select(r => r.Width).Distinct())
        {
            if (width % config.PhmDim != 0)
                yield return $"{Id}: the hidden size {width} is not divisible by phm_dim {config.PhmDim}, so a PHM layer cannot factor it.";
            if (config.BottleneckFor(width) % config.PhmDim != 0)
                yield return $"{Id}: bottleneck {config.BottleneckFor(width)} is not divisible by phm_dim {config.PhmDim}.";
        }
    }

    /// <summary>A bottleneck left to the reduction factor becomes its width on this model (k = 4 for d = 128 at 32).</summary>
    protected override CompacterConfig Resolve(SiteRegistry sites, CompacterConfig config) =>
        config.Bottleneck > 0 || sites.SelectResiduals(Roles) is not [var site, ..] ? config
            : config with { Bottleneck = (int)config.BottleneckFor(site.Width) };

    protected override long CountTrainable(SiteRegistry sites, CompacterConfig config)
    {
        long r = config.PhmRank, n = config.PhmDim;
        var adapters = sites.SelectResiduals(Roles).Sum(s =>
        {
            long d = s.Width, k = config.BottleneckFor(d);
            return r * (d + k) + k + r * (k + d) + d;
        });
        var norms = config.TrainLayerNorm ? ResidualAdapterSites.NormParameters(sites) : 0;
        return adapters + n * n * n + norms;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, CompacterConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        if (config.TrainLayerNorm) ResidualAdapterSites.UnfreezeNorms(model.Sites);
        var rule = new PhmRule(config.PhmDim, config.PhmInitRange, context);
        var first = true;
        foreach (var site in model.Sites.SelectResiduals(Roles))
        {
            site.Attach(AdapterName, new CompacterAdapter(site.Width, config.BottleneckFor(site.Width), config, rule, ownsRule: first, context));
            first = false;
        }
        return new MethodAttachment(config);
    }
}

/// <summary>The A_i ∈ ℝ^{n×n} (stacked as <c>phm_rule</c> [n, n, n]) that every PHM layer of the model shares.</summary>
public sealed class PhmRule : nn.Module
{
    public Parameter phm_rule;

    public PhmRule(long n, double initRange, MethodContext context) : base(nameof(PhmRule))
    {
        using (no_grad()) phm_rule = new Parameter(context.Randn(n, n, n).mul_(initRange));
        RegisterComponents();
    }
}

/// <summary>
/// One PHM layer y = x·(Σ A_i ⊗ s_i t_iᵀ) + b, [in] → [out]: <c>W_left</c> (s) [n, in/n, r], <c>W_right</c> (t)
/// [n, r, out/n], <c>b</c> [out] (adapters' names). The Kronecker sum is rebuilt each forward from the shared A.
/// </summary>
public sealed class PhmLayer : nn.Module
{
    public Parameter W_left;
    public Parameter W_right;
    public Parameter b;

    public PhmLayer(long inFeatures, long outFeatures, long n, long rank, MethodContext context) : base(nameof(PhmLayer))
    {
        long a = inFeatures / n, c = outFeatures / n;
        using (no_grad())
        {
            // Glorot-uniform on each [a, r] and [r, c] slice: U(±√(6 / (fan_in + fan_out))).
            W_left = new Parameter(Uniform(context, Math.Sqrt(6.0 / (a + rank)), n, a, rank));
            W_right = new Parameter(Uniform(context, Math.Sqrt(6.0 / (rank + c)), n, rank, c));
        }
        b = new Parameter(zeros(outFeatures, device: context.Device));
        RegisterComponents();
    }

    private static Tensor Uniform(MethodContext context, double bound, params long[] shape) =>
        context.Rand(shape).mul_(2 * bound).sub_(bound);

    /// <summary>W = Σ_i A_i ⊗ (s_i t_i) as [in, out].</summary>
    public Tensor Weight(Tensor rule)
    {
        long n = rule.shape[0], a = W_left.shape[1], c = W_right.shape[2];
        var blocks = W_left.bmm(W_right);                                   // [n, a, c]
        var kron = rule.view(n, n, 1, n, 1) * blocks.view(n, 1, a, 1, c);   // [n, n, a, n, c]: A_i[p, q]·B_i[s, t]
        return kron.reshape(n, n * a, n * c).sum(new long[] { 0 });
    }

    public Tensor Forward(Tensor x, Tensor rule) => F.linear(x, Weight(rule).t(), b);
}

/// <summary>h + U(GeLU(D(h))) with PHM layers D: d → k and U: k → d; the first adapter of the model holds the shared rule.</summary>
public sealed class CompacterAdapter : nn.Module<Tensor, Tensor>
{
    private readonly PhmLayer phm_down;
    private readonly PhmLayer phm_up;
    private readonly PhmRule rule;

    public CompacterAdapter(long width, long bottleneck, CompacterConfig config, PhmRule rule, bool ownsRule, MethodContext context)
        : base(nameof(CompacterAdapter))
    {
        this.rule = rule;
        phm_down = new PhmLayer(width, bottleneck, config.PhmDim, config.PhmRank, context);
        phm_up = new PhmLayer(bottleneck, width, config.PhmDim, config.PhmRank, context);
        // Registered by hand: the shared rule once (in its owner), so the model's parameter list holds it once.
        register_module("phm_down", phm_down);
        register_module("phm_up", phm_up);
        if (ownsRule) register_module("phm_rule", rule);
    }

    public override Tensor forward(Tensor hidden)
    {
        var a = rule.phm_rule;
        return hidden + phm_up.Forward(F.gelu(phm_down.Forward(hidden, a)), a);
    }
}
