// Houlsby adapter — Houlsby et al., "Parameter-Efficient Transfer Learning for NLP", ICML 2019 (arXiv 1902.00751),
// Section 2.1 / Figure 2: a bottleneck after each sublayer's output projection, before the residual add and LayerNorm,
// in both the attention and the feed-forward sublayer of every block:
//     h ← h + W_up f(W_down h + b_down) + b_up,   W_down ∈ ℝ^{m×d}, W_up ∈ ℝ^{d×m}.
// "Near-identity" init: the paper draws both weights from N(0, 10⁻²) truncated at 2σ; here W_down is that and
// W_up = 0 with zero biases, so the adapter is exactly the identity at init (as LoRA's B = 0) while W_up still
// gets gradient on the first step. f is swish by default, as adapter-hub's Houlsby config (DoubleSeqBnConfig).
// The paper also trains the backbone's LayerNorms (TrainLayerNorm, default true); they count as "other".
// Trainable: L · 2 · (2dm + d + m) adapter parameters + Σ LayerNorm parameters when TrainLayerNorm.

using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;

namespace PeftBench.Methods;

/// <summary>Houlsby settings: bottleneck m (paper sweeps 8, 64, 256), nonlinearity, whether LayerNorms train.</summary>
public sealed record HoulsbyConfig : MethodConfig
{
    public HoulsbyConfig() => LearningRate = 1e-3;

    public int Bottleneck { get; init; } = 64;
    public AdapterActivation Activation { get; init; } = AdapterActivation.Swish;
    public bool TrainLayerNorm { get; init; } = true;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Bottleneck < 1) yield return $"bottleneck must be at least 1 (got {Bottleneck}).";
        if (!Enum.IsDefined(Activation)) yield return $"activation must be one of {string.Join(", ", Enum.GetNames<AdapterActivation>())}.";
    }
}

/// <summary>Two serial bottleneck adapters per block (after attention and after the MLP).</summary>
public sealed class Houlsby : PeftMethod<HoulsbyConfig>
{
    /// <summary>Name under the residual site: parameters are <c>….output.residual_site.adapter.down_weight</c> etc.</summary>
    public const string AdapterName = "adapter";

    private static readonly string[] Roles = { SiteRoles.AfterAttention, SiteRoles.AfterMlp };

    public override string Id => "houlsby";
    public override int Version => 1;
    public override string Family => "adapter";
    public override string Citation => "Houlsby et al., ICML 2019: h ← h + W_up f(W_down h + b_d) + b_u after attention and after the FFN.";
    public override string Description => "Serial bottleneck adapters (width m, swish) after both sublayers of every block, plus the backbone's LayerNorms.";
    public override HoulsbyConfig Defaults => new();
    public override Knob Knob => new("bottleneck", 1, 1024);
    public override bool PreservesOutputAtInit => true;

    protected override HoulsbyConfig WithKnob(HoulsbyConfig config, int value) => config with { Bottleneck = value };
    protected override int KnobValue(HoulsbyConfig config) => config.Bottleneck;

    protected override IEnumerable<string> Validate(HoulsbyConfig config, SiteRegistry sites) => ResidualAdapterSites.MissingRoles(Id, Roles, sites);

    protected override long CountTrainable(SiteRegistry sites, HoulsbyConfig config)
    {
        long m = config.Bottleneck;
        var adapters = sites.SelectResiduals(Roles).Sum(r => 2 * r.Width * m + r.Width + m);
        var norms = config.TrainLayerNorm ? ResidualAdapterSites.NormParameters(sites) : 0;
        return adapters + norms;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, HoulsbyConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        if (config.TrainLayerNorm) ResidualAdapterSites.UnfreezeNorms(model.Sites);
        foreach (var site in model.Sites.SelectResiduals(Roles))
            site.Attach(AdapterName, new BottleneckAdapter(site.Width, config.Bottleneck, config.Activation, context));
        return new MethodAttachment(config);
    }
}
