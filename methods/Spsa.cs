// The zeroth-order step MeZO (Malladi et al., "Fine-Tuning Language Models with Just Forward Passes", NeurIPS 2023,
// Algorithm 1; princeton-nlp/MeZO trainer: zo_perturb_parameters, zo_step, zo_update) and Sparse-MeZO (Liu et al.,
// arXiv 2402.15751, Algorithm 1) share. SPSA with in-place perturbation and a direction that is never stored:
//     z ~ N(0, I), regenerated from the step's seed s whenever it is needed
//     θ ← θ + εz;  ℓ₊ = L(θ; B);   θ ← θ − 2εz;  ℓ₋ = L(θ; B);   θ ← θ + εz      (θ is back at θ_t)
//     ĝ = (ℓ₊ − ℓ₋) / (2ε)                                                       (projected gradient, a scalar)
//     θ ← θ − η·(ĝ·z + λ·θ)      λ (weight decay) on ≥ 2-D tensors only, as MeZO skips biases and LayerNorm
// Sparse-MeZO replaces every z above by m ⊙ z for a mask m computed from θ_t.

using PeftBench.Core.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// The attachment of a zeroth-order method: the trainer calls <see cref="Step"/> per batch instead of backward + AdamW.
/// Memory: the parameters, one direction tensor the size of the largest parameter at a time and, for a masked variant,
/// one bool per element during the step; no gradients, no optimizer state, no autograd graph.
/// <para>
/// Restoration is in place, as MeZO's: θ + εz − 2εz + εz equals θ_t up to float rounding (a few ulps per element per
/// step), not bit for bit; MeZO accepts the same drift. The loss recorded for a step is (ℓ₊ + ℓ₋)/2, L(θ_t) to O(ε²)
/// (MeZO logs ℓ₊). A step whose ℓ₊ or ℓ₋ is not finite restores θ_t, skips the update and returns that value, which
/// the trainer reports as divergence.
/// </para>
/// </summary>
public sealed class SpsaAttachment : MethodAttachment, IZerothOrderStep
{
    private readonly ulong baseSeed;
    private readonly Func<Tensor, Tensor>? mask;

    /// <param name="epsilon">ε, the perturbation scale (MeZO's zo_eps).</param>
    /// <param name="mask">m(θ) for one parameter tensor (bool, same shape), or null to perturb every element.</param>
    public SpsaAttachment(MethodConfig config, double epsilon, MethodContext context, Func<Tensor, Tensor>? mask = null) : base(config)
    {
        Epsilon = epsilon;
        this.mask = mask;
        // One draw from the cell's init generator; every step's seed derives from it, so same cell seed → same directions.
        using var draw = randint(0, int.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64, generator: context.Generator);
        baseSeed = ((ulong)draw[0].item<long>() << 31) ^ (ulong)draw[1].item<long>();
    }

    public double Epsilon { get; }

    /// <summary>The seed z of step <paramref name="step"/> is drawn from (SplitMix64 of the base seed and the step).</summary>
    public ulong SeedOf(int step)
    {
        var x = baseSeed + 0x9E3779B97F4A7C15UL * (ulong)(step + 1);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public double Step(IReadOnlyList<Parameter> parameters, Func<double> loss, double learningRate, double weightDecay, int step)
    {
        var seed = SeedOf(step);
        var masks = Masks(parameters);
        try
        {
            var (plus, minus) = ProjectedLosses(parameters, masks, loss, seed);
            if (!double.IsFinite(plus)) return plus;
            if (!double.IsFinite(minus)) return minus;
            Update(parameters, masks, seed, (plus - minus) / (2 * Epsilon), learningRate, weightDecay);
            return (plus + minus) / 2;
        }
        finally
        {
            if (masks is not null) foreach (var m in masks) m.Dispose();
        }
    }

    /// <summary>The step's masks, computed from θ_t before any perturbation (null when the method perturbs every element).</summary>
    public IReadOnlyList<Tensor>? Masks(IReadOnlyList<Parameter> parameters)
    {
        if (mask is null) return null;
        using var _ = no_grad();
        return parameters.Select(p => mask(p)).ToList();
    }

    /// <summary>ℓ₊ = L(θ + εz) and ℓ₋ = L(θ − εz), leaving θ where it started (up to rounding): zo_step without the update.</summary>
    public (double Plus, double Minus) ProjectedLosses(IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor>? masks, Func<double> loss, ulong seed)
    {
        Perturb(parameters, masks, seed, Epsilon);
        var plus = loss();
        Perturb(parameters, masks, seed, -2 * Epsilon);
        var minus = loss();
        Perturb(parameters, masks, seed, Epsilon);
        return (plus, minus);
    }

    /// <summary>θ ← θ + scale·(m ⊙ z), z regenerated from <paramref name="seed"/> (zo_perturb_parameters).</summary>
    public void Perturb(IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor>? masks, ulong seed, double scale) =>
        ForEachDirection(parameters, masks, seed, (p, z, _) => p.add_(z, alpha: scale));

    /// <summary>θ ← θ − η·(ĝ·(m ⊙ z) + λ·m ⊙ θ), λ on ≥ 2-D tensors only (zo_update; the mask also limits the decay).</summary>
    public void Update(IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor>? masks, ulong seed, double projectedGradient,
        double learningRate, double weightDecay) =>
        ForEachDirection(parameters, masks, seed, (p, z, m) =>
        {
            if (weightDecay > 0 && p.dim() >= 2)
            {
                if (m is null) p.mul_(1 - learningRate * weightDecay);
                else p.add_(p * m, alpha: -learningRate * weightDecay);
            }
            p.add_(z, alpha: -learningRate * projectedGradient);
        });

    /// <summary>
    /// Calls <paramref name="apply"/> with each parameter and its (masked) direction, drawn in parameter order from a
    /// generator seeded with <paramref name="seed"/>, on the CPU in fp32 and then moved: the same z on every device and
    /// dtype. One direction tensor is alive at a time.
    /// </summary>
    private static void ForEachDirection(IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor>? masks, ulong seed,
        Action<Parameter, Tensor, Tensor?> apply)
    {
        using var generator = new Generator(seed, CPU);
        using var _ = no_grad();
        for (var i = 0; i < parameters.Count; i++)
        {
            using var scope = NewDisposeScope();
            var p = parameters[i];
            var z = randn(p.shape, dtype: ScalarType.Float32, generator: generator).to(p.dtype, p.device);
            var m = masks?[i];
            if (m is not null) z = z * m;
            apply(p, z, m);
        }
    }
}
