using BenchmarkDotNet.Attributes;

namespace PeftBench.Benchmarks;

/// <summary>
/// Inference through each mergeable method's layer after ΔW is folded into W₀: the plain layer's cost, which is the
/// point of merging. Compared in the summary with the unmerged forward of <see cref="AdaptedLayerBenchmarks"/>.
/// </summary>
public class MergedLayerBenchmarks
{
    private AdaptedLayer? layer;

    [ParamsSource(nameof(Methods))]
    public string Method { get; set; } = "lora";

    [ParamsSource(nameof(Shapes))]
    public LayerShape Shape { get; set; } = LayerShape.All[0];

    public static IEnumerable<string> Methods() => PerfSelection.FromEnvironment().Mergeable.Select(m => m.Id);
    public static IEnumerable<LayerShape> Shapes() => PerfSelection.FromEnvironment().Shapes;

    [GlobalSetup]
    public void Setup()
    {
        layer = PerfSelection.Build(Method, Shape);
        layer.Linear!.Merge();
    }

    [Benchmark]
    public void MergedForward() => layer!.Forward();

    [GlobalCleanup]
    public void Cleanup() => layer?.Dispose();
}
