namespace PeftBench.Tasks.Code;

/// <summary>
/// pass@k by the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code", §2.1:
/// with n samples of which c pass, pass@k = 1 − C(n−c, k) / C(n, k). The binomials overflow for realistic n, so this
/// uses the paper's numerically stable product form 1 − Π_{i=n−c+1}^{n} (1 − k/i). The benchmark score is the mean
/// over problems.
/// </summary>
public static class PassAtK
{
    /// <summary>pass@k for one problem with <paramref name="samples"/> samples, <paramref name="correct"/> of them passing.</summary>
    /// <remarks>
    /// When fewer than k samples fail (n − c &lt; k) every draw of k holds a passing one, so the value is exactly 1;
    /// that also covers c = n. With c = 0 the product is empty and the value is 0. k &gt; n has no unbiased estimate
    /// from n samples, so it is an error rather than a silently clipped number.
    /// </remarks>
    public static double Estimate(int samples, int correct, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "pass@k needs k ≥ 1.");
        if (samples < k)
            throw new ArgumentOutOfRangeException(nameof(samples), samples,
                $"pass@{k} needs at least {k} samples per problem, got {samples}; generate more samples or lower k.");
        if (correct < 0 || correct > samples)
            throw new ArgumentOutOfRangeException(nameof(correct), correct, $"correct must lie in 0..{samples} (the sample count).");
        if (samples - correct < k) return 1.0;
        double allFail = 1.0;
        for (int i = samples - correct + 1; i <= samples; i++) allFail *= 1.0 - (double)k / i;
        return 1.0 - allFail;
    }

    /// <summary>The benchmark score: the mean of <see cref="Estimate"/> over problems, each given as (samples, correct).</summary>
    public static double Mean(IReadOnlyList<(int Samples, int Correct)> problems, int k)
    {
        if (problems.Count == 0) throw new ArgumentException("pass@k over no problems is undefined.", nameof(problems));
        return problems.Average(p => Estimate(p.Samples, p.Correct, k));
    }
}
