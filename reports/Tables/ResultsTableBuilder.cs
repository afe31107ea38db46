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
        // A grouped suite (VTAB) reports both averages papers use, each labelled, the groups present named.
        var groups = suite is null ? null : GroupsPresent(s, suite);
        if (groups is not null) columns.Add(new Column($"{suiteName}: {SuiteAveraging.MeanOverTasks}", true));
        if (suite is not null) columns.Add(new Column(groups is null ? $"{suiteName} avg." : $"{suiteName}: {SuiteAveraging.MeanOfGroupMeans} ({string.Join(", ", groups.Keys)})", true));
        columns.Add(new Column("Params", true));

        var scoreColumns = new List<ScoreColumn>();
        foreach (var task in s.Tasks)
        {
            var gs = methods.Select(m => s.Group(task, m)).ToList();
            var hib = gs.OfType<TaskAggregate>().Select(g => g.TaskScoreHigherIsBetter).DefaultIfEmpty(true).First();
            scoreColumns.Add(new ScoreColumn(hib, gs.Select(g => TaskEntry(g, maxSeeds, notes)).ToList()));
        }
        if (groups is not null)
            scoreColumns.Add(new ScoreColumn(true, methods.Select(m => AverageEntry(s.Average(suite!, m) is { } a ? a with { Score = a.MeanOverTasks, PerSeed = a.MeanOverTasksPerSeed } : null,
                suiteName!, maxSeeds, notes)).ToList()));
        if (suite is not null)
            scoreColumns.Add(new ScoreColumn(true, methods.Select(m => AverageEntry(s.Average(suite, m), suiteName!, maxSeeds, notes)).ToList()));
        var formatted = ScoreColumns.Format(scoreColumns, methods.Select(m => (string?)m.Method).ToList(), options.ValueScale, options.Significance, out var use);

        var rows = methods.Select((m, r) =>
        {
            var row = new List<TableCell> { new(Label(m, ResultsTableBuilder.BackboneParameters(s, model))) };
            row.AddRange(formatted.Select(column => column[r]));
            row.Add(ParamsCell(s, m));
            return (IReadOnlyList<TableCell>)row;
        }).ToList();

        var title = s.Models.Count > 1 ? $"Results: {model}" : "Results";
        return new Table(title, Caption(s, model, suite, suiteName, options.ValueScale) + " " + ScoreColumns.Legend(use, options.Significance),
            columns, rows, notes.Texts.ToList());
    }

    /// <summary>The suite shown: the option, else glue when present, else the first suite; null when the run has none.</summary>
    public static string? ChooseSuite(RunSummary s, ReportOptions options) =>
        options.Suite is { } given ? (s.Suites.ContainsKey(given) ? given : null)
        : s.Suites.ContainsKey("glue") ? "glue"
        : s.Suites.Keys.FirstOrDefault();

    /// <summary>The groups of a grouped suite that have tasks in this run, with their tasks; null for suites without groups.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>>? GroupsPresent(RunSummary s, string suite) =>
        s.SuiteAverages.FirstOrDefault(a => a.Suite == suite && a.Rule == SuiteAveraging.MeanOfGroupMeans)?.GroupTasks;

    static ScoreEntry TaskEntry(TaskAggregate? g, int maxSeeds, Footnotes notes)
    {
        if (g is null) return ScoreEntry.None(new TableCell("—", Footnote: notes.Add("—: not run.")));
        if (g.N == 0 || g.TaskScore is null)
            return ScoreEntry.None(new TableCell("—", Footnote: notes.Add($"—: no ok cell ({g.NotOk} failed or diverged; see Cells not ok).")));
        int? note = g.N < maxSeeds
            ? notes.Add($"n = {g.N} seed{(g.N == 1 ? "" : "s")} of {maxSeeds}" + (g.NotOk > 0 ? $" ({g.NotOk} failed or diverged)." : "."))
            : null;
        return new ScoreEntry(g.TaskScore, g.ScorePerSeed, g.ExamplesPerSeed, Footnote: note);
    }

    static ScoreEntry AverageEntry(SuiteAverage? a, string suiteName, int maxSeeds, Footnotes notes)
    {
        if (a is null) return ScoreEntry.None(new TableCell("—", Footnote: notes.Add("—: not run.")));
        if (a.Score is null)
        {
            var missing = a.IncompleteTasks.Select(Formats.TaskName).ToList();
            return ScoreEntry.None(new TableCell("—", Footnote: notes.Add(
                $"{suiteName} avg. not computed: {missing.Count} of {a.TaskCount} tasks missing ({Formats.List(missing)}).")));
        }
        int? note = a.Score.N < a.Seeds.Count
            ? notes.Add($"{suiteName} avg. over the {a.Score.N} of {a.Seeds.Count} seeds with every task; incomplete: {Formats.List(a.IncompleteTasks.Select(Formats.TaskName).ToList())}.")
            : a.Score.N < maxSeeds ? notes.Add($"n = {a.Score.N} seed{(a.Score.N == 1 ? "" : "s")} of {maxSeeds}.")
            : null;
        return new ScoreEntry(a.Score, a.PerSeed, new Dictionary<long, ExampleScores>(), Footnote: note);
    }

    static TableCell ParamsCell(RunSummary s, MethodKey m)
    {
        var ps = s.Groups.Where(g => g.Key.MethodKey == m && g.Parameters is not null).Select(g => g.Parameters!).ToList();
        if (ps.Count == 0) return new TableCell("—");
        return new TableCell($"{Formats.Percent(ps.Average(p => p.MethodTrainableFraction))} ({Formats.Count(ps.Average(p => p.MethodTrainable))})");
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
        if (suite is not null && GroupsPresent(s, suite) is { } present)
            text += $"{suiteName} avg. is given two ways, each computed per seed (only for seeds with every task) and then averaged over seeds: " +
                    $"the {SuiteAveraging.MeanOverTasks} of {suiteName}'s {s.Suites[suite].Count} task scores, and the {SuiteAveraging.MeanOfGroupMeans} " +
                    $"(each group's mean over its tasks, then the mean over groups). Groups present: " +
                    $"{string.Join("; ", present.Select(g => $"{g.Key} ({Formats.List(g.Value.Select(Formats.TaskName).ToList())})"))}. ";
        else if (suite is not null)
            text += $"{suiteName} avg. is the mean over {suiteName}'s {s.Suites[suite].Count} tasks of each task's score, computed per seed " +
                    "(only for seeds with every task) and then averaged over seeds; multi-metric tasks count as the mean of their metrics. ";
        var backbone = BackboneParameters(s, model);
        var budgets = s.Methods.Where(m => m.Model == model && m.Budget is not null).Select(m => m.Budget!).Distinct()
            .OrderBy(b => Formats.BudgetFraction(b, backbone) ?? double.MaxValue).ThenBy(b => b, StringComparer.Ordinal).ToList();
        text += budgets.Count == 0 ? "No parameter budget: every method at its configured size. "
            : $"Budget{(budgets.Count == 1 ? "" : "s")} {Formats.List(budgets.Select(b => Formats.BudgetFraction(b, backbone) is { } f ? Formats.Percent(f) : b).ToList())} " +
              "of the backbone for the methods with a knob (in the row label); the others at their fixed size. ";
        return text + $"Params: the method's trainable parameters, head excluded, as % of the backbone{(BackboneCount(s, model) is { } n ? $"'s {n} parameters" : "")} (count); budgets are targets of that count.";
    }

    /// <summary>A row label with its budget as % of the backbone: <c>lora (0.5%)</c>, <c>lora (100k = 5.45%)</c>.</summary>
    public static string Label(MethodKey m, double? backbone) =>
        m.Budget is { } b && !b.TrimEnd().EndsWith('%') && Formats.BudgetFraction(b, backbone) is { } f
            ? $"{m.Method} ({b} = {Formats.Percent(f)})"
            : m.Label;

    /// <summary>" (1.83M parameters)" when the results record the backbone's size.</summary>
    public static string Backbone(RunSummary s, string model) => BackboneCount(s, model) is { } n ? $" ({n} parameters)" : "";

    /// <summary>The backbone's parameter count as displayed (1.83M); null when no result records it.</summary>
    public static string? BackboneCount(RunSummary s, string model) => BackboneParameters(s, model) is { } n ? Formats.Count(n) : null;

    /// <summary>The backbone's parameter count, mean over the results that record it; null when none does.</summary>
    public static double? BackboneParameters(RunSummary s, string model)
    {
        var sizes = s.Groups.Where(g => g.Model == model && g.Parameters is { Backbone: > 0 }).Select(g => g.Parameters!.Backbone).ToList();
        return sizes.Count == 0 ? null : sizes.Average();
    }

    static string Describe(IReadOnlyList<string> metrics) => metrics.Count switch
    {
        0 => "(no metric)",
        1 => metrics[0],
        _ => $"mean of {Formats.List(metrics)}",
    };
}
