// OFT — Qiu et al., "Controlling Text-to-Image Diffusion by Orthogonal Finetuning", NeurIPS 2023
// (arXiv 2306.07280), eqs. (2)–(4), in the form huggingface/peft (tuners/oft, ≥ 0.15) implements:
//     W' = W₀R,  R = diag(R₁, …, R_k) block-diagonal with k = d_in/b blocks of size b, each a Cayley transform
//     R_i = (I + Q_i)(I − Q_i)⁻¹ of a skew-symmetric Q_i; peft rotates the input side: h = W₀(x·R) + b₀.
// Each Q_i is stored as its b(b−1)/2 strictly-upper-triangular entries (zero at init, so R = I) and, as peft's
// default use_cayley_neumann = True, R_i is the Cayley–Neumann approximation of OFTv2 (Qiu et al., "Orthogonal
// Finetuning Made Scalable", 2025): (I + Q)·Σ_{j=0}^{k} Q^j, the Neumann series of (I − Q)⁻¹ truncated after Q^k,
// times (I + Q) = I + 2Q + … + 2Q^k + Q^{k+1}, with k = terms − 2 (5 terms: I + 2Q + 2Q² + 2Q³ + Q⁴; exactly
// orthogonal only as Q → 0, which peft accepts for speed). The loop is peft's OFTRotationModule._cayley_batch
// term for term, including its edge cases: 1 term gives I, 2 give I + 2Q, and 3 give the 4-term series.
// Version 1 weighted the last power by 2 (I + 2Σ_{j=1}^{terms−1} Q^j), 7e-5 off peft's logits on its own folder.
// <c>cayley_neumann=false</c> solves the exact Cayley transform instead, as peft does: R_i = (I − Q_i)(I + Q_i)⁻¹,
// the transform of −Q_i (version 1 used (I + Q_i)(I − Q_i)⁻¹, the transpose). Trainable parameters per target: (d_in/b)·b(b−1)/2.
// Checkpoints use peft's OFT layout (oft_R.weight [k, b(b−1)/2]; oft_block_size, use_cayley_neumann,
// num_cayley_neumann_terms in adapter_config.json); peft's folders load with its logits and ours load in peft.
// Merge folds W₀·Rᵀ (the matrix the forward pass applies) into the weight. Not implemented: COFT's ε-projection
// (peft's coft = False default), block sharing and multiplicative dropout.
// The knob, b, is coarse: a block size that does not divide d_in moves to the nearest divisor (ties to the lower,
// peft's adjust_oft_parameters), so neighbouring knob values can give the same count.

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

/// <summary>OFT settings. Defaults follow peft's <c>OFTConfig</c>: oft_block_size 32, Cayley–Neumann with 5 terms, targets query and value.</summary>
public sealed record OftConfig : MethodConfig
{
    public OftConfig() => LearningRate = 2e-3;

    public int BlockSize { get; init; } = 32;
    public bool CayleyNeumann { get; init; } = true;
    public int NeumannTerms { get; init; } = 5;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (BlockSize < 2) yield return $"block_size must be at least 2 (got {BlockSize}).";
        if (NeumannTerms < 1) yield return $"neumann_terms must be at least 1 (got {NeumannTerms}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(OftConfig? other) =>
        other is not null && base.Equals(other) && BlockSize == other.BlockSize && CayleyNeumann == other.CayleyNeumann
        && NeumannTerms == other.NeumannTerms && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(BlockSize); hash.Add(CayleyNeumann); hash.Add(NeumannTerms);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Block-diagonal orthogonal rotation of each targeted linear's input; mergeable.</summary>
public sealed class Oft : PeftMethod<OftConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "oft";

    public override string Id => "oft";
    public override int Version => 2;
    public override string Family => "orthogonal";
    public override string Citation => "Qiu et al., NeurIPS 2023 (OFT), eq. 4: W' = W₀R, R block-diagonal Cayley (I + Q)(I − Q)⁻¹, Q skew-symmetric, zero at init.";
    public override string Description => "Rotates the input of the targeted projections by a trainable block-diagonal orthogonal matrix (default query, value); mergeable.";
    public override OftConfig Defaults => new();
    public override Knob Knob => new("block_size", 2, 4096);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override OftConfig WithKnob(OftConfig config, int value) => config with { BlockSize = value };
    protected override int KnobValue(OftConfig config) => config.BlockSize;

