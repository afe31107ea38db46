// HRA — Yuan, Liu, Liu & Xu, "Bridging the Gap between Low-Rank and Orthogonal Adaptation via Householder
// Reflection Adaptation", NeurIPS 2024 (arXiv 2405.17484), eqs. (4) and (6), as huggingface/peft (tuners/hra):
//     W' = W₀ · H,  H = Π_{i=1}^{r} (I − 2 û_i û_iᵀ),  û_i = u_i/‖u_i‖;  h = W'x + b₀.
//     L = L_task + λ · Σ_layers ‖I − ÛᵀÛ‖²_F  (eq. 6, the orthogonality regulariser on Û = [û_1 … û_r]).
// Reading of the paper and peft: U = [u_1 … u_r] ∈ ℝ^{d_in×r} is stored as peft's hra_u; for even r peft draws
// r/2 Kaiming-uniform columns (a = √5 on [d_in, r/2]) and repeats each one twice, so consecutive reflections
// cancel and H = I at init (odd r: all r columns drawn, H ≠ I, and PreservesOutputAtInit holds only for even r,
// as peft warns). peft leaves the regulariser to the training script; here it is the attachment's auxiliary
// loss, weight λ = <c>regularizer</c> (default 1e-4: the paper tunes λ per task, the value is not fixed — [U]).
// <c>apply_gs=true</c> orthonormalises the u's by Gram–Schmidt first (peft's apply_GS), giving H = I − 2ÛÛᵀ.
// Trainable parameters per target: r·d_in. Merge folds W₀H (the matrix the forward pass applies) into the weight.
// Checkpoints use peft's HRA layout (hra_u [d_in, r]; r and apply_GS in adapter_config.json); peft's folders load
// with its logits and ours load in peft. λ is not part of peft's config and travels only in our metadata.

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

/// <summary>HRA settings. Defaults follow peft's <c>HRAConfig</c>: r = 8, apply_GS false, targets query and value; λ see the file header.</summary>
public sealed record HraConfig : MethodConfig
{
    public HraConfig() => LearningRate = 2e-3;

    public int Rank { get; init; } = 8;
    public bool ApplyGs { get; init; }
    public double Regularizer { get; init; } = 1e-4;
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank}).";
        if (!(Regularizer >= 0) || double.IsInfinity(Regularizer)) yield return $"regularizer must be a non-negative number (got {Regularizer.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    public bool Equals(HraConfig? other) =>
        other is not null && base.Equals(other) && Rank == other.Rank && ApplyGs == other.ApplyGs
        && Regularizer.Equals(other.Regularizer) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(Rank); hash.Add(ApplyGs); hash.Add(Regularizer);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>A chain of r Householder reflections applied to each targeted linear's input side; mergeable.</summary>
public sealed class Hra : PeftMethod<HraConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "hra";

    public override string Id => "hra";
    public override int Version => 1;
    public override string Family => "orthogonal";
    public override string Citation => "Yuan et al., NeurIPS 2024 (HRA), eqs. 4 and 6: W' = W₀·Π(I − 2ûᵢûᵢᵀ), paired init (identity), + λ‖I − ÛᵀÛ‖².";
    public override string Description => "Multiplies the targeted projections by a chain of r trainable Householder reflections, with an orthogonality regulariser (default query, value); mergeable.";
    public override HraConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 4096);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override HraConfig WithKnob(HraConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(HraConfig config) => config.Rank;

    protected override Knob? KnobFor(SiteRegistry sites, HraConfig config)
    {
        var targets = sites.SelectLinears(config.Targets);
        return targets.Count == 0 ? Knob : Knob with { Max = (int)Math.Min(Knob.Max, targets.Min(l => l.InFeatures)) };
    }

    protected override IEnumerable<string> Validate(HraConfig config, SiteRegistry sites)
    {
        foreach (var problem in Lora.TargetProblems(Id, config.Targets, sites)) yield return problem;
        foreach (var l in sites.SelectLinears(config.Targets).Where(l => config.Rank > l.InFeatures))
            yield return $"{Id}: rank {config.Rank} exceeds d_in = {l.InFeatures} of {l.Path}.";
    }

    protected override long CountTrainable(SiteRegistry sites, HraConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => (long)config.Rank * l.InFeatures);

    protected override MethodAttachment Apply(SequenceClassifier model, HraConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var adapters = new List<HraAdapter>();
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            var adapter = new HraAdapter(linear.InFeatures, config, context);
            linear.Attach(AdapterName, adapter);
            adapters.Add(adapter);
        }
        return new HraAttachment(config, adapters);
    }

    /// <summary>peft's HRAConfig fields (0.21); the regulariser λ is a training setting peft leaves to the script and is not saved there.</summary>
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (HraConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "HRA", ["r"] = c.Rank, ["apply_GS"] = c.ApplyGs, ["bias"] = "none", ["init_weights"] = true,
            ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        };
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig) => Defaults with
    {
        Rank = adapterConfig["r"]!.GetValue<int>(),
        ApplyGs = PeftAdapterCheckpoint.Field(adapterConfig, "apply_GS", false),
        Targets = PeftAdapterCheckpoint.TargetModules(adapterConfig),
    };

    /// <summary>Adds λ·Σ‖I − ÛᵀÛ‖²_F over the attached adapters to the task loss (eq. 6).</summary>
    private sealed class HraAttachment(HraConfig config, IReadOnlyList<HraAdapter> adapters) : MethodAttachment(config)
    {
        public override Tensor? AuxiliaryLoss()
        {
            if (config.Regularizer == 0 || adapters.Count == 0) return null;
            using var scope = NewDisposeScope();
            var total = adapters.Select(a => a.OrthogonalityPenalty()).Aggregate((a, b) => a + b);
            return total.mul(config.Regularizer).MoveToOuterDisposeScope();
        }
    }
}

