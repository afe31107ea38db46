namespace PeftBench.Reports.Aggregation;

/// <summary>
/// Cells → <see cref="RunSummary"/>. Pure: same cells and options, same summary, whatever order the files were read in.
/// </summary>
public static class Aggregator
{
    public static RunSummary Summarize(IReadOnlyList<CellResult> allCells, ReportOptions? options = null)
    {
        options ??= new ReportOptions();
        // A method that cannot apply to a backbone has no row for it: it is listed with its reason, not scored as missing.
        var notApplicable = allCells.Where(c => c.Status == CellStatus.NotApplicable)
            .GroupBy(c => (c.Cell.Model, c.Cell.Method))
            .Select(g => new NotApplicableMethod(g.Key.Model, g.Key.Method, g.First().Error ?? "", g.Count()))
            .OrderBy(n => n.Model, StringComparer.Ordinal).ThenBy(n => n.Method, StringComparer.Ordinal)
            .ToList();
        var cells = allCells.Where(c => c.Status != CellStatus.NotApplicable).ToList();
        var ok = cells.Where(c => c.IsOk).ToList();

        var groups = cells.GroupBy(c => GroupKey.Of(c.Cell))
            .Select(g => Group(g.Key, g.ToList()))
            .ToList();

        var suites = SuiteTasks(cells, options);
        var averages = suites
            .SelectMany(s => cells.Where(c => s.Value.Contains(c.Cell.Task)).GroupBy(c => MethodKey.Of(c.Cell))
                .Select(g => Average(s.Key, s.Value, GroupsOf(s.Key, s.Value, cells, options), g.Key, g.ToList())))
            .ToList();

        var tasks = Ordered(cells.Select(c => c.Cell.Task).Distinct(), options.TaskOrder, t => t);
        var methodParams = groups.GroupBy(g => g.Key.MethodKey)
            .ToDictionary(g => g.Key, g => g.Where(x => x.Parameters is not null).Select(x => x.Parameters!.MethodTrainable).DefaultIfEmpty(0).Average());
        var methods = methodParams.Keys
            .OrderBy(m => m.Model, StringComparer.Ordinal)
            .ThenBy(m => RankIn(options.MethodOrder, m.Method))
            .ThenByDescending(m => methodParams[m])
            .ThenBy(m => m.Method, StringComparer.Ordinal)
            .ThenBy(m => m.Budget ?? "", StringComparer.Ordinal)
            .ToList();

        return new RunSummary
        {
            Cells = cells.Count,
            OkCells = ok.Count,
            Models = cells.Select(c => c.Cell.Model).Distinct().Order(StringComparer.Ordinal).ToList(),
            Profiles = cells.Select(c => c.Cell.Profile).Distinct().Order(StringComparer.Ordinal).ToList(),
            Seeds = cells.Select(c => c.Cell.Seed).Distinct().Order().ToList(),
            Tasks = tasks,
            Methods = methods,
            Suites = suites,
            Groups = groups.OrderBy(g => methods.IndexOf(g.Key.MethodKey)).ThenBy(g => tasks.IndexOf(g.Task)).ToList(),
            SuiteAverages = averages.OrderBy(a => a.Suite, StringComparer.Ordinal).ThenBy(a => methods.IndexOf(a.Key)).ToList(),
            NotOk = cells.Where(c => !c.IsOk)
                .Select(c => new NotOkCell(c.Key, c.Status, c.Cell.Task, c.Cell.Model, c.Cell.Method, c.Cell.Budget, c.Cell.Seed, c.Error))
                .OrderBy(c => c.Task, StringComparer.Ordinal).ThenBy(c => c.Method, StringComparer.Ordinal)
                .ThenBy(c => c.Budget ?? "", StringComparer.Ordinal).ThenBy(c => c.Seed).ThenBy(c => c.Key, StringComparer.Ordinal)
                .ToList(),
            NotApplicable = notApplicable,
        };
    }

