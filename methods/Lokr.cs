// LoKr — Edalati et al., "KronA: Parameter-Efficient Tuning with Kronecker Adapter", 2022 (arXiv 2212.10650),
// eq. (3), in the LyCORIS form (Yeh et al., ICLR 2024, §3.2) that huggingface/peft (tuners/lokr) implements:
//     ΔW = (α/r) · W₁ ⊗ W₂,   W₁ ∈ ℝ^{a×c}, W₂ ∈ ℝ^{b×e},  d_out = a·b, d_in = c·e;  h = W₀x + ΔW x.
// The split follows peft's factorization(dim, decompose_factor = −1): the divisor pair (m ≤ n, m·n = dim) closest
// to √dim, with a, c the smaller and b, e the larger factors. W₂ is full when r ≥ max(b, e)/2 and the rank-r
// product W₂ = W₂ₐW₂ᵦ otherwise (peft's use_w2 rule); W₁ is always full (decompose_both = false). Init as peft:
// W₁ = 0, the W₂ factors Kaiming-uniform (a = √5), so ΔW = 0. The scale is α/r even when W₂ is full, as peft.
// Trainable parameters per target: a·c + (b·e if W₂ is full, else r(b + e)).
// The knob r is coarse: it only matters below max(b, e)/2 (4 on a 32-wide layer, 16 on 768), above which the
// count is constant; where b ≠ e the count can even drop at the switch to a full W₂, so the fitter's range stops there.
// Checkpoints use peft's LoKr layout (lokr_w1, lokr_w2 or lokr_w2_a/lokr_w2_b; adapter_config.json with peft_type
// LOKR, r, alpha, decompose_factor): a peft folder loads with peft's logits and ours loads in peft. Not implemented,
// so refused on loading when set: decompose_both (a factored W₁); rank_dropout / module_dropout (training-time only)
// are saved as 0 and ignored on loading.

using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>LoKr settings. Defaults follow peft's <c>LoKrConfig</c>: r = 8, α = 8, decompose_factor −1, targets query and value.</summary>
public sealed record LokrConfig : MethodConfig
{
    public LokrConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    /// <summary>peft's <c>decompose_factor</c>: −1 splits each dimension near its square root; k &gt; 0 uses k when it divides.</summary>
    public int DecomposeFactor { get; init; } = -1;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (DecomposeFactor == 0 || DecomposeFactor < -1) yield return $"decompose_factor must be −1 or a positive integer (got {DecomposeFactor}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(LokrConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && Alpha.Equals(other.Alpha)
        && DecomposeFactor == other.DecomposeFactor && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(Alpha); hash.Add(DecomposeFactor);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Kronecker-product update W₁ ⊗ W₂ on each targeted linear; mergeable.</summary>
public sealed class Lokr : PeftMethod<LokrConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "lokr";

    public override string Id => "lokr";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Edalati et al., 2022 (KronA) eq. 3 / LyCORIS LoKr: ΔW = (α/r)·W₁ ⊗ W₂, W₁ = 0 at init, W₂ low-rank below max(b, e)/2.";
    public override string Description => "Adds a Kronecker product W₁ ⊗ W₂ (W₂ optionally rank r) to the targeted projections (default query, value); mergeable.";
    public override LokrConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override LokrConfig WithKnob(LokrConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(LokrConfig config) => config.Rank;

    /// <summary>Ranks above the switch to a full W₂ on every target change nothing: the range stops there.</summary>
    protected override Knob? KnobFor(SiteRegistry sites, LokrConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        if (targets.Count == 0) return Knob;
        var full = targets.Max(l => FullRank(Shape(l, config.DecomposeFactor)));
        return Knob with { Max = Math.Min(Knob.Max, full) };
    }

    protected override IEnumerable<string> Validate(LokrConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, LokrConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l =>
        {
            var s = Shape(l, config.DecomposeFactor);
            return s.A * s.C + (UsesFullW2(s, config.Rank) ? s.B * s.E : (long)config.Rank * (s.B + s.E));
        });

    protected override MethodAttachment Apply(SequenceClassifier model, LokrConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new LokrAdapter(Shape(linear, config.DecomposeFactor), config, context));
        return new MethodAttachment(config);
    }

