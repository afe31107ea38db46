using System.CommandLine;
using PeftBench.Harness;
using PeftBench.Harness.Cli;

// PeftBench: compare parameter-efficient fine-tuning methods across tasks, backbones, budgets and seeds.
//   dotnet run --project harness -- --suite glue            run the GLUE suite (resumes an interrupted run)
//   dotnet run --project harness -- list                    methods, tasks, models, suites, profiles
//   dotnet run --project harness -- params --model llama-7b --method lora --json   exact counts, no weights
//   dotnet run --project harness -- report RESULTS_DIR      tables and plots from result files alone
//   dotnet run --project harness -- compare --baseline F --current RESULTS_DIR   the regression gate (exit 1 on regression)
//   dotnet run --project harness -- baseline RESULTS_DIR --suite ci              freeze a run as results/baselines/ci.json
//   dotnet run --project harness -- merge RUN --ops compeft,breadcrumbs,task-arithmetic   compress and merge saved adapters
var composition = new Composition();
var root = new RootCommand("PeftBench: a benchmarking harness for parameter-efficient fine-tuning.");
RunCommand.AddTo(root, composition);
ListCommand.AddTo(root, composition);
ParamsCommand.AddTo(root, composition);
PlanCommand.AddTo(root, composition);
ReportCommand.AddTo(root);
CompareCommand.AddTo(root);
BaselineCommand.AddTo(root);
MergeCommand.AddTo(root, composition);
MaintenanceCommands.AddTo(root);
WorkerCommand.AddTo(root, composition);
var parsed = root.Parse(args);
// Parse errors (an unknown option, a missing --baseline) are usage errors: exit 2, like every other invalid request.
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine("Run with --help for usage.");
    return ExitCodes.Usage;
}
return parsed.Invoke();
