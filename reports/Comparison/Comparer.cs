using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Comparison;

public enum Severity { Info, Warning, Regression }

/// <summary>One thing the comparison found about one cell (or, with no key, about the whole run).</summary>
public sealed record Finding(
    string Kind, Severity Severity, string? Key, string Cell, string Detail,
    string? Metric = null, double? Baseline = null, double? Current = null, double? Tolerance = null, double? Ratio = null);

/// <summary>The verdict: pass, regression, or not comparable (e.g. different thread counts: numbers cannot match).</summary>
public sealed record ComparisonResult(
    IReadOnlyList<Finding> Findings, int BaselineCells, int CurrentCells, int MatchedCells, Tolerances Tolerances,
    IReadOnlyList<string> NotComparable)
{
    public int Regressions => Findings.Count(f => f.Severity == Severity.Regression);
    public int Warnings => Findings.Count(f => f.Severity == Severity.Warning);
    public string Verdict => NotComparable.Count > 0 ? "not-comparable" : Regressions > 0 ? "regression" : "pass";
}

/// <summary>
/// Compares a run with a baseline, cell by cell (matched by key). Pure: no files, no console.
/// Trainable counts must match exactly (a different count is a different method); metrics regress when worse by
/// more than max(floor, k × baseline std over seeds); memory and throughput are ratios, warnings unless asked.
/// </summary>
public static class Comparer
{
    public static ComparisonResult Compare(BaselineFile baseline, IReadOnlyList<BaselineCell> current, Tolerances tolerances)
    {
        var findings = new List<Finding>();
        var notComparable = new List<string>();
        var baseThreads = baseline.Cells.Select(c => c.Threads).Distinct().Order().ToList();
        var currentThreads = current.Select(c => c.Threads).Distinct().Order().ToList();
        if (baseThreads.Count > 0 && currentThreads.Count > 0 && !baseThreads.SequenceEqual(currentThreads))
            notComparable.Add($"thread count differs: baseline ran at {string.Join(",", baseThreads)} thread(s), the current run at {string.Join(",", currentThreads)}; " +
                "results are bit-identical only at the same count (cell keys include it). Re-run with --threads " + string.Join(",", baseThreads) + ".");

        var now = current.GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.First());
        var spread = SeedSpread(baseline.Cells);
        var matched = 0;
        foreach (var b in baseline.Cells.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (!now.TryGetValue(b.Key, out var c))
            {
                findings.Add(new Finding("removed", b.Status == CellStatus.Ok ? Severity.Regression : Severity.Warning, b.Key, b.Label,
                    "in the baseline but not in the current run (a method, task or setting dropped, or its key changed)"));
                continue;
            }
            matched++;
            if (b.Status == CellStatus.Ok && c.Status != CellStatus.Ok)
            {
                findings.Add(new Finding("newly-failing", Severity.Regression, b.Key, b.Label, $"was ok, now {c.Status}"));
                continue;
            }
            if (b.Status == CellStatus.NotApplicable && c.Status == CellStatus.NotApplicable)
            {
                // Expected, not a failure: the method cannot apply to this backbone, in the baseline and now.
                findings.Add(new Finding("not-applicable", Severity.Info, b.Key, b.Label, "not applicable in the baseline and now"));
                continue;
            }
            if (b.Status != CellStatus.Ok)
            {
                findings.Add(c.Status == CellStatus.Ok
                    ? new Finding("fixed", Severity.Info, b.Key, b.Label, $"was {b.Status}, now ok")
                    : new Finding("still-failing", Severity.Warning, b.Key, b.Label, $"{b.Status} in the baseline and now"));
                continue;
            }
            ParameterCounts(b, c, findings);
            Metrics(b, c, tolerances, spread, findings);
            Performance(b, c, tolerances, findings);
        }
        var known = baseline.Cells.Select(b => b.Key).ToHashSet();
        foreach (var c in current.Where(c => !known.Contains(c.Key)).OrderBy(c => c.Key, StringComparer.Ordinal))
            findings.Add(new Finding("added", Severity.Info, c.Key, c.Label, c.Status == CellStatus.Ok ? "new cell (not in the baseline)" : $"new cell, {c.Status}"));
        return new ComparisonResult(findings, baseline.Cells.Count, current.Count, matched, tolerances, notComparable);
    }

    static void ParameterCounts(BaselineCell b, BaselineCell c, List<Finding> findings)
    {
        foreach (var (name, was, now) in new[] { ("trainable", b.Trainable, c.Trainable), ("method trainable", b.MethodTrainable, c.MethodTrainable), ("head", b.Head, c.Head) })
            if (was != now)
                findings.Add(new Finding("parameters", Severity.Regression, b.Key, b.Label,
                    $"{name} parameters changed ({Count(was)} → {Count(now)}): a different count is a different method", name, was, now));
    }

    static void Metrics(BaselineCell b, BaselineCell c, Tolerances t, IReadOnlyDictionary<(string, string, string, string?, string), double> spread, List<Finding> findings)
    {
        foreach (var (metric, was) in b.Metrics)
        {
            if (!c.Metrics.TryGetValue(metric, out var now))
            {
                findings.Add(new Finding("metric", Severity.Regression, b.Key, b.Label, $"{metric} is missing from the current run", metric, was));
                continue;
            }
            var std = spread.GetValueOrDefault((b.Task, b.Model, b.Method, b.Budget, metric));
            var tolerance = Math.Max(t.MetricFloor, t.MetricStdFactor * std);
            var worse = b.LowerIsBetter.Contains(metric) ? now - was : was - now;
            if (worse > tolerance)
                findings.Add(new Finding("metric", Severity.Regression, b.Key, b.Label, $"{metric} worse by {worse:G4} (tolerance {tolerance:G3})", metric, was, now, tolerance));
            else if (-worse > tolerance)
                findings.Add(new Finding("improved", Severity.Info, b.Key, b.Label, $"{metric} better by {-worse:G4} (refresh the baseline to keep it)", metric, was, now, tolerance));
        }
    }

    static void Performance(BaselineCell b, BaselineCell c, Tolerances t, List<Finding> findings)
    {
        var severity = t.FailOnPerformance ? Severity.Regression : Severity.Warning;
        if (b.PeakMemoryBytes is { } bm && c.PeakMemoryBytes is { } cm && (double)cm / bm > t.MaxMemoryRatio)
            findings.Add(new Finding("memory", severity, b.Key, b.Label, $"peak memory {(double)cm / bm:F2}× the baseline (limit {t.MaxMemoryRatio:F2}×)", "peak_memory_bytes", bm, cm, t.MaxMemoryRatio, (double)cm / bm));
        if (b.TrainExamplesPerSecond is { } bt && c.TrainExamplesPerSecond is { } ct && ct / bt < t.MinThroughputRatio)
            findings.Add(new Finding("throughput", severity, b.Key, b.Label, $"training throughput {ct / bt:F2}× the baseline (limit {t.MinThroughputRatio:F2}×)", "train_examples_per_second", bt, ct, t.MinThroughputRatio, ct / bt));
    }

    /// <summary>Sample std over the baseline's seeds of each (task, model, method, budget, metric); absent with one seed.</summary>
    static IReadOnlyDictionary<(string, string, string, string?, string), double> SeedSpread(IEnumerable<BaselineCell> cells) =>
        cells.Where(c => c.Status == CellStatus.Ok)
            .SelectMany(c => c.Metrics.Select(m => (Group: (c.Task, c.Model, c.Method, c.Budget, m.Key), m.Value)))
            .GroupBy(x => x.Group)
            .Select(g => (g.Key, Stats: SampleStats.Of(g.Select(x => x.Value))))
            .Where(x => x.Stats.Std is not null)
            .ToDictionary(x => x.Key, x => x.Stats.Std!.Value);

    static string Count(long? n) => n is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
}
