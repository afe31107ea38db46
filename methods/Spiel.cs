// SpIEL — Ansell, Vulić, Sterz, Korhonen & Ponti, "Scaling Sparse Fine-Tuning to Large Language Models", arXiv
// 2401.16405 (2024), §3: θ = θ⁽⁰⁾ + Δ, Δ nonzero only on an index set η with |η| = k per targeted matrix; training
// alternates (a) updating Δ_η, (b) dropping the indices whose |Δ_i| are smallest and (c) regrowing as many indices
// elsewhere, SpIEL-AG: those with the largest accumulated gradient |Σ_t ∂L/∂θ_i| over a few steps.
// Read against the authors' implementation (AlanAnsell/peft, tuners/sft: SftConfig, SftSelector.select_rigl), which we
// follow: η starts uniformly at random (values 0); gradients of the dense weight are accumulated over the first
// accumulation_steps (5) steps of every reselection period of reselection_steps (20); then a fraction p of each η is
// reselected, p = 1 the first time and p = ρ₀·(1 − t/T) after (ρ₀ = initial_reselection_rate = 0.2, linear decay); an
// index both dropped and regrown stays with its value; a regrown slot starts at Δ = 0 with AdamW moments set to the mean
// accumulated gradient and squared gradient (their init_momenta). Differences: the accumulation is dense (we have the
// memory; they keep a top-|g| candidate set of a few times k), and TorchSharp's AdamW has one step count per tensor, so
// regrown slots get the tensor's bias correction rather than their own "age". Density here is the fraction of each
// targeted matrix, k_W = max(1, round(density·|W|)) (SftConfig's density is of the whole model, spread over the targets
// in proportion to their size, which is the same allocation); default 0.01 as SftConfig, targets every linear ("*"), as
// the paper's LLaMA runs. Learning rate 1e-3 (not swept). The forward is W₀x + b + scatter_η(Δ)x; the update merges as a
// sparse add. Trainable parameters: Σ_W k_W (the index set is a saved buffer, not trained).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

public sealed record SpielConfig : MethodConfig
{
    public SpielConfig() => LearningRate = 1e-3;

    /// <summary>Fraction of each targeted matrix in η (the budget knob, in per mille).</summary>
    public double Density { get; init; } = 0.01;
    public IReadOnlyList<string> Targets { get; init; } = new[] { "*" };
    /// <summary>Steps between reselections of η.</summary>
    public int ReselectionSteps { get; init; } = 20;
    /// <summary>Steps whose gradients are accumulated (at the start of each period) to choose regrown indices.</summary>
    public int AccumulationSteps { get; init; } = 5;
    /// <summary>ρ₀: fraction of η reselected at the second selection, decaying linearly to 0 at the end of training.</summary>
    public double InitialReselectionRate { get; init; } = 0.2;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (!(Density > 0 && Density <= 1)) yield return $"density must be in (0, 1] (got {Density.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
        if (ReselectionSteps < 1) yield return $"reselection_steps must be at least 1 (got {ReselectionSteps}).";
        if (AccumulationSteps < 1 || AccumulationSteps > ReselectionSteps)
            yield return $"accumulation_steps must be between 1 and reselection_steps ({ReselectionSteps}) (got {AccumulationSteps}).";
        if (!(InitialReselectionRate >= 0 && InitialReselectionRate <= 1))
            yield return $"initial_reselection_rate must be in [0, 1] (got {InitialReselectionRate.ToString(CultureInfo.InvariantCulture)}).";
    }

    public bool Equals(SpielConfig? other) =>
        other is not null && base.Equals(other) && Density.Equals(other.Density) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal)
        && ReselectionSteps == other.ReselectionSteps && AccumulationSteps == other.AccumulationSteps
        && InitialReselectionRate.Equals(other.InitialReselectionRate);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Density); hash.Add(ReselectionSteps); hash.Add(AccumulationSteps); hash.Add(InitialReselectionRate);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Sparse fine-tuning with periodic drop (smallest |Δ|) and regrowth (largest accumulated gradient); mergeable.</summary>
public sealed class Spiel : PeftMethod<SpielConfig>
{
    public const string AdapterName = "sft";

