// LoRA — Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022 (arXiv 2106.09685), eq. (3):
//     h = W₀x + ΔW x = W₀x + (α/r) · B A dropout(x),   A ∈ ℝ^{r×d_in}, B ∈ ℝ^{d_out×r}.
// A is Kaiming-uniform (a = √5, i.e. U(−1/√d_in, 1/√d_in)) and B = 0, as huggingface/peft does, so ΔW = 0 at
// init. ΔW = (α/r)·B·A folds into W₀ for inference. Trainable parameters: Σ over targets r(d_in + d_out).

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

/// <summary>
/// LoRA settings. Defaults follow peft's <c>LoraConfig</c> for BERT: r = 8, α = 8, no dropout, targets
/// query and value, with a learning rate of 2e-3 (a small sweep on the embedded SST-2 / MNLI dev sets at the
/// default profile, seed 0: 2e-3 → 61.7 / 40.5, 5e-3 → 63.1 / 40.5; 5e-4 gave 57.0 / 34.3 before length-grouped
/// batching). Targets accept roles (<c>attn.q</c>), module names (<c>query</c>) or path globs
/// (<c>encoder.layer.*.attention.self.query</c>). Not sealed: the LoRA variants that add a setting (LoRA+'s
/// learning-rate ratio, CorDA's mode) derive from it; a derived record's canonical JSON carries its own fields.
/// </summary>
public record LoraConfig : MethodConfig
{
    public LoraConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public double Dropout { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    // Targets is a list, so the compiler's record equality would compare references: compare elements instead.
    public virtual bool Equals(LoraConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && Alpha.Equals(other.Alpha)
        && Dropout.Equals(other.Dropout) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(Alpha); hash.Add(Dropout);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Low-rank update of each targeted linear; merges into W₀.</summary>
public sealed class Lora : LoraFamily<LoraConfig>
{
    public override string Id => "lora";
    public override int Version => 1;
    public override string Citation => "Hu et al., ICLR 2022 (LoRA), eq. 3: h = W₀x + (α/r)·B A x, A Kaiming-uniform, B = 0.";
    public override string Description => "Adds a trainable rank-r update (α/r)·BA to the targeted projections (default query, value); mergeable.";
    public override LoraConfig Defaults => new();

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraConfig config, MethodContext context) =>
        new LoraAdapter(linear.InFeatures, linear.OutFeatures, config, context);
}

/// <summary>
/// What LoRA and its variants share: the rank knob, target selection by role / module name / path glob, a
/// frozen backbone with a trainable head, one adapter named <see cref="AdapterName"/> per target, and merging.
/// A variant says how it builds the adapter and, where it differs, what it trains per target.
/// </summary>
public abstract class LoraFamily<TConfig> : PeftMethod<TConfig>, IPeftCheckpointMethod where TConfig : LoraConfig
{
    /// <summary>Name of the adapter under its host linear: parameters are <c>….query.lora.lora_A</c> / <c>lora_B</c>.</summary>
    public const string AdapterName = "lora";

    public override string Family => "low-rank";
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    /// <summary>
    /// True for initialisations that split W₀ into a frozen residual and the adapter (SVD, QR: PiSSA, MiLoRA, OLoRA,
    /// CorDA): the rank cannot exceed min(d_in, d_out), and the adapter is saved as peft saves a converted PiSSA /
    /// OLoRA adapter, a plain LoRA delta of rank 2r with lora_alpha 2α (see ResidualLoraAdapter).
    /// </summary>
    protected virtual bool SplitsWeight => false;

    /// <summary>
    /// True where the adapter is initialised from r singular (or QR) components of a weight, so the rank cannot exceed
    /// min(d_in, d_out): the residual-split initialisations and LoftQ (whose factors come from an SVD of W₀ − Q).
    /// </summary>
    protected virtual bool RankBoundedByWeight => SplitsWeight;

    // A with-expression on the LoraConfig view clones the runtime type, so derived configs keep their own settings.
    protected override TConfig WithKnob(TConfig config, int value) => (TConfig)((LoraConfig)config with { Rank = value });
    protected override int KnobValue(TConfig config) => config.Rank;

    protected override Knob? KnobFor(SiteRegistry sites, TConfig config)
    {
        if (!RankBoundedByWeight) return Knob;
        var targets = sites.SelectLinears(config.Targets);
        return targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Min(l => Math.Min(l.InFeatures, l.OutFeatures))) };
    }