    static TaskAggregate Group(GroupKey key, List<CellResult> all)
    {
        var ok = all.Where(c => c.IsOk).OrderBy(c => c.Cell.Seed).ToList();
        var first = ok.FirstOrDefault() ?? all[0];
        var metricNames = ok.SelectMany(c => c.Metrics.Keys).Distinct().Order(StringComparer.Ordinal);
        return new TaskAggregate
        {
            Task = key.Task, Model = key.Model, Method = key.Method, Budget = key.Budget,
            Family = first.Cell.MethodFamily,
            N = ok.Count,
            NotOk = all.Count - ok.Count,
            Seeds = ok.Select(c => c.Cell.Seed).ToList(),
            PrimaryMetric = first.PrimaryMetric,
            ScoreMetrics = TaskScores.MetricsOf(first),
            TaskScoreHigherIsBetter = TaskScores.HigherIsBetter(first),
            Metrics = metricNames.ToDictionary(m => m,
                m => SampleStats.Of(ok.Where(c => c.Metrics.ContainsKey(m)).Select(c => c.Metrics[m]))),
            TaskScore = SampleStats.OfPresent(ok.Select(TaskScores.Of)),
            // One ok cell per seed: a duplicate (same seed) keeps the first by key, as the suite average does.
            ScorePerSeed = ok.Where(c => TaskScores.Of(c).HasValue).GroupBy(c => c.Cell.Seed)
                .ToDictionary(g => g.Key, g => TaskScores.Of(g.OrderBy(c => c.Key, StringComparer.Ordinal).First())!.Value),
            ExamplesPerSeed = ok.Where(c => c.Examples is not null).GroupBy(c => c.Cell.Seed)
                .ToDictionary(g => g.Key, g => g.OrderBy(c => c.Key, StringComparer.Ordinal).First().Examples!),
            Parameters = ParameterMeans.Of(ok.Select(c => c.Parameters)),
            PeakMemoryBytes = SampleStats.OfPresent(ok.Select(c => (double?)c.Measurements?.PeakMemoryBytes)),
            TrainExamplesPerSecond = SampleStats.OfPresent(ok.Select(c => c.Measurements?.TrainExamplesPerSecond)),
            InferenceExamplesPerSecond = SampleStats.OfPresent(ok.Select(c => c.Measurements?.InferenceExamplesPerSecond)),
            InferenceExamplesPerSecondMerged = SampleStats.OfPresent(ok.Select(c => c.Measurements?.InferenceExamplesPerSecondMerged)),
            TrainMsPerStep = SampleStats.OfPresent(ok.Select(c => c.Measurements?.TrainMsPerStep)),
            TrainSeconds = SampleStats.OfPresent(ok.Select(c => c.Measurements?.TrainSeconds)),
        };
    }

    /// <summary>
    /// A suite average as the benchmark defines it: the mean over its tasks (GLUE), or, when the suite has groups
    /// (VTAB: natural, specialized, structured), the mean of the group means, with each group's mean kept too.
    /// </summary>
    static SuiteAverage Average(string suite, IReadOnlyList<string> suiteTasks, IReadOnlyDictionary<string, IReadOnlyList<string>>? groups,
        MethodKey key, List<CellResult> rowCells)
    {
        // A group without a task in this suite (VTAB's specialized group when no such data is given) has no mean to take.
        groups = groups?.Where(g => g.Value.Count > 0).ToDictionary(g => g.Key, g => g.Value);
        var seeds = rowCells.Select(c => c.Cell.Seed).Distinct().Order().ToList();
        // (task, seed) → score of the ok cell; a duplicate ok cell for the same (task, seed) keeps the first by key.
        var scores = rowCells.Where(c => c.IsOk && TaskScores.Of(c).HasValue)
            .GroupBy(c => (c.Cell.Task, c.Cell.Seed))
            .ToDictionary(g => g.Key, g => TaskScores.Of(g.OrderBy(c => c.Key, StringComparer.Ordinal).First())!.Value);
        var complete = seeds.Where(s => suiteTasks.All(t => scores.ContainsKey((t, s)))).ToList();
        var perSeed = complete.ToDictionary(s => s, s => groups is null
            ? suiteTasks.Average(t => scores[(t, s)])
            : groups.Values.Average(ts => ts.Average(t => scores[(t, s)])));
        var groupScores = groups is null || complete.Count == 0
            ? new Dictionary<string, SampleStats>()
            : groups.ToDictionary(g => g.Key, g => SampleStats.Of(complete.Select(s => g.Value.Average(t => scores[(t, s)]))));
        var ok = rowCells.Where(c => c.IsOk && c.Parameters is not null).ToList();
        return new SuiteAverage
        {
            Suite = suite, Model = key.Model, Method = key.Method, Budget = key.Budget,
            Family = rowCells.Select(c => c.Cell.MethodFamily).FirstOrDefault(f => f is not null),
            TaskCount = suiteTasks.Count,
            Rule = groups is null ? SuiteAveraging.MeanOverTasks : SuiteAveraging.MeanOfGroupMeans,
            GroupTasks = groups ?? new Dictionary<string, IReadOnlyList<string>>(),
            GroupScores = groupScores,
            MeanOverTasks = groups is null || complete.Count == 0 ? null : SampleStats.Of(complete.Select(s => suiteTasks.Average(t => scores[(t, s)]))),
            MeanOverTasksPerSeed = groups is null ? new Dictionary<long, double>() : complete.ToDictionary(s => s, s => suiteTasks.Average(t => scores[(t, s)])),
            Seeds = seeds,
            PerSeed = perSeed,
            Score = perSeed.Count == 0 ? null : SampleStats.Of(perSeed.OrderBy(p => p.Key).Select(p => p.Value)),
            IncompleteTasks = suiteTasks.Where(t => seeds.Any(s => !scores.ContainsKey((t, s)))).ToList(),
            MethodTrainable = ok.Count == 0 ? null : ok.Average(c => (double)c.Parameters!.MethodTrainable),
            MethodTrainableFraction = ok.Count == 0 ? null : ok.Average(c => c.Parameters!.MethodTrainableFraction),
        };
    }

