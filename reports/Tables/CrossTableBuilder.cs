using System.Globalization;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>
/// The suite average laid out against a second axis: methods × budgets (one model) and methods × backbones (one
/// budget each, as run). Same cells, ranking and marks as the main table; null when the run has nothing to lay out
/// (no suite, a single budget, a single backbone).
/// </summary>
public static class CrossTableBuilder
{
    public const string FixedBudget = "fixed";

    /// <summary>Rows: methods; columns: budgets as % of the backbone (methods with no budget in a "fixed" column).</summary>
    public static Table? MethodsByBudget(RunSummary s, string model, ReportOptions options)
    {
        var suite = ResultsTableBuilder.ChooseSuite(s, options);
        var keys = s.Methods.Where(m => m.Model == model).ToList();
        var budgets = keys.Select(k => k.Budget).Where(b => b is not null).Distinct().ToList();
        if (suite is null || budgets.Count < 2) return null;
        var backbone = ResultsTableBuilder.BackboneParameters(s, model);
        var columns = budgets.OrderBy(b => Formats.BudgetFraction(b!, backbone) ?? double.MaxValue).ThenBy(b => b, StringComparer.Ordinal)
            .Cast<string?>().ToList();
        if (keys.Any(k => k.Budget is null)) columns.Add(null);
        var headers = columns.Select(b => b is null ? FixedBudget : Formats.BudgetFraction(b, backbone) is { } f ? Formats.Percent(f) : b).ToList();
        var methods = keys.Select(k => k.Method).Distinct().ToList();
        var caption = $"Model `{model}`{ResultsTableBuilder.Backbone(s, model)}: {Formats.SuiteName(suite)} avg. for each trainable-parameter budget, " +
                      "as % of the backbone (head excluded); \"fixed\": methods whose count does not depend on a budget.";
        return Build(s, options, suite, $"Budgets{ModelSuffix(s, model)}", caption, methods, headers,
            (method, c) => s.Average(suite, new MethodKey(model, method, columns[c])));
    }

    /// <summary>Rows: method (with budget); columns: backbones.</summary>
    public static Table? MethodsByBackbone(RunSummary s, ReportOptions options)
    {
        var suite = ResultsTableBuilder.ChooseSuite(s, options);
        if (suite is null || s.Models.Count < 2) return null;
        var rows = s.Methods.Select(m => (m.Method, m.Budget)).Distinct().ToList();
        var labels = rows.Select(r => new MethodKey("", r.Method, r.Budget).Label).ToList();
        var headers = s.Models.Select(m => $"{m}{ResultsTableBuilder.Backbone(s, m)}").ToList();
        var caption = $"{Formats.SuiteName(suite)} avg. of each method on each backbone (budgets as run, % of that backbone).";
        return Build(s, options, suite, "Backbones", caption, labels, headers,
            (label, c) => s.Average(suite, new MethodKey(s.Models[c], rows[labels.IndexOf(label)].Method, rows[labels.IndexOf(label)].Budget)));
    }

    static Table Build(RunSummary s, ReportOptions options, string suite, string title, string caption,
        IReadOnlyList<string> rowLabels, IReadOnlyList<string> headers, Func<string, int, SuiteAverage?> pick)
    {
        var columns = new List<ScoreColumn>();
        for (var c = 0; c < headers.Count; c++)
            columns.Add(new ScoreColumn(true, rowLabels.Select(r => pick(r, c) is { Score: { } score } a
                ? new ScoreEntry(score, a.PerSeed, new Dictionary<long, ExampleScores>())
                : ScoreEntry.None(new TableCell("—"))).ToList()));
        var rowMethods = rowLabels.Select(l => (string?)l.Split(' ')[0]).ToList();
        var formatted = ScoreColumns.Format(columns, rowMethods, options.ValueScale, options.Significance, out var use);
        var rows = rowLabels.Select((label, r) =>
        {
            var row = new List<TableCell> { new(label) };
            row.AddRange(formatted.Select(col => col[r]));
            return (IReadOnlyList<TableCell>)row;
        }).ToList();
        var seeds = Formats.List(s.Seeds.Select(x => x.ToString(CultureInfo.InvariantCulture)).ToList());
        var full = $"{caption} Mean ± std over seeds {seeds}{(options.ValueScale == 1 ? "" : $", values ×{Formats.Count(options.ValueScale)}")}; " +
                   $"{Formats.SuiteName(suite)} avg. is the {SuiteRule(s, suite)}, per seed. —: not run or incomplete. " +
                   ScoreColumns.Legend(use, options.Significance);
        return new Table(title, full,
            [new Column("Method", false), .. headers.Select(h => new Column(h, true))], rows, []);
    }

    public static string SuiteRule(RunSummary s, string suite) =>
        s.SuiteAverages.FirstOrDefault(a => a.Suite == suite)?.Rule ?? SuiteAveraging.MeanOverTasks;

    static string ModelSuffix(RunSummary s, string model) => s.Models.Count > 1 ? $": {model}" : "";
}
