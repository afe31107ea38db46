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
/// this benchmark's recipes; the stable SPSA rate shrinks as the parameter count grows (the estimate's variance grows
/// with d), so the default is our own, for tiny-bert's 1.8M parameters: the largest rate of a small sweep (default
/// profile, seed 0, 200 steps) that stayed stable on every task type. SST-2 accuracy (majority 50.1): 1e-4 → 49.9,
/// 1e-3 → 50.9, 3e-3 → 51.8, 1e-2 → 50.1 with the training loss blown up to ~170. STS-B (MSE, larger gradients):
/// 1e-4 and 3e-4 bring the training loss from ~8 to ~2 (Pearson −0.04 / 0.04); 1e-3 blows it up to 1e11 from step 14;
/// 3e-3 diverges (NaN at step 57). At 200 steps MeZO stays at chance on classification: the method needs far more
/// steps, which is the finding, not a bug. The trainer's schedule (warm-up, linear decay) applies as to every method;
/// MeZO's runs use a constant rate.
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
    public const double LearningRate = 3e-4;
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
