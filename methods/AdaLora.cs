// AdaLoRA — Zhang et al., "Adaptive Budget Allocation for Parameter-Efficient Fine-Tuning", ICLR 2023
// (arXiv 2303.10512), eqs. (3)–(11):
//     W = W₀ + P Λ Q,   P ∈ ℝ^{d_out×r}, Λ = diag(λ) ∈ ℝ^{r×r}, Q ∈ ℝ^{r×d_in}   (SVD form, r = init_r)
//     I(w) = |w·∇_w L|,  Ī⁽ᵗ⁾ = β₁Ī⁽ᵗ⁻¹⁾ + (1−β₁)I⁽ᵗ⁾,  Ū⁽ᵗ⁾ = β₂Ū⁽ᵗ⁻¹⁾ + (1−β₂)|I⁽ᵗ⁾ − Ī⁽ᵗ⁾|,  s(w) = Ī·Ū
//     S_i = s(λ_i) + mean_j s(Q_ij) + mean_k s(P_ki)   (importance of triplet i)
//     b⁽ᵗ⁾ = b⁽⁰⁾ for t ≤ t_i;  b⁽ᵀ⁾ + (b⁽⁰⁾ − b⁽ᵀ⁾)(1 − (t − t_i)/(T − t_i − t_f))³ until T − t_f;  b⁽ᵀ⁾ after
//     λ_i ← 0 for the triplets whose S_i falls below the b⁽ᵗ⁾-th largest (every ΔT steps)
//     L = L_task + γ·R(P, Q)
// Read against huggingface/peft (tuners/adalora: SVDLinear, RankAllocator, AdaLoraModel.forward), which we follow:
//   • lora_A = Q and lora_B = P ~ N(0, 0.02), lora_E = λ ∈ ℝ^{r×1} = 0, so ΔW = 0 at init; the update is
//     (α / (init_r + 1e-5))·P (Q ⊙ λ) with α = lora_alpha = 8 (peft's default) and the rank count frozen at init_r.
//   • budgets count triplets: b⁽⁰⁾ = init_r·n, b⁽ᵀ⁾ = target_r·n over the n targets; masking zeroes λ for the
//     init_budget − budget lowest scores (ties at the threshold included, torch.kthvalue); at step T − t_f the
//     final mask is forced and kept (re-applied after every later step), and the EMAs are dropped.
//   • R(P, Q) = mean over the 2n factors of ‖QQᵀ − I‖_F and ‖PᵀP − I‖_F (peft and the authors' loralib: the
//     Frobenius norm, not squared as the paper's eq. 4 writes it), γ = orth_reg_weight = 0.5 (peft's default).
//   • [U] peft takes t_i, t_f in steps (default 0, 0); the paper's GLUE runs use t_i ≈ 10% and t_f ≈ 20–60% of
//     training. Our profiles differ in length, so we take fractions of the total steps (0.1 and 0.2) and round;
//     t_f is at least one step so that the final allocation to target_r always happens. ΔT = 1 (peft's default).
// Steps are the harness's 0-based optimizer steps, as peft's update_and_allocate(global_step) in its examples.
// Trainable parameters (as peft counts them, masked triplets included): Σ over targets init_r(d_in + d_out + 1).
// The cell result records the ranks left per target (MethodAttachment.Report). Adapters save in peft's AdaLoRA
// layout: ….query.lora_A / lora_B / lora_E (ParameterDicts: no ".weight"), resized to the kept triplets, with
// the boolean rank_pattern in adapter_config.json, as get_peft_model_state_dict writes them.

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
/// AdaLoRA settings; defaults follow peft's <c>AdaLoraConfig</c> (init_r 12, target_r 8, lora_alpha 8, β₁ = β₂ = 0.85,
/// orth_reg_weight 0.5, ΔT 1), with t_i and t_f as fractions of the run (see the file header) and LoRA's learning rate.
/// </summary>
public sealed record AdaLoraConfig : MethodConfig
{
    public AdaLoraConfig() => LearningRate = 2e-3;

