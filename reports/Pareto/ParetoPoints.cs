using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Pareto;

/// <summary>The points of one model's Pareto plot, from the suite averages (pure; shared by the plot and results.md).</summary>
public static class ParetoPoints
{
    /// <summary>Methods with a suite average and a positive method parameter count, score ×scale.</summary>
    public static IReadOnlyList<PlotPoint> For(RunSummary s, string suite, string model, double scale) =>
        s.SuiteAverages
            .Where(a => a.Suite == suite && a.Model == model && a.Score is not null && a.MethodTrainable > 0)
            .Select(a => new PlotPoint(a.Key.Label, a.Family ?? a.Method, a.MethodTrainable!.Value,
                a.Score!.Mean * scale, a.Score.Std * scale))
            .ToList();

    /// <summary>Rows that cannot be plotted, with why: no suite average, or no method parameters for a log axis.</summary>
    public static IReadOnlyList<string> LeftOut(RunSummary s, string suite, string model) =>
        s.Methods.Where(m => m.Model == model)
            .Select(m => (m, a: s.Average(suite, m)))
            .Where(x => x.a?.Score is null || !(x.a.MethodTrainable > 0))
            .Select(x => x.a?.Score is null ? $"{x.m.Label} (no average)" : $"{x.m.Label} (no method parameters)")
            .ToList();

    /// <summary>Labels on the front (fewer parameters, higher score), in order of parameters.</summary>
    public static IReadOnlyList<string> Front(IReadOnlyList<PlotPoint> points) =>
        ParetoFront.Compute(points.Select(p => new ParetoPoint(p.Label, p.Parameters, p.Y)).ToList()).Select(p => p.Label).ToList();
}
