using System.CommandLine;
using PeftBench.Reports;
using PeftBench.Reports.Comparison;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>baseline RESULTS_DIR --suite ci [--out FILE] [--force]</c>: writes a run's results as a small, sorted,
/// reviewable baseline file (default <c>results/baselines/SUITE.json</c>) with the suite's tolerances.
/// Refuses results from a dirty working tree (they match no commit) unless forced.
/// </summary>
public static class BaselineCommand
{
    public static void AddTo(RootCommand root)
    {
        var dir = new Argument<string>("results-dir") { Description = "The run folder to freeze (with cells/)." };
        var suite = new Option<string?>("--suite") { Description = "The suite the run is of (sets the metric floor and the default file name), e.g. ci." };
        var output = new Option<string?>("--out") { Description = "Baseline file to write. Default: results/baselines/SUITE.json." };
        var force = new Option<bool>("--force") { Description = "Write even if the results come from a dirty working tree." };
        var command = new Command("baseline", "Write a baseline file from a run, for 'compare' and CI.") { dir, suite, output, force };
        command.SetAction(parse => Execute(parse.GetValue(dir)!, parse.GetValue(suite), parse.GetValue(output), parse.GetValue(force), Console.Out));
        root.Subcommands.Add(command);
    }

    public static int Execute(string resultsDir, string? suiteId, string? outPath, bool force, TextWriter output)
    {
        var suite = suiteId is null ? null : PeftBench.Tasks.Suites.Find(suiteId);
        if (suiteId is not null && suite is null)
        {
            output.WriteLine($"baseline: unknown suite '{suiteId}'. Known suites: {string.Join(", ", PeftBench.Tasks.Suites.Names)}.");
            return ExitCodes.Usage;
        }
        var results = ResultFolders.Read(resultsDir, message => output.WriteLine($"baseline: {message}"));
        if (results is null) return ExitCodes.Usage;
        var dirty = results.Count(r => r.Provenance?.GitDirty == true);
        if (dirty > 0 && !force)
        {
            output.WriteLine($"baseline: {dirty} of {results.Count} results were produced from a dirty working tree, so no commit reproduces them. " +
                "Commit (or stash) the changes and re-run, or pass --force.");
            return ExitCodes.Usage;
        }
        var tolerances = new Tolerances { MetricFloor = suite?.MetricFloor ?? new Tolerances().MetricFloor };
        var file = BaselineJson.FromResults(results, suite?.Id, tolerances, suite is null ? null : $"make baseline SUITE={suite.Id}");
        var path = outPath ?? Path.Combine("results", "baselines", $"{suite?.Id ?? "baseline"}.json");
        AtomicFile.WriteAllText(path, BaselineJson.Serialize(file));
        var failing = file.Cells.Count(c => c.Status != CellStatus.Ok);
        output.WriteLine($"baseline: wrote {file.Cells.Count} cells ({failing} not ok) from commit(s) {string.Join(", ", file.Provenance.Commits.Select(c => c[..Math.Min(12, c.Length)]))}" +
            $"{(file.Provenance.Dirty ? " (dirty, forced)" : "")} at {string.Join(",", file.Provenance.Threads)} thread(s) to {path}");
        return ExitCodes.Ok;
    }
}
