using System.CommandLine;
using PeftBench.Reports;
using Spectre.Console;

namespace PeftBench.Harness.Cli;

/// <summary><c>report RESULTS_DIR [--out DIR]</c>: regenerates tables (Markdown, LaTeX, CSV), plots, curves and report.html from result files alone (no libtorch).</summary>
public static class ReportCommand
{
    public static void AddTo(RootCommand root)
    {
        var dir = new Argument<string>("results-dir") { Description = "A run folder (with cells/) or a folder of cell JSON files." };
        var output = new Option<string?>("--out") { Description = "Where to write the report. Default: the results folder." };
        var command = new Command("report", "Regenerate tables (Markdown, LaTeX, CSV), Pareto plots, training curves and report.html from a results folder, without retraining.") { dir, output };
        command.SetAction(parse =>
        {
            var source = parse.GetValue(dir)!;
            var results = ResultFolders.Read(source, message => AnsiConsole.MarkupLine($"[red]{Markup.Escape(message)}[/]"));
            if (results is null) return ExitCodes.Usage;
            var suite = results.SelectMany(r => r.Suites).GroupBy(s => s).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
            var paths = RunReport.Write(results, Path.GetFullPath(parse.GetValue(output) ?? source),
                Options($"{suite ?? "results"} · {Path.GetFileName(Path.GetFullPath(source))}", suite, null));
            AnsiConsole.WriteLine(paths.ConsoleSummary);
            foreach (var p in paths.Listing) AnsiConsole.MarkupLine($"  {Markup.Escape(p)}");
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    /// <summary>Report options with the suites' task lists and column order from the task catalog's suites.</summary>
    public static ReportOptions Options(string title, string? suite, IReadOnlyList<string>? methodOrder)
    {
        var suites = PeftBench.Tasks.Suites.All();
        return new ReportOptions
        {
            Title = title,
            Suite = suite,
            SuiteTasks = suites,
            TaskOrder = suites.Values.SelectMany(t => t).Distinct().ToList(),
            MethodOrder = methodOrder,
        };
    }
}
