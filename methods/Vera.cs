// VeRA — Kopiczko, Blankevoort & Asano, "VeRA: Vector-based Random Matrix Adaptation", ICLR 2024
// (arXiv 2310.11454), eq. (1):
//     h = W₀x + ΔW x = W₀x + Λ_b B Λ_d A x,   A ∈ ℝ^{r×d_in}, B ∈ ℝ^{d_out×r} frozen and shared, Λ_d = diag(d), Λ_b = diag(b).
// As in huggingface/peft (tuners/vera): one pair (A, B) for the whole model, sized for the largest d_in and d_out
// among the targets and sliced per layer (A[:, :d_in], B[:d_out, :]), both Kaiming-uniform (a = √5) from the
// cell's generator; d starts at d_initial = 0.1 and b at 0, so ΔW = 0 at init. A and B are seeded buffers, not
// parameters: they are neither trained nor counted. Trainable parameters: Σ over targets (r + d_out).
// The knob r is fine-grained in count (one parameter per target per step of r), but r also sets the width of
// the frozen projections, so a small budget means a small r and a weak random basis.
// Checkpoints use peft's VeRA layout: vera_lambda_b / vera_lambda_d per layer and the shared projections once, as
// base_model.vera_A / base_model.vera_B, with save_projection = true (peft's default). Our A and B come from the
// cell's generator, not from peft's projection_prng_key (written as peft's default 0, which the saved projections
// override on loading); a peft folder saved with save_projection = false is refused, as it holds no projections.

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

/// <summary>
/// VeRA settings. Defaults follow peft's <c>VeraConfig</c>: r = 256, d_initial = 0.1, no dropout, targets query
/// and value. The learning rate is LoRA's (VeRA's paper uses larger rates for its vectors; not swept here).
/// </summary>
public sealed record VeraConfig : MethodConfig
{
    public VeraConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 256;
    public double DInitial { get; init; } = 0.1;
    public double Dropout { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (double.IsNaN(DInitial) || double.IsInfinity(DInitial)) yield return $"d_initial must be a finite number (got {DInitial.ToString(CultureInfo.InvariantCulture)}).";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(VeraConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && DInitial.Equals(other.DInitial)
        && Dropout.Equals(other.Dropout) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(DInitial); hash.Add(Dropout);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Trainable scaling vectors around one frozen random projection pair shared by all targets; mergeable.</summary>
public sealed class Vera : PeftMethod<VeraConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "vera";

    public override string Id => "vera";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Kopiczko et al., ICLR 2024 (VeRA), eq. 1: h = W₀x + Λ_b B Λ_d A x, A and B frozen, shared and seeded.";
    public override string Description => "Trains only the scaling vectors d (init 0.1) and b (init 0) around a frozen shared random pair (A, B); mergeable.";
    public override VeraConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 4096);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override VeraConfig WithKnob(VeraConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(VeraConfig config) => config.Rank;

    protected override IEnumerable<string> Validate(VeraConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, VeraConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => config.Rank + l.OutFeatures);

    protected override MethodAttachment Apply(SequenceClassifier model, VeraConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var targets = model.Sites.SelectLinears(config.Targets);
        var maxIn = targets.Max(l => l.InFeatures);
        var maxOut = targets.Max(l => l.OutFeatures);
        // peft's _kaiming_init: kaiming_uniform_(a = √5) on [r, max d_in] and [max d_out, r].
        var shared_A = KaimingUniform.Draw(config.Rank, maxIn, context);
        var shared_B = KaimingUniform.Draw(maxOut, config.Rank, context);
        foreach (var linear in targets)
            linear.Attach(AdapterName, new VeraAdapter(linear.OutFeatures, shared_A, shared_B, config, context));
        return new MethodAttachment(config);
    }

    /// <summary>peft's VeraConfig fields (0.21), with the projections saved in the file.</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (VeraConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "VERA", ["r"] = c.Rank, ["d_initial"] = c.DInitial, ["vera_dropout"] = c.Dropout,
            ["projection_prng_key"] = 0, ["save_projection"] = true, ["bias"] = "none", ["fan_in_fan_out"] = false,
            ["init_weights"] = true, ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        PeftAdapterCheckpoint.Require(adapterConfig, "save_projection", true);
        return Defaults with
        {
            Rank = adapterConfig["r"]!.GetValue<int>(),
            DInitial = PeftAdapterCheckpoint.Field(adapterConfig, "d_initial", 0.1),
            Dropout = PeftAdapterCheckpoint.Field(adapterConfig, "vera_dropout", 0.0),
            Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
        };
    }
}

/// <summary>The vectors (d, b) of one linear; the shared projections are registered as buffers, sliced to its shape.</summary>
public sealed class VeraAdapter : LinearAdapter, IPeftAdapterTensors, IPeftSharedTensors
{
    private readonly Dropout dropout;
    public Parameter vera_lambda_d;
    public Parameter vera_lambda_b;
    private readonly Tensor vera_A;
    private readonly Tensor vera_B;

    public VeraAdapter(long outFeatures, Tensor sharedA, Tensor sharedB, VeraConfig config, MethodContext context) : base(nameof(VeraAdapter))
    {
        dropout = nn.Dropout(config.Dropout);
        vera_lambda_d = new Parameter(full(config.Rank, config.DInitial, device: context.Device));
        vera_lambda_b = new Parameter(zeros(outFeatures, device: context.Device));
        vera_A = sharedA;
        vera_B = sharedB;
        RegisterComponents();
    }

    private Tensor SlicedA(AdaptableLinear host) => vera_A.narrow(1, 0, host.InFeatures);
    private Tensor SlicedB(AdaptableLinear host) => vera_B.narrow(0, 0, host.OutFeatures);

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + vera_lambda_b * F.linear(vera_lambda_d * F.linear(dropout.call(input), SlicedA(host)), SlicedB(host));

    public override bool CanMerge => true;

    /// <summary>ΔW = diag(b)·B·diag(d)·A.</summary>
    public override Tensor DeltaWeight(AdaptableLinear host) =>
        (vera_lambda_b.unsqueeze(1) * SlicedB(host)).mm(vera_lambda_d.unsqueeze(1) * SlicedA(host));

    public IReadOnlyDictionary<string, Tensor> ToPeft() =>
        new Dictionary<string, Tensor> { ["vera_lambda_b"] = vera_lambda_b, ["vera_lambda_d"] = vera_lambda_d };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());

    /// <summary>The whole shared pair ([r, max d_in] and [max d_out, r]), not this layer's slices.</summary>
    public IReadOnlyDictionary<string, Tensor> SharedToPeft() => new Dictionary<string, Tensor> { ["vera_A"] = vera_A, ["vera_B"] = vera_B };

    public void LoadSharedPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, SharedToPeft());
}
