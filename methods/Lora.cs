// LoRA — Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022 (arXiv 2106.09685), eq. (3):
//     h = W₀x + ΔW x = W₀x + (α/r) · B A dropout(x),   A ∈ ℝ^{r×d_in}, B ∈ ℝ^{d_out×r}.
// A is Kaiming-uniform (a = √5, i.e. U(−1/√d_in, 1/√d_in)) and B = 0, as huggingface/peft does, so ΔW = 0 at
// init. ΔW = (α/r)·B·A folds into W₀ for inference. Trainable parameters: Σ over targets r(d_in + d_out).

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
/// LoRA settings. Defaults follow peft's <c>LoraConfig</c> for BERT: r = 8, α = 8, no dropout, targets
/// query and value, with a learning rate of 2e-3 (a small sweep on the embedded SST-2 / MNLI dev sets at the
/// default profile, seed 0: 2e-3 → 61.7 / 40.5, 5e-3 → 63.1 / 40.5; 5e-4 gave 57.0 / 34.3 before length-grouped
/// batching). Targets accept roles (<c>attn.q</c>), module names (<c>query</c>) or path globs
/// (<c>encoder.layer.*.attention.self.query</c>).
/// </summary>
public sealed record LoraConfig : MethodConfig
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
    public bool Equals(LoraConfig? other) =>
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
public sealed class Lora : PeftMethod<LoraConfig>
{
    /// <summary>Name of the adapter under its host linear: parameters are <c>….query.lora.lora_A</c> / <c>lora_B</c>.</summary>
    public const string AdapterName = "lora";

    public override string Id => "lora";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Hu et al., ICLR 2022 (LoRA), eq. 3: h = W₀x + (α/r)·B A x, A Kaiming-uniform, B = 0.";
    public override string Description => "Adds a trainable rank-r update (α/r)·BA to the targeted projections (default query, value); mergeable.";
    public override LoraConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override LoraConfig WithKnob(LoraConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(LoraConfig config) => config.Rank;

    protected override IEnumerable<string> Validate(LoraConfig config, SiteRegistry sites) => TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, LoraConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)config.Rank * (l.InFeatures + l.OutFeatures));

    protected override MethodAttachment Apply(SequenceClassifier model, LoraConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new LoraAdapter(linear.InFeatures, linear.OutFeatures, config, context));
        return new MethodAttachment(config);
    }

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

/// <summary>The pair (A, B) attached to one linear. Registered names mirror peft's <c>lora_A</c>/<c>lora_B</c>.</summary>
public sealed class LoraAdapter : LinearAdapter
{
    private readonly Dropout dropout;
    public Parameter lora_A;
    public Parameter lora_B;
    private readonly double scaling;

    public LoraAdapter(long inFeatures, long outFeatures, LoraConfig config, MethodContext context) : base(nameof(LoraAdapter))
    {
        dropout = nn.Dropout(config.Dropout);
        scaling = config.Alpha / config.Rank;
        // kaiming_uniform_(a=√5) on [r, d_in]: gain √(2/(1+5)), bound = gain·√(3/fan_in) = 1/√d_in.
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using (no_grad())
        {
            var a = rand(new long[] { config.Rank, inFeatures }, generator: context.Generator, device: context.Device);
            lora_A = new Parameter(a.mul_(2 * bound).sub_(bound));
        }
        lora_B = new Parameter(zeros(outFeatures, config.Rank, device: context.Device));
        RegisterComponents();
    }

    public double Scaling => scaling;

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(F.linear(dropout.call(input), lora_A), lora_B).mul(scaling);

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => lora_B.mm(lora_A).mul(scaling);
}