    /// <summary>
    /// Group → tasks of a grouped suite: from the options when given, else from the groups the cells record
    /// (<see cref="CellResult.Group"/>), in the suite's task order; null when neither names one (GLUE).
    /// </summary>
    static IReadOnlyDictionary<string, IReadOnlyList<string>>? GroupsOf(string suite, IReadOnlyList<string> suiteTasks,
        IReadOnlyList<CellResult> cells, ReportOptions options)
    {
        if (options.SuiteGroups?.GetValueOrDefault(suite) is { } given) return given;
        var groupOf = cells.Where(c => c.Group is not null && c.Suites.Contains(suite))
            .GroupBy(c => c.Cell.Task).ToDictionary(g => g.Key, g => g.First().Group!);
        // One group (ESC-50's folds share one; a vision run of structured tasks only) makes both averages the same number.
        if (groupOf.Values.Distinct().Count() < 2) return null;
        // A task of the suite that no cell gives a group (not run) belongs nowhere yet: its absence already makes the average incomplete.
        return suiteTasks.Where(groupOf.ContainsKey).GroupBy(t => groupOf[t])
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.ToList());
    }

    /// <summary>Suite → tasks: those the options give, then any other task in the run tagged with the suite.</summary>
    static IReadOnlyDictionary<string, IReadOnlyList<string>> SuiteTasks(IReadOnlyList<CellResult> cells, ReportOptions options)
    {
        var inferred = cells.SelectMany(c => c.Suites.Select(s => (Suite: s, c.Cell.Task)))
            .GroupBy(x => x.Suite)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)Ordered(g.Select(x => x.Task).Distinct(), options.TaskOrder, t => t));
        // The given list adds tasks no cell ran (so an incomplete suite shows as such); tasks the run tagged with the
        // suite beyond it (a data-dir-only vision task such as vision/eurosat, run with --tasks) count too, after it.
        if (options.SuiteTasks is { } given)
            foreach (var (suite, tasks) in given)
                inferred[suite] = inferred.TryGetValue(suite, out var ran) ? [.. tasks, .. ran.Where(t => !tasks.Contains(t))] : tasks;
        return new SortedDictionary<string, IReadOnlyList<string>>(inferred, StringComparer.Ordinal);
    }

    static List<T> Ordered<T>(IEnumerable<T> items, IReadOnlyList<string>? order, Func<T, string> id) =>
        items.OrderBy(x => RankIn(order, id(x))).ThenBy(id, StringComparer.Ordinal).ToList();

    static int RankIn(IReadOnlyList<string>? order, string id)
    {
        var i = order is null ? -1 : IndexOf(order, id);
        return i < 0 ? int.MaxValue : i;
    }

    static int IndexOf(IReadOnlyList<string> list, string s)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == s) return i;
        return -1;
    }
}
