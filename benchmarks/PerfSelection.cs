using System.Globalization;
using PeftBench.Core.Catalogs;
using PeftBench.Core.Methods;
using PeftBench.Methods;

namespace PeftBench.Benchmarks;

/// <summary>
/// Which methods and shapes <c>make perf</c> times: every registered method that changes a layer (the method catalog,
/// not a hand-kept list, so a new method is benchmarked without a line here), narrowed by
/// <c>PEFTBENCH_PERF_METHODS</c> (ids or globs, <c>make perf PERF_FILTER=lora,dora</c>) and
/// <c>PEFTBENCH_PERF_SHAPES</c> (widths, <c>128</c>). BenchmarkDotNet reads its parameters from here, in this process
/// (in-process toolchain), so the environment is the one way in; it is read once.
/// </summary>
public sealed record PerfSelection(
    IReadOnlyList<IPeftMethod> Methods,
    IReadOnlyList<IPeftMethod> Mergeable,
    IReadOnlyList<string> NotLayerMethods,
    IReadOnlyList<LayerShape> Shapes)
{
    public const string MethodsVariable = "PEFTBENCH_PERF_METHODS";
    public const string ShapesVariable = "PEFTBENCH_PERF_SHAPES";

    private static readonly Catalog<IPeftMethod> Catalog = MethodCatalog.Create();
    private static readonly Lazy<PerfSelection> Current = new(() =>
        Resolve(Environment.GetEnvironmentVariable(MethodsVariable), Environment.GetEnvironmentVariable(ShapesVariable)));

    /// <summary>The selection the environment asks for; a bad request throws <see cref="ArgumentException"/> with what is wrong.</summary>
    public static PerfSelection FromEnvironment() => Current.Value;

    public static PerfSelection Resolve(string? methods, string? shapes)
    {
        var ids = Split(methods);
        IReadOnlyList<IPeftMethod> chosen;
        try { chosen = ids.Count == 0 ? Catalog.All.ToList() : Catalog.Resolve(ids); }
        catch (KeyNotFoundException e) { throw new ArgumentException($"{MethodsVariable}: {e.Message.Trim('\'', '"')}", e); }

        var widths = Split(shapes);
        var chosenShapes = new List<LayerShape>();
        foreach (var w in widths)
            chosenShapes.Add(LayerShape.All.FirstOrDefault(s => s.Hidden.ToString(CultureInfo.InvariantCulture) == w)
                ?? throw new ArgumentException($"{ShapesVariable}: no shape of width '{w}'. Known: {string.Join(", ", LayerShape.All.Select(s => s.Hidden))}."));

        // Which methods change a layer, and which of those merge, is a property of the method: a small width tells.
        var probe = new LayerShape(64, 2, 8);
        var layered = new List<IPeftMethod>();
        var mergeable = new List<IPeftMethod>();
        var none = new List<string>();
        foreach (var method in chosen)
        {
            using var layer = AdaptedLayer.TryBuild(method, probe);
            if (layer is null) { none.Add(method.Id); continue; }
            layered.Add(method);
            if (layer.CanMerge) mergeable.Add(method);
        }
        if (layered.Count == 0)
            throw new ArgumentException($"{MethodsVariable}: {string.Join(", ", none)} change(s) no layer (nothing to time at the layer level); choose methods that adapt a projection or a residual site.");
        return new PerfSelection(layered, mergeable, none, chosenShapes.Count > 0 ? chosenShapes : LayerShape.All);
    }

    /// <summary>The layer a benchmark times; <see cref="AdaptedLayer.Plain"/> is the frozen projection alone.</summary>
    public static AdaptedLayer Build(string method, LayerShape shape) =>
        AdaptedLayer.TryBuild(method == AdaptedLayer.Plain ? null : Catalog.Get(method), shape)
        ?? throw new InvalidOperationException($"{method} adapts no layer.");

    private static List<string> Split(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
