using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Backbone + classification/regression head: the model every classification cell trains, for every family.
/// Parameter names follow Hugging Face's <c>*ForSequenceClassification</c> (<c>bert.encoder…</c>,
/// <c>classifier.…</c>; <c>model.layers…</c>, <c>score.…</c> for LLaMA). It remembers
/// which parameters belonged to the pretrained backbone so the harness can split trainable parameters into
/// adapter (added by the method), head and other (unfrozen backbone weights).
/// </summary>
public sealed class SequenceClassifier : nn.Module<ModelInputs, Tensor>
{
    private readonly Backbone backbone;
    private readonly SequenceHead classifier;
    private readonly HashSet<string> backboneParameterNames;
    private readonly HashSet<string> headParameterNames;
    private readonly HashSet<string> backboneBufferNames;

    public Backbone Backbone => backbone;
    public SequenceHead Head => classifier;
    public SiteRegistry Sites => backbone.Sites;
    public long Outputs { get; }

    public SequenceClassifier(Backbone backbone, long outputs, double headDropout, Device? device = null)
        : this(backbone, backbone.CreateClassificationHead(outputs, headDropout, device), outputs) { }

    /// <summary>The backbone alone, with no head (<c>params</c> without <c>--num-labels</c>); it cannot be run.</summary>
    public static SequenceClassifier Headless(Backbone backbone) => new(backbone, new NoHead(), 0);

    /// <summary>A backbone with a head it comes with: a decoder's pretrained LM head for generation cells (<see cref="LanguageModelHead"/>).</summary>
    public static SequenceClassifier WithHead(Backbone backbone, SequenceHead head) => new(backbone, head, 0);

    private SequenceClassifier(Backbone backbone, SequenceHead head, long outputs) : base(nameof(SequenceClassifier))
    {
        this.backbone = backbone;
        classifier = head;
        Outputs = outputs;
        // Registered by hand under Hugging Face's names: the backbone's base_model_prefix and the head's name.
        register_module(backbone.BaseModelPrefix, backbone);
        register_module(classifier.HeadName, classifier);
        backboneParameterNames = backbone.named_parameters().Select(p => $"{backbone.BaseModelPrefix}.{p.name}").ToHashSet();
        headParameterNames = classifier.named_parameters().Select(p => $"{classifier.HeadName}.{p.name}").ToHashSet();
        backboneBufferNames = backbone.named_buffers().Select(b => $"{backbone.BaseModelPrefix}.{b.name}").ToHashSet();
    }

