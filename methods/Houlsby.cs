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
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

public enum AdapterActivation { Swish, Gelu, Relu, Tanh }

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

    protected override IEnumerable<string> Validate(HoulsbyConfig config, SiteRegistry sites)
    {
        var found = sites.SelectResiduals(Roles).Select(r => r.Role).Distinct().ToList();
        foreach (var role in Roles.Except(found))
            yield return $"{Id}: the backbone has no residual site with role '{role}' (it has: {string.Join(", ", sites.Residuals.Select(r => r.Role).Distinct())}).";
    }

    protected override long CountTrainable(SiteRegistry sites, HoulsbyConfig config)
    {
        long m = config.Bottleneck;
        var adapters = sites.SelectResiduals(Roles).Sum(r => 2 * r.Width * m + r.Width + m);
        var norms = config.TrainLayerNorm ? sites.Norms.Sum(n => n.Module.parameters().Sum(p => p.numel())) : 0;
        return adapters + norms;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, HoulsbyConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        if (config.TrainLayerNorm)
            foreach (var (_, norm) in model.Sites.Norms)
                foreach (var p in norm.parameters()) p.requires_grad = true;
        foreach (var site in model.Sites.SelectResiduals(Roles))
            site.Attach(AdapterName, new BottleneckAdapter(site.Width, config.Bottleneck, config.Activation, context));
        return new MethodAttachment(config);
    }
}

/// <summary>
/// h + W_up f(W_down h + b_down) + b_up: the residual is inside the adapter, as in the paper's Figure 2 (right).
/// Raw parameters rather than nn.Linear, whose constructor would draw its own init from the global generator.
/// </summary>
public sealed class BottleneckAdapter : nn.Module<Tensor, Tensor>
{
    public Parameter down_weight;
    public Parameter down_bias;
    public Parameter up_weight;
    public Parameter up_bias;
    private readonly AdapterActivation activation;

    // Φ(−2) and Φ(2): the normal CDF at the truncation points ±2σ.
    private const double LowerCdf = 0.022750131948179195;
    private const double UpperCdf = 0.9772498680518208;

    public BottleneckAdapter(long width, long bottleneck, AdapterActivation activation, MethodContext context) : base(nameof(BottleneckAdapter))
    {
        this.activation = activation;
        using (no_grad())
        {
            // Truncated normal N(0, 10⁻²) on [−2σ, 2σ] by inverse CDF (as torch.nn.init.trunc_normal_), seeded.
            var u = context.Rand(bottleneck, width)
                .mul_(UpperCdf - LowerCdf).add_(LowerCdf);
            down_weight = new Parameter(u.mul_(2).sub_(1).erfinv_().mul_(Math.Sqrt(2) * 1e-2));
        }
        down_bias = new Parameter(zeros(bottleneck, device: context.Device));
        up_weight = new Parameter(zeros(width, bottleneck, device: context.Device));
        up_bias = new Parameter(zeros(width, device: context.Device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var h = F.linear(hidden, down_weight, down_bias);
        h = activation switch
        {
            AdapterActivation.Gelu => F.gelu(h),
            AdapterActivation.Relu => F.relu(h),
            AdapterActivation.Tanh => h.tanh(),
            _ => F.silu(h),
        };
        return hidden + F.linear(h, up_weight, up_bias);
    }
}
