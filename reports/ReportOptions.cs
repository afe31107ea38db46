namespace PeftBench.Reports;

/// <summary>How a run is reported. Immutable; the defaults suit a GLUE run.</summary>
public sealed record ReportOptions
{
    public string Title { get; init; } = "PeftBench results";
    /// <summary>The suite whose average is the table's average column and the Pareto plot's y; null: glue if present, else the first.</summary>
    public string? Suite { get; init; }
    /// <summary>Suite → its tasks (other tasks the run tagged with the suite follow them). When absent, a suite's tasks are those in the run tagged with it (a task missing from every cell is then invisible).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? SuiteTasks { get; init; }
    /// <summary>
    /// Suite → group → tasks, for benchmarks whose headline is the mean of group means (VTAB-1k: natural,
    /// specialized, structured). Suites absent here average over their tasks (GLUE).
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>? SuiteGroups { get; init; }
    /// <summary>Task ids in column order; others follow alphabetically.</summary>
    public IReadOnlyList<string>? TaskOrder { get; init; }
    /// <summary>Method ids in row order; others follow, most trainable parameters first.</summary>
    public IReadOnlyList<string>? MethodOrder { get; init; }
    /// <summary>Scores are shown ×100 (accuracy, F1, MCC and correlations, as GLUE papers do).</summary>
    public double ValueScale { get; init; } = 100;
    /// <summary>Method id → family, for methods whose results do not record one (colours in plots).</summary>
    public IReadOnlyDictionary<string, string>? MethodFamilies { get; init; }
    /// <summary>Spread shown in LaTeX cells: <c>mean ± std</c> or <c>mean_{±ci}</c> (95 % Student-t half-width).</summary>
    public Spread LatexSpread { get; init; } = Spread.Std;
    /// <summary>Significance tests against the best of each column (or <see cref="Significance.Reference"/>).</summary>
    public SignificanceOptions Significance { get; init; } = new();
    public bool Plots { get; init; } = true;
    /// <summary>Writes one curve SVG per cell under curves/cells (besides the per-task overlays).</summary>
    public bool CellCurves { get; init; } = true;
    /// <summary>Writes report.html (tables, inline SVG plots, provenance).</summary>
    public bool Html { get; init; } = true;
    public int PlotWidth { get; init; } = 900;
    public int PlotHeight { get; init; } = 600;
}

public enum Spread { Std, Ci95 }

public enum SeedTest { PairedT, Wilcoxon }

/// <summary>
/// Each score is tested against the column's best (or the reference method's) score: a paired t-test over seeds,
/// and, where both cells stored per-example scores, a paired bootstrap over examples.
/// </summary>
public sealed record SignificanceOptions
{
    public double Alpha { get; init; } = 0.05;
    /// <summary>The test over seeds: Student's paired t-test, or the exact Wilcoxon signed-rank test (needs ≥ 6 seeds to reach p &lt; 0.05).</summary>
    public SeedTest SeedTest { get; init; } = SeedTest.PairedT;
    /// <summary>Method id to test against; null: the best row of each column.</summary>
    public string? Reference { get; init; }
    public int BootstrapResamples { get; init; } = 1000;
    public int BootstrapSeed { get; init; } = 0;
}