    public int InitRank { get; init; } = 12;
    public int TargetRank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public double Dropout { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = new[] { SiteRoles.Query, SiteRoles.Value };
    /// <summary>t_i as a fraction of the training steps: budget stays at init_r·n until then.</summary>
    public double InitWarmup { get; init; } = 0.1;
    /// <summary>t_f as a fraction of the training steps: the final allocation is fixed for this last part.</summary>
    public double FinalWarmup { get; init; } = 0.2;
    public int DeltaT { get; init; } = 1;
    public double Beta1 { get; init; } = 0.85;
    public double Beta2 { get; init; } = 0.85;
    public double OrthRegWeight { get; init; } = 0.5;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (InitRank < 1) yield return $"init_rank must be at least 1 (got {InitRank}).";
        if (TargetRank < 1 || TargetRank > InitRank) yield return $"target_rank must be in [1, init_rank = {InitRank}] (got {TargetRank}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(CultureInfo.InvariantCulture)}).";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout.ToString(CultureInfo.InvariantCulture)}).";
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one linear layer.";
        if (!(InitWarmup >= 0 && FinalWarmup >= 0 && InitWarmup + FinalWarmup < 1))
            yield return "init_warmup and final_warmup must be ≥ 0 and sum to less than 1.";
        if (DeltaT < 1) yield return $"delta_t must be at least 1 (got {DeltaT}).";
        if (!(Beta1 > 0 && Beta1 < 1 && Beta2 > 0 && Beta2 < 1)) yield return "beta1 and beta2 must be in (0, 1).";
        if (!(OrthRegWeight >= 0) || double.IsInfinity(OrthRegWeight)) yield return "orth_reg_weight must be a non-negative number.";
    }

    public bool Equals(AdaLoraConfig? other) =>
        other is not null && base.Equals(other) && InitRank == other.InitRank && TargetRank == other.TargetRank
        && Alpha.Equals(other.Alpha) && Dropout.Equals(other.Dropout) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal)
        && InitWarmup.Equals(other.InitWarmup) && FinalWarmup.Equals(other.FinalWarmup) && DeltaT == other.DeltaT
        && Beta1.Equals(other.Beta1) && Beta2.Equals(other.Beta2) && OrthRegWeight.Equals(other.OrthRegWeight);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        hash.Add(InitRank); hash.Add(TargetRank); hash.Add(Alpha); hash.Add(Dropout);
        hash.Add(InitWarmup); hash.Add(FinalWarmup); hash.Add(DeltaT); hash.Add(Beta1); hash.Add(Beta2); hash.Add(OrthRegWeight);
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>SVD-form update P Λ Q whose triplets are pruned by importance to a cubic budget schedule; mergeable.</summary>
public sealed class AdaLora : PeftMethod<AdaLoraConfig>, IPeftCheckpointMethod
{
    public const string AdapterName = "adalora";

    public override string Id => "adalora";
    public override int Version => 1;
    public override string Family => "low-rank";
    public override string Citation => "Zhang et al., ICLR 2023 (AdaLoRA), eqs. 3–11: ΔW = PΛQ, triplets pruned by smoothed |w·∇w| importance to a cubic budget, + γ·orthogonality.";
    public override string Description => "SVD-form update from init_r (12) triplets per target, pruned by importance to target_r (8) on average over training; mergeable.";
    public override AdaLoraConfig Defaults => new();
    /// <summary>init_r: what is allocated (and counted). target_r follows it at the config's target/init ratio.</summary>
    public override Knob Knob => new("init_r", 1, 256);
    public override bool PreservesOutputAtInit => true;
    public override bool CanMerge => true;

    protected override AdaLoraConfig WithKnob(AdaLoraConfig config, int value) =>
        config with { InitRank = value, TargetRank = Math.Clamp((int)Math.Round((double)value * config.TargetRank / config.InitRank), 1, value) };
    protected override int KnobValue(AdaLoraConfig config) => config.InitRank;

    protected override IEnumerable<string> Validate(AdaLoraConfig config, SiteRegistry sites) => Lora.TargetProblems(Id, config.Targets, sites);

    protected override long CountTrainable(SiteRegistry sites, AdaLoraConfig config) =>
        sites.SelectLinears(config.Targets).Sum(l => TripletSize(l) * config.InitRank);

    /// <summary>Elements of one triplet (a row of Q, a column of P, one λ).</summary>
    internal static long TripletSize(AdaptableLinear l) => l.InFeatures + l.OutFeatures + 1;

    protected override MethodAttachment Apply(SequenceClassifier model, AdaLoraConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var adapters = new List<AdaLoraAdapter>();
        foreach (var linear in model.Sites.SelectLinears(config.Targets))
        {
            var adapter = new AdaLoraAdapter(linear, config, context);
            linear.Attach(AdapterName, adapter);
            adapters.Add(adapter);
        }
        return new AdaLoraAttachment(config, adapters);
    }

