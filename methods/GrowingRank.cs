// What IncreLoRA and TriAdaptLoRA share: an SVD-form update whose rank grows during training,
//     ΔW_m = α/(r_m + 1e-5) · Σ_{i ∈ components(m)} e_i · b_i a_iᵀ   (IncreLoRA's SVDLinear; ranknum = r_m),
// with the components drawn from a pool allocated up front. The optimizer is built once, before training, so the
// growth cannot add tensors: each group of targets with the same shape (d_in, d_out) gets one pool of
// K = n·(target_r + reserve) components (A [K, d_in], B [d_out, K], e [K]) registered once, under the group's
// first adapter; components are handed to sites as they grow. The pool is exactly the final budget (plus
// IncreLoRA's reserves), so the reported trainable count is what the method ends with, not a capacity bound.
// Unassigned components get no gradient; AdamW leaves them at their init (1-D e has no weight decay; A and B
// only decay, by lr·wd per step). Growth needs ∂L/∂ΔW_m, so in training mode the adapter forms ΔW_m explicitly,
// retains its gradient and keeps it until the next forward; the importance hook reads it after the step.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>Settings every growing-rank method has: start and final average rank, α, targets and the growth window.</summary>
public abstract record GrowingRankConfig : MethodConfig
{
    protected GrowingRankConfig() => LearningRate = 2e-3;

    public int InitRank { get; init; } = 2;
    /// <summary>Average final rank per target; the budget (and the knob).</summary>
    public int TargetRank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };
    /// <summary>Fraction of the steps before the first growth.</summary>
    public double InitWarmup { get; init; } = 0.1;
    /// <summary>Fraction of the steps at the end with no growth.</summary>
    public double FinalWarmup { get; init; } = 0.2;
    /// <summary>EMA factor of the importance (sensitivity smoothing).</summary>
    public double Beta1 { get; init; } = 0.85;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (InitRank < 1 || InitRank > TargetRank) yield return $"init_rank must be in [1, target_rank = {TargetRank}] (got {InitRank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
        if (!(InitWarmup >= 0 && FinalWarmup >= 0 && InitWarmup + FinalWarmup < 1))
            yield return "init_warmup and final_warmup must be ≥ 0 and sum to less than 1.";
        if (!(Beta1 > 0 && Beta1 < 1)) yield return "beta1 must be in (0, 1).";
    }

    public virtual bool Equals(GrowingRankConfig? other) =>
        other is not null && base.Equals(other) && InitRank == other.InitRank && TargetRank == other.TargetRank
        && Alpha.Equals(other.Alpha) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal)
        && InitWarmup.Equals(other.InitWarmup) && FinalWarmup.Equals(other.FinalWarmup) && Beta1.Equals(other.Beta1);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(InitRank); hash.Add(TargetRank); hash.Add(Alpha); hash.Add(InitWarmup); hash.Add(FinalWarmup); hash.Add(Beta1);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>
/// A growing-rank method: pools per target shape, one <see cref="GrowingRankAdapter"/> per target, and the growth
/// rule (importance and who grows) in the derived attachment.
/// </summary>
public abstract class GrowingRankMethod<TConfig> : PeftMethod<TConfig> where TConfig : GrowingRankConfig
{
    public override int Version => 1;
    public override string Family => "low-rank";
    public override Knob Knob => new("target_r", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    /// <summary>Reserve components each target holds besides its rank (IncreLoRA's advance learning); 0 by default.</summary>
    protected virtual int Reserve(TConfig config) => 0;
    /// <summary>True: components are masked to lower/upper-triangular factors (TriAdaptLoRA).</summary>
    protected virtual bool Triangular => false;

    protected override TConfig WithKnob(TConfig config, int value) =>
        (TConfig)((GrowingRankConfig)config with { TargetRank = value, InitRank = Math.Min(config.InitRank, value) });
    protected override int KnobValue(TConfig config) => config.TargetRank;

    protected override IEnumerable<string> Validate(TConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    /// <summary>Pool sizes: K = n·(target_r + reserve) components of d_in + d_out + 1 elements per shape group.</summary>
    protected override long CountTrainable(SiteRegistry sites, TConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)(config.TargetRank + Reserve(config)) * (l.InFeatures + l.OutFeatures + 1));

    protected abstract MethodAttachment Attachment(TConfig config, IReadOnlyList<GrowingRankAdapter> adapters);

    protected override MethodAttachment Apply(SequenceClassifier model, TConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var adapters = new List<GrowingRankAdapter>();
        var reserve = Reserve(config);
        foreach (var group in model.Sites.SelectLinears(config.Targets).GroupBy(l => (l.InFeatures, l.OutFeatures)))
        {
            var sites = group.ToList();
            var pool = new RankPool(group.Key.InFeatures, group.Key.OutFeatures, sites.Count * (config.TargetRank + reserve), context);
            for (var i = 0; i < sites.Count; i++)
            {
                var adapter = new GrowingRankAdapter(sites[i], pool, ownsPool: i == 0, config.Alpha, Triangular);
                adapter.Take(config.InitRank, active: true);
                adapter.Take(reserve, active: false);
                sites[i].Attach(Id.Replace("-", "_"), adapter);
                adapters.Add(adapter);
            }
        }
        return Attachment(config, adapters);
    }
}

/// <summary>The shared components of one shape group: A ~ N(0, 0.02), B ~ N(0, 0.02), e = 0 (IncreLoRA's init).</summary>
public sealed class RankPool : nn.Module
{
    public Parameter pool_A, pool_B, pool_E;
    private readonly Queue<int> free;

