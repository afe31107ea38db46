using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace PeftBench.Reports.Aggregation;

/// <summary>
/// Mean, sample standard deviation (n − 1) and the half-width of a 95 % Student-t confidence interval of a few
/// seeds. With one value the spread is unknown, so <see cref="Std"/> and <see cref="Ci95HalfWidth"/> are null
/// (blank in tables), never 0.
/// </summary>
public sealed record SampleStats(int N, double Mean, double? Std, double? Ci95HalfWidth)
{
    public static SampleStats Of(IEnumerable<double> values)
    {
        var xs = values.ToArray();
        if (xs.Length == 0) throw new ArgumentException("SampleStats needs at least one value.", nameof(values));
        var mean = xs.Mean();
        if (xs.Length == 1) return new SampleStats(1, mean, null, null);
        var std = xs.StandardDeviation(); // MathNet: unbiased estimator, divides by n − 1
        var t = StudentT.InvCDF(0, 1, xs.Length - 1, 0.975);
        return new SampleStats(xs.Length, mean, std, t * std / Math.Sqrt(xs.Length));
    }

    /// <summary>Stats of the values that are present; null when none is.</summary>
    public static SampleStats? OfPresent(IEnumerable<double?> values)
    {
        // Missing and non-finite measurements (e.g. no timed inference batch in a tiny smoke split) are left out.
        var xs = values.Where(v => v.HasValue && double.IsFinite(v.Value)).Select(v => v!.Value).ToArray();
        return xs.Length == 0 ? null : Of(xs);
    }
}
