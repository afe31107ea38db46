using System.CommandLine;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using Spectre.Console;

namespace PeftBench.Harness.Cli;

/// <summary>The main job: validate the whole matrix, run the cells not yet finished, write tables and plots.</summary>
public static class RunCommand
{
    private static Option<string[]> ListOption(string name, string description) => new(name)
    {
        Description = description + " Comma-separated or repeated; globs allowed.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static void AddTo(RootCommand root, Composition composition)
    {
        var suite = new Option<string?>("--suite") { Description = "Suite to run (glue, ci). Combine with --tasks to narrow it." };
        var tasks = ListOption("--tasks", "Task ids, e.g. glue/sst2,glue/rte or glue/*.");
        var models = ListOption("--models", "Model ids (tiny-bert) or Hugging Face model folders. Default: tiny-bert.");
        var methods = ListOption("--methods", "Method ids, e.g. lora,bitfit. Default: the suite's methods (glue: the six foundation methods; ci: every registered one), or all without a suite.");
        var budgets = ListOption("--budgets", "Trainable-parameter budgets: % of the backbone (0.1%) or counts (20k). Methods with a knob are fitted to each; others run once.");
        var seeds = ListOption("--seeds", "Seeds, e.g. 0,1,2 or 0-4. Default: the profile's seeds.");
        var settings = ListOption("--set", "Method settings, e.g. lora.rank=16, houlsby.bottleneck=32, *.learning_rate=1e-3.");
        var profile = new Option<string?>("--profile") { Description = "Training recipe: smoke (seconds), ci, default or paper. Default: the suite's (ci: ci), else default." };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for libtorch (pinned and recorded; results are bit-identical only at the same count). Default: the suite's (ci: 2), else all cores." };
        var output = new Option<string?>("--out") { Description = "Run folder. Default: results/runs/SUITE-PROFILE (re-running resumes it)." };
        var force = new Option<bool>("--force") { Description = "Re-run cells that already have a result." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder with the real GLUE layout (CoLA/, SST-2/ …). Default: the embedded data." };
        var saveAdapters = new Option<bool>("--save-adapters") { Description = "Save each cell's trained adapter in huggingface/peft's layout (adapter_config.json + adapter_model.safetensors) under RUN/adapters/CELL-KEY, for methods that have one." };
        foreach (var o in new Option[] { suite, tasks, models, methods, budgets, seeds, settings, profile, device, threads, output, force, dataDir, saveAdapters })
            root.Options.Add(o);

        root.SetAction(parse =>
        {
            static IReadOnlyList<string> Split(string[]? values) =>
                (values ?? Array.Empty<string>()).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var request = new RunRequest
            {
                Suite = parse.GetValue(suite),
                Tasks = Split(parse.GetValue(tasks)),
                Models = Split(parse.GetValue(models)) is { Count: > 0 } m ? m : new[] { "tiny-bert" },
                Methods = Split(parse.GetValue(methods)),
                Budgets = Split(parse.GetValue(budgets)),
                Seeds = Split(parse.GetValue(seeds)),
                Settings = Split(parse.GetValue(settings)),
                Profile = parse.GetValue(profile),
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
                Out = parse.GetValue(output),
                Force = parse.GetValue(force),
                DataDir = parse.GetValue(dataDir),
                SaveAdapters = parse.GetValue(saveAdapters),
            };
            return Execute(request, composition, AnsiConsole.Console);
        });
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
        var results = new SuiteRunner(console).Run(plan, request.Force, request.SaveAdapters ? Path.Combine(plan.OutputDirectory, "adapters") : null);
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
