// DSEE — Chen, Cheng, Gan, Gan, Liu & Wang, "DSEE: Dually Sparsity-embedded Efficient Tuning of Pre-trained Language
// Models", ACL 2023 (arXiv 2111.00160), §3: the update of each adapted attention weight is low-rank plus sparse,
//     ΔW = (α/r)·(U V + S₂),   U ∈ ℝ^{d_out×r}, V ∈ ℝ^{r×d_in}, S₂ nonzero only on Ω, |Ω| = N,
// with Ω the N largest-magnitude entries of the sparse part S of a decomposition W₀ ≈ L + S (L low-rank; the paper uses
// GreBsmo), and, for the second sparsity, the final weights W' = M ⊙ (W₀ + ΔW) with a pruning mask M.
// Read against the authors' code (VITA-Group/DSEE, run_glue.py, modeling_bert.py): targets query and value, r = 16,
// α = 32, N = 16 (their GLUE scripts), the scale α/r applied to both UV and S₂. Our simplifications, documented:
//   • the decomposition is GoDec (Zhou & Tao, ICML 2011, GreBsmo's predecessor): 10 alternations of L = best rank-r'
//     approximation of W₀ − S (truncated SVD) and S = W₀ − L with entries below 0.01 set to 0 (their threshold), with
//     r' = round(0.13·min(d_out, d_in)) (their greedy GreBsmo grows the rank to 100 on BERT-base's 768);
//   • U and V start as LoRA's (V Kaiming-uniform, U = 0) and S₂ = 0 on Ω, so ΔW = 0 at init (their code leaves U and S₂ at
//     transformers' N(0, 0.02) init);
//   • pruning is optional (pruning_sparsity, default 0 = off; the paper reports DSEE with and without it): M keeps the
//     (1 − sparsity) largest |W₀| of each adapted matrix (unstructured magnitude pruning of the pretrained weight at attach
//     time; the paper prunes the fine-tuned weights and then tunes again, which one training run cannot do).
// Learning rate 1e-3: LoRA's 2e-3 here halved for α/r = 2 (the paper's 5e-4 is for BERT-base); not swept.
// Trainable parameters: Σ over targets r(d_in + d_out) + N. Merges: W' = M ⊙ (W₀ + ΔW) (M = 1 without pruning).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

public sealed record DseeConfig : MethodConfig
{
    public DseeConfig() => LearningRate = 1e-3;

    public int Rank { get; init; } = 16;
    public double Alpha { get; init; } = 32;
    /// <summary>N: nonzeros of the sparse update S₂ in each target.</summary>
    public int SparseEntries { get; init; } = 16;
    /// <summary>Rank of the low-rank part of W₀'s decomposition, as a fraction of min(d_out, d_in).</summary>
    public double DecompositionRankRatio { get; init; } = 0.13;
    /// <summary>Fraction of each adapted W₀ pruned by magnitude (0: no pruning).</summary>
    public double PruningSparsity { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (SparseEntries < 0) yield return $"sparse_entries must be 0 or more (got {SparseEntries}).";
        if (!(DecompositionRankRatio > 0 && DecompositionRankRatio < 1))
            yield return $"decomposition_rank_ratio must be in (0, 1) (got {DecompositionRankRatio.ToString(CultureInfo.InvariantCulture)}).";
        if (!(PruningSparsity >= 0 && PruningSparsity < 1)) yield return $"pruning_sparsity must be in [0, 1) (got {PruningSparsity.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(DseeConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && Alpha.Equals(other.Alpha) && SparseEntries == other.SparseEntries
        && DecompositionRankRatio.Equals(other.DecompositionRankRatio) && PruningSparsity.Equals(other.PruningSparsity)
        && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(Alpha); hash.Add(SparseEntries); hash.Add(DecompositionRankRatio); hash.Add(PruningSparsity);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Low-rank plus sparse update of the attention projections, sparse support from W₀'s decomposition; mergeable.</summary>
public sealed class Dsee : PeftMethod<DseeConfig>
{
    public const string AdapterName = "dsee";

    public override string Id => "dsee";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Chen et al., ACL 2023 (DSEE), §3: ΔW = (α/r)(UV + S₂), S₂ on the N largest entries of W₀'s sparse part; optional W' = M ⊙ (W₀ + ΔW).";
    public override string Description => "LoRA (r 16, α 32) plus N = 16 sparse entries per target where W₀'s sparse part (GoDec) is largest, on query and value; optional magnitude pruning; mergeable.";
    public override DseeConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override DseeConfig WithKnob(DseeConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(DseeConfig config) => config.Rank;

    protected override IEnumerable<string> Validate(DseeConfig config, SiteRegistry sites)
    {
        foreach (var problem in LoraFamily<LoraConfig>.TargetProblems(Id, config.Targets, sites)) yield return problem;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => config.SparseEntries > l.InFeatures * l.OutFeatures))
            yield return $"{Id}: sparse_entries {config.SparseEntries} exceeds the {l.InFeatures * l.OutFeatures} entries of {l.Path}.";
    }

    protected override long CountTrainable(SiteRegistry sites, DseeConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)config.Rank * (l.InFeatures + l.OutFeatures) + config.SparseEntries);

