using BenchmarkDotNet.Attributes;

namespace PeftBench.Benchmarks;

/// <summary>Forward (inference, unmerged) and forward + backward of each method's adapted layer and of the plain layer.</summary>
public class AdaptedLayerBenchmarks
{
    private AdaptedLayer? layer;

    [ParamsSource(nameof(Methods))]
    public string Method { get; set; } = AdaptedLayer.Plain;

    [ParamsSource(nameof(Shapes))]
    public LayerShape Shape { get; set; } = LayerShape.All[0];

    public static IEnumerable<string> Methods() => [AdaptedLayer.Plain, .. PerfSelection.FromEnvironment().Methods.Select(m => m.Id)];
    public static IEnumerable<LayerShape> Shapes() => PerfSelection.FromEnvironment().Shapes;

    [GlobalSetup]
    public void Setup() => layer = PerfSelection.Build(Method, Shape);

    [Benchmark]
    public void Forward() => layer!.Forward();

    [Benchmark]
    public void ForwardBackward() => layer!.ForwardBackward();

    [GlobalCleanup]
    public void Cleanup() => layer?.Dispose();
}
