using NUnit.Framework;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tests.Tasks;

/// <summary>Exact match and pass@k over per-example correct counts, against hand-computed values.</summary>
public class GenerationMetricsTests
{
    private static readonly float[] NoGold = [0, 0, 0, 0];

    [Test]
    public void Exact_match_is_the_fraction_judged_correct()
    {
        var metric = GenerationMetrics.ExactMatch("test");
        Assert.That((metric.Name, metric.HigherIsBetter, metric.Split), Is.EqualTo(("exact_match", true, "test")));
        Assert.That(metric.Compute([1, 0, 1, 1], NoGold), Is.EqualTo(0.75).Within(1e-12));
        Assert.That(metric.Compute([0.9999f, 0, 0, 0], NoGold), Is.EqualTo(0.25).Within(1e-12), "counts are rounded, not truncated");
        Assert.That(metric.Compute([], []), Is.EqualTo(0), "an empty split gives 0, not NaN");
    }

    [Test]
    public void Pass_at_k_is_the_mean_of_the_unbiased_estimates()
    {
        var pass1 = GenerationMetrics.PassAtK(1, 10, "test");
        var pass10 = GenerationMetrics.PassAtK(10, 10, "test");
        Assert.That((pass1.Name, pass10.Name, pass1.HigherIsBetter, pass1.Split), Is.EqualTo(("pass@1", "pass@10", true, "test")));
        // pass@1 = mean of c/n = (0 + 0.1 + 1 + 0.3) / 4; pass@10 with n = 10 is 1 for any c > 0
        Assert.That(pass1.Compute([0, 1, 10, 3], NoGold), Is.EqualTo(0.35).Within(1e-12));
        Assert.That(pass10.Compute([0, 1, 10, 3], NoGold), Is.EqualTo(0.75).Within(1e-12));
        // n = 4, k = 2: c = 1 → 1 − C(3,2)/C(4,2) = 1/2; c = 2 → 1 − C(2,2)/C(4,2) = 5/6
        Assert.That(GenerationMetrics.PassAtK(2, 4, "test").Compute([1, 2], [0, 0]), Is.EqualTo((0.5 + 5.0 / 6) / 2).Within(1e-12));
        Assert.That(pass1.Compute([], []), Is.EqualTo(0));
    }

    [Test]
    public void Pass_at_k_needs_at_least_k_samples()
    {
        Assert.That(() => GenerationMetrics.PassAtK(10, 5, "test"), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("pass@10"));
        Assert.That(() => GenerationMetrics.PassAtK(0, 5, "test"), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => GenerationMetrics.PassAtK(1, 10, "test").Compute([11], [0]), Throws.TypeOf<ArgumentOutOfRangeException>(), "more passes than samples is a harness bug");
    }
}