    protected override Knob? KnobFor(SiteRegistry sites, OftConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        return targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Max(l => l.InFeatures)) };
    }

    protected override IEnumerable<string> Validate(OftConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, OftConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l =>
        {
            var b = NearestDivisor(l.InFeatures, config.BlockSize);
            return l.InFeatures / b * (b * (b - 1) / 2);
        });

    protected override MethodAttachment Apply(SequenceClassifier model, OftConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
            linear.Attach(AdapterName, new OftAdapter(linear.InFeatures, NearestDivisor(linear.InFeatures, config.BlockSize), config, context));
        return new MethodAttachment(config);
    }

    /// <summary>peft's OFTConfig fields (0.21): the block size is given (r = 0) and peft fits it per layer as we do.</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (OftConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "OFT", ["r"] = 0, ["oft_block_size"] = c.BlockSize, ["use_cayley_neumann"] = c.CayleyNeumann,
            ["num_cayley_neumann_terms"] = c.NeumannTerms, ["coft"] = false, ["eps"] = 6e-5, ["block_share"] = false,
            ["module_dropout"] = 0.0, ["bias"] = "none", ["fan_in_fan_out"] = false, ["init_weights"] = true,
            ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    /// <summary>Refuses what is not implemented here: a number of blocks instead of a block size, COFT, block sharing.</summary>
    public MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        PeftAdapterCheckpoint.Require(adapterConfig, "r", 0);
        PeftAdapterCheckpoint.Require(adapterConfig, "coft", false);
        PeftAdapterCheckpoint.Require(adapterConfig, "block_share", false);
        return Defaults with
        {
            BlockSize = adapterConfig["oft_block_size"]!.GetValue<int>(),
            CayleyNeumann = PeftAdapterCheckpoint.Field(adapterConfig, "use_cayley_neumann", true),
            NeumannTerms = PeftAdapterCheckpoint.Field(adapterConfig, "num_cayley_neumann_terms", 5),
            Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
        };
    }

    /// <summary>peft's adjust_oft_parameters: the divisor of <paramref name="features"/> nearest to <paramref name="size"/>, ties to the lower.</summary>
    internal static long NearestDivisor(long features, long size)
    {
        if (size >= features) return features;
        var higher = size;
        while (higher <= features && features % higher != 0) higher++;
        var lower = size;
        while (lower > 1 && features % lower != 0) lower--;
        return size - lower <= higher - size ? lower : higher;
    }

    /// <summary>
    /// Skew-symmetric blocks from their upper-triangular entries <paramref name="vec"/> [k, b(b−1)/2], then the
    /// Cayley transform: peft's Cayley–Neumann series (see the file header) or the exact (I + Q)(I − Q)⁻¹.
    /// </summary>
    internal static Tensor CayleyBlocks(Tensor vec, Tensor upperIndex, long blockSize, bool neumann, int terms)
    {
        var k = vec.shape[0];
        var flat = zeros(new[] { k, blockSize * blockSize }, dtype: vec.dtype, device: vec.device)
            .scatter(1, upperIndex.unsqueeze(0).expand(k, -1), vec).view(k, blockSize, blockSize);
        var q = flat - flat.transpose(1, 2);
        var eye = torch.eye(blockSize, dtype: vec.dtype, device: vec.device).expand(k, blockSize, blockSize);
        // peft's exact path solves X(I + Q) = I − Q: the Cayley transform of −Q (the same set of rotations).
        if (!neumann) return linalg.solve(eye + q, eye - q, left: false);
        var r = eye.clone();
        if (terms < 2) return r;
        r = r + q * 2.0;
        if (terms < 3) return r;
        var power = q.bmm(q);
        r = r + power * 2.0;
        for (var j = 3; j < terms - 1; j++)
        {
            power = power.bmm(q);
            r = r + power * 2.0;
        }
        return r + power.bmm(q);
    }

    /// <summary>Flat positions (row·b + col) of the strictly upper triangle of a b×b block, row-major as torch.triu_indices.</summary>
    internal static Tensor UpperIndex(long blockSize, Device device)
    {
        var idx = new List<long>();
        for (long i = 0; i < blockSize; i++)
            for (var j = i + 1; j < blockSize; j++) idx.Add(i * blockSize + j);
        return tensor(idx.ToArray(), device: device);
    }
}

/// <summary>The skew-symmetric parameters of one linear's k = d_in/b rotation blocks; name mirrors peft's <c>oft_R.weight</c>.</summary>
public sealed class OftAdapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter oft_R;
    private readonly Tensor upper;
    private readonly long blockSize, blocks;
    private readonly bool neumann;
    private readonly int terms;

    public OftAdapter(long inFeatures, long blockSize, OftConfig config, MethodContext context) : base(nameof(OftAdapter))
    {
        this.blockSize = blockSize;
        blocks = inFeatures / blockSize;
        neumann = config.CayleyNeumann;
        terms = config.NeumannTerms;
        oft_R = new Parameter(zeros(blocks, blockSize * (blockSize - 1) / 2, device: context.Device));
        upper = Oft.UpperIndex(blockSize, context.Device);
        RegisterComponents();
    }

    private Tensor Rotation() => Oft.CayleyBlocks(oft_R, upper, blockSize, neumann, terms);

    /// <summary>x·R block by block, then the frozen layer: h = W₀(xR) + b₀. The base output is not needed.</summary>
    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        var shape = input.shape;
        var blocked = input.reshape(-1, blocks, blockSize);
        var rotated = einsum("nkb,kbc->nkc", blocked, Rotation()).reshape(shape);
        return F.linear(rotated, host.weight, host.bias).MoveToOuterDisposeScope();
    }

    public override bool CanMerge => true;

    /// <summary>ΔW = W₀Rᵀ − W₀ (x·R·W₀ᵀ = x·(W₀Rᵀ)ᵀ), R the block-diagonal rotation.</summary>
    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        var full = block_diag(Rotation().unbind(0));
        return host.weight.mm(full.t()).sub(host.weight).MoveToOuterDisposeScope();
    }

    /// <summary>peft keeps the parameter in an OFTRotationModule, hence <c>oft_R.weight</c>.</summary>
    public IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor> { ["oft_R.weight"] = oft_R };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());
}