    public override string Id => "spiel";
    public override int Version => 1;
    public override string Family => "selective";
    public override string Citation => "Ansell et al., 2024 (SpIEL-AG), §3: θ = θ₀ + Δ_η, |η| = k; drop smallest |Δ|, regrow largest accumulated |∇|.";
    public override string Description => "Trains k = density·|W| entries of every linear as a sparse delta, dropping the smallest and regrowing by accumulated gradient every 20 steps; mergeable.";
    public override SpielConfig Defaults => new();
    public override Knob Knob => new("density_permille", 1, 1000);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override SpielConfig WithKnob(SpielConfig config, int value) => config with { Density = value / 1000.0 };
    protected override int KnobValue(SpielConfig config) => (int)Math.Round(config.Density * 1000);

    protected override IEnumerable<string> Validate(SpielConfig config, SiteRegistry sites) =>
        LoraFamily<LoraConfig>.TargetProblems(Id, config.Targets, sites);

    /// <summary>k_W: the size of η in one matrix.</summary>
    public static long IndexCount(AdaptableLinear linear, double density)
    {
        var numel = linear.InFeatures * linear.OutFeatures;
        return Math.Clamp((long)Math.Round(density * numel), 1, numel);
    }

    protected override long CountTrainable(SiteRegistry sites, SpielConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => IndexCount(l, config.Density));

    protected override MethodAttachment Apply(SequenceClassifier model, SpielConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var adapters = new List<SparseDeltaAdapter>();
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            using var scope = NewDisposeScope();
            var numel = linear.InFeatures * linear.OutFeatures;
            // Uniform without replacement, as SparseDelta's torch.multinomial over ones; sorted as theirs.
            var initial = randperm(numel, generator: context.Generator).narrow(0, 0, IndexCount(linear, config.Density)).sort().Values.to(context.Device);
            var adapter = new SparseDeltaAdapter(linear.OutFeatures, linear.InFeatures, initial);
            linear.Attach(AdapterName, adapter);
            adapters.Add(adapter);
        }
        var attachment = new SpielAttachment(config, adapters);
        attachment.PrepareStep(0, int.MaxValue);
        return attachment;
    }
}

/// <summary>Δ on an index set η of one weight: values (trained) at flat positions (a buffer).</summary>
public sealed class SparseDeltaAdapter : LinearAdapter
{
    public Tensor indices;
    public Parameter values;
    private readonly long outFeatures, inFeatures;
    private Tensor? lastDelta;

    public SparseDeltaAdapter(long outFeatures, long inFeatures, Tensor initialIndices) : base(nameof(SparseDeltaAdapter))
    {
        this.outFeatures = outFeatures;
        this.inFeatures = inFeatures;
        indices = initialIndices.to(ScalarType.Int64).detach().clone().DetachFromDisposeScope();
        values = new Parameter(zeros(initialIndices.shape[0], device: initialIndices.device));
        values.DetachFromDisposeScope();
        register_buffer("indices", indices);
        register_parameter("values", values);
    }

    /// <summary>While true, training forwards keep ∂L/∂W for the whole matrix (SpIEL-AG's accumulation window).</summary>
    internal bool KeepsDenseGradient { get; set; }

    public long Size => outFeatures * inFeatures;

    /// <summary>Δ as a dense [out, in] matrix: zero off η.</summary>
    public Tensor Dense() => zeros(Size, dtype: values.dtype, device: values.device).scatter(0, indices, values).view(outFeatures, inFeatures);

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        var delta = Dense();
        if (training && KeepsDenseGradient && delta.requires_grad)
        {
            lastDelta?.Dispose();
            delta.retain_grad();
            lastDelta = delta.DetachFromDisposeScope();
        }
        return baseOutput + F.linear(input, delta);
    }

    /// <summary>∂L/∂W (flat) of the last training forward, then forgotten; null when none was kept.</summary>
    internal Tensor? TakeDenseGradient()
    {
        var g = lastDelta?.grad?.detach().reshape(-1).clone();
        lastDelta?.Dispose();
        lastDelta = null;
        return g;
    }

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => Dense();
}

/// <summary>SpIEL-AG's schedule: accumulate dense gradients, then drop and regrow part of every η.</summary>
public sealed class SpielAttachment : MethodAttachment
{
    private readonly SpielConfig config;
    private readonly IReadOnlyList<SparseDeltaAdapter> adapters;
    private readonly Tensor?[] gradientSums, squaredSums;
    private int samples;
    private AdamWMoments? moments;