    /// <summary>
    /// peft's budget schedule (RankAllocator.budget_schedule): the triplet budget at <paramref name="step"/> and
    /// whether to mask at it. <paramref name="initWarmup"/>, <paramref name="finalWarmup"/> in steps.
    /// </summary>
    public static (int Budget, bool Mask) BudgetAt(int step, int totalSteps, int initBudget, int targetBudget, int initWarmup, int finalWarmup, int deltaT)
    {
        if (step <= initWarmup) return (initBudget, false);
        if (step > totalSteps - finalWarmup) return (targetBudget, true);
        var remaining = 1 - (double)(step - initWarmup) / (totalSteps - finalWarmup - initWarmup);
        var budget = (int)((initBudget - targetBudget) * remaining * remaining * remaining + targetBudget);
        return (budget, step % deltaT == 0);
    }

    /// <summary>t_i and t_f in steps for a run of <paramref name="totalSteps"/>: t_f ≥ 1, and t_i leaves the schedule at least one step.</summary>
    public static (int InitWarmup, int FinalWarmup) WarmupSteps(AdaLoraConfig config, int totalSteps)
    {
        var final = Math.Max(1, (int)Math.Round(config.FinalWarmup * totalSteps));
        var init = (int)Math.Round(config.InitWarmup * totalSteps);
        if (init >= totalSteps - final) init = Math.Max(0, totalSteps - final - 1);
        return (init, final);
    }

    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (AdaLoraConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "ADALORA", ["init_r"] = c.InitRank, ["target_r"] = c.TargetRank, ["lora_alpha"] = c.Alpha,
            ["lora_dropout"] = c.Dropout, ["target_modules"] = new JsonArray(targetModules.Select(t => (JsonNode)t).ToArray()),
            ["beta1"] = c.Beta1, ["beta2"] = c.Beta2, ["orth_reg_weight"] = c.OrthRegWeight, ["deltaT"] = c.DeltaT,
            ["bias"] = "none", ["fan_in_fan_out"] = false, ["init_lora_weights"] = true, ["rank_pattern"] = null,
        };
    }

    /// <summary>peft's step counts (once training has run) and the boolean rank_pattern keyed by ….lora_E.</summary>
    public void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix)
    {
        var adapters = model.Sites.Linears.SelectMany(l => l.Adapters).OfType<AdaLoraAdapter>().ToList();
        if (adapters.FirstOrDefault()?.Schedule is { } s)
        {
            adapterConfig["total_step"] = s.TotalSteps;
            adapterConfig["tinit"] = s.InitWarmup;
            adapterConfig["tfinal"] = s.FinalWarmup;
        }
        if (!adapters.Any(a => a.Masked)) return;
        var pattern = new JsonObject();
        foreach (var a in adapters)
            pattern[$"{modulePrefix}.{a.Path}.lora_E"] = new JsonArray(a.Kept.Select(k => (JsonNode)k).ToArray());
        adapterConfig["rank_pattern"] = pattern;
    }

    public MethodConfig FromPeftConfig(JsonObject c)
    {
        var d = Defaults;
        var total = c["total_step"]?.GetValue<int>() ?? 0;
        double Fraction(string key, double fallback) => total > 0 && c[key] is { } v ? v.GetValue<double>() / total : fallback;
        return d with
        {
            InitRank = c["init_r"]?.GetValue<int>() ?? d.InitRank,
            TargetRank = c["target_r"]?.GetValue<int>() ?? d.TargetRank,
            Alpha = c["lora_alpha"]?.GetValue<double>() ?? d.Alpha,
            Dropout = c["lora_dropout"]?.GetValue<double>() ?? 0,
            Targets = c["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(),
            Beta1 = c["beta1"]?.GetValue<double>() ?? d.Beta1,
            Beta2 = c["beta2"]?.GetValue<double>() ?? d.Beta2,
            OrthRegWeight = c["orth_reg_weight"]?.GetValue<double>() ?? d.OrthRegWeight,
            DeltaT = c["deltaT"]?.GetValue<int>() ?? d.DeltaT,
            InitWarmup = Fraction("tinit", d.InitWarmup),
            FinalWarmup = Fraction("tfinal", d.FinalWarmup),
        };
    }

    /// <summary>
    /// The rank allocator (peft's RankAllocator + AdaLoraModel.update_and_allocate) and the orthogonal regulariser.
    /// Importance EMAs live here, one set per adapter, created on the first step.
    /// </summary>
    internal sealed class AdaLoraAttachment(AdaLoraConfig config, IReadOnlyList<AdaLoraAdapter> adapters) : MethodAttachment(config)
    {
        private int InitBudget => adapters.Count * config.InitRank;
        private int TargetBudget => adapters.Count * config.TargetRank;

        public override Tensor? AuxiliaryLoss()
        {
            if (config.OrthRegWeight == 0 || adapters.Count == 0) return null;
            Tensor? sum = null;
            foreach (var a in adapters)
            {
                var term = a.OrthogonalityPenalty();
                sum = sum is null ? term : sum + term;
            }
            return sum!.div(2 * adapters.Count).mul(config.OrthRegWeight);
        }

        public override void AfterOptimizerStep(int step, int totalSteps)
        {
            var (init, final) = WarmupSteps(config, totalSteps);
            var schedule = new AdaLoraSchedule(totalSteps, init, final);
            foreach (var a in adapters) a.Schedule = schedule;
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var finalStep = totalSteps - final;
            if (step < finalStep)
            {
                foreach (var a in adapters) a.UpdateImportance(config.Beta1, config.Beta2);
                var (budget, mask) = BudgetAt(step, totalSteps, InitBudget, TargetBudget, init, final, config.DeltaT);
                if (mask) MaskToBudget(budget);
            }
            else if (step == finalStep)
            {
                MaskToBudget(TargetBudget);
                foreach (var a in adapters) a.ResetImportance();
            }
            else
            {
                foreach (var a in adapters) a.ApplyMask();
            }
        }

        /// <summary>Zeroes λ for the init_budget − budget triplets of lowest importance (peft's mask_to_budget).</summary>
        internal void MaskToBudget(int budget)
        {
            var k = InitBudget - budget;
            if (k <= 0 || adapters.Any(a => !a.HasImportance)) return;
            var scores = adapters.Select(a => a.TripletScores()).ToList();
            var threshold = cat(scores, 0).kthvalue(k, 0, false).values.item<float>();
            for (var i = 0; i < adapters.Count; i++)
                adapters[i].KeepAbove(scores[i], threshold);
        }

        public override RankAllocationReport Report() => new(
            adapters.Sum(a => a.Rank * a.TripletSize),
            adapters.Sum(a => (long)config.InitRank * a.TripletSize),
            adapters.ToDictionary(a => a.Path, a => a.Rank));
    }
}

