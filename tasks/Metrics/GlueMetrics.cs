using MathNet.Numerics.Statistics;
using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Metrics;

/// <summary>
/// The GLUE metrics as pure functions over (predictions, gold), the <see cref="MetricSpec.Compute"/> signature.
/// Classification predictions are class indices stored as floats; they are compared after rounding so that
/// 0.9999f from a cast never counts as a miss. Degenerate inputs (constant predictions, empty lists) give 0,
/// not NaN, because a NaN would poison seed averages and table bolding downstream.
/// </summary>
public static class GlueMetrics
{
    public static double Accuracy(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        CheckLengths(predictions, gold);
        if (gold.Count == 0) return 0;
        int hits = 0;
        for (int i = 0; i < gold.Count; i++) if (Class(predictions[i]) == Class(gold[i])) hits++;
        return (double)hits / gold.Count;
    }

    /// <summary>Binary F1 of the positive class 1 (MRPC, QQP). No predicted and no gold positives → 0.</summary>
    public static double F1(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        var (tp, fp, fn, _) = Confusion(predictions, gold);
        var denominator = 2.0 * tp + fp + fn;
        return denominator == 0 ? 0 : 2.0 * tp / denominator;
    }

    /// <summary>
    /// Matthews correlation (CoLA): (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)), 0 when any factor is 0
    /// (a constant predictor), as scikit-learn does.
    /// </summary>
    public static double Matthews(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        var (tp, fp, fn, tn) = Confusion(predictions, gold);
        var product = (double)(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
        return product == 0 ? 0 : ((double)tp * tn - (double)fp * fn) / Math.Sqrt(product);
    }

    /// <summary>Pearson r (STS-B); 0 when either side has no variance.</summary>
    public static double Pearson(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        CheckLengths(predictions, gold);
        if (gold.Count < 2) return 0;
        var r = Correlation.Pearson(predictions.Select(p => (double)p), gold.Select(g => (double)g));
        return double.IsFinite(r) ? r : 0;
    }

    /// <summary>Spearman ρ with average ranks for ties (STS-B); 0 when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        CheckLengths(predictions, gold);
        if (gold.Count < 2) return 0;
        var rho = Correlation.Spearman(predictions.Select(p => (double)p), gold.Select(g => (double)g));
        return double.IsFinite(rho) ? rho : 0;
    }

    private static int Class(float value) => (int)MathF.Round(value);

    /// <summary>Counts with class 1 as positive; any other class counts as negative.</summary>
    private static (long Tp, long Fp, long Fn, long Tn) Confusion(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        CheckLengths(predictions, gold);
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            bool p = Class(predictions[i]) == 1, g = Class(gold[i]) == 1;
            if (p && g) tp++; else if (p) fp++; else if (g) fn++; else tn++;
        }
        return (tp, fp, fn, tn);
    }

    private static void CheckLengths(IReadOnlyList<float> predictions, IReadOnlyList<float> gold)
    {
        if (predictions.Count != gold.Count)
            throw new ArgumentException($"metric got {predictions.Count} predictions for {gold.Count} gold labels; they must be the same length.");
    }
}
