using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace PeftBench.Reports.Significance;

/// <summary>The outcome of a two-sided test: the statistic, its degrees of freedom (t-test) and p.</summary>
public sealed record TestResult(string Test, int N, double Statistic, double? DegreesOfFreedom, double P)
{
    public bool SignificantAt(double alpha) => P < alpha;
}

/// <summary>
/// Student's paired t-test, two-sided: d_i = a_i − b_i, t = mean(d) / (sd(d) / √n), df = n − 1,
/// p = 2 · (1 − F_t(|t|; df)). Needs two pairs. When every difference is the same, sd = 0: p = 1 if that
/// difference is 0 (identical), else 0 (a constant non-zero shift, t infinite).
/// </summary>
public static class PairedTTest
{
    public const string Name = "paired t-test";

    public static TestResult? Test(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("paired samples must have the same length.");
        if (a.Count < 2) return null;
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        var mean = d.Mean();
        var sd = d.StandardDeviation();
        var n = d.Length;
        if (sd == 0 || !double.IsFinite(sd))
            return new TestResult(Name, n, mean == 0 ? 0 : Math.Sign(mean) * double.PositiveInfinity, n - 1, mean == 0 ? 1 : 0);
        var t = mean / (sd / Math.Sqrt(n));
        var p = 2 * (1 - StudentT.CDF(0, 1, n - 1, Math.Abs(t)));
        return new TestResult(Name, n, t, n - 1, Math.Clamp(p, 0, 1));
    }
}
