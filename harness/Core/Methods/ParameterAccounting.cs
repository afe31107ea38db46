using System.Diagnostics;
using PeftBench.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Methods;

/// <summary>
/// Exact parameter counts of a method on a model, counted over the modules actually instantiated, on the meta
/// device (shapes only: a 7B LLaMA costs seconds and no weight memory). The formula the method reports for budget
/// fitting (<see cref="IPeftMethod.CountTrainable"/>) is checked against the instantiated count.
/// </summary>
public sealed record ParameterReport
{
    public required string Model { get; init; }
    public required string ModelType { get; init; }
    public required string Source { get; init; }
    public required string Method { get; init; }
    public required System.Text.Json.Nodes.JsonNode MethodConfig { get; init; }
    public long? NumLabels { get; init; }
    /// <summary>Everything that requires grad: adapter + head + unfrozen backbone weights.</summary>
    public long TrainableParams { get; init; }
    /// <summary>Parameters the method added (adapters, prompts, scales).</summary>
    public long AdapterParams { get; init; }
    /// <summary>The classification head (0 without <c>--num-labels</c>).</summary>
    public long HeadParams { get; init; }
    /// <summary>Backbone weights the method unfroze (BitFit's biases, full fine-tuning's everything).</summary>
    public long UnfrozenBackboneParams { get; init; }
    public long BackboneParams { get; init; }
    /// <summary>
    /// Bytes of the backbone's parameters as stored once the method is applied: quantized weights as packed codes and
    /// constants (QLoRA, LoftQ, PEQA), everything else at its own width (fp32: 4 bytes per parameter).
    /// </summary>
    public long BackboneStoredBytes { get; init; }
    /// <summary>Backbone + head + method.</summary>
    public long TotalParams { get; init; }
    /// <summary>What the method trains, head excluded, as % of the backbone: the quantity budgets are stated in.</summary>
    public double MethodTrainablePercent { get; init; }
    public double TrainablePercentOfTotal { get; init; }
    /// <summary>
    /// What the method stores for inference, head excluded: its trainable parameters, except where a reparameterisation
    /// trains more than it saves (prefix tuning with its MLP saves the prefixes, P-tuning the encoder's output).
    /// </summary>
    public long MethodSavedParams { get; init; }
    /// <summary>The method's own count (the one budget fitting uses), which must equal the instantiated count.</summary>
    public long MethodFormulaParams { get; init; }
    public int AdaptedSites { get; init; }
    public required string CountedOn { get; init; }
    public double WallSeconds { get; init; }
}

public static class ParameterAccounting
{
    public static ParameterReport Count(ModelSource source, IPeftMethod method, MethodConfig config, long? numLabels, ulong seed = 0)
    {
        var clock = Stopwatch.StartNew();
        var meta = new Device(DeviceType.META);
        var backbone = BackboneFamilies.Build(source.ConfigJson, source.ConfigSource, meta);
        using var model = numLabels is { } n ? new SequenceClassifier(backbone, n, 0.0, meta) : SequenceClassifier.Headless(backbone);
        if (method.NotApplicableReason(model.Sites) is { } reason)
            throw new ArgumentException($"{method.Id} is not applicable to {source.Id}: {reason}");
        var problems = method.Validate(config, model.Sites).ToList();
        if (problems.Count > 0)
            throw new ArgumentException($"{method.Id} on {source.Id}: {string.Join(" ", problems)}");
        config = method.Resolve(model.Sites, config);
        var formula = method.CountTrainable(model.Sites, config);
        using var generator = new Generator(seed, CPU);
        var attachment = method.Apply(model, config, new MethodContext(meta, generator));
        var counts = model.CountParameters();
        var head = model.Head.parameters().Sum(p => p.numel());
        return new ParameterReport
        {
            Model = source.Id,
            ModelType = source.ModelType,
            Source = source.Kind.ToString(),
            Method = method.Id,
            MethodConfig = System.Text.Json.Nodes.JsonNode.Parse(config.ToCanonicalJson())!,
            NumLabels = numLabels,
            TrainableParams = counts.Trainable,
            AdapterParams = counts.Adapter,
            HeadParams = head,
            UnfrozenBackboneParams = counts.Other,
            BackboneParams = counts.Backbone,
            BackboneStoredBytes = model.BackboneStoredBytes(),
            TotalParams = counts.Total,
            MethodTrainablePercent = counts.Backbone == 0 ? 0 : 100.0 * counts.MethodTrainable / counts.Backbone,
            MethodSavedParams = attachment.SavedParameters(model) ?? counts.MethodTrainable,
            TrainablePercentOfTotal = counts.Total == 0 ? 0 : 100.0 * counts.Trainable / counts.Total,
            MethodFormulaParams = formula,
            AdaptedSites = model.Sites.Linears.Count(l => l.Adapters.Count > 0 || l.Quantized is not null) + model.Sites.Residuals.Count(r => r.Transforms.Count > 0)
                + model.Sites.KeyValuePrefixes.Count(p => p.Current is not null || p.Prompt is not null)
                + model.Sites.HiddenStates.Count(h => h.Interventions.Count > 0) + (model.Sites.InputEmbeddings?.Current is null ? 0 : 1),
            CountedOn = "meta device (module tree instantiated, no weights)",
            WallSeconds = clock.Elapsed.TotalSeconds,
        };
    }
}