    public RankPool(long inFeatures, long outFeatures, int size, MethodContext context) : base(nameof(RankPool))
    {
        using (no_grad())
        {
            pool_A = new Parameter(context.Randn(size, inFeatures).mul_(0.02));
            pool_B = new Parameter(context.Randn(outFeatures, size).mul_(0.02));
            pool_E = new Parameter(zeros(size, device: context.Device));
        }
        free = new Queue<int>(Enumerable.Range(0, size));
        RegisterComponents();
    }

    public int Free => free.Count;
    public long ComponentSize => pool_A.shape[1] + pool_B.shape[0] + 1;
    internal int Next() => free.Dequeue();
}

/// <summary>
/// One target's share of a <see cref="RankPool"/>: its active components (in the order they were added, which the
/// triangular masks use) and its reserves, whose e is held at a constant instead of the pool's trainable entry.
/// </summary>
public sealed class GrowingRankAdapter : LinearAdapter
{
    private readonly RankPool pool;
    private readonly double alpha;
    private readonly bool triangular;
    private readonly List<int> active = new();
    private readonly List<int> reserve = new();
    private Tensor? index, reserveValues, activeMask, maskA, maskB;
    private Tensor? lastDelta;

    /// <summary>e of the reserves: IncreLoRA's 1e-5 while they learn in advance, 0 once growth is over.</summary>
    public double ReserveValue { get; set; } = 1e-5;
    public string Path { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }
    public RankPool Pool => pool;
    public int Rank => active.Count;
    public int Reserves => reserve.Count;
    public IReadOnlyList<int> ActiveComponents => active;

    public GrowingRankAdapter(AdaptableLinear host, RankPool pool, bool ownsPool, double alpha, bool triangular) : base(nameof(GrowingRankAdapter))
    {
        this.pool = pool;
        this.alpha = alpha;
        this.triangular = triangular;
        Path = host.Path;
        InFeatures = host.InFeatures;
        OutFeatures = host.OutFeatures;
        // The pool's parameters are registered once, under the group's first adapter; the others only use them.
        if (ownsPool) register_module("pool", pool);
    }

    /// <summary>Takes <paramref name="count"/> free components from the pool as active components or reserves.</summary>
    internal void Take(int count, bool active)
    {
        for (var i = 0; i < count; i++) (active ? this.active : reserve).Add(pool.Next());
        Invalidate();
    }

    /// <summary>Turns the reserves into active components (e starts where the reserve held it) and takes new reserves.</summary>
    internal void PromoteReserves(int newReserves)
    {
        using (no_grad())
            foreach (var i in reserve) pool.pool_E[i].fill_(ReserveValue);
        active.AddRange(reserve);
        reserve.Clear();
        Take(Math.Min(newReserves, pool.Free), active: false);
    }

    private void Invalidate()
    {
        foreach (var t in new[] { index, reserveValues, activeMask, maskA, maskB }) t?.Dispose();
        index = reserveValues = activeMask = maskA = maskB = null;
    }

