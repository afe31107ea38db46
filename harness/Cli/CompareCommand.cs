using System.CommandLine;
using PeftBench.Reports;
using PeftBench.Reports.Comparison;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>compare --baseline FILE_OR_DIR --current RESULTS_DIR</c>: the regression gate. Reads result files only (no
/// libtorch). Exit 0: no regression; 1: regression; 2: usage or input error (missing or malformed files, runs that
/// cannot be compared such as different thread counts).
/// </summary>
public static class CompareCommand
{
    public sealed record Request(string Baseline, string Current, string? MarkdownPath = null, string? JsonPath = null,
        bool FailOnPerformance = false, double? MetricFloor = null, double? MetricStdFactor = null,
        double? MaxMemoryRatio = null, double? MinThroughputRatio = null);

    public static void AddTo(RootCommand root)
    {
        var baseline = new Option<string>("--baseline") { Description = "A baseline file (results/baselines/ci.json) or a results folder.", Required = true };
        var current = new Option<string>("--current") { Description = "The results folder of the run to check (with cells/).", Required = true };
        var markdown = new Option<string?>("--markdown") { Description = "Also write a Markdown summary here (for a PR comment or $GITHUB_STEP_SUMMARY)." };
        var json = new Option<string?>("--json") { Description = "Also write the JSON verdict here." };
        var failOnPerf = new Option<bool>("--fail-on-perf") { Description = "Peak memory and throughput beyond their ratios fail instead of warning." };
        var floor = new Option<double?>("--metric-floor") { Description = "Smallest metric drop that counts (default: the baseline's, set per suite)." };
        var k = new Option<double?>("--std-factor") { Description = "Metric tolerance in baseline seed stds, where several seeds exist (default: the baseline's, 3)." };
        var memory = new Option<double?>("--max-memory-ratio") { Description = "Peak memory current/baseline above which a cell is flagged (default 1.25)." };
        var throughput = new Option<double?>("--min-throughput-ratio") { Description = "Training throughput current/baseline below which a cell is flagged (default 0.5)." };
        var command = new Command("compare", "Compare a run with a baseline: parameter counts, metrics, memory, throughput, missing and failing cells.")
            { baseline, current, markdown, json, failOnPerf, floor, k, memory, throughput };
        command.SetAction(parse => Execute(new Request(parse.GetValue(baseline)!, parse.GetValue(current)!, parse.GetValue(markdown), parse.GetValue(json),
            parse.GetValue(failOnPerf), parse.GetValue(floor), parse.GetValue(k), parse.GetValue(memory), parse.GetValue(throughput)), Console.Out));
        root.Subcommands.Add(command);
    }

    public static int Execute(Request request, TextWriter output)
    {
        BaselineFile baseline;
        try { baseline = BaselineJson.Load(request.Baseline, new Tolerances()); }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            output.WriteLine($"compare: {e.Message}");
            return ExitCodes.Usage;
        }
        var current = ResultFolders.Read(request.Current, message => output.WriteLine($"compare: current run: {message}"));
        if (current is null) return ExitCodes.Usage;
        var t = baseline.Tolerances;
        var tolerances = t with
        {
            MetricFloor = request.MetricFloor ?? t.MetricFloor,
            MetricStdFactor = request.MetricStdFactor ?? t.MetricStdFactor,
            MaxMemoryRatio = request.MaxMemoryRatio ?? t.MaxMemoryRatio,
            MinThroughputRatio = request.MinThroughputRatio ?? t.MinThroughputRatio,
            FailOnPerformance = request.FailOnPerformance || t.FailOnPerformance,
        };
        var result = Comparer.Compare(baseline, current.Select(BaselineCell.From).ToList(), tolerances);
        var exit = result.Verdict switch { "pass" => ExitCodes.Ok, "regression" => ExitCodes.Regression, _ => ExitCodes.Usage };
        output.Write(ComparisonRenderer.Console(result));
        if (request.MarkdownPath is { } md) AtomicFile.WriteAllText(md, ComparisonRenderer.Markdown(result));
        if (request.JsonPath is { } js) AtomicFile.WriteAllText(js, ComparisonRenderer.Json(result, exit));
        return exit;
    }
}
