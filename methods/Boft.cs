// BOFT — Liu et al., "Parameter-Efficient Orthogonal Finetuning via Butterfly Factorization", ICLR 2024
// (arXiv 2311.06243), eqs. (5)–(6), in the form huggingface/peft (tuners/boft) implements:
//     R = B_m ⋯ B_1,  B_i = P_i · diag(R_{i,1}, …, R_{i,k}) · P_iᵀ  (k = d_in/b blocks of size b, P_i the butterfly
//     permutations of peft's block_butterfly_perm), each R_{i,j} the exact Cayley transform of the skew part
//     Q = (A − Aᵀ)/2 of a stored b×b matrix A:  R_{i,j} = (I + Q)⁻¹(I − Q)  (peft's linalg.solve(I + Q, I − Q, left = False));
//     W' = diag(s) · W₀ · Rᵀ  (peft: (R·W₀ᵀ)ᵀ scaled row-wise by the learned output scale s);  h = W'x + b₀.
// Init as peft: A = 0 (R = I) and s = 1, so W' = W₀. peft stores full b×b matrices (the symmetric half gets no
// gradient) and counts them: trainable parameters per target m·(d_in/b)·b² + d_out, with m = n_butterfly_factor.
// peft's default n_butterfly_factor = 1 is a single block-diagonal factor with identity permutation (OFT with
// exact Cayley and a scale); m > 1 adds butterfly factors and requires d_in divisible by b·2^{m−1}, b even.
// Deviation: where b does not fit d_in, peft raises; here b moves to the nearest block size that fits (ties to the
// lower), as peft's OFT does, so the knob b is coarse (neighbouring values can give the same count).
// Checkpoints use peft's BOFT layout (boft_R [m, k, b, b], boft_s [d_out, 1]; boft_block_size and
// boft_n_butterfly_factor in adapter_config.json); peft's folders load with its logits and ours load in peft. A
// folder with m > 1 loads in peft only where its fbd CUDA extension builds: elsewhere peft resets m to 1 and the
// saved boft_R no longer fits (peft's own fixtures use m = 1 for that reason).

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

/// <summary>BOFT settings. Defaults follow peft's <c>BOFTConfig</c>: boft_block_size 4, n_butterfly_factor 1, targets query and value.</summary>
public sealed record BoftConfig : MethodConfig
{
    public BoftConfig() => LearningRate = 2e-3;

    public int BlockSize { get; init; } = 4;
    public int NButterflyFactor { get; init; } = 1;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (BlockSize < 2) yield return $"block_size must be at least 2 (got {BlockSize}).";
        if (NButterflyFactor < 1) yield return $"n_butterfly_factor must be at least 1 (got {NButterflyFactor}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(BoftConfig? other) =>
        other is not null && base.Equals(other) && BlockSize == other.BlockSize && NButterflyFactor == other.NButterflyFactor
        && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(BlockSize); hash.Add(NButterflyFactor);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Butterfly-factorised orthogonal rotation of each targeted linear's input plus an output scale; mergeable.</summary>
public sealed class Boft : PeftMethod<BoftConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "boft";

    public override string Id => "boft";
    public override int Version => 1;
    public override string Family => "orthogonal";
    public override string Citation => "Liu et al., ICLR 2024 (BOFT), eq. 6: W' = diag(s)·W₀·(Π_i P_i B_i P_iᵀ)ᵀ, B_i block-diagonal Cayley, identity at init.";
    public override string Description => "Rotates the targeted projections by a product of butterfly-permuted block-diagonal orthogonal factors and rescales their outputs (default query, value); mergeable.";
    public override BoftConfig Defaults => new();
    public override Knob Knob => new("block_size", 2, 4096);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override BoftConfig WithKnob(BoftConfig config, int value) => config with { BlockSize = value };
    protected override int KnobValue(BoftConfig config) => config.BlockSize;

