// (IA)³ — Liu, Tam, Muqeeth, Mohta, Huang, Bansal & Raffel, "Few-Shot Parameter-Efficient Fine-Tuning is Better and
// Cheaper than In-Context Learning", NeurIPS 2022 (arXiv 2205.05638), §3.3: learned vectors rescale the keys, the
// values and the feed-forward intermediate activation,
//     softmax(Q (l_k ⊙ Kᵀ) / √d_k)(l_v ⊙ V),   (l_ff ⊙ γ(W₁x)) W₂,   l_k, l_v ∈ ℝ^{d_kv}, l_ff ∈ ℝ^{d_ff}, all initialised to 1,
// so the model is unchanged at init. As huggingface/peft's IA3: l_k and l_v multiply the key and value projections'
// outputs (bias included), and l_ff multiplies the input of the FFN's down projection (its "feedforward_modules"),
// which is the intermediate activation in every family (LLaMA: silu(gate x) ⊙ up x). On GPT-2's fused c_attn only
// the key and value thirds are rescaled, as the paper says (peft, targeting c_attn, rescales the queries too).
// Merging folds the vectors into the weights: W' = diag(l)W, b' = l ⊙ b for keys and values; W₂' = W₂ diag(l_ff).
// Trainable: L(d_kv + d_kv + d_ff) (encoder and decoder-only models alike).

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
/// (IA)³ settings: the linears whose output is rescaled (<see cref="Targets"/>) and, among them, those whose input is
/// rescaled instead (<see cref="FeedforwardTargets"/>, peft's feedforward_modules). Targets accept roles, module names
/// and path globs as LoRA's do. Learning rate 3e-3 as T-Few (which used Adafactor; not swept here).
/// </summary>
public sealed record Ia3Config : MethodConfig
{
    public Ia3Config() => LearningRate = 3e-3;

    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Key, SiteRoles.Value, SiteRoles.MlpDown };
    public IReadOnlyList<string> FeedforwardTargets { get; init; } = new[] { SiteRoles.MlpDown };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
    }

    // Lists compare by reference in the compiler's record equality: compare elements instead.
    public bool Equals(Ia3Config? other) =>
        other is not null && base.Equals(other) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal)
        && FeedforwardTargets.SequenceEqual(other.FeedforwardTargets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        hash.Add('|');
        foreach (var t in FeedforwardTargets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Learned rescaling of keys, values and the FFN's intermediate activation; mergeable.</summary>
public sealed class Ia3 : PeftMethod<Ia3Config>, IPeftCheckpointMethod
{
    /// <summary>Name under the host linear: the vector is <c>….key.ia3.ia3_l</c>, saved as peft's <c>….key.ia3_l</c>.</summary>
    public const string AdapterName = "ia3";

    private static readonly string[] QkvRoles = [SiteRoles.Query, SiteRoles.Key, SiteRoles.Value];

    public override string Id => "ia3";
    public override int Version => 1;
    public override string Family => "scaling";
    public override string Citation => "Liu et al., NeurIPS 2022 ((IA)³): k ← l_k ⊙ k, v ← l_v ⊙ v, FFN ← W₂(l_ff ⊙ γ(W₁x)), vectors initialised to 1.";
    public override string Description => "Rescales keys, values and the FFN's intermediate activation by learned vectors (init 1); mergeable.";
    public override Ia3Config Defaults => new();
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    /// <summary>One adapted linear: whether its input is rescaled, and which output rows (null: all) otherwise.</summary>
    private sealed record Target(AdaptableLinear Linear, bool Feedforward, IReadOnlyList<(long Start, long Length)>? Rows)
    {
        public long Size => Feedforward ? Linear.InFeatures : Rows?.Sum(r => r.Length) ?? Linear.OutFeatures;
    }

    protected override IEnumerable<string> Validate(Ia3Config config, SiteRegistry sites)
    {
        foreach (var problem in LoraFamily<LoraConfig>.TargetProblems(Id, config.Targets, sites)) yield return problem;
        foreach (var problem in LoraFamily<LoraConfig>.TargetProblems(Id, config.FeedforwardTargets, sites)) yield return problem;
        var targeted = sites.SelectLinears(config.Targets).ToHashSet();
        foreach (var l in sites.SelectLinears(config.FeedforwardTargets).Where(l => !targeted.Contains(l)))
            yield return $"{Id}: feedforward target {l.Path} is not among the targets; feedforward_targets must be a subset of targets (as peft requires).";
    }

    private static IReadOnlyList<Target> Plan(SiteRegistry sites, Ia3Config config)
    {
        var feedforward = sites.SelectLinears(config.FeedforwardTargets).ToHashSet();
        // A fused q/k/v projection selected only through the roles attn.k / attn.v rescales those thirds alone;
        // selected by name (c_attn), by path or by attn.qkv it rescales every row, as peft does.
        var whole = sites.SelectLinears(config.Targets.Where(t => !QkvRoles.Contains(t))).ToHashSet();
        var roles = QkvRoles.Where(config.Targets.Contains).ToList();
        return sites.SelectLinears(config.Targets).Select(l =>
        {
            if (feedforward.Contains(l)) return new Target(l, true, null);
            if (l.Role != SiteRoles.FusedQkv || whole.Contains(l)) return new Target(l, false, null);
            var third = l.OutFeatures / 3;
            return new Target(l, false, roles.Select(r => (Array.IndexOf(QkvRoles, r) * third, third)).ToList());
        }).ToList();
    }

    protected override long CountTrainable(SiteRegistry sites, Ia3Config config) => Plan(sites, config).Sum(t => t.Size);

    protected override MethodAttachment Apply(SequenceClassifier model, Ia3Config config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var t in Plan(model.Sites, config))
            t.Linear.Attach(AdapterName, new Ia3Adapter(t.Linear, t.Feedforward, t.Rows, context));
        return new MethodAttachment(config);
    }

    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules) => new()
    {
        ["peft_type"] = "IA3",
        ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
        ["feedforward_modules"] = new JsonArray(),
        ["fan_in_fan_out"] = false,
        ["init_ia3_weights"] = true,
    };

    /// <summary>
    /// target_modules and feedforward_modules as suffixes that select exactly the adapted layers under peft's matching
    /// (BERT's FFN <c>output.dense</c> shares its last two names with <c>attention.output.dense</c>), and fan_in_fan_out
    /// for GPT-2's Conv1D layers.
    /// </summary>
    public void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix)
    {
        var adapted = model.Sites.Linears.Where(l => l.Adapters.Count > 0)
            .ToDictionary(l => $"{model.Backbone.BaseModelPrefix}.{l.Path}", l => ((Ia3Adapter)l.Adapters[0]).Feedforward);
        var modules = model.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
        string Suffix(string name) => PeftAdapterCheckpoint.PeftSuffix(name, modules, m => adapted.TryGetValue(m, out var ff) && ff == adapted[name]);
        adapterConfig["target_modules"] = PeftAdapterCheckpoint.TargetList(adapted.Keys.Select(Suffix).Distinct().ToList());
        adapterConfig["feedforward_modules"] = PeftAdapterCheckpoint.TargetList(adapted.Where(a => a.Value).Select(a => Suffix(a.Key)).Distinct().ToList());
        adapterConfig["fan_in_fan_out"] = model.Sites.Linears.Any(l => l.Adapters.Count > 0 && l.CheckpointTransposed);
    }

    /// <summary>Our defaults with peft's target_modules and feedforward_modules (dotted names become <c>*.name</c> globs).</summary>
    public MethodConfig FromPeftConfig(JsonObject adapterConfig) => Defaults with
    {
        Targets = PeftAdapterCheckpoint.TargetsFromPeftNames(PeftAdapterCheckpoint.TargetModules(adapterConfig)),
        FeedforwardTargets = adapterConfig["feedforward_modules"] switch
        {
            null => [],
            JsonArray list => PeftAdapterCheckpoint.TargetsFromPeftNames(list.Select(t => t!.GetValue<string>())),
            var other => throw new NotSupportedException($"feedforward_modules {other.ToJsonString()}: only a list of module names can be loaded."),
        },
    };
}

