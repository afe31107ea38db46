// LoHa — Hyeon-Woo, Ye-Bin & Oh, "FedPara: Low-Rank Hadamard Product for Communication-Efficient Federated
// Learning", ICLR 2022 (arXiv 2108.06098), Prop. 1 / eq. (2), as adopted by LyCORIS and huggingface/peft (tuners/loha):
//     ΔW = (α/r) · (B₁A₁) ⊙ (B₂A₂),   B_i ∈ ℝ^{d_out×r}, A_i ∈ ℝ^{r×d_in};  h = W₀x + ΔW x.
// The Hadamard product of two rank-r factors reaches rank r², the point of the method. Init as peft's
// reset_adapter_parameters: B₁, A₁, B₂ Kaiming-uniform (a = √5, bound 1/√fan_in), A₂ = 0, so ΔW = 0.
// Trainable parameters: Σ over targets 2r(d_in + d_out).
// Checkpoints use peft's LoHa layout (hada_w1_a … hada_w2_b, adapter_config.json with peft_type LOHA, r, alpha):
// a peft folder loads with peft's logits and ours loads in peft. peft's rank_dropout / module_dropout (training-time
// only, default 0) are not implemented: they are saved as 0 and ignored on loading.

using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>LoHa settings. Defaults follow peft's <c>LoHaConfig</c>: r = 8, α = 8, targets query and value.</summary>
public sealed record LohaConfig : MethodConfig
{
    public LohaConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(LohaConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && Alpha.Equals(other.Alpha)
        && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(Alpha);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Hadamard product of two low-rank updates on each targeted linear; mergeable.</summary>
public sealed class Loha : PeftMethod<LohaConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "loha";

    public override string Id => "loha";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Hyeon-Woo et al., ICLR 2022 (FedPara/LoHa), eq. 2: ΔW = (α/r)(B₁A₁)⊙(B₂A₂), A₂ = 0 at init.";
    public override string Description => "Adds (α/r)·(B₁A₁)⊙(B₂A₂), rank up to r², to the targeted projections (default query, value); mergeable.";
    public override LohaConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override LohaConfig WithKnob(LohaConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(LohaConfig config) => config.Rank;

    protected override IEnumerable<string> Validate(LohaConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, LohaConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => 2L * config.Rank * (l.InFeatures + l.OutFeatures));

    protected override MethodAttachment Apply(SequenceClassifier model, LohaConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new LohaAdapter(linear.InFeatures, linear.OutFeatures, config, context));
        return new MethodAttachment(config);
    }

    /// <summary>peft's LoHaConfig fields (0.21).</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (LohaConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "LOHA", ["r"] = c.Rank, ["alpha"] = c.Alpha, ["rank_dropout"] = 0.0, ["module_dropout"] = 0.0,
            ["use_effective_conv2d"] = false, ["init_weights"] = true,
            ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig) => Defaults with
    {
        Rank = adapterConfig["r"]!.GetValue<int>(),
        Alpha = adapterConfig["alpha"]!.GetValue<double>(),
        Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
    };
}

/// <summary>The four factors of one linear; names mirror peft's <c>hada_w1_a</c> (d_out×r) … <c>hada_w2_b</c> (r×d_in).</summary>
public sealed class LohaAdapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter hada_w1_a, hada_w1_b, hada_w2_a, hada_w2_b;
    private readonly double scaling;

    public LohaAdapter(long inFeatures, long outFeatures, LohaConfig config, MethodContext context) : base(nameof(LohaAdapter))
    {
        scaling = config.Alpha / config.Rank;
        hada_w1_a = new Parameter(KaimingUniform.Draw(outFeatures, config.Rank, context));
        hada_w1_b = new Parameter(KaimingUniform.Draw(config.Rank, inFeatures, context));
        hada_w2_a = new Parameter(KaimingUniform.Draw(outFeatures, config.Rank, context));
        hada_w2_b = new Parameter(zeros(config.Rank, inFeatures, device: context.Device));
        RegisterComponents();
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(input, DeltaWeight(host));

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) =>
        hada_w1_a.mm(hada_w1_b).mul(hada_w2_a.mm(hada_w2_b)).mul(scaling);

    public IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor>
    {
        ["hada_w1_a"] = hada_w1_a, ["hada_w1_b"] = hada_w1_b, ["hada_w2_a"] = hada_w2_a, ["hada_w2_b"] = hada_w2_b,
    };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());
}
