// What the hybrids that pair key/value prefixes with a bottleneck adapter share (MAM adapter, He et al., ICLR 2022;
// UniPELT, Mao et al., ACL 2022): the prefix part's settings (length l, the reparameterisation MLP's width h, positions
// kept for the text), the prefix-tuning module attached to every attention layer (PrefixTuning.cs), the adapter part's
// block, knob and count (BottleneckMethod.cs), and the counting policy's split: the MLP trains, only its output
// P ∈ ℝ^{l × 2·L·d_kv} is saved. Each method file says where the adapter goes and what else it adds.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>A bottleneck adapter's settings plus the prefix's: length, MLP width (the prefix trains through it) and the text's reserve.</summary>
public abstract record PrefixAndAdapterConfig : BottleneckConfig
{
    public int PrefixLength { get; init; }
    /// <summary>Hidden width h of the prefix's reparameterisation MLP.</summary>
    public int PrefixHidden { get; init; }
    public int ReservedInputTokens { get; init; } = 32;

    /// <summary>The prefix part as the prefix-tuning module takes it.</summary>
    public PrefixTuningConfig PrefixSettings() => new()
    {
        PrefixLength = PrefixLength, Reparameterize = true, ReparameterizationHidden = PrefixHidden,
        ReservedInputTokens = ReservedInputTokens, LearningRate = LearningRate,
    };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (PrefixLength < 1) yield return $"prefix_length must be at least 1 (got {PrefixLength.ToString(inv)}).";
        if (PrefixHidden < 1) yield return $"prefix_hidden must be at least 1 (got {PrefixHidden.ToString(inv)}).";
        if (ReservedInputTokens < 1) yield return $"reserved_input_tokens must be at least 1 (got {ReservedInputTokens.ToString(inv)}).";
    }
}

/// <summary>Bottleneck adapters on the method's residual sites, then prefixes in every attention layer; the output changes at init.</summary>
public abstract class PrefixAndAdapterMethod<TConfig> : BottleneckMethod<TConfig> where TConfig : PrefixAndAdapterConfig
{
    public override string Family => "hybrid";
    public override bool PreservesOutputAtInit => false;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.KeyValuePrefixes.Count > 0 ? null : "the backbone has no attention layers to give key/value prefixes to.";

    protected override IEnumerable<string> Validate(TConfig config, SiteRegistry sites) =>
        base.Validate(config, sites).Concat(PrefixFamily.PrefixProblems(Id, sites, config.PrefixSettings()));

    protected override long CountTrainable(SiteRegistry sites, TConfig config) =>
        base.CountTrainable(sites, config) + PrefixFamily.PrefixParameters(sites, config.PrefixSettings());

    /// <summary>What layer <paramref name="site"/> attends to: the view of the shared encoder itself; UniPELT gates it.</summary>
    protected virtual KeyValuePrefix PrefixAt(SiteRegistry sites, KeyValuePrefixSite site, LayerPrefix view, MethodContext context) => view;

    protected override MethodAttachment Apply(SequenceClassifier model, TConfig config, MethodContext context)
    {
        base.Apply(model, config, context);
        var prefix = config.PrefixSettings();
        var encoder = PrefixFamily.AttachPrefixes(model, prefix, context, (site, view) => PrefixAt(model.Sites, site, view, context));
        // Saved: everything as trained, except the MLP, which is replaced by its output P.
        var saved = CountTrainable(model.Sites, config) - PrefixFamily.PrefixParameters(model.Sites, prefix) + encoder.SavedParameters;
        return new HeadRateAttachment(config, config.LearningRate, saved);
    }
}
