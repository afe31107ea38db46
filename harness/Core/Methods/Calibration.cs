using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Methods;

/// <summary>
/// Training examples a method may look at before training (CorDA's input covariance; any data-aware init):
/// up to <c>maxExamples</c> of the cell's training split, chosen from the cell seed, as padded batches on the
/// model's device (token batches for text backbones, pixel or spectrogram batches for ViT/AST). Only methods that
/// call it pay for it.
/// </summary>
public delegate IReadOnlyList<ModelInputs> CalibrationSource(int maxExamples);

/// <summary>Calibration batches with their labels, for methods that estimate something from the task loss (Light-PEFT's early pruning).</summary>
public sealed record LabelledCalibration(IReadOnlyList<(TokenBatch Batch, Tensor Labels)> Batches, bool IsRegression);

/// <summary>
/// As <see cref="CalibrationSource"/> (the same examples from the same seed), with labels: class indices, or float targets
/// when <see cref="LabelledCalibration.IsRegression"/>.
/// </summary>
public delegate LabelledCalibration LabelledCalibrationSource(int maxExamples);

/// <summary>Statistics of what chosen linears see, from one no-grad pass of the model over calibration batches.</summary>
public static class Calibration
{
    /// <summary>
    /// Runs <paramref name="model"/> once over <paramref name="batches"/> in eval mode without gradients and calls
    /// <paramref name="observe"/> with each chosen linear, its input [batch, tokens, d_in] and the attention mask
    /// [batch, tokens] (all ones for pixel and spectrogram batches, which have no padding). Training mode is restored
    /// afterwards; nothing is attached to the model.
    /// </summary>
    public static void ObserveInputs(SequenceClassifier model, IReadOnlyList<AdaptableLinear> linears, IReadOnlyList<ModelInputs> batches,
        Action<AdaptableLinear, Tensor, Tensor> observe)
    {
        var wasTraining = model.training;
        Tensor? mask = null;
        var handles = linears.Select(l => l.register_forward_hook((module, input, output) =>
        {
            observe(l, input, mask ?? ones(input.shape[0], input.shape[1], dtype: ScalarType.Int64, device: input.device));
            return output;
        })).ToList();
        try
        {
            model.eval();
            using var _ = no_grad();
            foreach (var batch in batches)
            {
                using var scope = NewDisposeScope();
                mask = (batch as TokenBatch)?.AttentionMask;
                model.call(batch);
            }
        }
        finally
        {
            foreach (var h in handles) h.remove();
            if (wasTraining) model.train();
        }
    }

    /// <summary>
    /// C = (1/N) Σ_examples X̂ᵀX̂ per linear, X̂ = X / max|X| the example's non-padding input rows scaled by their
    /// largest magnitude, in float64 on the model's device: peft's CorDA covariance (corda.py, calib_cov_distribution,
    /// which hooks one unpadded example per forward; it scales by |max X|, we by max |X|, which is the same whenever
    /// the largest entry is positive and stays positive-scaled otherwise).
    /// </summary>
    public static Dictionary<AdaptableLinear, Tensor> InputCovariance(SequenceClassifier model, IReadOnlyList<AdaptableLinear> linears,
        IReadOnlyList<ModelInputs> batches)
    {
        var sums = linears.ToDictionary(l => l, l => zeros(l.InFeatures, l.InFeatures, dtype: ScalarType.Float64, device: l.weight.device));
        long examples = 0;
        ObserveInputs(model, linears, batches, (linear, input, mask) =>
        {
            var m = mask.to_type(ScalarType.Float64).unsqueeze(-1);
            var x = input.to_type(ScalarType.Float64) * m;
            var scale = x.abs().amax(new long[] { 1, 2 }, keepdim: true).clamp_min(1e-30);
            var rows = (x / scale).reshape(-1, linear.InFeatures);
            sums[linear].add_(rows.t().mm(rows));
        });
        foreach (var batch in batches) examples += batch.BatchSize;
        foreach (var c in sums.Values) c.div_(Math.Max(1, examples));
        return sums;
    }
}
