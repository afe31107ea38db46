// CorDA — Yang et al., "CorDA: Context-Oriented Decomposition Adaptation of Large Language Models for Task-Aware
// Parameter-Efficient Fine-tuning", NeurIPS 2024 (arXiv 2406.05223), §3, as huggingface/peft's lora/corda.py:
//     C = (1/N) Σ_n X̂_nᵀ X̂_n  (input covariance of the layer over N calibration examples, each scaled by its max),
//     C' = C + λ·mean(diag C)·I  (λ = 0.01, doubled until ‖C' C'⁻¹ − I‖_F < 0.05),
//     W₀ C' = U Σ Vhᵀ,  W₀ = U Σ (Vh C'⁻¹)  (exact),
//     IPM (instruction-previewed): the adapter takes the r largest components, B = U_r (Σ_r/s)^½,
//         A = (Σ_r/s)^½ (Vh C'⁻¹)_r, the rest frozen as W_res = W₀ − s·BA;
//     KPM (knowledge-preserved): the adapter takes the r smallest, the principal (knowledge) part is frozen.
// [U in METHODS.md; our reading] Decomposing W₀C' instead of W₀ orders the components by how much they act on the
// inputs the layer actually sees, so IPM adapts the task-relevant directions and KPM leaves the directions that
// matter for the calibration data untouched. The paper calibrates IPM on task samples and KPM on samples of the
// knowledge to keep (e.g. a QA set); offline we have only the cell's training split, so both modes calibrate on
// up to calibration_examples (peft's 256) of its examples, drawn from the cell seed (MethodContext.Calibration).
// The residual split is held as in PiSSA (ResidualLoraAdapter): output unchanged at init; mergeable.
// Trainable parameters: Σ over targets r(d_in + d_out).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>IPM adapts the top components of W₀C; KPM the bottom ones.</summary>
public enum CordaMode { Ipm, Kpm }

/// <summary>LoRA settings plus peft's <c>corda_method</c> (here <c>mode</c>) and the calibration set size.</summary>
public sealed record CordaConfig : LoraConfig
{
    public CordaMode Mode { get; init; } = CordaMode.Ipm;
    public int CalibrationExamples { get; init; } = 256;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (CalibrationExamples < 1) yield return $"calibration_examples must be at least 1 (got {CalibrationExamples.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>LoRA initialised from the covariance-weighted SVD of W₀; needs calibration data.</summary>
public sealed class Corda : LoraFamily<CordaConfig>
{
    public override string Id => "corda";
    public override int Version => 1;
    public override string Citation => "Yang et al., NeurIPS 2024 (CorDA): SVD(W₀C) = UΣVᵀ, W₀ = UΣ(VᵀC⁻¹); IPM adapts the top-r, KPM the bottom-r components.";
    public override string Description => "LoRA initialised from the SVD of W₀ times the input covariance (mode ipm: top-r adapted; kpm: bottom-r adapted), rest frozen; mergeable.";
    public override CordaConfig Defaults => new();
    protected override bool SplitsWeight => true;

    /// <summary>Input covariances of every target from one calibration pass, then one adapter per target.</summary>
    protected override IReadOnlyList<(AdaptableLinear Linear, LinearAdapter Adapter)> CreateAdapters(SequenceClassifier model, CordaConfig config, MethodContext context)
    {
        var targets = model.Sites.SelectLinears(config.Targets);
        if (context.Calibration is null && context.Device.type == DeviceType.META)
            // Shape-only accounting (`params`): the adapters' shapes do not depend on the statistics, which need data.
            return targets.Select(l => (l, Decompose(l, eye(l.InFeatures, dtype: ScalarType.Float64, device: context.Device), config))).ToList();
        var calibration = context.Calibration
            ?? throw new InvalidOperationException("corda needs calibration data (MethodContext.Calibration) to estimate each layer's input covariance.");
        var covariances = Calibration.InputCovariance(model, targets, calibration(config.CalibrationExamples));
        try { return targets.Select(l => (l, Decompose(l, covariances[l], config))).ToList(); }
        finally { foreach (var c in covariances.Values) c.Dispose(); }
    }

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, CordaConfig config, MethodContext context) =>
        throw new NotSupportedException("corda builds its adapters from the calibration statistics of all targets (CreateAdapters).");

    private static LinearAdapter Decompose(AdaptableLinear linear, Tensor covariance, CordaConfig config)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var w = linear.weight.detach().to_type(ScalarType.Float64);
        var (damped, inverse) = Damped(covariance);
        var (u, s, vh) = linalg.svd(w.mm(damped), fullMatrices: false);
        return ResidualLoraAdapter.FromComponents(u, s, vh.mm(inverse), config, largest: config.Mode == CordaMode.Ipm, linear.weight.dtype);
    }

    /// <summary>peft's damping: C + λ·mean(diag C)·I with λ from 0.01, doubled until C'·C'⁻¹ is within 0.05 of I.</summary>
    private static (Tensor Damped, Tensor Inverse) Damped(Tensor covariance)
    {
        if (covariance.device.type == DeviceType.META) return (covariance, covariance);
        var n = covariance.shape[0];
        var identity = eye(n, dtype: covariance.dtype, device: covariance.device);
        var meanDiagonal = covariance.diagonal().mean();
        for (var damp = 0.01; ; damp *= 2)
        {
            var damped = covariance + identity * meanDiagonal * damp;
            var inverse = linalg.inv(damped);
            if ((damped.mm(inverse) - identity).norm().item<double>() < 0.05 || damp > 1e6) return (damped, inverse);
        }
    }
}