    private void Prepare()
    {
        if (index is not null) return;
        var device = pool.pool_E.device;
        var all = active.Concat(reserve).Select(i => (long)i).ToArray();
        index = tensor(all, device: device).DetachFromDisposeScope();
        activeMask = tensor(all.Select((_, j) => j < active.Count ? 1f : 0f).ToArray(), device: device).DetachFromDisposeScope();
        reserveValues = tensor(all.Select((_, j) => j < active.Count ? 0f : (float)ReserveValue).ToArray(), device: device).DetachFromDisposeScope();
        if (!triangular) return;
        // Component j of the site: its row of A starts at column j, its column of B at row j (triangular factors).
        maskA = ones(all.Length, InFeatures, device: device).triu().DetachFromDisposeScope();
        maskB = ones(OutFeatures, all.Length, device: device).tril().DetachFromDisposeScope();
    }

    public void SetReserveValue(double value)
    {
        ReserveValue = value;
        Invalidate();
    }

    private double Scaling => alpha / (active.Count + 1e-5);

    /// <summary>This site's factors: A [m, d_in], e [m], B [d_out, m] (masked to triangles for TriAdaptLoRA).</summary>
    private (Tensor A, Tensor E, Tensor B) Factors()
    {
        Prepare();
        var a = pool.pool_A.index_select(0, index!);
        var b = pool.pool_B.index_select(1, index!);
        var e = pool.pool_E.index_select(0, index!) * activeMask! + reserveValues!;
        return triangular ? (a * maskA!, e, b * maskB!) : (a, e, b);
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        if (active.Count + reserve.Count == 0) return baseOutput;
        var (a, e, b) = Factors();
        if (training && is_grad_enabled())
        {
            // Formed explicitly so that ∂L/∂ΔW is there for the importance after the step.
            lastDelta?.Dispose();
            var delta = (b * e.unsqueeze(0)).mm(a).mul(Scaling);
            delta.retain_grad();
            lastDelta = delta.DetachFromDisposeScope();
            return baseOutput + F.linear(input, delta);
        }
        return baseOutput + F.linear(F.linear(input, a) * e, b).mul(Scaling);
    }

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        if (active.Count + reserve.Count == 0) return zeros(OutFeatures, InFeatures, device: pool.pool_A.device);
        var (a, e, b) = Factors();
        return (b * e.unsqueeze(0)).mm(a).mul(Scaling);
    }

    /// <summary>ΔW and ∂L/∂ΔW of the last training forward, or null before the first backward.</summary>
    internal (Tensor Delta, Tensor Gradient)? LastDeltaAndGradient() =>
        lastDelta?.grad is { } g ? (lastDelta.detach(), g) : null;
}

/// <summary>The growth window in steps: growth after <c>Start</c>, none after <c>End</c>.</summary>
public sealed record GrowthWindow(int Start, int End)
{
    public static GrowthWindow For(GrowingRankConfig config, int totalSteps)
    {
        var start = (int)Math.Round(config.InitWarmup * totalSteps);
        var end = totalSteps - Math.Max(1, (int)Math.Round(config.FinalWarmup * totalSteps));
        return new GrowthWindow(start, Math.Max(start, end));
    }

    /// <summary>Growth steps: every <paramref name="interval"/> steps after Start, up to End.</summary>
    public bool IsGrowthStep(int step, int interval) => step > Start && step <= End && (step - Start) % interval == 0;
}

/// <summary>Shared attachment behaviour: the report of final ranks per site.</summary>
public abstract class GrowingRankAttachment(MethodConfig config, IReadOnlyList<GrowingRankAdapter> adapters) : MethodAttachment(config)
{
    protected IReadOnlyList<GrowingRankAdapter> Adapters => adapters;

    public override RankAllocationReport Report() => new(
        adapters.Sum(a => a.Rank * a.Pool.ComponentSize),
        adapters.Select(a => a.Pool).Distinct().Sum(p => p.pool_A.shape[0] * p.ComponentSize),
        adapters.ToDictionary(a => a.Path, a => a.Rank));

    /// <summary>Ends growth: reserves stop contributing (IncreLoRA zeroes their e when the budget is reached).</summary>
    protected void StopGrowth()
    {
        foreach (var a in adapters) a.SetReserveValue(0);
    }
}