    internal SpielAttachment(SpielConfig config, IReadOnlyList<SparseDeltaAdapter> adapters) : base(config)
    {
        this.config = config;
        this.adapters = adapters;
        gradientSums = new Tensor?[adapters.Count];
        squaredSums = new Tensor?[adapters.Count];
    }

    public IReadOnlyList<SparseDeltaAdapter> Adapters => adapters;

    public override void OptimizerCreated(optim.Optimizer optimizer) => moments = new AdamWMoments(optimizer);

    private bool Accumulates(int step) => step % config.ReselectionSteps < config.AccumulationSteps;

    /// <summary>Whether the forward of <paramref name="step"/> keeps dense gradients.</summary>
    internal void PrepareStep(int step, int totalSteps)
    {
        foreach (var a in adapters) a.KeepsDenseGradient = step < totalSteps && Accumulates(step);
    }

    public override void AfterOptimizerStep(int step, int totalSteps)
    {
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            if (Accumulates(step))
            {
                for (var i = 0; i < adapters.Count; i++)
                {
                    if (adapters[i].TakeDenseGradient() is not { } g) continue;
                    gradientSums[i] = Accumulate(gradientSums[i], g);
                    squaredSums[i] = Accumulate(squaredSums[i], g * g);
                }
                samples++;
            }
            if (step % config.ReselectionSteps == config.AccumulationSteps - 1 && samples > 0)
            {
                var completed = step + 1;
                var rate = step < config.ReselectionSteps ? 1.0 : config.InitialReselectionRate * (1 - (double)completed / totalSteps);
                for (var i = 0; i < adapters.Count; i++)
                    if (gradientSums[i] is { } sum && squaredSums[i] is { } squares) Reselect(adapters[i], sum, squares, rate);
                ClearAccumulation();
            }
        }
        PrepareStep(step + 1, totalSteps);
    }

    private static Tensor Accumulate(Tensor? sum, Tensor g)
    {
        if (sum is null) return g.clone().DetachFromDisposeScope();
        sum.add_(g);
        return sum;
    }

    private void ClearAccumulation()
    {
        for (var i = 0; i < adapters.Count; i++)
        {
            gradientSums[i]?.Dispose(); gradientSums[i] = null;
            squaredSums[i]?.Dispose(); squaredSums[i] = null;
        }
        samples = 0;
    }

    /// <summary>
    /// Drops the ⌊p·k⌋ slots of smallest |Δ| and regrows them at the positions off the kept η with the largest accumulated
    /// |Σg|; a position both dropped and regrown keeps its slot and value. Regrown slots start at Δ = 0 with AdamW moments
    /// (mean g, mean g²). |η| stays k and its positions stay distinct.
    /// </summary>
    public void Reselect(SparseDeltaAdapter adapter, Tensor gradientSum, Tensor squaredSum, double rate)
    {
        var k = adapter.values.shape[0];
        var n = (long)(k * rate);
        if (n <= 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var size = adapter.Size;
        var outgoingSlots = adapter.values.detach().abs().topk((int)n, largest: false).indexes;
        var outgoing = adapter.indices.index_select(0, outgoingSlots);
        var remaining = zeros(size, dtype: ScalarType.Bool, device: adapter.indices.device).index_fill_(0, adapter.indices, true).index_fill_(0, outgoing, false);
        var incoming = gradientSum.abs().masked_fill(remaining, -1).topk((int)n).indexes;
        var isOutgoing = zeros(size, dtype: ScalarType.Bool, device: adapter.indices.device).index_fill_(0, outgoing, true);
        var isIncoming = zeros(size, dtype: ScalarType.Bool, device: adapter.indices.device).index_fill_(0, incoming, true);
        var changingSlots = outgoingSlots.masked_select(isIncoming.index_select(0, outgoing).logical_not());
        var newPositions = incoming.masked_select(isOutgoing.index_select(0, incoming).logical_not());
        adapter.indices.index_copy_(0, changingSlots, newPositions);
        adapter.values.index_fill_(0, changingSlots, 0.0);
        if (moments?.Of(adapter.values) is { } state)
        {
            state.exp_avg.index_copy_(0, changingSlots, gradientSum.index_select(0, newPositions).div(samples));
            state.exp_avg_sq.index_copy_(0, changingSlots, squaredSum.index_select(0, newPositions).div(samples));
        }
    }
}
