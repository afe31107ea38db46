// What the single-bottleneck adapter methods (Pfeiffer, parallel adapter, AdaptFormer) share: the settings of the
// block (BottleneckAdapter.cs), the bottleneck knob, the count L·(2dm + d + m) per adapted residual site, and
// attaching one block per site with the backbone frozen. Each method file says where the block goes and its defaults.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// Settings of a bottleneck adapter. The width m is <see cref="Bottleneck"/> when set, otherwise ⌊d / reduction_factor⌋
/// (at least 1), as the adapters library sizes it from its <c>reduction_factor</c>; budget fitting sets m directly.
/// </summary>
public abstract record BottleneckConfig : MethodConfig
{
    protected BottleneckConfig() => LearningRate = 1e-3;

    /// <summary>m; 0 means ⌊d / <see cref="ReductionFactor"/>⌋.</summary>
    public int Bottleneck { get; init; }
    public double ReductionFactor { get; init; } = 16;
    public AdapterActivation Activation { get; init; } = AdapterActivation.Relu;
    /// <summary>s in h + s·Δ (He et al.'s scaled addition).</summary>
    public double Scaling { get; init; } = 1.0;
    /// <summary>Dropout on the bottleneck activations.</summary>
    public double Dropout { get; init; }
    public BottleneckInit Init { get; init; } = BottleneckInit.Bert;

    /// <summary>m for a residual stream of width <paramref name="width"/>.</summary>
    public long BottleneckFor(long width) => Bottleneck > 0 ? Bottleneck : Math.Max(1, (long)Math.Floor(width / ReductionFactor));

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (Bottleneck < 0) yield return $"bottleneck must be at least 1, or 0 for d / reduction_factor (got {Bottleneck}).";
        if (!(ReductionFactor > 0) || double.IsInfinity(ReductionFactor)) yield return $"reduction_factor must be a positive number (got {ReductionFactor.ToString(inv)}).";
        if (double.IsNaN(Scaling) || double.IsInfinity(Scaling)) yield return $"scaling must be a finite number (got {Scaling.ToString(inv)}).";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout.ToString(inv)}).";
        if (!Enum.IsDefined(Activation)) yield return $"activation must be one of {string.Join(", ", Enum.GetNames<AdapterActivation>())}.";
        if (!Enum.IsDefined(Init)) yield return $"init must be one of {string.Join(", ", Enum.GetNames<BottleneckInit>())}.";
    }
}

/// <summary>One <see cref="BottleneckAdapter"/> per residual site of the chosen roles; the backbone stays frozen.</summary>
public abstract class BottleneckMethod<TConfig> : PeftMethod<TConfig> where TConfig : BottleneckConfig
{
    /// <summary>The residual sites the block is attached to.</summary>
    protected abstract string[] Roles { get; }
    /// <summary>True for a branch beside the sublayer (input: the sublayer's input); false for a serial block on its output.</summary>
    protected abstract bool Parallel { get; }
    /// <summary>Name under the residual site (<c>….output.residual_site.&lt;name&gt;.down_weight</c>).</summary>
    protected abstract string AdapterName { get; }

    public override string Family => "adapter";
    public override Knob Knob => new("bottleneck", 1, 1024);
    /// <summary>Zero-initialised up projections leave the output unchanged; adapters' "bert" init does not.</summary>
    public override bool PreservesOutputAtInit => Defaults.Init != BottleneckInit.Bert;

    // A with-expression on the base view clones the runtime type, so each method keeps its own config record.
    protected override TConfig WithKnob(TConfig config, int value) => (TConfig)((BottleneckConfig)config with { Bottleneck = value });
    protected override int KnobValue(TConfig config) => config.Bottleneck;

    protected override IEnumerable<string> Validate(TConfig config, SiteRegistry sites)
    {
        foreach (var problem in ResidualAdapterSites.MissingRoles(Id, Roles, sites)) yield return problem;
        if (!Parallel) yield break;
        foreach (var site in sites.SelectResiduals(Roles).Where(s => sites.InputProjectionOf(s) is null))
            yield return $"{Id}: {site.Path} has no input projection in layer {site.LayerIndex} to read the sublayer's input from.";
    }

    /// <summary>A bottleneck left to the reduction factor becomes its width on this model (m = 8 for d = 128 at 16).</summary>
    protected override TConfig Resolve(SiteRegistry sites, TConfig config) =>
        config.Bottleneck > 0 || sites.SelectResiduals(Roles) is not [var site, ..] ? config
            : (TConfig)((BottleneckConfig)config with { Bottleneck = (int)config.BottleneckFor(site.Width) });

    protected override long CountTrainable(SiteRegistry sites, TConfig config) =>
        sites.SelectResiduals(Roles).Sum(r => 2 * r.Width * config.BottleneckFor(r.Width) + r.Width + config.BottleneckFor(r.Width));

    protected override MethodAttachment Apply(SequenceClassifier model, TConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var site in model.Sites.SelectResiduals(Roles))
        {
            var input = Parallel ? SublayerInput.Tap(model.Sites, site) : null;
            site.Attach(AdapterName, CreateBlock(site, config, context, input));
        }
        return new MethodAttachment(config);
    }

    /// <summary>The module attached at <paramref name="site"/>: the bottleneck itself; UniPELT wraps it in its gate.</summary>
    protected virtual nn.Module<Tensor, Tensor> CreateBlock(ResidualSite site, TConfig config, MethodContext context, SublayerInput? input) =>
        new BottleneckAdapter(site.Width, config.BottleneckFor(site.Width), config.Activation, context, config.Init, config.Scaling, config.Dropout, input);
}