    protected override Knob? KnobFor(SiteRegistry sites, BoftConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        return targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Max(l => l.InFeatures)) };
    }

    protected override IEnumerable<string> Validate(BoftConfig config, SiteRegistry sites)
    {
        foreach (var problem in Lora.TargetProblems(Id, config.Targets, sites)) yield return problem;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => FittedBlockSize(l.InFeatures, config) is null))
            yield return $"{Id}: no block size fits {l.Path} (d_in {l.InFeatures}) with n_butterfly_factor {config.NButterflyFactor}: " +
                         $"d_in must be a multiple of an even block size times 2^{config.NButterflyFactor - 1}.";
    }

    protected override long CountTrainable(SiteRegistry sites, BoftConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (FittedBlockSize(l.InFeatures, config) is { } b ? config.NButterflyFactor * l.InFeatures * b : 0) + l.OutFeatures);

    protected override MethodAttachment Apply(SequenceClassifier model, BoftConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new BoftAdapter(linear.InFeatures, linear.OutFeatures, FittedBlockSize(linear.InFeatures, config)!.Value, config, context));
        return new MethodAttachment(config);
    }

    /// <summary>peft's BOFTConfig fields (0.21): the block size is given (boft_block_num = 0).</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (BoftConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "BOFT", ["boft_block_size"] = c.BlockSize, ["boft_block_num"] = 0, ["boft_n_butterfly_factor"] = c.NButterflyFactor,
            ["boft_dropout"] = 0.0, ["bias"] = "none", ["fan_in_fan_out"] = false, ["init_weights"] = true,
            ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    /// <summary>Refuses a number of blocks instead of a block size (boft_block_num), which is not implemented here.</summary>
    public MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        PeftAdapterCheckpoint.Require(adapterConfig, "boft_block_num", 0);
        return Defaults with
        {
            BlockSize = adapterConfig["boft_block_size"]!.GetValue<int>(),
            NButterflyFactor = PeftAdapterCheckpoint.Field(adapterConfig, "boft_n_butterfly_factor", 1),
            Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
        };
    }

    /// <summary>
    /// The valid block size nearest to the configured one (ties to the lower): it divides d_in and, with butterfly
    /// factors (m &gt; 1), is even with an even number of blocks and d_in a multiple of b·2^{m−1} (peft's checks).
    /// </summary>
    internal static long? FittedBlockSize(long inFeatures, BoftConfig config)
    {
        var m = config.NButterflyFactor - 1;
        bool Valid(long b) => b >= 2 && inFeatures % b == 0
            && (m == 0 || (b % 2 == 0 && inFeatures / b % 2 == 0 && inFeatures % (b << m) == 0));
        var valid = Enumerable.Range(2, (int)Math.Max(0, inFeatures - 1)).Select(b => (long)b).Where(Valid).ToList();
        if (valid.Count == 0) return null;
        return valid.OrderBy(b => Math.Abs(b - config.BlockSize)).ThenBy(b => b).First();
    }

    /// <summary>peft's block_butterfly_perm: within groups of n/blocks entries, sub-blocks of size r ordered evens first, then odds.</summary>
    internal static long[] ButterflyPermutation(long n, long blocks, long r, int internalFactors)
    {
        var indices = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
        if (internalFactors == 0) return indices;
        var groupSize = n / blocks;
        var steps = groupSize / r;
        var sequence = Enumerable.Range(0, (int)steps).Where(p => p % 2 == 0).Concat(Enumerable.Range(0, (int)steps).Where(p => p % 2 == 1)).ToList();
        var order = new long[groupSize];
        for (var i = 0; i < sequence.Count; i++)
            for (long j = 0; j < r; j++) order[i * r + j] = sequence[i] * r + j;
        var result = new long[n];
        for (long g = 0; g < n; g += groupSize)
            for (long j = 0; j < groupSize; j++) result[g + j] = indices[g + order[j]];
        return result;
    }
}

/// <summary>The butterfly factors (<c>boft_R</c>, [m, k, b, b]) and output scale (<c>boft_s</c>, [d_out, 1]) of one linear; <c>boft_P</c> is a buffer.</summary>
public sealed class BoftAdapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter boft_R;
    public Parameter boft_s;
    private readonly Tensor boft_P;

    public BoftAdapter(long inFeatures, long outFeatures, long blockSize, BoftConfig config, MethodContext context) : base(nameof(BoftAdapter))
    {
        var factors = config.NButterflyFactor;
        var blocks = inFeatures / blockSize;
        boft_R = new Parameter(zeros(new[] { factors, blocks, blockSize, blockSize }, device: context.Device));
        boft_s = new Parameter(ones(outFeatures, 1, device: context.Device));
        var permutations = new List<Tensor>();
        for (var i = 0; i < factors; i++)
        {
            var perm = Boft.ButterflyPermutation(inFeatures, blocks >> i, blockSize / 2, factors - 1);
            // perm2mat: P[i, perm[i]] = 1.
            // Built on the CPU and moved: a constant, identical on every device (libtorch has no meta index_select).
            permutations.Add(eye(inFeatures).index_select(0, tensor(perm)).to(context.Device));
        }
        boft_P = stack(permutations);
        RegisterComponents();
    }

    /// <summary>R = B_m ⋯ B_1 with B_i = P_i·blockdiag(Cayley(A_i))·P_iᵀ.</summary>
    private Tensor Rotation()
    {
        var (m, k, b) = (boft_R.shape[0], boft_R.shape[1], boft_R.shape[2]);
        var a = boft_R.view(m * k, b, b);
        var skew = (a - a.transpose(1, 2)) * 0.5;
        var eyes = eye(b, dtype: a.dtype, device: a.device).expand(m * k, b, b);
        var blocks = linalg.solve(eyes + skew, eyes - skew, left: false).view(m, k, b, b);
        Tensor? rotation = null;
        for (var i = 0; i < m; i++)
        {
            var p = boft_P[i];
            var factor = p.mm(block_diag(blocks[i].unbind(0))).mm(p.t());
            rotation = rotation is null ? factor : factor.mm(rotation);
        }
        return rotation!;
    }

    private Tensor RotatedWeight(AdaptableLinear host) => host.weight.mm(Rotation().t()).mul(boft_s);

    /// <summary>h = (diag(s)·W₀·Rᵀ)x + b₀, computed from the rotated weight as peft does; the base output is not needed.</summary>
    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        return F.linear(input, RotatedWeight(host), host.bias).MoveToOuterDisposeScope();
    }

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        return RotatedWeight(host).sub(host.weight).MoveToOuterDisposeScope();
    }

    /// <summary>peft's names; its boft_P is a non-persistent buffer, rebuilt from the config as here.</summary>
    public IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor> { ["boft_R"] = boft_R, ["boft_s"] = boft_s };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());
}
