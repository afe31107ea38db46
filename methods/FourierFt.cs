// FourierFT — Gao et al., "Parameter-Efficient Fine-Tuning with Discrete Fourier Transform", ICML 2024
// (arXiv 2405.03003), eqs. (2)–(3):
//     F ∈ ℂ^{d_out×d_in} is zero except at n fixed random entries E = {(j_k, l_k)} that hold learnable real
//     coefficients c; ΔW = α · Re(IDFT₂(F)); h = W₀x + ΔW x.
// Entry positions are drawn as huggingface/peft draws them: the first n of torch.randperm(d_out·d_in) from a CPU
// generator seeded with random_loc_seed (peft's and the paper code's 777) afresh for every layer, so same-shaped
// layers share their positions; flat position p is (row p / d_in, column p mod d_in). libtorch's CPU randperm is
// torch's, so the positions equal peft's (checked against peft's own folders in PeftInteropTests) and peft does
// not need to save them: the positions are a buffer, not trained, not counted. (Version 1 drew them from the
// cell's generator instead, which no peft folder could reproduce.) IDFT₂ is torch.fft.ifft2 with its default
// "backward" norm (1/(d_out·d_in)), as peft. peft's default init_weights = False draws c ~ N(0, 1) (here from the
// cell's generator), so ΔW ≠ 0 at init; <c>init_zero=true</c> gives peft's zero init instead. Trainable
// parameters: n per target. The knob n is fine-grained (one parameter per target) and, as peft requires, below
// the smallest d_out·d_in among the targets.
// Checkpoints use peft's FourierFT layout (fourierft_spectrum per layer; n_frequency, scaling, random_loc_seed in
// adapter_config.json).

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

/// <summary>FourierFT settings. Defaults follow peft's <c>FourierFTConfig</c>: n = 1000, scaling 150, random spectrum, targets query and value.</summary>
public sealed record FourierFtConfig : MethodConfig
{
    public FourierFtConfig() => LearningRate = 2e-3;

    public int NFrequency { get; init; } = 1000;
    public double Scaling { get; init; } = 150;
    /// <summary>peft's <c>init_weights</c>: false draws the coefficients from N(0, 1), true starts them at zero.</summary>
    public bool InitZero { get; init; }
    /// <summary>peft's <c>random_loc_seed</c>: seeds the draw of the spectral positions, the same for every layer.</summary>
    public int RandomLocSeed { get; init; } = 777;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (NFrequency < 1) yield return $"n_frequency must be at least 1 (got {NFrequency}).";
        if (!(Scaling > 0) || double.IsInfinity(Scaling)) yield return $"scaling must be a positive number (got {Scaling.ToString(CultureInfo.InvariantCulture)}).";
        if (RandomLocSeed < 0) yield return $"random_loc_seed must be a non-negative integer (got {RandomLocSeed}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(FourierFtConfig? other) =>
        other is not null && base.Equals(other) && NFrequency == other.NFrequency && Scaling.Equals(other.Scaling)
        && InitZero == other.InitZero && RandomLocSeed == other.RandomLocSeed && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(NFrequency); hash.Add(Scaling); hash.Add(InitZero); hash.Add(RandomLocSeed);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Learns n spectral coefficients per targeted linear; ΔW is their inverse 2-D DFT; mergeable.</summary>
public sealed class FourierFt : PeftMethod<FourierFtConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "fourierft";

    public override string Id => "fourierft";
    public override int Version => 2;
    public override string Family => "low-rank";
    public override string Citation => "Gao et al., ICML 2024 (FourierFT), eq. 3: ΔW = α·Re(IDFT₂(F)), F sparse at n fixed seeded positions.";
    public override string Description => "Trains n coefficients at fixed random positions of each target's 2-D spectrum (default query, value); mergeable.";
    public override FourierFtConfig Defaults => new();
    public override Knob Knob => new("n_frequency", 1, 1 << 24);
    public override bool PreservesOutputAtInit => false;
    public override bool CanMerge => true;

    protected override FourierFtConfig WithKnob(FourierFtConfig config, int value) => config with { NFrequency = value };
    protected override int KnobValue(FourierFtConfig config) => config.NFrequency;

