using System.CommandLine;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using Spectre.Console;

namespace PeftBench.Harness.Cli;

/// <summary>The main job: validate the whole matrix, run the cells not yet finished, write tables and plots.</summary>
public static class RunCommand
{
    public static void AddTo(RootCommand root, Composition composition)
    {
        var options = RunRequestOptions.Create();
        foreach (var o in options.All) root.Options.Add(o);
        root.SetAction(parse => Execute(options.Read(parse), composition, AnsiConsole.Console));
    }

    public static int Execute(RunRequest request, Composition composition, IAnsiConsole console)
    {
        RunPlan plan;
        try { plan = Planner.Plan(request, composition.PlanningContext()); }
        catch (PlanException e)
        {
            console.MarkupLine($"[red]Nothing was run: {e.Problems.Count} problem(s) in the request.[/]");
            foreach (var p in e.Problems) console.MarkupLine($"  [red]•[/] {Markup.Escape(p)}");
            return ExitCodes.Usage;
        }
        var results = new SuiteRunner(console).Run(plan, request.Force, request.SaveAdapters ? Path.Combine(plan.OutputDirectory, "adapters") : null,
            RunRequestOptions.WorkerArguments(request, plan));
        var paths = RunReport.Write(results, plan.OutputDirectory, ReportCommand.Options(
            $"{plan.Suite ?? "custom"} · profile {plan.Profile.Id}", plan.Suite, null));
        console.WriteLine();
        console.WriteLine(paths.ConsoleSummary);
        console.MarkupLine($"[bold]Results[/] in {Markup.Escape(plan.OutputDirectory)}:");
        foreach (var p in paths.Listing) console.MarkupLine($"  {Markup.Escape(p)}");
        var failed = results.Count(r => r.Status == CellStatus.Failed);
        if (failed > 0) console.MarkupLine($"[red]{failed} cell(s) failed[/]; their reasons are in the table notes and cell files. Re-running the same command retries them.");
        return failed > 0 ? ExitCodes.CellsFailed : ExitCodes.Ok;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int CellsFailed = 1;
    /// <summary><c>compare</c>: the current run regressed against the baseline.</summary>
    public const int Regression = 1;
    public const int Usage = 2;
}