    /// <summary>peft's LoKrConfig fields (0.21).</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (LokrConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "LOKR", ["r"] = c.Rank, ["alpha"] = c.Alpha, ["decompose_factor"] = c.DecomposeFactor,
            ["decompose_both"] = false, ["rank_dropout"] = 0.0, ["module_dropout"] = 0.0, ["rank_dropout_scale"] = false,
            ["use_effective_conv2d"] = false, ["init_weights"] = true, ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        PeftAdapterCheckpoint.Require(adapterConfig, "decompose_both", false);
        return Defaults with
        {
            Rank = adapterConfig["r"]!.GetValue<int>(),
            Alpha = adapterConfig["alpha"]!.GetValue<double>(),
            DecomposeFactor = PeftAdapterCheckpoint.Field(adapterConfig, "decompose_factor", -1),
            Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
        };
    }

    /// <summary>d_out = a·b, d_in = c·e with W₁ ∈ ℝ^{a×c}, W₂ ∈ ℝ^{b×e}.</summary>
    internal readonly record struct KronShape(long A, long B, long C, long E);

    internal static KronShape Shape(AdaptableLinear l, int factor)
    {
        var (a, b) = Factorization(l.OutFeatures, factor);
        var (c, e) = Factorization(l.InFeatures, factor);
        return new KronShape(a, b, c, e);
    }

    internal static bool UsesFullW2(KronShape s, int rank) => rank >= Math.Max(s.B, s.E) / 2.0;

    private static int FullRank(KronShape s) => (int)Math.Ceiling(Math.Max(s.B, s.E) / 2.0);

    /// <summary>peft's factorization: (m, n) with m ≤ n, m·n = dimension, m + n smallest, m ≤ factor when factor &gt; 0.</summary>
    public static (long M, long N) Factorization(long dimension, int factor)
    {
        if (factor > 0 && dimension % factor == 0) { var f = (long)factor; return (Math.Min(f, dimension / f), Math.Max(f, dimension / f)); }
        long limit = factor == -1 ? dimension : factor;
        long m = 1, n = dimension;
        while (m < n)
        {
            var nextM = m + 1;
            while (dimension % nextM != 0) nextM++;
            var nextN = dimension / nextM;
            if (nextM + nextN > m + n || nextM > limit) break;
            m = nextM; n = nextN;
        }
        return m > n ? (n, m) : (m, n);
    }
}

/// <summary>W₁ and W₂ (or its factors) of one linear; names mirror peft's <c>lokr_w1</c>, <c>lokr_w2</c>, <c>lokr_w2_a</c>, <c>lokr_w2_b</c>.</summary>
public sealed class LokrAdapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter lokr_w1;
    public Parameter? lokr_w2, lokr_w2_a, lokr_w2_b;
    private readonly double scaling;

    internal LokrAdapter(Lokr.KronShape shape, LokrConfig config, MethodContext context) : base(nameof(LokrAdapter))
    {
        scaling = config.Alpha / config.Rank;
        lokr_w1 = new Parameter(zeros(shape.A, shape.C, device: context.Device));
        if (Lokr.UsesFullW2(shape, config.Rank))
            lokr_w2 = new Parameter(KaimingUniform.Draw(shape.B, shape.E, context));
        else
        {
            lokr_w2_a = new Parameter(KaimingUniform.Draw(shape.B, config.Rank, context));
            lokr_w2_b = new Parameter(KaimingUniform.Draw(config.Rank, shape.E, context));
        }
        RegisterComponents();
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(input, DeltaWeight(host));

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        var w2 = lokr_w2 ?? lokr_w2_a!.mm(lokr_w2_b!);
        return kron(lokr_w1, w2).mul(scaling).MoveToOuterDisposeScope();
    }

    public IReadOnlyDictionary<string, Tensor> ToPeft() => lokr_w2 is { } w2
        ? new Dictionary<string, Tensor> { ["lokr_w1"] = lokr_w1, ["lokr_w2"] = w2 }
        : new Dictionary<string, Tensor> { ["lokr_w1"] = lokr_w1, ["lokr_w2_a"] = lokr_w2_a!, ["lokr_w2_b"] = lokr_w2_b! };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());
}