/// <summary>The reflection vectors of one linear as the columns of <c>hra_u</c> [d_in, r], peft's name.</summary>
public sealed class HraAdapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter hra_u;
    private readonly bool applyGs;

    public HraAdapter(long inFeatures, HraConfig config, MethodContext context) : base(nameof(HraAdapter))
    {
        applyGs = config.ApplyGs;
        var r = config.Rank;
        // peft: kaiming_uniform_(a = √5) on [d_in, r/2], each column repeated twice (even r); on [d_in, r] for odd r.
        using (no_grad())
            hra_u = new Parameter(r % 2 == 0
                ? KaimingUniform.Draw(inFeatures, r / 2, context).repeat_interleave(2L, dim: 1)
                : KaimingUniform.Draw(inFeatures, r, context));
        RegisterComponents();
    }

    /// <summary>Û with unit columns, Gram–Schmidt orthonormalised when apply_GS.</summary>
    private Tensor Normalised()
    {
        if (!applyGs) return hra_u / hra_u.norm(0, keepdim: true);
        var columns = new List<Tensor>();
        for (var i = 0; i < hra_u.shape[1]; i++)
        {
            var u = hra_u[.., i];
            foreach (var q in columns) u = u - q.dot(u) * q;
            columns.Add(u / u.norm());
        }
        return stack(columns, 1);
    }

    /// <summary>H = Π_i (I − 2ûᵢûᵢᵀ), multiplied left to right as peft (H ← H − 2(Hû)ûᵀ).</summary>
    private Tensor Householder()
    {
        var u = Normalised();
        var d = u.shape[0];
        if (applyGs) return eye(d, dtype: u.dtype, device: u.device) - 2.0 * u.mm(u.t());
        var h = eye(d, dtype: u.dtype, device: u.device);
        for (var i = 0; i < u.shape[1]; i++)
        {
            var ui = u[.., i].unsqueeze(1);
            h = h - 2.0 * h.mm(ui).mm(ui.t());
        }
        return h;
    }

    internal Tensor OrthogonalityPenalty()
    {
        var u = hra_u / hra_u.norm(0, keepdim: true);
        var gram = u.t().mm(u);
        return (eye(gram.shape[0], dtype: gram.dtype, device: gram.device) - gram).pow(2).sum();
    }

    /// <summary>h = (W₀H)x + b₀, computed from the reflected weight as peft does; the base output is not needed.</summary>
    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        return F.linear(input, host.weight.mm(Householder()), host.bias).MoveToOuterDisposeScope();
    }

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        using var scope = NewDisposeScope();
        return host.weight.mm(Householder()).sub(host.weight).MoveToOuterDisposeScope();
    }

    public IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor> { ["hra_u"] = hra_u };

    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors) => PeftAdapterCheckpoint.CopyNamed(tensors, ToPeft());
}