    protected override IEnumerable<string> Validate(TConfig config, SiteRegistry sites)
    {
        foreach (var problem in TargetProblems(Id, config.Targets, sites)) yield return problem;
        if (!RankBoundedByWeight) yield break;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => config.Rank > Math.Min(l.InFeatures, l.OutFeatures)))
            yield return $"{Id}: rank {config.Rank} exceeds min(d_in, d_out) = {Math.Min(l.InFeatures, l.OutFeatures)} of {l.Path}; the decomposition has no more components.";
    }

    /// <summary>Trainable elements the adapter adds to one target at rank r; LoRA's r(d_in + d_out) by default.</summary>
    protected virtual long TrainablePerTarget(AdaptableLinear linear, int rank) => (long)rank * (linear.InFeatures + linear.OutFeatures);

    protected override long CountTrainable(SiteRegistry sites, TConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => TrainablePerTarget(l, config.Rank));

    protected abstract LinearAdapter CreateAdapter(AdaptableLinear linear, TConfig config, MethodContext context);

    /// <summary>
    /// One adapter per target, all built before any is attached. Data-aware variants (CorDA) override this to
    /// gather statistics over the targets first; the rest build each adapter from its layer alone.
    /// </summary>
    protected virtual IReadOnlyList<(AdaptableLinear Linear, LinearAdapter Adapter)> CreateAdapters(SequenceClassifier model, TConfig config, MethodContext context) =>
        model.Sites.SelectLinears(config.Targets).Select(l => (l, CreateAdapter(l, config, context))).ToList();

    /// <summary>The attachment returned by <see cref="Apply"/>; LoRA+ adds its learning-rate groups here.</summary>
    protected virtual MethodAttachment Attachment(TConfig config) => new(config);

    protected override MethodAttachment Apply(SequenceClassifier model, TConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var (linear, adapter) in CreateAdapters(model, config, context))
            linear.Attach(AdapterName, adapter);
        return Attachment(config);
    }

    /// <summary>peft's LoraConfig fields for this variant; every LoRA variant saves in peft's plain LoRA layout.</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (TConfig)config;
        var json = new JsonObject
        {
            ["peft_type"] = "LORA", ["r"] = c.Rank, ["lora_alpha"] = c.Alpha, ["lora_dropout"] = c.Dropout,
            ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
            ["bias"] = "none", ["fan_in_fan_out"] = false, ["use_rslora"] = false, ["use_dora"] = false, ["init_lora_weights"] = true,
        };
        if (SplitsWeight)
        {
            json["r"] = 2 * c.Rank;
            json["lora_alpha"] = 2 * c.Alpha;
        }
        AdjustPeftConfig(json, c);
        return json;
    }

    /// <summary>Where a variant's saved form differs from plain LoRA (use_rslora, use_dora, a converted rank).</summary>
    protected virtual void AdjustPeftConfig(JsonObject peftConfig, TConfig config) { }

    /// <summary>Our defaults with peft's r, lora_alpha, lora_dropout and target_modules (module names).</summary>
    public virtual MethodConfig FromPeftConfig(JsonObject adapterConfig) => (LoraConfig)Defaults with
    {
        Rank = adapterConfig["r"]!.GetValue<int>(),
        Alpha = adapterConfig["lora_alpha"]!.GetValue<double>(),
        Dropout = adapterConfig["lora_dropout"]?.GetValue<double>() ?? 0,
        Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
    };

    /// <summary>One message per target that selects nothing, listing the roles and module names that exist.</summary>
    internal static IEnumerable<string> TargetProblems(string methodId, IReadOnlyList<string> targets, SiteRegistry sites)
    {
        var candidates = sites.Linears.Where(l => l.Role != SiteRoles.Head).ToList();
        foreach (var target in targets.Where(t => !string.IsNullOrWhiteSpace(t)))
        {
            if (sites.SelectLinears(new[] { target }).Count > 0) continue;
            var roles = candidates.Select(l => l.Role).Distinct();
            var names = candidates.Select(l => l.Path[(l.Path.LastIndexOf('.') + 1)..]).Distinct();
            yield return $"{methodId}: target '{target}' matches no linear layer. Roles: {string.Join(", ", roles)}; " +
                         $"module names: {string.Join(", ", names)}; or a glob over paths such as '{candidates.FirstOrDefault()?.Path ?? "encoder.layer.*.attention.self.query"}'.";
        }
    }
}

