// MoS — Wang et al., "MoS: Unleashing Parameter Efficiency of Low-Rank Adaptation with Mixture of Shards",
// ICLR 2025 (arXiv 2410.00938), §3: LoRA, h = W₀x + (α/r)·B_l A_l x, whose low-rank factors are not owned by the
// layer but assembled from shards in global pools shared by all layers:
//   • vector sharding: each row of A_l (length d_in) and each column of B_l (length d_out) is the concatenation of
//     l shards of length d/l, so a rank-r layer takes r·l shards per factor;
//   • pair dissociation: A and B draw from separate pools with separate indices;
//   • subset selection: a layer uses a subset of the pool, chosen per layer (fixed, seeded indices);
//   • shard privatisation: part of each pool is private, each layer owning its own private shards, the rest public.
// Readings and the pool sizes we chose [U] (the paper reports equal-budget comparisons, not one default):
//   • the knob is pool_rank e: each pool holds e·l·n shards of its length (n = targets sharing that shard length),
//     so the pools hold exactly as many parameters as LoRA at rank e on the same targets: Σ e(d_in + d_out). With
//     the default per-layer rank r = 8 and e = 2 each layer reads 4× more factor entries than it owns, which is
//     where MoS's "8× fewer parameters at equal quality" comes from at e = r/8;
//   • privatisation: private_ratio = 0.5 of each layer's e·l share is private (⌊0.5·e·l⌋ shards per layer, used
//     first), the remaining r·l − p slots take public shards in a seeded random order, cycled when a layer needs
//     more than the public part holds (the pools are smaller than the layers' demand by design);
//   • pools are grouped by shard length (d/l), so targets of different widths have different pools; d must divide by l;
//   • init as LoRA: A's pool Kaiming-uniform (bound 1/√d_in), B's pool 0 (ΔW = 0 at init); scaling α/r.
// The indices are seeded buffers (neither trained nor counted). Merge folds (α/r)·B_l A_l into W₀.
// Trainable parameters: the pools, counted once however many layers use them: Σ over targets e(d_in + d_out).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>MoS settings: per-layer rank 8, pools the size of LoRA at rank 2, 2 shards per vector, half private.</summary>
public sealed record MosConfig : MethodConfig
{
    public MosConfig() => LearningRate = 2e-3;

    /// <summary>Rank r of each layer's assembled update.</summary>
    public int Rank { get; init; } = 8;
    /// <summary>Pool size as a LoRA rank e: the pools hold Σ e(d_in + d_out) parameters (the knob).</summary>
    public int PoolRank { get; init; } = 2;
    /// <summary>Shards per vector l (vector sharding).</summary>
    public int Shards { get; init; } = 2;
    /// <summary>Fraction of each layer's share of the pool that is private to it.</summary>
    public double PrivateRatio { get; init; } = 0.5;
    public double Alpha { get; init; } = 8;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (PoolRank < 1) yield return $"pool_rank must be at least 1 (got {PoolRank}).";
        if (Shards < 1) yield return $"shards must be at least 1 (got {Shards}).";
        if (!(PrivateRatio >= 0 && PrivateRatio <= 1)) yield return $"private_ratio must be in [0, 1] (got {PrivateRatio.ToString(CultureInfo.InvariantCulture)}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(MosConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && PoolRank == other.PoolRank && Shards == other.Shards
        && PrivateRatio.Equals(other.PrivateRatio) && Alpha.Equals(other.Alpha) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(PoolRank); hash.Add(Shards); hash.Add(PrivateRatio); hash.Add(Alpha);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>LoRA whose factors are assembled from shard pools shared across layers; mergeable.</summary>
public sealed class Mos : PeftMethod<MosConfig>
{
    public const string AdapterName = "mos";

    public override string Id => "mos";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Wang et al., ICLR 2025 (MoS), §3: h = W₀x + (α/r)·B_l A_l x, rows of A_l and columns of B_l concatenated from shards of global pools (vector sharding, pair dissociation, subset selection, privatisation).";
    public override string Description => "Rank-8 LoRA per layer built from shared shard pools the size of a rank-2 LoRA (pool_rank); mergeable.";
    public override MosConfig Defaults => new();
    public override Knob Knob => new("pool_rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override MosConfig WithKnob(MosConfig config, int value) => config with { PoolRank = value };
    protected override int KnobValue(MosConfig config) => config.PoolRank;

    protected override IEnumerable<string> Validate(MosConfig config, SiteRegistry sites)
    {
        foreach (var problem in Lora.TargetProblems(Id, config.Targets, sites)) yield return problem;
        if (config.Shards < 1) yield break;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => l.InFeatures % config.Shards != 0 || l.OutFeatures % config.Shards != 0))
            yield return $"{Id}: {l.Path} is {l.OutFeatures}×{l.InFeatures}; both must divide into shards = {config.Shards}.";
    }

