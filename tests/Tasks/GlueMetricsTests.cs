using NUnit.Framework;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tests.Tasks;

/// <summary>Metric values against numbers worked out by hand (the working is in each comment).</summary>
public class GlueMetricsTests
{
    // predictions vs gold:   idx0 1/1 TP, idx1 1/0 FP, idx2 0/1 FN, idx3 0/0 TN, idx4 1/1 TP → TP 2, FP 1, FN 1, TN 1
    private static readonly float[] Predicted = [1, 1, 0, 0, 1];
    private static readonly float[] Gold = [1, 0, 1, 0, 1];

    [Test]
    public void Accuracy_counts_matching_classes()
    {
        // 3 of 5 agree (idx0, idx3, idx4) → 0.6
        Assert.That(GlueMetrics.Accuracy(Predicted, Gold), Is.EqualTo(0.6).Within(1e-12));
        // class indices stored as floats are compared after rounding: 0.9999 counts as 1
        Assert.That(GlueMetrics.Accuracy([0.9999f, 2f], [1f, 2f]), Is.EqualTo(1.0));
    }

    [Test]
    public void F1_of_positive_class()
    {
        // 2·TP / (2·TP + FP + FN) = 4 / (4 + 1 + 1) = 0.666…
        Assert.That(GlueMetrics.F1(Predicted, Gold), Is.EqualTo(4.0 / 6.0).Within(1e-12));
        // no predicted and no gold positives → 0, not NaN
        Assert.That(GlueMetrics.F1([0f, 0f], [0f, 0f]), Is.EqualTo(0.0));
    }

    [Test]
    public void Matthews_correlation()
    {
        // (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2·1 − 1·1) / √(3·3·2·2) = 1/6
        Assert.That(GlueMetrics.Matthews(Predicted, Gold), Is.EqualTo(1.0 / 6.0).Within(1e-12));
        // perfect → 1; inverted → −1
        Assert.That(GlueMetrics.Matthews([1f, 0f, 1f, 0f], [1f, 0f, 1f, 0f]), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(GlueMetrics.Matthews([0f, 1f, 0f, 1f], [1f, 0f, 1f, 0f]), Is.EqualTo(-1.0).Within(1e-12));
    }

    [Test]
    public void Matthews_of_a_constant_prediction_is_zero_not_nan()
    {
        // all predicted 1: TN = FN = 0, so (TN+FP)(TN+FN)… has a zero factor → defined as 0
        Assert.That(GlueMetrics.Matthews([1f, 1f, 1f, 1f], [1f, 0f, 1f, 0f]), Is.EqualTo(0.0));
        Assert.That(GlueMetrics.Matthews([0f, 0f], [1f, 0f]), Is.EqualTo(0.0));
    }

    [Test]
    public void Pearson_correlation()
    {
        // p = 1,2,3 (mean 2, deviations −1,0,1); g = 2,4,7 (mean 13/3, deviations −7/3,−1/3,8/3)
        // Σ dp·dg = 7/3 + 0 + 8/3 = 5; Σ dp² = 2; Σ dg² = (49+1+64)/9 = 114/9
        // r = 5 / √(2 · 114/9) = 5 / √(228/9) = 15 / √228 = 0.99339927…
        Assert.That(GlueMetrics.Pearson([1f, 2f, 3f], [2f, 4f, 7f]), Is.EqualTo(15.0 / Math.Sqrt(228.0)).Within(1e-9));
        // constant predictions have no variance → 0, not NaN
        Assert.That(GlueMetrics.Pearson([3f, 3f, 3f], [2f, 4f, 7f]), Is.EqualTo(0.0));
    }

    [Test]
    public void Spearman_correlation_with_and_without_ties()
    {
        // gold ranks 1,3,2,4 vs prediction ranks 1,2,3,4: d = 0,−1,1,0, Σd² = 2; ρ = 1 − 6·2/(4·(16−1)) = 0.8
        Assert.That(GlueMetrics.Spearman([1f, 2f, 3f, 4f], [10f, 30f, 20f, 40f]), Is.EqualTo(0.8).Within(1e-12));
        // ties get average ranks: p = 1,1,2 → ranks 1.5,1.5,3 (dev −.5,−.5,1); g ranks 1,2,3 (dev −1,0,1)
        // cov = .5 + 0 + 1 = 1.5; Σ dp² = 1.5; Σ dg² = 2 → 1.5/√3 = 0.8660254…
        Assert.That(GlueMetrics.Spearman([1f, 1f, 2f], [1f, 2f, 3f]), Is.EqualTo(1.5 / Math.Sqrt(3.0)).Within(1e-9));
        Assert.That(GlueMetrics.Spearman([1f, 1f, 1f], [1f, 2f, 3f]), Is.EqualTo(0.0));
    }

    [Test]
    public void Different_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => GlueMetrics.Accuracy([1f], [1f, 0f]));
    }
}
