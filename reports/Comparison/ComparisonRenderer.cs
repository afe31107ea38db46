using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports.Comparison;

/// <summary>One comparison, three renderings: console text, Markdown (pull-request comment or $GITHUB_STEP_SUMMARY), JSON verdict.</summary>
public static class ComparisonRenderer
{
    public static string Headline(ComparisonResult r) => r.Verdict switch
    {
        "pass" => $"PASS: no regression in {r.MatchedCells} matched cell(s){(r.Warnings > 0 ? $", {r.Warnings} warning(s)" : "")}",
        "regression" => $"REGRESSION: {r.Regressions} regression(s) in {r.MatchedCells} matched cell(s){(r.Warnings > 0 ? $", {r.Warnings} warning(s)" : "")}",
        _ => "NOT COMPARABLE: " + string.Join(" ", r.NotComparable),
    };

    static string Counts(ComparisonResult r) =>
        $"baseline {r.BaselineCells} cells, current {r.CurrentCells}, matched {r.MatchedCells}; " +
        $"{Count(r, "removed")} removed, {Count(r, "added")} added, {Count(r, "newly-failing")} newly failing; " +
        $"metric tolerance max({Formats.Fixed(r.Tolerances.MetricFloor, 4)}, {Formats.Fixed(r.Tolerances.MetricStdFactor, 1)} × seed std), " +
        $"memory ≤ {Formats.Fixed(r.Tolerances.MaxMemoryRatio, 2)}×, throughput ≥ {Formats.Fixed(r.Tolerances.MinThroughputRatio, 2)}× " +
        $"({(r.Tolerances.FailOnPerformance ? "failures" : "warnings")})";

    static int Count(ComparisonResult r, string kind) => r.Findings.Count(f => f.Kind == kind);

    /// <summary>Findings worst first; passing cells with nothing to say are not listed.</summary>
    public static Table FindingsTable(ComparisonResult r) => new(
        "Findings", "",
        [new("", false), new("cell", false), new("check", false), new("baseline", true), new("current", true), new("ratio", true), new("detail", false)],
        r.Findings.OrderByDescending(f => f.Severity).ThenBy(f => f.Cell, StringComparer.Ordinal).ThenBy(f => f.Metric, StringComparer.Ordinal)
            .Select(f => (IReadOnlyList<TableCell>)
            [
                new(f.Severity switch { Severity.Regression => "FAIL", Severity.Warning => "warn", _ => "info" }),
                new(f.Cell), new(f.Metric is null ? f.Kind : $"{f.Kind}: {f.Metric}"),
                new(Value(f.Baseline)), new(Value(f.Current)),
                new(Ratio(f)), new(f.Detail),
            ]).ToList(),
        []);

    public static string Console(ComparisonResult r)
    {
        var sb = new StringBuilder();
        sb.Append(Headline(r)).Append('\n').Append(Counts(r)).Append('\n');
        if (r.Findings.Count > 0) sb.Append('\n').Append(ConsoleRenderer.Render(FindingsTable(r)));
        return sb.ToString();
    }

    public static string Markdown(ComparisonResult r, string title = "PeftBench regression check")
    {
        var icon = r.Verdict switch { "pass" => "✅", "regression" => "❌", _ => "⚠️" };
        var sb = new StringBuilder();
        sb.Append("## ").Append(icon).Append(' ').Append(title).Append("\n\n");
        sb.Append("**").Append(Headline(r)).Append("**\n\n").Append(Counts(r)).Append("\n\n");
        if (r.Findings.Count > 0)
        {
            var table = MarkdownRenderer.Render(FindingsTable(r), 3);
            // Long lists of added cells (a new method) fold away so the regressions stay on screen.
            sb.Append(r.Findings.Count > 30 ? $"<details><summary>{r.Findings.Count} findings</summary>\n\n{table}\n</details>\n" : table);
        }
        return sb.ToString();
    }

    public static string Json(ComparisonResult r, int exitCode) => JsonSerializer.Serialize(new
    {
        verdict = r.Verdict,
        exit_code = exitCode,
        regressions = r.Regressions,
        warnings = r.Warnings,
        baseline_cells = r.BaselineCells,
        current_cells = r.CurrentCells,
        matched_cells = r.MatchedCells,
        not_comparable = r.NotComparable,
        tolerances = r.Tolerances,
        findings = r.Findings.Select(f => new
        {
            kind = f.Kind, severity = f.Severity.ToString().ToLowerInvariant(), key = f.Key, cell = f.Cell, detail = f.Detail,
            metric = f.Metric, baseline = f.Baseline, current = f.Current, tolerance = f.Tolerance, ratio = f.Ratio,
        }),
    }, JsonOptions) + "\n";

    static readonly JsonSerializerOptions JsonOptions = new(ResultJson.Options) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    static string Value(double? v) => v switch
    {
        null => "",
        { } x when Math.Abs(x) >= 1e5 => Formats.Count(x),
        { } x when x == Math.Floor(x) => x.ToString("F0", CultureInfo.InvariantCulture),
        { } x => x.ToString("G5", CultureInfo.InvariantCulture),
    };

    static string Ratio(Finding f) =>
        f.Ratio is { } r ? Formats.Fixed(r, 2) + "×"
        : f.Baseline is { } b && f.Current is { } c && b != 0 && f.Kind is "parameters" ? Formats.Fixed(c / b, 2) + "×" : "";
}
