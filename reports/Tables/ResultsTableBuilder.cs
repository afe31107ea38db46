using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>
/// The main results table of one model: rows are methods (with budget), columns are tasks, the suite average
/// and the method's trainable parameters. Each task column shows the task score (mean ± std over seeds).
/// </summary>
public static class ResultsTableBuilder
{
    public static Table Build(RunSummary s, string model, ReportOptions options)
    {
        var suite = ChooseSuite(s, options);
        var suiteName = suite is null ? null : Formats.SuiteName(suite);
        var methods = s.Methods.Where(m => m.Model == model).ToList();
        var notes = new Footnotes();
        var maxSeeds = s.Seeds.Count;

        var columns = new List<Column> { new("Method", false) };
        columns.AddRange(s.Tasks.Select(t => new Column(Formats.TaskName(t), true)));
        if (suite is not null) columns.Add(new Column($"{suiteName} avg.", true));
        columns.Add(new Column("Params", true));

        // Per column: the cell texts, and the displayed means for picking the best.
        var rows = methods.Select(m => new List<TableCell> { new(m.Label) }).ToList();
        var means = methods.Select(_ => new List<double?>()).ToList();
        var higherIsBetter = new List<bool>();

        foreach (var task in s.Tasks)
        {
            var hib = true;
            for (var r = 0; r < methods.Count; r++)
            {
                var g = s.Group(task, methods[r]);
                if (g is not null) hib = g.TaskScoreHigherIsBetter;
                var (cell, mean) = TaskCell(g, maxSeeds, options.ValueScale, notes);
                rows[r].Add(cell);
                means[r].Add(mean);
            }
            higherIsBetter.Add(hib);
        }
        if (suite is not null)
        {
            for (var r = 0; r < methods.Count; r++)
            {
                var (cell, mean) = AverageCell(s.Average(suite, methods[r]), suiteName!, maxSeeds, options.ValueScale, notes);
                rows[r].Add(cell);
                means[r].Add(mean);
            }
            higherIsBetter.Add(true);
        }
        MarkBest(rows, means, higherIsBetter);
        for (var r = 0; r < methods.Count; r++) rows[r].Add(ParamsCell(s, methods[r]));

        var title = s.Models.Count > 1 ? $"Results: {model}" : "Results";
        return new Table(title, Caption(s, model, suite, suiteName, options.ValueScale), columns,
            rows.Select(r => (IReadOnlyList<TableCell>)r).ToList(), notes.Texts.ToList());
    }

    /// <summary>The suite shown: the option, else glue when present, else the first suite; null when the run has none.</summary>
    public static string? ChooseSuite(RunSummary s, ReportOptions options) =>
        options.Suite is { } given ? (s.Suites.ContainsKey(given) ? given : null)
        : s.Suites.ContainsKey("glue") ? "glue"
        : s.Suites.Keys.FirstOrDefault();

    static (TableCell, double?) TaskCell(TaskAggregate? g, int maxSeeds, double scale, Footnotes notes)
    {
        if (g is null) return (new TableCell("—", Footnote: notes.Add("—: not run.")), null);
        if (g.N == 0 || g.TaskScore is null)
            return (new TableCell("—", Footnote: notes.Add($"—: no ok cell ({g.NotOk} failed or diverged; see Cells not ok).")), null);
        int? note = g.N < maxSeeds
            ? notes.Add($"n = {g.N} seed{(g.N == 1 ? "" : "s")} of {maxSeeds}" + (g.NotOk > 0 ? $" ({g.NotOk} failed or diverged)." : "."))
            : null;
        return (new TableCell(Formats.MeanStd(g.TaskScore, scale), Footnote: note),
            double.Parse(Formats.DisplayedMean(g.TaskScore, scale), System.Globalization.CultureInfo.InvariantCulture));
    }

