// MeZO — Malladi, Gao, Nichani, Damian, Lee, Chen & Arora, "Fine-Tuning Language Models with Just Forward Passes",
// NeurIPS 2023 (arXiv 2305.17333), Algorithm 1: ZO-SGD with the SPSA estimate computed in place,
//     ĝ = [L(θ + εz; B) − L(θ − εz; B)] / (2ε),   θ ← θ − η·(ĝ·z + λθ),   z ~ N(0, I) regenerated from a per-step seed,
// two forward passes per step, no backpropagation, no optimizer state (see Spsa.cs for the step itself).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>
/// MeZO settings. ε = 1e-3 as the paper. The paper's learning rates (1e-6 / 1e-7 for full-parameter MeZO on
/// RoBERTa-large and OPT, 100k steps at a constant rate) are for models of 350M–66B parameters and 50× more steps than
/// this benchmark's recipes; the stable SPSA rate shrinks with the parameter count (the estimate's variance grows with
/// d), so the default here is MeZO's own rate for tiny-bert's 1.8M parameters, chosen by a small sweep (see the README).
/// The trainer's schedule (warm-up, linear decay) applies to it as to every method; MeZO's runs use a constant rate.
/// </summary>
public sealed record MezoConfig : MethodConfig
{
    public MezoConfig() => LearningRate = MezoDefaults.LearningRate;

    /// <summary>ε, the perturbation scale (MeZO's zo_eps).</summary>
    public double Epsilon { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon))
            yield return $"epsilon must be a positive number (got {Epsilon.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>Defaults the two zeroth-order methods share.</summary>
internal static class MezoDefaults
{
    public const double LearningRate = 1e-3;
}

/// <summary>
/// Full-parameter MeZO: every backbone parameter and the head are updated by the zeroth-order step and nothing is
/// backpropagated anywhere (the head too: a first-order head would bring back gradients and AdamW state, and peak memory
/// would no longer show the method's point). requires_grad marks the set the step updates; no .grad is ever made.
/// </summary>
public sealed class Mezo : PeftMethod<MezoConfig>
{
    public override string Id => "mezo";
    public override int Version => 1;
    public override string Family => "zeroth-order";
    public override string Citation => "Malladi et al., NeurIPS 2023 (MeZO), Alg. 1: ĝ = [L(θ+εz) − L(θ−εz)]/(2ε), θ ← θ − η ĝ z, z regenerated from a seed.";
    public override string Description => "Trains every backbone parameter and the head with in-place SPSA: two forward passes per step, no backpropagation, no optimizer state.";
    public override MezoConfig Defaults => new();
    public override bool PreservesOutputAtInit => true;

    protected override long CountTrainable(SiteRegistry sites, MezoConfig config) => sites.BackboneParameters;

    protected override MethodAttachment Apply(SequenceClassifier model, MezoConfig config, MethodContext context)
    {
        foreach (var p in model.parameters()) p.requires_grad = true;
        return new SpsaAttachment(config, config.Epsilon, context);
    }
}
