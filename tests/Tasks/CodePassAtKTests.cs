using NUnit.Framework;
using PeftBench.Tasks.Code;

namespace PeftBench.Tests.Tasks;

/// <summary>pass@k (Chen et al. 2021) against hand-computed values, its edge cases, and the exact binomial form.</summary>
public sealed class CodePassAtKTests
{
    [Test]
    public void MatchesHandComputedValues()
    {
        Assert.That(PassAtK.Estimate(5, 2, 1), Is.EqualTo(0.4).Within(1e-12), "pass@1 = c/n");
        Assert.That(PassAtK.Estimate(10, 3, 5), Is.EqualTo(1 - 21.0 / 252).Within(1e-12), "1 − C(7,5)/C(10,5)");
        Assert.That(PassAtK.Estimate(4, 1, 2), Is.EqualTo(0.5).Within(1e-12), "1 − C(3,2)/C(4,2) = 1 − 3/6");
        Assert.That(PassAtK.Estimate(200, 10, 100), Is.EqualTo(1 - Binomial(190, 100) / Binomial(200, 100)).Within(1e-9));
    }

    [Test]
    public void EdgeCases()
    {
        Assert.That(PassAtK.Estimate(10, 0, 1), Is.EqualTo(0.0), "no passing sample");
        Assert.That(PassAtK.Estimate(10, 0, 10), Is.EqualTo(0.0));
        Assert.That(PassAtK.Estimate(10, 10, 1), Is.EqualTo(1.0), "every sample passes");
        Assert.That(PassAtK.Estimate(5, 3, 3), Is.EqualTo(1.0), "n − c < k: every draw of k holds a pass");
        Assert.That(PassAtK.Estimate(3, 1, 3), Is.EqualTo(1.0), "k = n with one pass");
        Assert.That(() => PassAtK.Estimate(2, 1, 3), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("at least 3 samples"));
        Assert.That(() => PassAtK.Estimate(5, 6, 1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => PassAtK.Estimate(5, 1, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ProductFormEqualsTheBinomialRatio()
    {
        for (int n = 1; n <= 20; n++)
            for (int c = 0; c <= n; c++)
                for (int k = 1; k <= n; k++)
                {
                    double exact = n - c < k ? 1.0 : 1.0 - Binomial(n - c, k) / Binomial(n, k);
                    Assert.That(PassAtK.Estimate(n, c, k), Is.EqualTo(exact).Within(1e-12), $"n={n} c={c} k={k}");
                }
    }

    [Test]
    public void TheBenchmarkScoreIsTheMeanOverProblems()
    {
        Assert.That(PassAtK.Mean([(5, 2), (5, 0), (5, 5)], 1), Is.EqualTo((0.4 + 0 + 1) / 3).Within(1e-12));
        Assert.That(() => PassAtK.Mean([], 1), Throws.ArgumentException);
    }

    [Test]
    public void CodeScoreCountsOutcomesAndAveragesPassAtK()
    {
        var score = CodeScore.From(
        [
            [SampleOutcome.Passed, SampleOutcome.Failed, SampleOutcome.TimedOut, SampleOutcome.Passed],
            [SampleOutcome.Crashed, SampleOutcome.MemoryExceeded, SampleOutcome.Failed, SampleOutcome.Failed],
        ], [1, 2]);
        Assert.That(score.PassAtK[1], Is.EqualTo((0.5 + 0) / 2).Within(1e-12));
        Assert.That(score.PassAtK[2], Is.EqualTo((1 - 1.0 / 6 + 0) / 2).Within(1e-12), "1 − C(2,2)/C(4,2) for the first problem");
        Assert.That(score.Outcomes[SampleOutcome.Passed], Is.EqualTo(2));
        Assert.That(score.Outcomes[SampleOutcome.Failed], Is.EqualTo(3));
        Assert.That(score.Outcomes[SampleOutcome.TimedOut], Is.EqualTo(1));
        Assert.That(score.Problems, Is.EqualTo(2));
    }

    private static double Binomial(int n, int k)
    {
        double r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }
}
