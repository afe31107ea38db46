using System.Diagnostics;
using System.Globalization;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Storage;
using PeftBench.Reports;
using Spectre.Console;

namespace PeftBench.Harness.Running;

/// <summary>
/// Runs a validated plan: skips finished cells (unless forced), runs the rest with a progress line per cell
/// (done/total, current cell, ETA), writes each result as it finishes, and returns all the plan's results. The cells
/// run in this process, in order, or with <c>--devices</c> in one worker process per device (<see cref="WorkerPool"/>).
/// </summary>
public sealed class SuiteRunner(IAnsiConsole console)
{
    /// <param name="adapterDirectory">Where trained adapters are saved in peft's layout (one folder per cell key); null for none.</param>
    /// <param name="workerArguments">For a plan with worker devices: the request as worker command-line arguments.</param>
    public IReadOnlyList<CellResult> Run(RunPlan plan, bool force, string? adapterDirectory = null, IReadOnlyList<string>? workerArguments = null)
    {
        var store = new ResultStore(plan.OutputDirectory);
        var pending = plan.Cells.Where(c => force || !store.IsFinished(c.Key)).ToList();
        var finished = plan.Cells.Count - pending.Count;
        console.MarkupLine($"[bold]{plan.Cells.Count}[/] cells planned, [green]{finished}[/] already finished, [yellow]{pending.Count}[/] to run → {Markup.Escape(plan.OutputDirectory)}");

        if (plan.WorkerDevices.Count > 0)
            RunInWorkers(plan, pending, finished, workerArguments ?? throw new ArgumentNullException(nameof(workerArguments)), store);
        else
            RunInProcess(plan, pending, finished, adapterDirectory, store);

        var results = plan.Cells.Select(c => store.TryRead(c.Key)).OfType<CellResult>().ToList();
        // One reference per task (and data source) and model: the majority class, cheap and recomputed each time; for a
        // generation task the pretrained decoder decoding untrained (zero-shot), computed once and kept like a cell.
        foreach (var cell in plan.Cells.DistinctBy(c => (c.Task.Id, c.Data.DataDirectory, c.Model.Id)))
        {
            var reference = cell.Task.IsGeneration ? ZeroShot(cell, store) : MajorityBaseline.Compute(cell.Task, cell.Data, cell.Model.Id, plan.Profile, cell.Device, cell.Threads);
            store.Write(reference);
            results.Add(reference);
        }
        return results;
    }

    private CellResult ZeroShot(PlannedCell cell, ResultStore store)
    {
        using var memory = MemoryProbes.For(cell.Device);
        var runner = new CellRunner(memory);
        var key = runner.ZeroShotKey(cell);
        if (store.TryRead(key) is { IsOk: true } done) return done;
        console.MarkupLine($"zero-shot reference: {Markup.Escape(cell.Task.Id)} · {Markup.Escape(cell.Model.Id)}");
        return runner.ZeroShot(cell);
    }

    private void RunInProcess(RunPlan plan, List<PlannedCell> pending, int finished, string? adapterDirectory, ResultStore store)
    {
        using var memory = MemoryProbes.For(plan.Cells.FirstOrDefault()?.Device ?? "cpu");
        var runner = new CellRunner(memory) { AdapterDirectory = adapterDirectory };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < pending.Count; i++)
        {
            var cell = pending[i];
            console.Markup($"{Markup.Escape($"[{finished + i + 1}/{plan.Cells.Count}]")} {Markup.Escape(cell.Label)} … ");
            var result = runner.Run(cell);
            store.Write(result);
            console.MarkupLine(Outcome(result) + Eta(clock, i + 1, pending.Count));
        }
    }

    /// <summary>One worker process per device; a line per cell as it finishes, in finishing order.</summary>
    private void RunInWorkers(RunPlan plan, List<PlannedCell> pending, int finished, IReadOnlyList<string> workerArguments, ResultStore store)
    {
        var threads = plan.Cells.FirstOrDefault()?.Threads ?? 1;
        if (pending.Count == 0) return;
        console.MarkupLine($"{plan.WorkerDevices.Count} worker process(es) on {Markup.Escape(string.Join(", ", plan.WorkerDevices))}, {threads} thread(s) each");
        var clock = Stopwatch.StartNew();
        var done = 0;
        new WorkerPool(plan.WorkerDevices, workerArguments, threads, store).Run(pending,
            (cell, result, worker) =>
            {
                done++;
                console.MarkupLine($"{Markup.Escape($"[{finished + done}/{plan.Cells.Count}]")} {Markup.Escape(cell.Label)} [dim]({Markup.Escape(worker)})[/] … "
                    + Outcome(result) + Eta(clock, done, pending.Count));
            },
            line => console.MarkupLine($"[dim]{Markup.Escape(line)}[/]"));
    }

    private static string Outcome(CellResult result)
    {
        var seconds = result.Measurements?.TotalSeconds ?? 0;
        return result.Status switch
        {
            CellStatus.Ok => $"[green]{Markup.Escape(Describe(result))}[/] ({seconds.ToString("F1", CultureInfo.InvariantCulture)} s)",
            CellStatus.Diverged => $"[yellow]diverged[/]: {Markup.Escape(result.Error ?? "")}",
            CellStatus.NotApplicable => $"[grey]not applicable[/]: {Markup.Escape(result.Error ?? "")}",
            _ => $"[red]failed[/]: {Markup.Escape(result.Error ?? "")}",
        };
    }

    private static string Eta(Stopwatch clock, int done, int total) =>
        done < total ? $" · ETA {FormatDuration(clock.Elapsed.TotalSeconds / done * (total - done))}" : "";

    private static string Describe(CellResult r) =>
        r.PrimaryMetric is { } m && r.Metrics.TryGetValue(m, out var v) ? $"{m} {v.ToString("F4", CultureInfo.InvariantCulture)}" : "ok";

    public static string FormatDuration(double seconds) =>
        seconds >= 3600 ? $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):D2}m"
        : seconds >= 60 ? $"{(int)(seconds / 60)}m{(int)(seconds % 60):D2}s"
        : $"{seconds.ToString("F0", CultureInfo.InvariantCulture)}s";
}
