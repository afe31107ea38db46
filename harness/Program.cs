using System.CommandLine;
using PeftBench.Harness;
using PeftBench.Harness.Cli;

// PeftBench: compare parameter-efficient fine-tuning methods across tasks, backbones, budgets and seeds.
//   dotnet run --project harness -- --suite glue            run the GLUE suite (resumes an interrupted run)
//   dotnet run --project harness -- list                    methods, tasks, models, suites, profiles
//   dotnet run --project harness -- report RESULTS_DIR      tables and plots from result files alone
var composition = new Composition();
var root = new RootCommand("PeftBench: a benchmarking harness for parameter-efficient fine-tuning.");
RunCommand.AddTo(root, composition);
ListCommand.AddTo(root, composition);
ReportCommand.AddTo(root);
MaintenanceCommands.AddTo(root);
return root.Parse(args).Invoke();
