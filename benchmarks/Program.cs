using System.Globalization;
using BenchmarkDotNet.Running;
using PeftBench.Benchmarks;

// peftbench-perf [--out DIR] [--threads N] [--list]: micro-benchmarks of every method's adapted layer (make perf).
//   --list                             what would be timed (each method's timed site), without timing
//   PEFTBENCH_PERF_METHODS=lora,dora   only these methods (ids or globs; make perf PERF_FILTER=lora,dora)
//   PEFTBENCH_PERF_SHAPES=128          only these widths (128, 768)
// BenchmarkDotNet's tables (Markdown, CSV) and summary.md / summary.csv go to DIR (default results/perf).
var outDir = "results/perf";
var threads = 2;
var listOnly = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: outDir = args[++i]; break;
        case "--list": listOnly = true; break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t >= 1:
            threads = t; i++; break;
        default:
            Console.Error.WriteLine($"peftbench-perf: unknown or incomplete argument '{args[i]}'. Usage: [--out DIR] [--threads N] [--list]; methods and shapes via {PerfSelection.MethodsVariable} and {PerfSelection.ShapesVariable}.");
            return 2;
    }
}

PerfSelection selection;
try { selection = PerfSelection.FromEnvironment(); }
catch (ArgumentException e)
{
    Console.Error.WriteLine($"peftbench-perf: {e.Message}");
    return 2;
}
// Pinned like a run's cells: libtorch times depend on the thread count, so it is fixed and printed in the summary.
TorchSharp.torch.set_num_threads(threads);
outDir = Path.GetFullPath(outDir);
Console.WriteLine($"Timing {selection.Methods.Count} method(s) × {selection.Shapes.Count} shape(s) at {threads} thread(s); " +
    $"{selection.Mergeable.Count} merge. Not timed (no layer changed, a parallel branch that needs the whole block, or defaults needing more than one block): {(selection.NotLayerMethods.Count > 0 ? string.Join(", ", selection.NotLayerMethods) : "none")}.");
if (listOnly)
{
    foreach (var shape in selection.Shapes)
    foreach (var method in new[] { AdaptedLayer.Plain }.Concat(selection.Methods.Select(m => m.Id)))
    {
        using var layer = PerfSelection.Build(method, shape);
        Console.WriteLine($"  {method,-14} {shape}  {layer.Description}{(layer.CanMerge ? "  (merges)" : "")}");
    }
    return 0;
}

var config = PerfConfig.Create(outDir);
var classes = selection.Mergeable.Count > 0 ? new[] { typeof(AdaptedLayerBenchmarks), typeof(MergedLayerBenchmarks) } : [typeof(AdaptedLayerBenchmarks)];
var summaries = BenchmarkRunner.Run(classes, config);
if (summaries.Any(s => s.HasCriticalValidationErrors))
{
    Console.Error.WriteLine("peftbench-perf: BenchmarkDotNet refused the run (see its validation errors above).");
    return 1;
}
var written = PerfSummary.Write(PerfSummary.Build(summaries, selection, threads), outDir);
Console.WriteLine("Summary: " + string.Join(", ", written));
Console.WriteLine($"BenchmarkDotNet's own tables: {Path.Combine(outDir, "results")}");
return summaries.Any(s => s.Reports.Any(r => !r.Success)) ? 1 : 0;
