// FLoRA — Si et al., "FLoRA: Low-Rank Core Space for N-dimension", arXiv 2405.14739 (2024), eq. (4) (Tucker form
// ΔW = G ×₁ U⁽¹⁾ ×₂ U⁽²⁾ … ×_N U⁽ᴺ⁾) specialised to a linear layer (N = 2), as the authors' released code
// (SJTU-DeepVisionLab/FLoRA, flora/layers.py) computes it:
//     ΔW = s · U⁽ᵒᵘᵗ⁾ Gᵀ U⁽ⁱⁿ⁾ᵀ,   U⁽ⁱⁿ⁾ ∈ ℝ^{d_in×r}, G ∈ ℝ^{r×r}, U⁽ᵒᵘᵗ⁾ ∈ ℝ^{d_out×r};  h = W₀x + ΔW x.
// Reading of the released code: the factors are Kaiming-normal with a = √3 over their rank dimension (std = √(1/2)/√r),
// the core G starts at zero (so ΔW = 0 at init), the scale s defaults to 1 (the paper tunes it per task — [U]),
// and both mode ranks are equal here (one knob r; the paper allows r₁ ≠ r₂). The 4-D (convolution) form is not
// available: the project's encoders have no convolutions. Trainable parameters per target: r² + r(d_in + d_out).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>FLoRA settings: r = 8 per mode, scale 1, targets query and value (the released code's linear defaults).</summary>
public sealed record FloraConfig : MethodConfig
{
    public FloraConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 8;
    public double Scale { get; init; } = 1;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Scale > 0) || double.IsInfinity(Scale)) yield return $"scale must be a positive number (got {Scale.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(FloraConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && Scale.Equals(other.Scale)
        && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(Scale);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Tucker (core + two factor matrices) update of each targeted linear; mergeable.</summary>
public sealed class Flora : PeftMethod<FloraConfig>
{
    public const string AdapterName = "flora";

    public override string Id => "flora";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Si et al., arXiv 2405.14739 (FLoRA), eq. 4 for N = 2: ΔW = s·U⁽ᵒᵘᵗ⁾GᵀU⁽ⁱⁿ⁾ᵀ, core G = 0 at init.";
    public override string Description => "Adds a Tucker-factored update U_out·Gᵀ·U_inᵀ with a trainable r×r core to the targeted projections (default query, value); mergeable.";
    public override FloraConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override FloraConfig WithKnob(FloraConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(FloraConfig config) => config.Rank;

    protected override IEnumerable<string> Validate(FloraConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, FloraConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)config.Rank * (config.Rank + l.InFeatures + l.OutFeatures));

    protected override MethodAttachment Apply(SequenceClassifier model, FloraConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new FloraAdapter(linear.InFeatures, linear.OutFeatures, config, context));
        return new MethodAttachment(config);
    }
}

/// <summary>The core and factors of one linear; names mirror the released code's <c>param_G</c>, <c>param_0</c> (input mode), <c>param_1</c> (output mode).</summary>
public sealed class FloraAdapter : LinearAdapter
{
    public Parameter param_G, param_0, param_1;
    private readonly double scale;

    public FloraAdapter(long inFeatures, long outFeatures, FloraConfig config, MethodContext context) : base(nameof(FloraAdapter))
    {
        scale = config.Scale;
        // kaiming_normal_(a = √3) on [d, r]: fan_in = r, std = √(2/(1 + 3))/√r.
        var std = Math.Sqrt(0.5 / config.Rank);
        param_G = new Parameter(zeros(config.Rank, config.Rank, device: context.Device));
        using (no_grad())
        {
            param_0 = new Parameter(context.Randn(inFeatures, config.Rank).mul_(std));
            param_1 = new Parameter(context.Randn(outFeatures, config.Rank).mul_(std));
        }
        RegisterComponents();
    }

    /// <summary>x ↦ s·U_out·Gᵀ·U_inᵀ·x without forming ΔW.</summary>
    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(F.linear(F.linear(input, param_0.t()), param_G.t()), param_1).mul(scale);

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => param_1.mm(param_G.t()).mm(param_0.t()).mul(scale);
}
