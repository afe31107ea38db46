using System.CommandLine;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Running;
using PeftBench.Harness.Storage;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>worker [run options] --worker-device D</c> (hidden): one worker of a multi-device run (<see cref="WorkerPool"/>).
/// It plans the same request as its parent (so it knows every cell by key), pins its device and thread count, then
/// runs the cells it is handed on standard input one at a time, writes each result file and reports on standard output
/// (<see cref="WorkerProtocol"/>). It exits when its input closes.
/// </summary>
public static class WorkerCommand
{
    public static void AddTo(RootCommand root, Composition composition)
    {
        var run = RunRequestOptions.Create();
        var device = new Option<string>("--worker-device") { Description = "The device this worker runs its cells on (cuda:1, cpu).", Required = true };
        var command = new Command("worker", "Internal: one worker process of a --devices run.") { device };
        command.Hidden = true;
        foreach (var o in run.All) command.Options.Add(o);
        command.SetAction(parse => Execute(run.Read(parse), parse.GetValue(device)!, composition, Console.In, Console.Out, Console.Error));
        root.Subcommands.Add(command);
    }

    public static int Execute(RunRequest request, string device, Composition composition, TextReader input, TextWriter output, TextWriter error)
    {
        RunPlan plan;
        try { plan = Planner.Plan(request, composition.PlanningContext()); }
        catch (PlanException e)
        {
            error.WriteLine($"worker {device}: the request does not plan: {string.Join(" ", e.Problems)}");
            return ExitCodes.Usage;
        }
        var cells = plan.Cells.ToDictionary(c => c.Key);
        var store = new ResultStore(plan.OutputDirectory);
        using var memory = MemoryProbes.For(device);
        var runner = new CellRunner(memory) { AdapterDirectory = request.SaveAdapters ? Path.Combine(plan.OutputDirectory, "adapters") : null };
        output.WriteLine(WorkerProtocol.Ready);
        while (input.ReadLine() is { } line)
        {
            if (WorkerProtocol.ParseRun(line) is not { } order)
            {
                error.WriteLine($"worker {device}: ignoring '{line}'");
                continue;
            }
            if (!cells.TryGetValue(order.Key, out var cell))
            {
                output.WriteLine(WorkerProtocol.Missing(order.Key));
                continue;
            }
            WorkerCrashHook.AbortIfAsked(order.Key, order.Attempt);
            var result = runner.Run(cell with { RunsOn = device });
            store.Write(result);
            output.WriteLine(WorkerProtocol.Done(order.Key, result.Status));
        }
        return ExitCodes.Ok;
    }
}
