// SSF — Lian, Zhou, Feng & Wang, "Scaling & Shifting Your Features: A New Baseline for Efficient Model Tuning",
// NeurIPS 2022 (arXiv 2210.08823), §3.2 (SSF-ADA): after every operation of the backbone (each linear projection — fused qkv,
// attention output, fc1, fc2 — and each LayerNorm) the output x is scaled and shifted per feature,
//     y = γ ⊙ x + β,   γ, β ∈ ℝ^{d_out},
// and nothing else trains. Here that is every non-head linear and every norm of the backbone (the patch-embedding
// convolution of ViT/AST is not adapted: PeftBench has no site on it). Init follows the released code
// (dongzelian/SSF, init_ssf_scale_shift): γ ~ N(1, 0.02²), β ~ N(0, 0.02²), so the output moves slightly at init;
// init_std = 0 gives the exact identity γ = 1, β = 0 instead.
// Re-parameterisation (the paper's §3.3, as we read it): a scale and shift after a linear layer folds into it, W' = diag(γ)W, b' = γ ⊙ b + β (a
// bias-free linear holds the merged bias outside its parameters); after a LayerNorm it folds into the norm's gain and
// bias, w' = γ ⊙ w, b' = γ ⊙ b + β. An RMSNorm has no bias to take β, so on LLaMA-style models the merge is refused.
// Trainable: 2 · (Σ over linears d_out + Σ over norms d).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>SSF settings: the spread of the init around γ = 1, β = 0. Learning rate 3e-3 as (IA)³'s (not swept).</summary>
public sealed record SsfConfig : MethodConfig
{
    public SsfConfig() => LearningRate = 3e-3;

    /// <summary>σ of γ ~ N(1, σ²) and β ~ N(0, σ²); the released code's 0.02 by default.</summary>
    public double InitStd { get; init; } = 0.02;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (!(InitStd >= 0) || double.IsInfinity(InitStd)) yield return $"init_std must be a non-negative number (got {InitStd.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>A per-feature scale and shift after every linear and norm of the backbone; mergeable into them.</summary>
public sealed class Ssf : PeftMethod<SsfConfig>
{
    /// <summary>Name under each linear and norm: <c>….query.ssf.scale</c>, <c>….LayerNorm.ssf.shift</c>.</summary>
    public const string AdapterName = "ssf";

    public override string Id => "ssf";
    public override int Version => 1;
    public override string Family => "scaling";
    public override string Citation => "Lian et al., NeurIPS 2022 (SSF): y = γ ⊙ x + β after every linear and LayerNorm, folded into them for inference.";
    public override string Description => "Scales and shifts the output of every linear layer and norm per feature (γ ~ N(1, 0.02²), β ~ N(0, 0.02²)); mergeable.";
    public override SsfConfig Defaults => new();
    public override bool PreservesOutputAtInit => false;
    public override bool CanMerge => true;

    private static IEnumerable<AdaptableLinear> Linears(SiteRegistry sites) => sites.Linears.Where(l => l.Role != SiteRoles.Head);

    /// <summary>A norm's feature width, from its gain; null for a norm without one.</summary>
    private static long? Width(nn.Module norm) =>
        norm.named_parameters(recurse: false).Where(p => p.name == "weight").Select(p => (long?)p.parameter.numel()).FirstOrDefault();

    protected override IEnumerable<string> Validate(SsfConfig config, SiteRegistry sites)
    {
        foreach (var (path, norm) in sites.Norms.Where(n => Width(n.Module) is null))
            yield return $"{Id}: the norm {path} has no gain, so its feature width (for γ and β) is unknown.";
    }

    protected override long CountTrainable(SiteRegistry sites, SsfConfig config) =>
        2 * (Linears(sites).Sum(l => l.OutFeatures) + sites.Norms.Sum(n => Width(n.Module) ?? 0));

    protected override MethodAttachment Apply(SequenceClassifier model, SsfConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in Linears(model.Sites))
        {
            var (scale, shift) = ScaleShift(linear.OutFeatures, config.InitStd, context);
            linear.Attach(AdapterName, new SsfLinearAdapter(scale, shift));
        }
        foreach (var (_, norm) in model.Sites.Norms)
        {
            var (scale, shift) = ScaleShift(Width(norm)!.Value, config.InitStd, context);
            new SsfNormAdapter(scale, shift).AttachTo(norm, AdapterName);
        }
        return new MethodAttachment(config);
    }

    /// <summary>γ ~ N(1, σ²) and β ~ N(0, σ²) from the cell's generator (γ = 1, β = 0 without draws at σ = 0).</summary>
    private static (Tensor Scale, Tensor Shift) ScaleShift(long width, double std, MethodContext context)
    {
        using var _ = no_grad();
        if (std == 0) return (ones(width, device: context.Device), zeros(width, device: context.Device));
        return (context.Randn(width).mul_(std).add_(1), context.Randn(width).mul_(std));
    }
}

/// <summary>γ ⊙ (Wx + b) + β on one linear; folds into W and b.</summary>
public sealed class SsfLinearAdapter : LinearAdapter
{
    public Parameter scale;
    public Parameter shift;

    public SsfLinearAdapter(Tensor scale, Tensor shift) : base(nameof(SsfLinearAdapter))
    {
        this.scale = new Parameter(scale);
        this.shift = new Parameter(shift);
        RegisterComponents();
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) => baseOutput * scale + shift;

    public override bool CanMerge => true;

    /// <summary>diag(γ)W − W.</summary>
    public override Tensor DeltaWeight(AdaptableLinear host) => host.weight * (scale - 1).unsqueeze(1);

    /// <summary>γ ⊙ b + β − b (β alone for a bias-free linear).</summary>
    public override Tensor? DeltaBias(AdaptableLinear host) => host.bias is null ? shift.clone() : host.bias * (scale - 1) + shift;
}

/// <summary>γ ⊙ LN(x) + β on one norm; folds into the norm's gain and bias where it has both.</summary>
public sealed class SsfNormAdapter : NormAdapter
{
    public Parameter scale;
    public Parameter shift;

    public SsfNormAdapter(Tensor scale, Tensor shift) : base(nameof(SsfNormAdapter))
    {
        this.scale = new Parameter(scale);
        this.shift = new Parameter(shift);
        RegisterComponents();
    }

    protected override Tensor Transform(Tensor normalised) => normalised * scale + shift;

    public override bool CanMerge => NormParameter("weight") is not null && NormParameter("bias") is not null;

    protected override (Tensor Weight, Tensor? Bias) Folded(Tensor weight, Tensor? bias) => (weight * scale, bias! * scale + shift);
}
