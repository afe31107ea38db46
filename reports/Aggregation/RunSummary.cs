namespace PeftBench.Reports.Aggregation;

/// <summary>Everything the renderers need, computed once from the cells (and written as summary.json).</summary>
public sealed record RunSummary
{
    public int Schema { get; init; } = 1;
    public int Cells { get; init; }
    public int OkCells { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<string> Profiles { get; init; } = [];
    public IReadOnlyList<long> Seeds { get; init; } = [];
    /// <summary>Tasks in display order.</summary>
    public IReadOnlyList<string> Tasks { get; init; } = [];
    /// <summary>Rows in display order.</summary>
    public IReadOnlyList<MethodKey> Methods { get; init; } = [];
    /// <summary>Suite id → its tasks (given, or every task in the run tagged with the suite).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Suites { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<TaskAggregate> Groups { get; init; } = [];
    public IReadOnlyList<SuiteAverage> SuiteAverages { get; init; } = [];
    public IReadOnlyList<NotOkCell> NotOk { get; init; } = [];
    /// <summary>(model, method) pairs the method cannot apply to, with the reason; their cells are in no other list.</summary>
    public IReadOnlyList<NotApplicableMethod> NotApplicable { get; init; } = [];

    public TaskAggregate? Group(string task, MethodKey m) =>
        Groups.FirstOrDefault(g => g.Task == task && g.Model == m.Model && g.Method == m.Method && g.Budget == m.Budget);

    public SuiteAverage? Average(string suite, MethodKey m) =>
        SuiteAverages.FirstOrDefault(a => a.Suite == suite && a.Key == m);
}
