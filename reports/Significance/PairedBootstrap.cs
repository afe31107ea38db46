namespace PeftBench.Reports.Significance;

/// <summary>
/// Paired bootstrap over examples (Koehn 2004; Berg-Kirkpatrick et al. 2012), two-sided. Each replicate draws n
/// example indices with replacement, the same indices for both systems and for every seed, and computes the mean over
/// seeds of the difference of the per-example means. p = 2 · min(share of replicates with Δ* ≤ 0, share with Δ* ≥ 0),
/// capped at 1. Deterministic: the draws come from <c>new Random(seed)</c>, whose sequence .NET keeps fixed for a seed.
/// </summary>
public static class PairedBootstrap
{
    public const string Name = "paired bootstrap over examples";

    /// <param name="a">Per seed, system A's per-example scores (same length n for every seed and for B).</param>
    /// <param name="b">Per seed, system B's per-example scores, paired with <paramref name="a"/> by position.</param>
    public static TestResult? Test(IReadOnlyList<IReadOnlyList<double>> a, IReadOnlyList<IReadOnlyList<double>> b, int resamples, int seed)
    {
        if (a.Count != b.Count) throw new ArgumentException("both systems need the same seeds.");
        if (a.Count == 0 || resamples < 1) return null;
        var n = a[0].Count;
        if (n == 0 || a.Concat(b).Any(x => x.Count != n)) return null;
        // Per-example difference, averaged over seeds: the mean of a resample of it is Δ*.
        var d = new double[n];
        for (var s = 0; s < a.Count; s++)
            for (var i = 0; i < n; i++) d[i] += (a[s][i] - b[s][i]) / a.Count;
        var observed = d.Average();
        var random = new Random(seed);
        int atOrBelow = 0, atOrAbove = 0;
        for (var r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += d[random.Next(n)];
            var delta = sum / n;
            if (delta <= 0) atOrBelow++;
            if (delta >= 0) atOrAbove++;
        }
        var p = Math.Min(1, 2.0 * Math.Min(atOrBelow, atOrAbove) / resamples);
        return new TestResult(Name, n, observed, null, p);
    }
}
