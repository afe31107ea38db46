using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Curves;

/// <summary>One line of a training-curve plot: (step, value) pairs in step order.</summary>
public sealed record CurveLine(string Label, string Family, IReadOnlyList<(int Step, double Value)> Points);

public enum CurveKind { TrainLoss, DevScore }

/// <summary>
/// Training curves from the cells' recorded histories (pure). A row's line is the mean over its ok seeds at the
/// steps every seed recorded (seeds of one recipe log at the same steps); cells with no history add nothing.
/// </summary>
public static class CurveSeries
{
    public static double? Value(HistoryPoint p, CurveKind kind) => kind == CurveKind.TrainLoss ? p.TrainLoss : p.DevScore;

    /// <summary>The line of one cell.</summary>
    public static IReadOnlyList<(int Step, double Value)> OfCell(CellResult c, CurveKind kind, double scale = 1) =>
        (c.History ?? []).Where(p => Value(p, kind) is { } v && double.IsFinite(v))
            .Select(p => (p.Step, Value(p, kind)!.Value * scale)).ToList();

    /// <summary>Per method key on one task and model: the mean over seeds, one line per row with any history.</summary>
    public static IReadOnlyList<CurveLine> OverlayForTask(IReadOnlyList<CellResult> cells, RunSummary s, string task, string model,
        CurveKind kind, double scale = 1, IReadOnlyDictionary<string, string>? families = null)
    {
        var lines = new List<CurveLine>();
        foreach (var m in s.Methods.Where(m => m.Model == model))
        {
            var seeds = cells.Where(c => c.IsOk && c.Cell.Task == task && MethodKey.Of(c.Cell) == m && c.History is { Count: > 0 })
                .OrderBy(c => c.Cell.Seed).ThenBy(c => c.Key, StringComparer.Ordinal)
                .GroupBy(c => c.Cell.Seed).Select(g => OfCell(g.First(), kind, scale).ToDictionary(p => p.Step, p => p.Value))
                .ToList();
            if (seeds.Count == 0) continue;
            var steps = seeds.Skip(1).Aggregate(seeds[0].Keys.AsEnumerable(), (acc, d) => acc.Intersect(d.Keys)).Order().ToList();
            if (steps.Count == 0) continue;
            var family = s.Group(task, m)?.Family ?? families?.GetValueOrDefault(m.Method) ?? m.Method;
            lines.Add(new CurveLine(m.Label, family, steps.Select(st => (st, seeds.Average(d => d[st]))).ToList()));
        }
        return lines;
    }
}