    protected override MethodAttachment Apply(SequenceClassifier model, DseeConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var weight = linear.weight.detach().to_type(ScalarType.Float32);
            var decompositionRank = Math.Max(1, (int)Math.Round(config.DecompositionRankRatio * Math.Min(linear.InFeatures, linear.OutFeatures)));
            // A shape-only build (the meta device: params, applicability) has no values to decompose; any N positions do.
            var shapeOnly = linear.weight.device_type == DeviceType.META;
            var support = shapeOnly ? arange(config.SparseEntries, dtype: ScalarType.Int64, device: linear.weight.device)
                : SparseSupport(weight, config.SparseEntries, decompositionRank).to(context.Device);
            var bound = 1.0 / Math.Sqrt(linear.InFeatures);
            var v = context.Rand(config.Rank, linear.InFeatures).mul_(2 * bound).sub_(bound);
            var mask = config.PruningSparsity <= 0 ? null
                : shapeOnly ? ones_like(weight) : MagnitudeMask(weight, config.PruningSparsity).to(context.Device);
            linear.Attach(AdapterName, new DseeAdapter(v, zeros(linear.OutFeatures, config.Rank, device: context.Device), support,
                config.Alpha / config.Rank, mask));
        }
        return new MethodAttachment(config);
    }

    /// <summary>
    /// Ω: flat positions of the <paramref name="entries"/> largest |S| of W ≈ L + S (GoDec: L the rank-r truncated SVD of
    /// W − S, S = W − L with |entries| &lt; 0.01 set to 0, ten alternations), ascending.
    /// </summary>
    public static Tensor SparseSupport(Tensor weight, int entries, int rank, int iterations = 10, double threshold = 0.01)
    {
        var w = weight.to_type(ScalarType.Float64);
        var sparse = zeros_like(w);
        for (var i = 0; i < iterations; i++)
        {
            var (u, s, vh) = linalg.svd(w - sparse, fullMatrices: false);
            var r = Math.Min(rank, s.shape[0]);
            var lowRank = (u.narrow(1, 0, r) * s.narrow(0, 0, r).unsqueeze(0)).mm(vh.narrow(0, 0, r));
            sparse = w - lowRank;
            sparse = sparse.masked_fill(sparse.abs().lt(threshold), 0.0);
        }
        return sparse.abs().reshape(-1).topk(entries).indexes.sort().Values;
    }

    /// <summary>M: 1 on the (1 − sparsity) largest |W| of the matrix, 0 on the rest.</summary>
    public static Tensor MagnitudeMask(Tensor weight, double sparsity)
    {
        var keep = (int)Math.Round((1 - sparsity) * weight.numel());
        var kept = weight.abs().reshape(-1).topk(keep).indexes;
        return zeros(weight.numel(), dtype: weight.dtype, device: weight.device).index_fill_(0, kept, 1.0).view(weight.shape);
    }
}

/// <summary>(α/r)(U V + S₂) with S₂ on fixed positions Ω; with a mask M the layer computes M ⊙ (W₀ + ΔW).</summary>
public sealed class DseeAdapter : LinearAdapter
{
    public Parameter lora_A;
    public Parameter lora_B;
    public Parameter sparse_values;
    public Tensor sparse_indices;
    public Tensor? prune_mask;
    private readonly double scaling;

    public DseeAdapter(Tensor a, Tensor b, Tensor support, double scaling, Tensor? mask) : base(nameof(DseeAdapter))
    {
        this.scaling = scaling;
        lora_A = new Parameter(a.detach().clone());
        lora_B = new Parameter(b.detach().clone());
        sparse_values = new Parameter(zeros(support.shape[0], dtype: a.dtype, device: a.device));
        sparse_indices = support.to(ScalarType.Int64).detach().clone();
        prune_mask = mask?.detach().clone();
        foreach (var t in new[] { lora_A, lora_B, sparse_values, sparse_indices, prune_mask }) t?.DetachFromDisposeScope();
        register_parameter("lora_A", lora_A);
        register_parameter("lora_B", lora_B);
        register_parameter("sparse_values", sparse_values);
        register_buffer("sparse_indices", sparse_indices);
        if (prune_mask is not null) register_buffer("prune_mask", prune_mask);
    }

    public double Scaling => scaling;

    /// <summary>S₂ as a dense matrix shaped like the host weight.</summary>
    public Tensor SparseDense(AdaptableLinear host) =>
        zeros(host.OutFeatures * host.InFeatures, dtype: sparse_values.dtype, device: sparse_values.device)
            .scatter(0, sparse_indices, sparse_values).view(host.OutFeatures, host.InFeatures);

    /// <summary>ΔW = (α/r)(U V + S₂).</summary>
    public Tensor Update(AdaptableLinear host) => lora_B.mm(lora_A).add(SparseDense(host)).mul(scaling);

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        if (prune_mask is null)
            return baseOutput + F.linear(F.linear(input, lora_A), lora_B).mul(scaling) + F.linear(input, SparseDense(host)).mul(scaling);
        return F.linear(input, prune_mask * (host.weight + Update(host)), host.bias);
    }

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) =>
        prune_mask is null ? Update(host) : prune_mask * (host.weight + Update(host)) - host.weight;
}
