using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Pareto;

/// <summary>The points of one model's Pareto view, from the suite averages (pure; shared by the plots, results.md and report.html).</summary>
public static class ParetoPoints
{
    /// <summary>
    /// Methods with a suite average and a usable x (positive on a log axis, finite otherwise), score ×scale with its
    /// std over seeds as the error. A measured x is the mean over the row's suite tasks of the per-task means over seeds.
    /// Family: as recorded, else from <paramref name="families"/>, else the method id.
    /// </summary>
    public static IReadOnlyList<PlotPoint> For(RunSummary s, string suite, string model, double scale,
        ParetoAxis? axis = null, IReadOnlyDictionary<string, string>? families = null)
    {
        axis ??= ParetoAxis.Parameters;
        return s.SuiteAverages
            .Where(a => a.Suite == suite && a.Model == model && a.Score is not null)
            .Select(a => (a, x: X(s, suite, a, axis)))
            .Where(p => p.x is { } x && double.IsFinite(x) && (!axis.Log || x > 0))
            .Select(p => new PlotPoint(p.a.Key.Label, p.a.Family ?? families?.GetValueOrDefault(p.a.Method) ?? p.a.Method, p.x!.Value,
                p.a.Score!.Mean * scale, p.a.Score.Std * scale))
            .ToList();
    }

    /// <summary>True when at least one row has the axis's measurement (inference throughput is not always measured).</summary>
    public static bool Measured(RunSummary s, string suite, string model, ParetoAxis axis) => For(s, suite, model, 1, axis).Count > 0;

    /// <summary>Rows that cannot be plotted, with why: no suite average, or no method parameters for a log axis.</summary>
    public static IReadOnlyList<string> LeftOut(RunSummary s, string suite, string model) =>
        s.Methods.Where(m => m.Model == model)
            .Select(m => (m, a: s.Average(suite, m)))
            .Where(x => x.a?.Score is null || !(x.a.MethodTrainable > 0))
            .Select(x => x.a?.Score is null ? $"{x.m.Label} (no average)" : $"{x.m.Label} (no method parameters)")
            .ToList();

    /// <summary>Labels on the front in the axis's direction (and a higher score), best x first.</summary>
    public static IReadOnlyList<string> Front(IReadOnlyList<PlotPoint> points, ParetoAxis? axis = null) =>
        ParetoFront.Compute(points.Select(p => new ParetoPoint(p.Label, p.X, p.Y)).ToList(), axis?.LowerIsBetter ?? true)
            .Select(p => p.Label).ToList();

    static double? X(RunSummary s, string suite, SuiteAverage a, ParetoAxis axis)
    {
        if (axis.Pick is null) return a.MethodTrainable;
        var values = s.Suites[suite].Select(t => s.Group(t, a.Key)).OfType<TaskAggregate>()
            .Select(axis.Pick).OfType<SampleStats>().Select(v => v.Mean).ToList();
        return values.Count == 0 ? null : values.Average() * axis.Scale;
    }
}