/// <summary>
/// The vector <c>ia3_l</c> of one linear: over its inputs (feed-forward: y = W(l ⊙ x) + b) or over its outputs
/// (y = l ⊙ (Wx + b)), possibly over some rows only (the key and value thirds of a fused projection; the other rows keep 1).
/// </summary>
public sealed class Ia3Adapter : LinearAdapter, IPeftAdapterTensors
{
    public Parameter ia3_l;
    private readonly long outFeatures;
    private readonly IReadOnlyList<(long Start, long Length)>? rows;

    public bool Feedforward { get; }

    public Ia3Adapter(AdaptableLinear host, bool feedforward, IReadOnlyList<(long Start, long Length)>? rows, MethodContext context)
        : base(nameof(Ia3Adapter))
    {
        Feedforward = feedforward;
        outFeatures = host.OutFeatures;
        this.rows = feedforward ? null : rows;
        var size = feedforward ? host.InFeatures : this.rows?.Sum(r => r.Length) ?? host.OutFeatures;
        ia3_l = new Parameter(ones(size, device: context.Device));
        RegisterComponents();
    }

    /// <summary>The output scale over all rows: <c>ia3_l</c> itself, or 1 outside the rescaled rows.</summary>
    private Tensor OutputScale()
    {
        if (rows is null) return ia3_l;
        var pieces = new List<Tensor>();
        long next = 0, offset = 0;
        foreach (var (start, length) in rows)
        {
            if (start > next) pieces.Add(ones(start - next, dtype: ia3_l.dtype, device: ia3_l.device));
            pieces.Add(ia3_l.narrow(0, offset, length));
            offset += length;
            next = start + length;
        }
        if (next < outFeatures) pieces.Add(ones(outFeatures - next, dtype: ia3_l.dtype, device: ia3_l.device));
        return cat(pieces, 0);
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        Feedforward ? F.linear(input * ia3_l, host.weight, host.bias) : baseOutput * OutputScale();

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) =>
        Feedforward ? host.weight * (ia3_l - 1) : host.weight * (OutputScale() - 1).unsqueeze(1);