    protected override Knob? KnobFor(SiteRegistry sites, FourierFtConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        return targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Min(l => l.InFeatures * l.OutFeatures) - 1) };
    }

    protected override IEnumerable<string> Validate(FourierFtConfig config, SiteRegistry sites)
    {
        foreach (var problem in Lora.TargetProblems(Id, config.Targets, sites)) yield return problem;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => config.NFrequency >= l.InFeatures * l.OutFeatures))
            yield return $"{Id}: n_frequency {config.NFrequency} must be below the {l.OutFeatures}×{l.InFeatures} = {l.OutFeatures * l.InFeatures} entries of {l.Path}'s spectrum (as peft requires).";
    }

    protected override long CountTrainable(SiteRegistry sites, FourierFtConfig config) =>
        sites.SelectLinears(config.Targets).Count * (long)config.NFrequency;

    protected override MethodAttachment Apply(SequenceClassifier model, FourierFtConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var positions = new Dictionary<(long, long), Tensor>();
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            var shape = (linear.OutFeatures, linear.InFeatures);
            if (!positions.TryGetValue(shape, out var flat))
                positions[shape] = flat = Positions(shape.Item1 * shape.Item2, config).to(context.Device);
            linear.Attach(AdapterName, new FourierFtAdapter(linear.OutFeatures, linear.InFeatures, flat, config, context));
        }
        return new MethodAttachment(config);
    }

    /// <summary>
    /// peft's set_indices: the first n of randperm(d_out·d_in) from a fresh CPU generator seeded with random_loc_seed.
    /// On the CPU, then moved: the same positions on every device (and libtorch has no randperm on the meta device
    /// that shape-only accounting builds on).
    /// </summary>
    private static Tensor Positions(long entries, FourierFtConfig config)
    {
        using var generator = new Generator((ulong)config.RandomLocSeed, CPU);
        using var permutation = randperm(entries, generator: generator);
        return permutation.narrow(0, 0, config.NFrequency).clone();
    }

    /// <summary>peft's FourierFTConfig fields (0.21).</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (FourierFtConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "FOURIERFT", ["n_frequency"] = c.NFrequency, ["scaling"] = c.Scaling, ["random_loc_seed"] = c.RandomLocSeed,
            ["bias"] = "none", ["fan_in_fan_out"] = false, ["init_weights"] = c.InitZero,
            ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig) => Defaults with
    {
        NFrequency = adapterConfig["n_frequency"]!.GetValue<int>(),
        Scaling = adapterConfig["scaling"]!.GetValue<double>(),
        RandomLocSeed = PeftAdapterCheckpoint.Field(adapterConfig, "random_loc_seed", 777),
        InitZero = PeftAdapterCheckpoint.Field(adapterConfig, "init_weights", false),
        Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
    };
}

/// <summary>The coefficients of one linear; <c>indices</c> (flat positions in the d_out×d_in spectrum) is a buffer.</summary>
public sealed class FourierFtAdapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter fourierft_spectrum;
    private readonly Tensor indices;
    private readonly long outFeatures, inFeatures;
    private readonly double scaling;

    public FourierFtAdapter(long outFeatures, long inFeatures, Tensor flatIndices, FourierFtConfig config, MethodContext context) : base(nameof(FourierFtAdapter))
    {
        this.outFeatures = outFeatures;
        this.inFeatures = inFeatures;
        scaling = config.Scaling;
        indices = flatIndices;
        fourierft_spectrum = new Parameter(config.InitZero
            ? zeros(config.NFrequency, device: context.Device)
            : context.Randn(config.NFrequency));
        RegisterComponents();
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(input, DeltaWeight(host));

    public override bool CanMerge => true;

    /// <summary>ΔW = α·Re(ifft2(F)), F the dense spectrum with the coefficients scattered at their positions.</summary>
    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        var dense = zeros(outFeatures * inFeatures, dtype: fourierft_spectrum.dtype, device: fourierft_spectrum.device)
            .scatter(0, indices, fourierft_spectrum).view(outFeatures, inFeatures);
        return fft.ifft2(dense).real.mul(scaling).MoveToOuterDisposeScope();
    }

    public IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor> { ["fourierft_spectrum"] = fourierft_spectrum };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());
}
