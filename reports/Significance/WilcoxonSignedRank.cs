namespace PeftBench.Reports.Significance;

/// <summary>
/// Wilcoxon's signed-rank test, two-sided, exact: zero differences are dropped (Wilcoxon's convention), ties get
/// average ranks, W+ is the sum of the ranks of positive differences, and p is the share of the 2^n sign
/// assignments whose W+ is at least as far from n(n+1)/4 as the observed one. Exact enumeration suits seed counts
/// (n ≤ 20); larger samples are refused rather than approximated silently.
/// </summary>
public static class WilcoxonSignedRank
{
    public const string Name = "Wilcoxon signed-rank test";
    public const int MaxPairs = 20;

    public static TestResult? Test(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("paired samples must have the same length.");
        var d = a.Zip(b, (x, y) => x - y).Where(x => x != 0).ToArray();
        var n = d.Length;
        if (n == 0) return a.Count == 0 ? null : new TestResult(Name, 0, 0, null, 1);
        if (n > MaxPairs) throw new ArgumentException($"exact Wilcoxon enumeration is limited to {MaxPairs} non-zero pairs; got {n}.");
        var ranks = AverageRanks(d.Select(Math.Abs).ToArray());
        var wPlus = d.Select((x, i) => x > 0 ? ranks[i] : 0).Sum();
        var centre = ranks.Sum() / 2;
        var observed = Math.Abs(wPlus - centre);
        var extreme = 0L;
        for (var mask = 0L; mask < 1L << n; mask++)
        {
            double w = 0;
            for (var i = 0; i < n; i++) if ((mask >> i & 1) == 1) w += ranks[i];
            if (Math.Abs(w - centre) >= observed - 1e-9) extreme++;
        }
        return new TestResult(Name, n, wPlus, null, (double)extreme / (1L << n));
    }

    /// <summary>Ranks 1..n of the values, ties sharing the mean of their ranks.</summary>
    public static double[] AverageRanks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            for (var k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }
}
