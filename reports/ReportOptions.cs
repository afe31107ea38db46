namespace PeftBench.Reports;

/// <summary>How a run is reported. Immutable; the defaults suit a GLUE run.</summary>
public sealed record ReportOptions
{
    public string Title { get; init; } = "PeftBench results";
    /// <summary>The suite whose average is the table's average column and the Pareto plot's y; null: glue if present, else the first.</summary>
    public string? Suite { get; init; }
    /// <summary>Suite → its tasks. When absent, a suite's tasks are those in the run tagged with it (a task missing from every cell is then invisible).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? SuiteTasks { get; init; }
    /// <summary>Task ids in column order; others follow alphabetically.</summary>
    public IReadOnlyList<string>? TaskOrder { get; init; }
    /// <summary>Method ids in row order; others follow, most trainable parameters first.</summary>
    public IReadOnlyList<string>? MethodOrder { get; init; }
    /// <summary>Scores are shown ×100 (accuracy, F1, MCC and correlations, as GLUE papers do).</summary>
    public double ValueScale { get; init; } = 100;
    public bool Plots { get; init; } = true;
    public int PlotWidth { get; init; } = 900;
    public int PlotHeight { get; init; } = 600;
}
