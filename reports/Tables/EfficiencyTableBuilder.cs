using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>
/// Cost of each method on one model: trainable parameters split adapter / head / other, peak memory and
/// throughput. Each figure is the mean over the row's tasks of the per-task means over seeds (ok cells only).
/// </summary>
public static class EfficiencyTableBuilder
{
    public static Table Build(RunSummary s, string model)
    {
        var columns = new List<Column>
        {
            new("Method", false), new("Adapter", true), new("Head", true), new("Other", true), new("Base stored (MiB)", true),
            new("Peak mem. (MiB)", true), new("ms/step", true), new("Train ex/s", true), new("Infer. ex/s", true),
            new("Infer. merged", true), new("Train time (s)", true),
        };
        var rows = new List<IReadOnlyList<TableCell>>();
        foreach (var m in s.Methods.Where(m => m.Model == model))
        {
            var gs = s.Groups.Where(g => g.Key.MethodKey == m && g.N > 0).ToList();
            var ps = gs.Where(g => g.Parameters is not null).Select(g => g.Parameters!).ToList();
            rows.Add(
            [
                new(m.Label),
                new(ps.Count == 0 ? "—" : Formats.Count(ps.Average(p => p.Adapter))),
                new(ps.Count == 0 ? "—" : Formats.Count(ps.Average(p => p.Head))),
                new(ps.Count == 0 ? "—" : Formats.Count(ps.Average(p => p.Other))),
                new(ps.Where(p => p.BackboneStoredBytes is not null).Select(p => p.BackboneStoredBytes!.Value).ToList() is { Count: > 0 } stored
                    ? Formats.Fixed(stored.Average() / (1024.0 * 1024.0), 2) : "—"),
                Mean(gs, g => g.PeakMemoryBytes, v => Formats.Fixed(v / (1024.0 * 1024.0), 0)),
                Mean(gs, g => g.TrainMsPerStep, v => Formats.Fixed(v, 1)),
                Mean(gs, g => g.TrainExamplesPerSecond, v => Formats.Fixed(v, 0)),
                Mean(gs, g => g.InferenceExamplesPerSecond, v => Formats.Fixed(v, 0)),
                Mean(gs, g => g.InferenceExamplesPerSecondMerged, v => Formats.Fixed(v, 0)),
                Mean(gs, g => g.TrainSeconds, v => Formats.Fixed(v, 1)),
            ]);
        }
        var caption = $"Model `{model}`. Means over the row's tasks of the per-task means over seeds, ok cells only. " +
                      "Parameters are trainable counts (adapter: the method's modules; head: the task head; other: backbone " +
                      "weights the method unfreezes). Base stored is the backbone as held in memory (quantized weights as codes and " +
                      "constants, the rest at its own width). Peak memory is the process high-water mark on CPU, the allocator peak on GPU; " +
                      "ms/step is the median over timed steps (forward, backward, optimizer step); throughput is measured after warm-up; " +
                      "\"Infer. merged\" is inference with the update folded into the weights (— where the method cannot merge).";
        return new Table(s.Models.Count > 1 ? $"Efficiency: {model}" : "Efficiency", caption, columns, rows, []);
    }

    static TableCell Mean(List<TaskAggregate> gs, Func<TaskAggregate, SampleStats?> pick, Func<double, string> format)
    {
        var xs = gs.Select(pick).OfType<SampleStats>().Select(x => x.Mean).ToList();
        return new TableCell(xs.Count == 0 ? "—" : format(xs.Average()));
    }
}