    protected override long CountTrainable(SiteRegistry sites, MosConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)config.PoolRank * (l.InFeatures + l.OutFeatures));

    protected override MethodAttachment Apply(SequenceClassifier model, MosConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var targets = model.Sites.SelectLinears(config.Targets);
        var l = config.Shards;
        // One pool per factor side and shard length; the layers sharing it, in model order.
        var poolsA = targets.GroupBy(t => t.InFeatures / l).ToDictionary(g => g.Key, g => (Members: g.ToList(), Pool: ShardPool.Create(g.Count(), config, g.Key, 1.0 / Math.Sqrt(g.First().InFeatures), context)));
        var poolsB = targets.GroupBy(t => t.OutFeatures / l).ToDictionary(g => g.Key, g => (Members: g.ToList(), Pool: ShardPool.Create(g.Count(), config, g.Key, 0, context)));
        foreach (var target in targets)
        {
            var (membersA, poolA) = poolsA[target.InFeatures / l];
            var (membersB, poolB) = poolsB[target.OutFeatures / l];
            var indexA = poolA.Indices(membersA.IndexOf(target), membersA.Count, config, context);
            var indexB = poolB.Indices(membersB.IndexOf(target), membersB.Count, config, context);
            target.Attach(AdapterName, new MosAdapter(target, poolA, membersA[0] == target, indexA, poolB, membersB[0] == target, indexB, config));
        }
        return new MethodAttachment(config);
    }
}

/// <summary>One pool of shards [count, shard length]; registered under the first layer that uses it.</summary>
public sealed class ShardPool : nn.Module
{
    public Parameter shards;

    private ShardPool(Tensor values) : base(nameof(ShardPool))
    {
        shards = new Parameter(values);
        RegisterComponents();
    }

    /// <summary>e·l·n shards of <paramref name="length"/>, uniform in ±<paramref name="bound"/> (0: zeros).</summary>
    public static ShardPool Create(int members, MosConfig config, long length, double bound, MethodContext context)
    {
        var count = (long)config.PoolRank * config.Shards * members;
        using var _ = no_grad();
        var values = bound == 0 ? zeros(count, length, device: context.Device)
            : context.Rand(count, length).mul_(2 * bound).sub_(bound);
        return new ShardPool(values);
    }

    public long Count => shards.shape[0];

    /// <summary>
    /// The r·l shard indices of member <paramref name="member"/>: its private shards first, then public shards in a
    /// seeded random order, cycled as needed (its own private ones when nothing is public).
    /// </summary>
    public long[] Indices(int member, int members, MosConfig config, MethodContext context)
    {
        var privatePerMember = (int)Math.Floor(config.PrivateRatio * config.PoolRank * config.Shards);
        var own = Enumerable.Range(member * privatePerMember, privatePerMember).Select(i => (long)i).ToList();
        var publicStart = (long)members * privatePerMember;
        var slots = config.Rank * config.Shards;
        var result = own.Take(slots).ToList();
        if (result.Count == slots) return result.ToArray();
        long[] source;
        if (publicStart < Count)
        {
            using var order = randperm(Count - publicStart, generator: context.Generator);
            source = order.data<long>().Select(i => i + publicStart).ToArray();
        }
        else source = own.ToArray();
        for (var i = 0; result.Count < slots; i++) result.Add(source[i % source.Length]);
        return result.ToArray();
    }
}

/// <summary>A layer's view of the pools: its shard indices (buffers) and, for the first user, the pools themselves.</summary>
public sealed class MosAdapter : LinearAdapter
{
    private readonly ShardPool poolA, poolB;
    public Tensor mos_index_A, mos_index_B;
    private readonly int rank;
    private readonly double scaling;

    public MosAdapter(AdaptableLinear host, ShardPool poolA, bool ownsA, long[] indexA, ShardPool poolB, bool ownsB, long[] indexB, MosConfig config)
        : base(nameof(MosAdapter))
    {
        this.poolA = poolA;
        this.poolB = poolB;
        rank = config.Rank;
        scaling = config.Alpha / config.Rank;
        var device = poolA.shards.device;
        mos_index_A = tensor(indexA, device: device).DetachFromDisposeScope();
        mos_index_B = tensor(indexB, device: device).DetachFromDisposeScope();
        register_buffer("mos_index_A", mos_index_A);
        register_buffer("mos_index_B", mos_index_B);
        // Shared pools are registered once, so the model's parameter list (and its count) holds each pool once.
        if (ownsA) register_module("pool_A", poolA);
        if (ownsB) register_module("pool_B", poolB);
    }

    /// <summary>A_l [r, d_in]: row i is shards i·l … i·l + l − 1 concatenated.</summary>
    private Tensor A() => poolA.shards.index_select(0, mos_index_A).reshape(rank, -1);

    /// <summary>B_l [d_out, r]: column i is shards i·l … i·l + l − 1 concatenated.</summary>
    private Tensor B() => poolB.shards.index_select(0, mos_index_B).reshape(rank, -1).t();

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(F.linear(input, A()), B()).mul(scaling);

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => B().mm(A()).mul(scaling);
}