/// <summary>The steps the schedule ran with, kept for peft's adapter_config.json (tinit, tfinal, total_step).</summary>
public sealed record AdaLoraSchedule(int TotalSteps, int InitWarmup, int FinalWarmup);

/// <summary>P (lora_B), λ (lora_E, [r, 1]) and Q (lora_A) of one linear, the triplet mask and the importance EMAs.</summary>
public sealed class AdaLoraAdapter : LinearAdapter, IPeftAdapterTensors
{
    private readonly Dropout dropout;
    public Parameter lora_A, lora_E, lora_B;
    private readonly double scaling;
    private readonly Dictionary<string, (Tensor Average, Tensor Uncertainty)> importance = new();

    public string Path { get; }
    public long TripletSize { get; }
    /// <summary>Which triplets survive the masking so far (all, until the first mask).</summary>
    public bool[] Kept { get; private set; }
    public bool Masked { get; private set; }
    public int Rank => Kept.Count(k => k);
    public AdaLoraSchedule? Schedule { get; set; }

    public AdaLoraAdapter(AdaptableLinear host, AdaLoraConfig config, MethodContext context) : base(nameof(AdaLoraAdapter))
    {
        Path = host.Path;
        TripletSize = AdaLora.TripletSize(host);
        Kept = Enumerable.Repeat(true, config.InitRank).ToArray();
        // peft: scaling = lora_alpha / (ranknum + 1e-5), ranknum fixed at init_r.
        scaling = config.Alpha / (config.InitRank + 1e-5);
        dropout = nn.Dropout(config.Dropout);
        using (no_grad())
        {
            lora_A = new Parameter(context.Randn(config.InitRank, host.InFeatures).mul_(0.02));
            lora_E = new Parameter(zeros(config.InitRank, 1, device: context.Device));
            lora_B = new Parameter(context.Randn(host.OutFeatures, config.InitRank).mul_(0.02));
        }
        RegisterComponents();
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) =>
        baseOutput + F.linear(F.linear(dropout.call(input), lora_A * lora_E), lora_B).mul(scaling);

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => lora_B.mm(lora_A * lora_E).mul(scaling);

    /// <summary>‖QQᵀ − I‖_F + ‖PᵀP − I‖_F.</summary>
    public Tensor OrthogonalityPenalty()
    {
        var identity = eye(lora_A.shape[0], dtype: lora_A.dtype, device: lora_A.device);
        return (lora_A.mm(lora_A.t()) - identity).norm() + (lora_B.t().mm(lora_B) - identity).norm();
    }

    private IEnumerable<(string Name, Parameter P)> Factors() => new[] { ("A", lora_A), ("E", lora_E), ("B", lora_B) };