    public override Tensor? DeltaBias(AdaptableLinear host) =>
        Feedforward || host.bias is null ? null : host.bias * (OutputScale() - 1);

    /// <summary>peft's <c>ia3_l</c>: [1, d_in] for a feed-forward layer, [d_out, 1] otherwise (every row).</summary>
    public IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor>
    {
        ["ia3_l"] = Feedforward ? ia3_l.view(1, -1) : OutputScale().view(-1, 1),
    };

    /// <summary>Copies peft's vector in; rows this adapter keeps at 1 must be exactly 1 in the folder.</summary>
    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var expected = ToPeft()["ia3_l"];
        if (tensors.Keys.FirstOrDefault(k => k != "ia3_l") is { } extra)
            throw new InvalidDataException($"the adapter folder holds '{extra}' for this layer, where only ia3_l is expected.");
        var saved = tensors.TryGetValue("ia3_l", out var t) ? t : throw new InvalidDataException("the adapter folder has no 'ia3_l' for this layer.");
        if (!saved.shape.SequenceEqual(expected.shape))
            throw new InvalidDataException($"'ia3_l': saved shape [{string.Join(", ", saved.shape)}], model expects [{string.Join(", ", expected.shape)}].");
        using var _ = no_grad();
        var flat = saved.flatten().to(ia3_l.dtype, ia3_l.device);
        if (rows is null)
        {
            ia3_l.copy_(flat);
            return;
        }
        long offset = 0;
        var kept = ones_like(flat, dtype: ScalarType.Bool);
        foreach (var (start, length) in rows)
        {
            ia3_l.narrow(0, offset, length).copy_(flat.narrow(0, start, length));
            kept.narrow(0, start, length).fill_(false);
            offset += length;
        }
        if (!flat.masked_select(kept).eq(1).all().item<bool>())
            throw new NotSupportedException("this (IA)³ folder rescales rows of a fused q/k/v projection (the queries) that PeftBench's (IA)³ keeps at 1; " +
                                            "load it with targets naming the projection (e.g. targets=c_attn) to rescale every row.");
    }
}