/// <summary>
/// The pair (A, B) attached to one linear. Registered names mirror peft's <c>lora_A</c>/<c>lora_B</c>. The LoRA
/// variants reuse it: rsLoRA changes the scaling, LoRA-FA keeps A as a frozen buffer (so it is neither trained
/// nor counted), DoRA and the residual-split initialisations (PiSSA, MiLoRA, OLoRA, CorDA) derive from it.
/// </summary>
public class LoraAdapter : LinearAdapter, IPeftAdapterTensors
{
    private readonly Dropout dropout;
    private readonly double dropoutProbability;
    public Tensor lora_A;
    public Parameter lora_B;
    private readonly double scaling;

    /// <summary>
    /// peft's default init: A Kaiming-uniform, B = 0, scaling α/r unless <paramref name="scaling"/> says otherwise
    /// (rsLoRA's α/√r); <paramref name="trainA"/> false keeps A frozen (LoRA-FA).
    /// </summary>
    public LoraAdapter(long inFeatures, long outFeatures, LoraConfig config, MethodContext context, double? scaling = null, bool trainA = true)
        : this(KaimingUniformA(config.Rank, inFeatures, context), zeros(outFeatures, config.Rank, device: context.Device),
               scaling ?? config.Alpha / config.Rank, config.Dropout, trainA)
    {
    }

    /// <summary>
    /// An adapter from given factors (taken over, not copied). <paramref name="trainA"/> false registers A as a
    /// buffer: it is saved with the model but never trained (LoRA-FA).
    /// </summary>
    public LoraAdapter(Tensor a, Tensor b, double scaling, double dropoutProbability, bool trainA = true) : base(nameof(LoraAdapter))
    {
        this.scaling = scaling;
        this.dropoutProbability = dropoutProbability;
        dropout = nn.Dropout(dropoutProbability);
        // Registered by hand (not RegisterComponents) so that A can be a parameter or a buffer and derived adapters
        // can add their own tensors after this constructor has run.
        register_module("dropout", dropout);
        // Long-lived: detached from any dispose scope the caller (e.g. an SVD init) may be running in.
        lora_A = trainA ? new Parameter(a.detach()) : a.detach();
        lora_A.DetachFromDisposeScope();
        if (lora_A is Parameter pa) register_parameter("lora_A", pa); else register_buffer("lora_A", lora_A);
        lora_B = new Parameter(b.detach());
        lora_B.DetachFromDisposeScope();
        register_parameter("lora_B", lora_B);
    }

    /// <summary>kaiming_uniform_(a=√5) on [r, d_in]: gain √(2/(1+5)), bound = gain·√(3/fan_in) = 1/√d_in.</summary>
    private static Tensor KaimingUniformA(int rank, long inFeatures, MethodContext context)
    {
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using var _ = no_grad();
        return context.Rand(rank, inFeatures).mul_(2 * bound).sub_(bound);
    }

    public double Scaling => scaling;

    /// <summary>True while dropout actually drops (training with p &gt; 0): then the dropped input differs from x.</summary>
    protected bool DropsInput => training && dropoutProbability > 0;

    protected Tensor Dropped(Tensor input) => dropout.call(input);

    /// <summary>s·B A x for an already dropped-out x.</summary>
    protected Tensor LowRank(Tensor droppedInput) => F.linear(F.linear(droppedInput, lora_A), lora_B).mul(scaling);

    /// <summary>s·B A, the update in weight space.</summary>
    protected Tensor LowRankWeight() => lora_B.mm(lora_A).mul(scaling);

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) => baseOutput + LowRank(Dropped(input));

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => LowRankWeight();

    /// <summary>peft's names: lora_A / lora_B are nn.Linear modules there, hence <c>.weight</c>.</summary>
    public virtual IReadOnlyDictionary<string, Tensor> ToPeft() =>
        new Dictionary<string, Tensor> { ["lora_A.weight"] = lora_A, ["lora_B.weight"] = lora_B };

    public virtual void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors)
    {
        PeftAdapterCheckpoint.CopyInto(lora_A, Saved(tensors, "lora_A.weight"), "lora_A.weight");
        PeftAdapterCheckpoint.CopyInto(lora_B, Saved(tensors, "lora_B.weight"), "lora_B.weight");
    }

    protected static Tensor Saved(IReadOnlyDictionary<string, Tensor> tensors, string name) =>
        tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"the adapter folder has no '{name}' for this layer.");
}