    /// <summary>
    /// What a method's adapter-only checkpoint must hold: every parameter and buffer the method added (trained or
    /// frozen), the backbone weights it unfroze, and the head; keyed by this model's names.
    /// </summary>
    public IEnumerable<(string Name, Tensor Tensor)> AdapterState()
    {
        foreach (var (name, p) in named_parameters())
            if (OriginOf(name) != ParameterOrigin.Backbone || p.requires_grad) yield return (name, p);
        // A quantized base's codes and constants are the backbone as stored, derived from W₀ when the method is applied
        // again: not part of the adapter (its trained parts, PEQA's scales, are parameters and are saved above).
        var quantizedPrefixes = named_modules().Where(m => m.module is QuantizedWeight).Select(m => m.name + ".").ToList();
        foreach (var (name, b) in named_buffers())
            if (!backboneBufferNames.Contains(name) && !quantizedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))) yield return (name, b);
    }

    /// <summary>
    /// Bytes of the backbone's parameters as stored: a quantized linear's weight counts its codes and constants
    /// (<see cref="QuantizedWeight.StoredBytes"/>), every other tensor elements × element size (fp32: 4 bytes each).
    /// Logical parameter counts are unchanged by quantization; this is the figure that shows it.
    /// </summary>
    public long BackboneStoredBytes()
    {
        var quantized = Sites.Linears.Where(l => l.Quantized is not null)
            .ToDictionary(l => $"{backbone.BaseModelPrefix}.{l.Path}.weight", l => l.Quantized!.StoredBytes);
        long bytes = 0;
        foreach (var (name, p) in named_parameters())
        {
            if (!backboneParameterNames.Contains(name)) continue;
            bytes += quantized.TryGetValue(name, out var stored) ? stored : p.numel() * p.ElementSize;
        }
        return bytes;
    }

    public override Tensor forward(ModelInputs batch) => classifier.call(backbone.Forward(batch), batch);

    /// <summary>Where a parameter came from: the head, the pretrained backbone, or a method's own module.</summary>
    public ParameterOrigin OriginOf(string parameterName) =>
        headParameterNames.Contains(parameterName) ? ParameterOrigin.Head
        : backboneParameterNames.Contains(parameterName) ? ParameterOrigin.Backbone
        : ParameterOrigin.Adapter;

    /// <summary>Freezes everything, head included; methods then unfreeze what they train.</summary>
    public void FreezeAll()
    {
        foreach (var p in parameters()) p.requires_grad = false;
    }

    public void SetHeadTrainable(bool trainable)
    {
        foreach (var p in classifier.parameters()) p.requires_grad = trainable;
    }

    /// <summary>Trainable counts by origin, over the tensors that actually require grad.</summary>
    public ParameterCounts CountParameters()
    {
        long adapter = 0, head = 0, other = 0, total = 0, backboneTotal = 0;
        foreach (var (name, p) in named_parameters())
        {
            var n = p.numel();
            var origin = OriginOf(name);
            total += n;
            if (origin == ParameterOrigin.Backbone) backboneTotal += n;
            if (!p.requires_grad) continue;
            switch (origin)
            {
                case ParameterOrigin.Head: head += n; break;
                case ParameterOrigin.Backbone: other += n; break;
                default: adapter += n; break;
            }
        }
        return new ParameterCounts(adapter, head, other, total, backboneTotal);
    }

    /// <summary>
    /// Merges every mergeable adapter into its base weight (linear adapters into W₀ and b₀, norm adapters into the
    /// norm's weight and bias); false if some adapter cannot merge, including modules outside the linears and norms
    /// (residual-site adapters, key/value prefixes, gated prompts, hidden-state interventions, soft prompts), which
    /// never fold into the base weights.
    /// </summary>
    public bool TryMerge()
    {
        var adapted = Sites.Linears.Where(l => l.Adapters.Count > 0).ToList();
        var normAdapters = Sites.NormAdapters().ToList();
        if (adapted.Any(l => l.Adapters.Any(a => !a.CanMerge)) || normAdapters.Any(a => !a.CanMerge)) return false;
        if (Sites.Residuals.Any(r => r.Transforms.Count > 0) || Sites.KeyValuePrefixes.Any(p => p.Current is not null || p.Prompt is not null)
            || Sites.HiddenStates.Any(h => h.Interventions.Count > 0) || Sites.InputEmbeddings?.Current is not null) return false;
        foreach (var l in adapted) l.Merge();
        foreach (var a in normAdapters) a.Merge();
        return true;
    }

    public void Unmerge()
    {
        foreach (var l in Sites.Linears) l.Unmerge();
        foreach (var a in Sites.NormAdapters()) a.Unmerge();
    }
}

public enum ParameterOrigin { Adapter, Head, Backbone }

/// <summary>
/// Trainable parameters split as the counting policy asks: <see cref="Adapter"/> (modules a method added),
/// <see cref="Head"/> (task head), <see cref="Other"/> (pretrained backbone weights a method unfroze).
/// </summary>
public sealed record ParameterCounts(long Adapter, long Head, long Other, long Total, long Backbone)
{
    public long Trainable => Adapter + Head + Other;
    /// <summary>What a method trains, head excluded: the quantity budgets are stated in.</summary>
    public long MethodTrainable => Adapter + Other;
}

/// <summary>No head: a backbone counted on its own.</summary>
internal sealed class NoHead : SequenceHead
{
    public NoHead() : base("no_head") { }

    public override Tensor forward(Tensor hidden, ModelInputs inputs) =>
        throw new InvalidOperationException("this model was built without a head (no --num-labels); it can be counted, not run.");
}