    static (TableCell, double?) AverageCell(SuiteAverage? a, string suiteName, int maxSeeds, double scale, Footnotes notes)
    {
        if (a is null) return (new TableCell("—", Footnote: notes.Add("—: not run.")), null);
        if (a.Score is null)
        {
            var missing = a.IncompleteTasks.Select(Formats.TaskName).ToList();
            return (new TableCell("—", Footnote: notes.Add(
                $"{suiteName} avg. not computed: {missing.Count} of {a.TaskCount} tasks missing ({Formats.List(missing)}).")), null);
        }
        int? note = a.Score.N < a.Seeds.Count
            ? notes.Add($"{suiteName} avg. over the {a.Score.N} of {a.Seeds.Count} seeds with every task; incomplete: {Formats.List(a.IncompleteTasks.Select(Formats.TaskName).ToList())}.")
            : a.Score.N < maxSeeds ? notes.Add($"n = {a.Score.N} seed{(a.Score.N == 1 ? "" : "s")} of {maxSeeds}.")
            : null;
        return (new TableCell(Formats.MeanStd(a.Score, scale), Footnote: note),
            double.Parse(Formats.DisplayedMean(a.Score, scale), System.Globalization.CultureInfo.InvariantCulture));
    }

    static TableCell ParamsCell(RunSummary s, MethodKey m)
    {
        var ps = s.Groups.Where(g => g.Key.MethodKey == m && g.Parameters is not null).Select(g => g.Parameters!).ToList();
        if (ps.Count == 0) return new TableCell("—");
        return new TableCell($"{Formats.Percent(ps.Average(p => p.MethodTrainableFraction))} ({Formats.Count(ps.Average(p => p.MethodTrainable))})");
    }

    /// <summary>Bold every cell whose displayed mean equals the column's best (ties all bold); needs two values to compare.</summary>
    static void MarkBest(List<List<TableCell>> rows, List<List<double?>> means, List<bool> higherIsBetter)
    {
        for (var c = 0; c < higherIsBetter.Count; c++)
        {
            var values = means.Select(m => m[c]).Where(v => v.HasValue).Select(v => v!.Value).ToList();
            if (values.Count < 2) continue;
            var best = higherIsBetter[c] ? values.Max() : values.Min();
            for (var r = 0; r < rows.Count; r++)
                if (means[r][c] == best) rows[r][c + 1] = rows[r][c + 1] with { Best = true };
        }
    }

    static string Caption(RunSummary s, string model, string? suite, string? suiteName, double scale)
    {
        var groups = s.Groups.Where(g => g.Model == model && g.N > 0).ToList();
        var scoreDescriptions = s.Tasks.Select(t => (t, g: groups.FirstOrDefault(g => g.Task == t)))
            .Where(x => x.g is not null)
            .Select(x => $"{Formats.TaskName(x.t)} {Describe(x.g!.ScoreMetrics)}")
            .ToList();
        var seeds = Formats.List(s.Seeds.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
        var text = $"Model `{model}`, profile {Formats.List(s.Profiles.Select(p => $"`{p}`").ToList())}, seed{(s.Seeds.Count == 1 ? "" : "s")} {seeds}: " +
                   "mean ± std over seeds (sample std; no std with one seed)" +
                   (scale == 1 ? ". " : $", values ×{Formats.Count(scale)}. ") +
                   $"Task columns show each task's score: {string.Join("; ", scoreDescriptions)}. ";
        if (suite is not null)
            text += $"{suiteName} avg. is the mean over {suiteName}'s {s.Suites[suite].Count} tasks of each task's score, computed per seed " +
                    "(only for seeds with every task) and then averaged over seeds; multi-metric tasks count as the mean of their metrics. ";
        return text + "Params: the method's trainable parameters, head excluded, as % of the backbone (count). Best per column in bold.";
    }

    static string Describe(IReadOnlyList<string> metrics) => metrics.Count switch
    {
        0 => "(no metric)",
        1 => metrics[0],
        _ => $"mean of {Formats.List(metrics)}",
    };
}
