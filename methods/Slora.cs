// SLoRA / NLoRA / IntTune — Guo, Chang & Wu, "NLoRA: Nyström-Initiated Low-Rank Adaptation for Large Language
// Models", Findings of EMNLP 2025 (arXiv 2502.14482), §3: a small intermediate matrix between LoRA's factors,
//     h = W₀x + (α/r) · B M A x,   A ∈ ℝ^{r×d_in}, M ∈ ℝ^{r×r}, B ∈ ℝ^{d_out×r}.
// Reading of the paper and of the authors' released code (TracyGuo2001/NLoRA, peft/tuners/lora/layer.py,
// slora_init / nlora_init), which is what is implemented:
//   • slora: A and M Kaiming-uniform (a = √5), B = 0, so ΔW = 0 at init; trains A, M, B: r(d_in + d_out) + r².
//   • nlora: Nyström-style init from W₀'s first r rows and columns: A = W₀[:r, :], B = W₀[:, :r], and M = W₀[:r, :r].
//     The paper motivates M by the Nyström approximation W ≈ C·U⁺·R (U the r×r intersection); the released code
//     copies U itself into M (its pinv line is commented out) and does not subtract BMA from W₀, so the output
//     changes at init. We follow the code. Trains A, M, B: r(d_in + d_out) + r². The init draws nothing.
//   • inttune: NLoRA's init with A and B frozen (held as buffers, so they are neither trained nor counted) and only
//     M trained: r² per target.
// The released scripts use α = r (scaling 1), LoRA's peft defaults r = 8, α = 8; targets default to query, value.
// Merge folds (α/r)·BMA into W₀. The knob r is bounded by min(d_in, d_out) for the Nyström variants.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>Settings shared by slora, nlora and inttune: r = 8, α = 8, targets query and value.</summary>
public sealed record SloraConfig : MethodConfig
{
    public SloraConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(SloraConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && Alpha.Equals(other.Alpha)
        && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(Alpha);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>The three-matrix update B·M·A; the variants differ in init and in what trains.</summary>
public abstract class ThreeMatrixLora : PeftMethod<SloraConfig>
{
    public const string AdapterName = "slora";

    /// <summary>True: A, B, M from W₀'s first r rows and columns (NLoRA); false: random A, M and zero B (SLoRA).</summary>
    protected abstract bool Nystrom { get; }
    /// <summary>True: only M trains (IntTune).</summary>
    protected abstract bool OnlyMiddle { get; }

    public override int Version => 1;
    public override string Family => "low-rank";
    public override SloraConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => !Nystrom;
    public override bool CanMerge => true;

    protected override SloraConfig WithKnob(SloraConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(SloraConfig config) => config.Rank;

    protected override Knob? KnobFor(SiteRegistry sites, SloraConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        return !Nystrom || targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Min(l => Math.Min(l.InFeatures, l.OutFeatures))) };
    }

    protected override IEnumerable<string> Validate(SloraConfig config, SiteRegistry sites)
    {
        foreach (var problem in Lora.TargetProblems(Id, config.Targets, sites)) yield return problem;
        if (!Nystrom) yield break;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => config.Rank > Math.Min(l.InFeatures, l.OutFeatures)))
            yield return $"{Id}: rank {config.Rank} exceeds min(d_in, d_out) = {Math.Min(l.InFeatures, l.OutFeatures)} of {l.Path} (the Nyström init takes r rows and columns of W₀).";
    }

    protected override long CountTrainable(SiteRegistry sites, SloraConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)config.Rank * config.Rank + (OnlyMiddle ? 0 : config.Rank * (l.InFeatures + l.OutFeatures)));

    protected override MethodAttachment Apply(SequenceClassifier model, SloraConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new ThreeMatrixAdapter(linear, config, Nystrom, OnlyMiddle, context));
        return new MethodAttachment(config);
    }
}

/// <summary>SLoRA: B·M·A with M between LoRA's factors, B = 0 at init.</summary>
public sealed class Slora : ThreeMatrixLora
{
    public override string Id => "slora";
    protected override bool Nystrom => false;
    protected override bool OnlyMiddle => false;
    public override string Citation => "Guo et al., EMNLP Findings 2025 (SLoRA), §3.1: h = W₀x + (α/r)·B M A x, B = 0 at init.";
    public override string Description => "LoRA with a trainable r×r matrix between its factors (default query, value); mergeable.";
}

/// <summary>NLoRA: SLoRA initialised from W₀'s first r rows and columns, as the released code.</summary>
public sealed class Nlora : ThreeMatrixLora
{
    public override string Id => "nlora";
    protected override bool Nystrom => true;
    protected override bool OnlyMiddle => false;
    public override string Citation => "Guo et al., EMNLP Findings 2025 (NLoRA), §3.2: B M A with Nyström-style init A = W₀[:r,:], B = W₀[:,:r], M = W₀[:r,:r].";
    public override string Description => "Three-matrix LoRA initialised from rows and columns of W₀ (Nyström style; default query, value); mergeable.";
}

/// <summary>IntTune: NLoRA's init, only the r×r middle matrix trains.</summary>
public sealed class IntTune : ThreeMatrixLora
{
    public override string Id => "inttune";
    protected override bool Nystrom => true;
    protected override bool OnlyMiddle => true;
    public override string Citation => "Guo et al., EMNLP Findings 2025 (IntTune), §3.3: NLoRA's B M A with only M trained.";
    public override string Description => "Trains only the r×r middle matrix of a Nyström-initialised B·M·A update (default query, value); mergeable.";
}

/// <summary>A, M, B of one linear (names as the released code: lora_A, lora_N, lora_B); frozen A, B are buffers.</summary>
public sealed class ThreeMatrixAdapter : LinearAdapter
{
    public Parameter lora_N;
    public Parameter? lora_A, lora_B;
    private readonly Tensor? frozen_A, frozen_B;
    private readonly double scaling;

    public ThreeMatrixAdapter(AdaptableLinear host, SloraConfig config, bool nystrom, bool onlyMiddle, MethodContext context) : base(nameof(ThreeMatrixAdapter))
    {
        scaling = config.Alpha / config.Rank;
        var r = config.Rank;
        Tensor a, b, n;
        using (no_grad())
        {
            if (nystrom)
            {
                var w = host.weight.detach();
                a = w.narrow(0, 0, r).clone();
                b = w.narrow(1, 0, r).clone();
                n = w.narrow(0, 0, r).narrow(1, 0, r).clone();
            }
            else
            {
                a = KaimingUniform.Draw(r, host.InFeatures, context);
                n = KaimingUniform.Draw(r, r, context);
                b = zeros(host.OutFeatures, r, device: context.Device);
            }
        }
        lora_N = new Parameter(n);
        if (onlyMiddle) { frozen_A = a; frozen_B = b; }
        else { lora_A = new Parameter(a); lora_B = new Parameter(b); }
        RegisterComponents();
    }

    private Tensor A => lora_A ?? frozen_A!;
    private Tensor B => lora_B ?? frozen_B!;

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(F.linear(F.linear(input, A), lora_N), B).mul(scaling);

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => B.mm(lora_N).mm(A).mul(scaling);
}
