namespace PeftBench.Reports.Pareto;

/// <summary>A point to compare: x is a cost (trainable parameters), y a quality (GLUE avg.).</summary>
public sealed record ParetoPoint(string Label, double X, double Y);

/// <summary>
/// The non-dominated subset of a set of points.
/// Rule: p dominates q when p is at least as good as q on both axes and strictly better on one. A point is on the
/// front when no other point dominates it. Hence ties on one axis keep only the better on the other, and exact
/// duplicates (same x and y) are all kept, since neither dominates the other. Points with a NaN coordinate are
/// never on the front. The result is ordered by x from best to worst (then y from best, then label), which is the
/// order of the step line drawn through it.
/// </summary>
public static class ParetoFront
{
    public static IReadOnlyList<ParetoPoint> Compute(IReadOnlyList<ParetoPoint> points, bool xLowerIsBetter = true, bool yHigherIsBetter = true)
    {
        var valid = points.Where(p => !double.IsNaN(p.X) && !double.IsNaN(p.Y)).ToList();
        // Orient both axes as "higher is better" so one comparison serves all four cases.
        double X(ParetoPoint p) => xLowerIsBetter ? -p.X : p.X;
        double Y(ParetoPoint p) => yHigherIsBetter ? p.Y : -p.Y;
        bool Dominates(ParetoPoint a, ParetoPoint b) =>
            X(a) >= X(b) && Y(a) >= Y(b) && (X(a) > X(b) || Y(a) > Y(b));

        return valid.Where(q => !valid.Any(p => Dominates(p, q)))
            .OrderByDescending(X).ThenByDescending(Y).ThenBy(p => p.Label, StringComparer.Ordinal)
            .ToList();
    }
}