    internal bool HasImportance => importance.Count > 0;

    /// <summary>I = |w·∇w|, Ī ← β₁Ī + (1−β₁)I, Ū ← β₂Ū + (1−β₂)|I − Ī| for A, λ and B (peft's update_ipt).</summary>
    internal void UpdateImportance(double beta1, double beta2)
    {
        foreach (var (name, p) in Factors())
        {
            if (p.grad is not { } grad) continue;
            var ipt = (p.detach() * grad).abs();
            if (!importance.TryGetValue(name, out var state))
                state = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
            state.Average.mul_(beta1).add_(ipt, alpha: 1 - beta1);
            state.Uncertainty.mul_(beta2).add_((ipt - state.Average).abs(), alpha: 1 - beta2);
            importance[name] = state;
        }
    }

    internal void ResetImportance()
    {
        foreach (var (average, uncertainty) in importance.Values) { average.Dispose(); uncertainty.Dispose(); }
        importance.Clear();
    }

    /// <summary>S_i = s(λ_i) + mean_j s(Q_ij) + mean_k s(P_ki), s = Ī·Ū.</summary>
    internal Tensor TripletScores()
    {
        Tensor Score(string name) => importance[name].Average * importance[name].Uncertainty;
        return Score("E").view(-1) + Score("A").mean(new long[] { 1 }) + Score("B").mean(new long[] { 0 });
    }

    /// <summary>Keeps the triplets scoring above <paramref name="threshold"/>, zeroes λ for the rest.</summary>
    internal void KeepAbove(Tensor scores, float threshold)
    {
        Kept = scores.data<float>().Select(s => s > threshold).ToArray();
        Masked = true;
        ApplyMask();
    }

    /// <summary>λ_i = 0 for every triplet not kept (peft's mask_using_rank_pattern after the final allocation).</summary>
    internal void ApplyMask()
    {
        using var _ = no_grad();
        using var drop = tensor(Kept.Select(k => !k).ToArray(), device: lora_E.device).unsqueeze(1);
        lora_E.masked_fill_(drop, 0.0);
    }

    /// <summary>peft's keys (ParameterDicts, so no ".weight"), resized to the kept triplets once masking has run.</summary>
    public IReadOnlyDictionary<string, Tensor> ToPeft()
    {
        if (Kept.All(k => k))
            return new Dictionary<string, Tensor> { ["lora_A"] = lora_A, ["lora_B"] = lora_B, ["lora_E"] = lora_E };
        using var index = tensor(Enumerable.Range(0, Kept.Length).Where(i => Kept[i]).Select(i => (long)i).ToArray(), device: lora_A.device);
        return new Dictionary<string, Tensor>
        {
            ["lora_A"] = lora_A.detach().index_select(0, index),
            ["lora_B"] = lora_B.detach().index_select(1, index),
            ["lora_E"] = lora_E.detach().index_select(0, index),
        };
    }

    /// <summary>
    /// Loads full or resized (k ≤ init_r kept triplets) tensors. Resized ones fill the first k slots and the rest get
    /// λ = 0: the update Σ P_i λ_i Q_i does not depend on the order of its triplets.
    /// </summary>
    public void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var a = Saved(tensors, "lora_A");
        var b = Saved(tensors, "lora_B");
        var e = Saved(tensors, "lora_E");
        var r = lora_A.shape[0];
        var k = a.shape[0];
        if (k > r || b.ndim != 2 || b.shape[1] != k || e.shape[0] != k)
            throw new InvalidDataException($"{Path}: saved AdaLoRA triplets do not fit init_r = {r} (lora_A [{string.Join(", ", a.shape)}]).");
        using var _ = no_grad();
        if (k == r)
        {
            PeftAdapterCheckpoint.CopyInto(lora_A, a, "lora_A");
            PeftAdapterCheckpoint.CopyInto(lora_B, b, "lora_B");
            PeftAdapterCheckpoint.CopyInto(lora_E, e, "lora_E");
            return;
        }
        PeftAdapterCheckpoint.CopyInto(lora_A.narrow(0, 0, k), a, "lora_A");
        PeftAdapterCheckpoint.CopyInto(lora_B.narrow(1, 0, k), b, "lora_B");
        PeftAdapterCheckpoint.CopyInto(lora_E.narrow(0, 0, k), e, "lora_E");
        Kept = Enumerable.Range(0, (int)r).Select(i => i < k).ToArray();
        Masked = true;
        ApplyMask();
    }

    private static Tensor Saved(IReadOnlyDictionary<string, Tensor> tensors, string name) =>
        tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"the adapter folder has no '{name}' for this layer.");
}
