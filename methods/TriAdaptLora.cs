// TriAdaptLoRA — Liang et al., "TriAdaptLoRA: Brain-Inspired Triangular Adaptive Low-Rank Adaptation for
// Parameter-Efficient Fine-Tuning", arXiv 2501.08008 (2025), §3. What the paper states (abstract and method
// overview): (1) a triangular split of the transformation matrices into lower- and upper-triangular components,
// (2) a parameter importance metric based on normalised Frobenius norms, (3) adaptive rank growth governed by
// dynamic (e.g. linear) thresholds. No released code was available to us; this is our reading, all of it [U]:
//     ΔW_m = α/(r_m + 1e-5) · L_m diag(λ_m) U_m,
//   L_m = B_m masked lower-triangular (component j's column of B is zero above row j), U_m = A_m masked
//   upper-triangular (component j's row of A is zero left of column j): a truncated LU-like factorisation, so a
//   new rank adds one column to L and one row to U without re-parameterising the ranks already learnt;
//     I_m = ‖ΔW_m ⊙ ∇_{ΔW_m} L‖_F / √(d_out·d_in)   (Frobenius norm of the sensitivity, normalised by the size so
//   that modules of different shapes compare), smoothed Ī_m ← β₁Ī_m + (1−β₁)I_m, then Î_m = Ī_m / max_k Ī_k;
//     every interval steps in the growth window, each module with Î_m ≥ τ(t) grows by one rank (λ = 0, so the
//   output is continuous), τ falling linearly from threshold_start (0.9) to threshold_end (0.3) over the window,
//   until its share of the budget (target_r·n ranks per shape group) is spent.
// Built on IncreLoRA's SVD form (λ = 0, factors N(0, 0.02), α/(r + 1e-5)); no reserves. The interval spreads the
// target_r − init_r growth steps a module may need over the window. Components come from a per-shape pool (see
// GrowingRank.cs); the triangular masks zero entries of dense factors, so the count is the dense one:
// Σ over targets target_r(d_in + d_out + 1). The final ranks go in the cell result.

using System.Globalization;
using PeftBench.Core.Methods;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>TriAdaptLoRA settings: init_r 2, target_r 8 (average), α 8, thresholds 0.9 → 0.3 (linear).</summary>
public sealed record TriAdaptLoraConfig : GrowingRankConfig
{
    public double ThresholdStart { get; init; } = 0.9;
    public double ThresholdEnd { get; init; } = 0.3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (!(ThresholdStart >= ThresholdEnd && ThresholdEnd >= 0 && ThresholdStart <= 1))
            yield return $"thresholds must satisfy 1 ≥ threshold_start ≥ threshold_end ≥ 0 (got {ThresholdStart.ToString(CultureInfo.InvariantCulture)} → {ThresholdEnd.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>Triangular SVD-form update whose rank grows where normalised importance passes a falling threshold; mergeable.</summary>
public sealed class TriAdaptLora : GrowingRankMethod<TriAdaptLoraConfig>
{
    public override string Id => "triadaptlora";
    public override string Citation => "Liang et al., arXiv 2501.08008 (TriAdaptLoRA), §3: triangular factors L diag(λ) U, normalised-Frobenius importance, rank growth above a linearly falling threshold.";
    public override string Description => "Lower/upper-triangular SVD-form update grown from init_r (2) toward an average target_r (8) where normalised importance passes a linear threshold; mergeable.";
    public override TriAdaptLoraConfig Defaults => new();
    protected override bool Triangular => true;

    protected override MethodAttachment Attachment(TriAdaptLoraConfig config, IReadOnlyList<GrowingRankAdapter> adapters) =>
        new TriAdaptAttachment(config, adapters);

    /// <summary>τ at <paramref name="step"/>: threshold_start at the window's start, threshold_end at its end, linear between.</summary>
    public static double Threshold(TriAdaptLoraConfig config, GrowthWindow window, int step)
    {
        if (window.End <= window.Start) return config.ThresholdEnd;
        var progress = Math.Clamp((double)(step - window.Start) / (window.End - window.Start), 0, 1);
        return config.ThresholdStart + (config.ThresholdEnd - config.ThresholdStart) * progress;
    }

    /// <summary>Steps between growths: the window divided by the target_r − init_r growths a module may need.</summary>
    public static int Interval(TriAdaptLoraConfig config, GrowthWindow window) =>
        config.TargetRank <= config.InitRank ? int.MaxValue : Math.Max(1, (window.End - window.Start) / (config.TargetRank - config.InitRank));

    private sealed class TriAdaptAttachment(TriAdaptLoraConfig config, IReadOnlyList<GrowingRankAdapter> adapters)
        : GrowingRankAttachment(config, adapters)
    {
        private readonly double[] average = new double[adapters.Count];

        public override void AfterOptimizerStep(int step, int totalSteps)
        {
            var window = GrowthWindow.For(config, totalSteps);
            if (step > window.End) return;
            using (NewDisposeScope())
            using (no_grad())
            {
                for (var m = 0; m < Adapters.Count; m++)
                {
                    if (Adapters[m].LastDeltaAndGradient() is not var (delta, gradient)) continue;
                    var norm = (delta * gradient).norm().item<float>() / Math.Sqrt(delta.numel());
                    average[m] = config.Beta1 * average[m] + (1 - config.Beta1) * norm;
                }
            }
            if (!window.IsGrowthStep(step, Interval(config, window))) return;
            var max = average.Max();
            if (!(max > 0)) return;
            var tau = Threshold(config, window, step);
            foreach (var m in Enumerable.Range(0, Adapters.Count).Where(m => average[m] / max >= tau).OrderByDescending(m => average[m]))
                if (Adapters[m].Pool.Free > 0) Adapters[m].Take(1, active: true);
        }
    }
}
