using System.Diagnostics;
using System.Globalization;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Storage;
using PeftBench.Reports;
using Spectre.Console;

namespace PeftBench.Harness.Running;

/// <summary>
/// Runs a validated plan: skips finished cells (unless forced), runs the rest in order with a progress line
/// per cell (done/total, current cell, ETA), writes each result as it finishes, and returns all the plan's results.
/// </summary>
public sealed class SuiteRunner(IAnsiConsole console)
{
    /// <param name="adapterDirectory">Where trained adapters are saved in peft's layout (one folder per cell key); null for none.</param>
    public IReadOnlyList<CellResult> Run(RunPlan plan, bool force, string? adapterDirectory = null)
    {
        var store = new ResultStore(plan.OutputDirectory);
        var pending = plan.Cells.Where(c => force || !store.IsFinished(c.Key)).ToList();
        var finished = plan.Cells.Count - pending.Count;
        console.MarkupLine($"[bold]{plan.Cells.Count}[/] cells planned, [green]{finished}[/] already finished, [yellow]{pending.Count}[/] to run → {Markup.Escape(plan.OutputDirectory)}");

        using var memory = MemoryProbes.For(plan.Cells.FirstOrDefault()?.Device ?? "cpu");
        var runner = new CellRunner(memory) { AdapterDirectory = adapterDirectory };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < pending.Count; i++)
        {
            var cell = pending[i];
            var prefix = $"[{finished + i + 1}/{plan.Cells.Count}]";
            console.Markup($"{Markup.Escape(prefix)} {Markup.Escape(cell.Label)} … ");
            var result = runner.Run(cell);
            store.Write(result);
            var eta = i + 1 < pending.Count ? $" · ETA {FormatDuration(clock.Elapsed.TotalSeconds / (i + 1) * (pending.Count - i - 1))}" : "";
            var seconds = result.Measurements?.TotalSeconds ?? 0;
            console.MarkupLine(result.Status switch
            {
                CellStatus.Ok => $"[green]{Markup.Escape(Describe(result))}[/] ({seconds.ToString("F1", CultureInfo.InvariantCulture)} s){eta}",
                CellStatus.Diverged => $"[yellow]diverged[/]: {Markup.Escape(result.Error ?? "")}{eta}",
                CellStatus.NotApplicable => $"[grey]not applicable[/]: {Markup.Escape(result.Error ?? "")}{eta}",
                _ => $"[red]failed[/]: {Markup.Escape(result.Error ?? "")}{eta}",
            });
        }
        var results = plan.Cells.Select(c => store.TryRead(c.Key)).OfType<CellResult>().ToList();
        // One majority-class reference per task (and data source), cheap, recomputed each time.
        foreach (var cell in plan.Cells.DistinctBy(c => (c.Task.Id, c.Data.DataDirectory, c.Model.Id)))
        {
            var reference = MajorityBaseline.Compute(cell.Task, cell.Data, cell.Model.Id, plan.Profile, cell.Device, cell.Threads);
            store.Write(reference);
            results.Add(reference);
        }
        return results;
    }

    private static string Describe(CellResult r) =>
        r.PrimaryMetric is { } m && r.Metrics.TryGetValue(m, out var v) ? $"{m} {v.ToString("F4", CultureInfo.InvariantCulture)}" : "ok";

    public static string FormatDuration(double seconds) =>
        seconds >= 3600 ? $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):D2}m"
        : seconds >= 60 ? $"{(int)(seconds / 60)}m{(int)(seconds % 60):D2}s"
        : $"{seconds.ToString("F0", CultureInfo.InvariantCulture)}s";
}
