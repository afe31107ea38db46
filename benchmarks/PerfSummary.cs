using System.Globalization;
using BenchmarkDotNet.Reports;
using PeftBench.Reports;
using PeftBench.Reports.Tables;

namespace PeftBench.Benchmarks;

/// <summary>
/// BenchmarkDotNet's per-class tables joined into the one table a reader wants: per method and shape, the median
/// forward and forward + backward time of the adapted layer, each as a multiple of the plain layer's, and merged
/// against unmerged inference. Written as Markdown and CSV beside BenchmarkDotNet's own reports.
/// </summary>
public static class PerfSummary
{
    public static Table Build(IEnumerable<Summary> summaries, PerfSelection selection, int threads)
    {
        var medians = new Dictionary<(string Method, string Shape, string Benchmark), double>();
        foreach (var report in summaries.SelectMany(s => s.Reports))
        {
            if (report.ResultStatistics is not { } stats) continue;
            var c = report.BenchmarkCase;
            medians[(c.Parameters["Method"].ToString()!, c.Parameters["Shape"].ToString()!, c.Descriptor.WorkloadMethod.Name)] = stats.Median;
        }

        string Ms(double? ns) => ns is { } v ? (v / 1e6).ToString(v < 1e7 ? "0.000" : "0.0", CultureInfo.InvariantCulture) : "—";
        string Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? (x / y).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";
        double? Get(string method, LayerShape shape, string benchmark) =>
            medians.TryGetValue((method, shape.ToString(), benchmark), out var v) ? v : null;

        var rows = new List<IReadOnlyList<TableCell>>();
        foreach (var shape in selection.Shapes)
        foreach (var method in new[] { AdaptedLayer.Plain }.Concat(selection.Methods.Select(m => m.Id)))
        {
            using var layer = PerfSelection.Build(method, shape);
            var forward = Get(method, shape, nameof(AdaptedLayerBenchmarks.Forward));
            var backward = Get(method, shape, nameof(AdaptedLayerBenchmarks.ForwardBackward));
            var merged = Get(method, shape, nameof(MergedLayerBenchmarks.MergedForward));
            rows.Add([
                new TableCell(method), new TableCell(layer.Description), new TableCell(shape.ToString()),
                new TableCell(Ms(forward)), new TableCell(Ratio(forward, Get(AdaptedLayer.Plain, shape, nameof(AdaptedLayerBenchmarks.Forward)))),
                new TableCell(Ms(backward)), new TableCell(Ratio(backward, Get(AdaptedLayer.Plain, shape, nameof(AdaptedLayerBenchmarks.ForwardBackward)))),
                new TableCell(Ms(merged)), new TableCell(Ratio(forward, merged)),
            ]);
        }
        var notTimed = selection.NotLayerMethods.Count > 0 ? $" Not timed (they change no layer, a parallel branch that needs the whole block, or defaults that need more than one block): {string.Join(", ", selection.NotLayerMethods)}." : "";
        return new Table("Adapted layer against the plain layer",
            $"Median ms per call over {PerfConfig.IterationCount} iterations (BenchmarkDotNet, in-process, {threads} libtorch thread(s)); " +
            "input batch × tokens × width, fp32, CPU. × plain: the adapted layer's time over the frozen plain projection's at the same shape " +
            "(a residual site is the identity when empty, so there the time is the adapter's alone, relative to one projection). " +
            "forward: inference without merging; forward+backward: gradients for the input and every trainable parameter the layer's output depends on; " +
            $"merged: inference after folding ΔW into W₀; speed-up: unmerged ÷ merged forward.{notTimed}",
            [
                new Column("method", false), new Column("timed site", false), new Column("shape", false),
                new Column("forward ms", true), new Column("× plain", true),
                new Column("fwd+bwd ms", true), new Column("× plain", true),
                new Column("merged ms", true), new Column("merge speed-up", true),
            ],
            rows, []);
    }

    /// <summary>Writes <c>summary.md</c> and <c>summary.csv</c> into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(Table table, string directory)
    {
        Directory.CreateDirectory(directory);
        var markdown = Path.Combine(directory, "summary.md");
        var csv = Path.Combine(directory, "summary.csv");
        AtomicFile.WriteAllText(markdown, MarkdownRenderer.Render(table, headingLevel: 1));
        TableCsv.Write(table, csv);
        return [markdown, csv];
    }
}
