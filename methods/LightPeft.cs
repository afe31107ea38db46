// Light-PEFT — Gu et al., "Light-PEFT: Lightening Parameter-Efficient Fine-Tuning via Early Pruning", Findings of ACL
// 2024 (github.com/gccnlp/Light-PEFT), §3, as its released NLU code (scripts/estimate.sh, scripts/train.sh,
// NLU/trainer_base.py MaskTrainer, NLU/nlu_utils.py, peft/tuners/lora.py) does it. Two phases:
//   1. Estimation (early, short): LoRA on every target plus learnable scalar masks m on the attention heads (on each head's
//      context, i.e. the input of the attention output projection) and on the FFN intermediate neurons (the input of the
//      down projection), all initialised to 1, trained with  L = L_task + λ·(Σ|m_head| + Σ|m_ffn|), λ = 1e-4, the head
//      masks at 100× and the FFN masks at 50× the learning rate (MaskTrainer's attn/ffn_mask_lr_coef). Meanwhile, over
//      the second half of the estimation steps, it averages
//        module importance (peft_imp "p2"):  mean over non-padding tokens of ‖ΔW x‖₂ / ‖W₀x + b‖₂,
//        rank importance (first order):      |mean_j (A ⊙ ∂L/∂A)_{ij}| + |mean_k (B ⊙ ∂L/∂B)_{ki}| for rank i.
//   2. Pruning, then ordinary training: the heads and FFN neurons with the smallest (signed) mask values are pruned
//      (ratio 1/3 each: "Masked Early Pruning of the Foundation Model"); the LoRA modules with the smallest module
//      importance are removed (ratio 0.75) and each remaining module keeps its most important ranks (ratio 0.5:
//      "Multi-Granularity Early Pruning of PEFT"); the remaining LoRA parameters and the head then train as usual.
// Numbers: λ 1e-4, mask learning-rate scales 100/50, the four ratios 1/3, 1/3, 0.75, 0.5, r 8, α 16, LoRA dropout 0.05,
// targets query/key/value/attention output/FFN up/FFN down, and "second half of the steps" are the released scripts'
// (estimate.sh, train.sh, trainer_base.py, estimate.py process_peft_imp); of the paper we had only the abstract and
// summaries (the two methods' names, L1-masked heads/FFN dimensions, module pruning by an importance ratio, rank pruning
// by a first-order Taylor term; "trainable parameters 25% of the original PEFT"). Our readings [U]:
//  - SIMPLIFICATION (counts fixed before training): the released scripts rank FFN neurons, modules and ranks globally
//    across layers/modules; we prune the same ratios per block (heads and neurons of each layer), per role (modules:
//    the same share of the query, key … modules) and per module (ranks), so how many parameters train is fixed by the
//    config and the model, as the planner needs; which units go still comes from the estimation.
//  - SIMPLIFICATION (no compute saved): the paper slices the pruned heads and neurons out of the weights; here the
//    backbone keeps its shapes and the pruned units' columns of the attention output and FFN down projections are set
//    to zero, so they contribute nothing but still cost their FLOPs. The LoRA factors ARE sliced: A reads only the kept
//    heads/neurons of attention-output and down projections, and B writes only the kept head dimensions of the
//    query/key/value projections (when they have one row per head dimension, i.e. neither fused nor grouped-query)
//    and the kept neurons of the up/gate projections, so no trainable LoRA parameter touches a pruned unit.
//  - Estimation length: estimation_steps (32) AdamW steps on the cell's calibration examples (MethodContext
//    .LabelledCalibration, drawn from the cell seed), the learning rate decaying linearly to 0, with dropout off so the
//    estimate depends on the seed alone; the paper estimates for a small fraction of training (800 steps for SST-2).
//  - After pruning, LoRA restarts from its seeded initialisation (A's kept rows and columns of the same draw, B = 0) and
//    the head from its initial weights, as EarlyBERT's "draw, then train" restarts from the pretrained weights.
//  - Heads come from the key/value prefix sites, so grouped-query LLaMA backbones (fewer key/value heads than query
//    heads) are not applicable; GPT-2's fused c_attn keeps a full-width B (its rows are not one per head dimension).
//  - The estimation's cost is part of the cell's setup time, not of its per-step training time.
// Trainable parameters: Σ over roles (M − min(M − 1, round(0.75·M))) modules × r'·(kept d_in + kept d_out), M the role's
// modules, r' = r − round(0.5·r). Report(): the kept rank of every target (0 = module pruned) and, under
// "heads_kept:<attention output path>" and "neurons_kept:<FFN down path>", the heads and neurons each block kept; the
// saved (PeftBench-native) adapter holds the sliced factors, their index buffers and each block's keep masks.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>LoRA settings with the released scripts' defaults, plus the early-pruning ratios and the estimation phase.</summary>
public sealed record LightPeftConfig : LoraConfig
{
    public LightPeftConfig()
    {
        Alpha = 16;
        Dropout = 0.05;
        Targets = new[] { SiteRoles.Query, SiteRoles.Key, SiteRoles.Value, SiteRoles.AttentionOutput, SiteRoles.MlpUp, SiteRoles.MlpDown };
    }

    /// <summary>Share of each layer's attention heads pruned (train.sh attn_pruning_ratio).</summary>
    public double HeadPruningRatio { get; init; } = 1.0 / 3;
    /// <summary>Share of each layer's FFN intermediate neurons pruned (train.sh ffn_pruning_ratio).</summary>
    public double FfnPruningRatio { get; init; } = 1.0 / 3;
    /// <summary>Share of the LoRA modules of each role removed (train.sh module_pruning_ratio).</summary>
    public double ModulePruningRatio { get; init; } = 0.75;
    /// <summary>Share of the ranks removed from each remaining module (train.sh rank_pruning_ratio).</summary>
    public double RankPruningRatio { get; init; } = 0.5;
    /// <summary>λ of the L1 penalty on the masks (estimate.sh l1_loss_coef).</summary>
    public double L1Coefficient { get; init; } = 1e-4;
    /// <summary>Head masks' learning rate over the LoRA rate (MaskTrainer attn_mask_lr_coef).</summary>
    public double HeadMaskLearningRateScale { get; init; } = 100;
    /// <summary>FFN masks' learning rate over the LoRA rate (MaskTrainer ffn_mask_lr_coef).</summary>
    public double FfnMaskLearningRateScale { get; init; } = 50;
    /// <summary>AdamW steps of the estimation phase [U].</summary>
    public int EstimationSteps { get; init; } = 32;
    /// <summary>Calibration examples the estimation cycles through, in batches of 32 [U].</summary>
    public int EstimationExamples { get; init; } = 256;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        foreach (var (name, value) in new[] { ("head_pruning_ratio", HeadPruningRatio), ("ffn_pruning_ratio", FfnPruningRatio),
                     ("module_pruning_ratio", ModulePruningRatio), ("rank_pruning_ratio", RankPruningRatio) })
            if (!(value >= 0 && value < 1)) yield return $"{name} must be in [0, 1) (got {value.ToString(CultureInfo.InvariantCulture)}).";
        if (!(L1Coefficient >= 0) || double.IsInfinity(L1Coefficient)) yield return $"l1_coefficient must be a non-negative number (got {L1Coefficient.ToString(CultureInfo.InvariantCulture)}).";
        foreach (var (name, value) in new[] { ("head_mask_learning_rate_scale", HeadMaskLearningRateScale), ("ffn_mask_learning_rate_scale", FfnMaskLearningRateScale) })
            if (!(value > 0) || double.IsInfinity(value)) yield return $"{name} must be a positive number (got {value.ToString(CultureInfo.InvariantCulture)}).";
        if (EstimationSteps < 1) yield return $"estimation_steps must be at least 1 (got {EstimationSteps}).";
        if (EstimationExamples < 1) yield return $"estimation_examples must be at least 1 (got {EstimationExamples}).";
    }
}

/// <summary>
/// One transformer block as early pruning sees it: its attention output projection (input = the heads' contexts, head h
/// on columns [h·d_h, (h+1)·d_h)) and its FFN down projection (input = the intermediate neurons).
/// </summary>
public sealed record PrunableBlock(int Layer, AdaptableLinear AttentionOutput, long Heads, long HeadDim, AdaptableLinear FfnDown)
{
    public long Neurons => FfnDown.InFeatures;
}

/// <summary>Early pruning of heads, FFN neurons, LoRA modules and LoRA ranks, then LoRA on what is left.</summary>
public sealed class LightPeft : PeftMethod<LightPeftConfig>
{
    public const string AdapterName = LoraFamily<LoraConfig>.AdapterName;
    /// <summary>Name of the record of kept units attached to each block's attention output and FFN down projections.</summary>
    public const string UnitsName = "light_peft_units";

    public override string Id => "light-peft";
    public override int Version => 1;
    public override string Family => "selective";
    public override string Citation => "Gu et al., Findings of ACL 2024 (Light-PEFT): L1-masked early estimation; prune heads/FFN neurons by mask, LoRA modules by ‖ΔWx‖/‖Wx‖, ranks by |w·∂L/∂w|.";
    public override string Description => "Short masked estimation phase, then prunes 1/3 of heads and FFN neurons (zeroed, not sliced), 75% of the LoRA modules and half of each kept module's ranks, and trains the rest (per-layer/per-role ratios, a simplification).";
    public override LightPeftConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 256);
    public override bool PreservesOutputAtInit => false;
    public override bool CanMerge => true;

    protected override LightPeftConfig WithKnob(LightPeftConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(LightPeftConfig config) => config.Rank;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.InputEmbeddings is { Kind: InputKind.Patches }
            ? "this implementation's estimation pass averages module importance over a token batch's non-padding tokens (labelled calibration is text-only); image/spectrogram patch backbones are not supported yet."
        : Blocks(sites).Count == 0 ? "Light-PEFT prunes attention heads and FFN neurons; this backbone has no block with both an attention output projection over its heads and an FFN down projection." : null;

    protected override IEnumerable<string> Validate(LightPeftConfig config, SiteRegistry sites)
    {
        foreach (var problem in LoraFamily<LoraConfig>.TargetProblems(Id, config.Targets, sites)) yield return problem;
        var blocks = Blocks(sites);
        foreach (var group in sites.SelectLinears(config.Targets).GroupBy(l => l.Role))
        {
            var sizes = group.Select(l => Kept(l, blocks, config)).Distinct().ToList();
            if (sizes.Count > 1)
                yield return $"{Id}: the '{group.Key}' targets differ in size after pruning ({string.Join(", ", sizes.Select(s => $"{s.In}×{s.Out}"))}), so the count would depend on which modules the estimation keeps; target roles whose layers are alike.";
        }
    }

    protected override long CountTrainable(SiteRegistry sites, LightPeftConfig config)
    {
        var blocks = Blocks(sites);
        var rank = KeptRanks(config);
        return sites.SelectLinears(config.Targets).GroupBy(l => l.Role)
            .Sum(g => KeptModules(g.Count(), config) * rank * (Kept(g.First(), blocks, config).In + Kept(g.First(), blocks, config).Out));
    }

    /// <summary>Units pruned out of <paramref name="count"/> at <paramref name="ratio"/>; at least one always stays.</summary>
    public static int Pruned(long count, double ratio) => (int)Math.Min(count - 1, Math.Round(ratio * count, MidpointRounding.AwayFromZero));

    public static int KeptRanks(LightPeftConfig config) => config.Rank - Pruned(config.Rank, config.RankPruningRatio);

    public static int KeptModules(int modules, LightPeftConfig config) => modules - Pruned(modules, config.ModulePruningRatio);

    /// <summary>The blocks with a head layout (from the key/value prefix sites) and both projections pruning acts on.</summary>
    public static IReadOnlyList<PrunableBlock> Blocks(SiteRegistry sites)
    {
        var blocks = new List<PrunableBlock>();
        foreach (var site in sites.KeyValuePrefixes)
        {
            var output = sites.Linears.FirstOrDefault(l => l.LayerIndex == site.LayerIndex && l.Role == SiteRoles.AttentionOutput);
            var down = sites.Linears.FirstOrDefault(l => l.LayerIndex == site.LayerIndex && l.Role == SiteRoles.MlpDown);
            if (output is null || down is null || output.InFeatures != site.Heads * site.HeadDim) continue;
            blocks.Add(new PrunableBlock(site.LayerIndex, output, site.Heads, site.HeadDim, down));
        }
        return blocks;
    }

    /// <summary>What pruning does to one target's LoRA: which side is sliced by heads or neurons, in its block.</summary>
    private enum Slice { None, InputHeads, InputNeurons, OutputHeads, OutputNeurons }

    private static (Slice Slice, PrunableBlock? Block) SliceOf(AdaptableLinear linear, IReadOnlyList<PrunableBlock> blocks)
    {
        var block = blocks.FirstOrDefault(b => b.Layer == linear.LayerIndex);
        if (block is null || linear.Roles.Count != 1) return (Slice.None, null);
        return linear.Role switch
        {
            SiteRoles.AttentionOutput when linear == block.AttentionOutput => (Slice.InputHeads, block),
            SiteRoles.MlpDown when linear == block.FfnDown => (Slice.InputNeurons, block),
            SiteRoles.Query or SiteRoles.Key or SiteRoles.Value when linear.OutFeatures == block.Heads * block.HeadDim => (Slice.OutputHeads, block),
            SiteRoles.MlpUp or SiteRoles.MlpGate when linear.OutFeatures == block.Neurons => (Slice.OutputNeurons, block),
            _ => (Slice.None, block),
        };
    }

    /// <summary>A target's LoRA input and output widths once its block is pruned.</summary>
    private static (long In, long Out) Kept(AdaptableLinear linear, IReadOnlyList<PrunableBlock> blocks, LightPeftConfig config)
    {
        var (slice, block) = SliceOf(linear, blocks);
        long headDims = block is null ? 0 : Pruned(block.Heads, config.HeadPruningRatio) * block.HeadDim;
        long neurons = block is null ? 0 : Pruned(block.Neurons, config.FfnPruningRatio);
        return slice switch
        {
            Slice.InputHeads => (linear.InFeatures - headDims, linear.OutFeatures),
            Slice.InputNeurons => (linear.InFeatures - neurons, linear.OutFeatures),
            Slice.OutputHeads => (linear.InFeatures, linear.OutFeatures - headDims),
            Slice.OutputNeurons => (linear.InFeatures, linear.OutFeatures - neurons),
            _ => (linear.InFeatures, linear.OutFeatures),
        };
    }

    /// <summary>The estimation's outcome: mask values per block, importance per target (module) and per rank.</summary>
    public sealed record Estimate(IReadOnlyList<double[]> HeadMasks, IReadOnlyList<double[]> FfnMasks, double[] ModuleImportance, IReadOnlyList<double[]> RankImportance);

    /// <summary>The indices of the <paramref name="pruned"/> smallest scores (ties: the lower index goes first), ascending.</summary>
    public static int[] Smallest(IReadOnlyList<double> scores, int pruned) =>
        Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ThenBy(i => i).Take(pruned).Order().ToArray();

    /// <summary>The indices kept: all but <see cref="Smallest"/>, ascending.</summary>
    public static int[] Kept(IReadOnlyList<double> scores, int pruned)
    {
        var gone = Smallest(scores, pruned).ToHashSet();
        return Enumerable.Range(0, scores.Count).Where(i => !gone.Contains(i)).ToArray();
    }

    protected override MethodAttachment Apply(SequenceClassifier model, LightPeftConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var blocks = Blocks(model.Sites);
        var targets = model.Sites.SelectLinears(config.Targets);
        // Drawn once, in target order: the estimation starts from these A's and the kept LoRA restarts from their kept part.
        var initialA = targets.Select(t => LoraInit(config.Rank, t.InFeatures, context)).ToList();
        Estimate estimate;
        if (context.LabelledCalibration is null && context.Device.type == DeviceType.META)
            // Shape-only accounting (`params`): which units go needs data, how many does not.
            estimate = new Estimate(blocks.Select(b => new double[b.Heads]).ToList(), blocks.Select(b => new double[b.Neurons]).ToList(),
                new double[targets.Count], targets.Select(_ => new double[config.Rank]).ToList());
        else
        {
            var data = context.LabelledCalibration?.Invoke(config.EstimationExamples)
                ?? throw new InvalidOperationException("light-peft needs labelled calibration data (MethodContext.LabelledCalibration) for its estimation phase.");
            estimate = RunEstimation(model, config, blocks, targets, initialA, data);
        }
        var attachment = Prune(model, config, initialA, estimate, context.Device);
        // New modules start in training mode: put the adapters in the model's mode (dropout off in eval).
        model.train(model.training);
        return attachment;
    }

    /// <summary>kaiming_uniform_(a=√5) on [r, d_in], as LoRA's A.</summary>
    private static Tensor LoraInit(int rank, long inFeatures, MethodContext context)
    {
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using var _ = no_grad();
        return context.Rand(rank, inFeatures).mul_(2 * bound).sub_(bound).DetachFromDisposeScope();
    }

    /// <summary>
    /// The masked estimation phase: LoRA (from <paramref name="initialA"/>, B = 0) and the masks run through forward hooks,
    /// so nothing is registered on the model; the head trains too and is restored afterwards. Deterministic given the data.
    /// </summary>
    public static Estimate RunEstimation(SequenceClassifier model, LightPeftConfig config, IReadOnlyList<PrunableBlock> blocks,
        IReadOnlyList<AdaptableLinear> targets, IReadOnlyList<Tensor> initialA, LabelledCalibration data)
    {
        if (data.Batches.Count == 0) throw new InvalidOperationException("light-peft: the estimation phase got no calibration examples.");
        var device = model.Head.parameters().First().device;
        var headMasks = blocks.Select(b => new Parameter(ones(b.Heads, device: device))).ToList();
        var ffnMasks = blocks.Select(b => new Parameter(ones(b.Neurons, device: device))).ToList();
        var loraA = initialA.Select(a => new Parameter(a.detach().clone())).ToList();
        var loraB = targets.Select(t => new Parameter(zeros(t.OutFeatures, config.Rank, device: device))).ToList();
        var scaling = config.Alpha / config.Rank;
        var head = model.Head.parameters().Where(p => p.requires_grad).ToList();
        var headInit = head.Select(p => p.detach().clone()).ToList();
        var moduleImportance = new double[targets.Count];
        var rankImportance = targets.Select(_ => new double[config.Rank]).ToList();
        Tensor? attention = null;
        var record = false;
        var recorded = 0;

        Tensor? InputMask(AdaptableLinear linear)
        {
            var b = blocks.ToList().FindIndex(x => x.AttentionOutput == linear);
            if (b >= 0) return headMasks[b].unsqueeze(1).expand(blocks[b].Heads, blocks[b].HeadDim).reshape(-1);
            b = blocks.ToList().FindIndex(x => x.FfnDown == linear);
            return b >= 0 ? ffnMasks[b] : null;
        }

        var maskedOnly = blocks.SelectMany(b => new[] { b.AttentionOutput, b.FfnDown }).Where(l => !targets.Contains(l)).ToList();
        var handles = targets.Select((linear, i) => linear.register_forward_hook((_, input, output) =>
        {
            var x = input;
            var baseOutput = output;
            if (InputMask(linear) is { } mask)
            {
                x = input * mask;
                baseOutput = F.linear(x, linear.weight, linear.bias);
            }
            var update = F.linear(F.linear(x, loraA[i]), loraB[i]).mul(scaling);
            if (record)
                using (no_grad())
                    moduleImportance[i] += TokenMean(Norm(update) / Norm(baseOutput).clamp_min(1e-12), attention);
            return baseOutput + update;
        })).Concat(maskedOnly.Select(linear => linear.register_forward_hook((_, input, output) =>
            F.linear(input * InputMask(linear)!, linear.weight, linear.bias)))).ToList();

        var wasTraining = model.training;
        var rates = new[] { config.LearningRate, config.LearningRate * config.HeadMaskLearningRateScale, config.LearningRate * config.FfnMaskLearningRateScale };
        using var optimizer = optim.AdamW(new List<AdamW.ParamGroup>
        {
            new(loraA.Concat(loraB).Concat(head), lr: rates[0], weight_decay: 0.0),
            new(headMasks, lr: rates[1], weight_decay: 0.0),
            new(ffnMasks, lr: rates[2], weight_decay: 0.0),
        });
        try
        {
            // Dropout off: the estimate is a function of the seed and the data alone.
            model.eval();
            for (var step = 0; step < config.EstimationSteps; step++)
            {
                using var scope = NewDisposeScope();
                // estimate.py's process_peft_imp averages the importance over the second half of the steps.
                record = step >= config.EstimationSteps / 2;
                var groups = optimizer.ParamGroups.ToList();
                var decay = (double)(config.EstimationSteps - step) / config.EstimationSteps;
                for (var g = 0; g < groups.Count; g++) groups[g].LearningRate = rates[g] * decay;
                var (batch, labels) = data.Batches[step % data.Batches.Count];
                attention = batch.AttentionMask;
                optimizer.zero_grad();
                var output = model.call(batch);
                var taskLoss = TaskLoss.Of(output, labels, data.IsRegression);
                var loss = taskLoss + config.L1Coefficient * MaskL1(headMasks.Concat(ffnMasks));
                loss.backward();
                if (record)
                {
                    recorded++;
                    using var _ = no_grad();
                    for (var i = 0; i < targets.Count; i++)
                    {
                        var score = (loraA[i] * loraA[i].grad!).mean(new long[] { 1 }).abs() + (loraB[i] * loraB[i].grad!).mean(new long[] { 0 }).abs();
                        var values = score.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
                        for (var r = 0; r < values.Length; r++) rankImportance[i][r] += double.IsFinite(values[r]) ? values[r] : 0;
                    }
                }
                optimizer.step();
                attention = null;
            }
        }
        finally
        {
            foreach (var h in handles) h.remove();
            using (no_grad())
                for (var p = 0; p < head.Count; p++) head[p].copy_(headInit[p]);
            foreach (var p in head) p.grad = null;
            if (wasTraining) model.train();
        }
        var n = Math.Max(1, recorded);
        var estimate = new Estimate(
            headMasks.Select(Values).ToList(), ffnMasks.Select(Values).ToList(),
            moduleImportance.Select(v => double.IsFinite(v) ? v / n : 0).ToArray(),
            rankImportance.Select(r => r.Select(v => v / n).ToArray()).ToList());
        foreach (var t in headMasks.Concat(ffnMasks).Concat(loraA).Concat(loraB).Concat(headInit)) t.Dispose();
        return estimate;
    }

    /// <summary>Σ|m| over every mask, the penalty's sum.</summary>
    public static Tensor MaskL1(IEnumerable<Tensor> masks) => masks.Select(m => m.abs().sum()).Aggregate((a, b) => a + b);

    private static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    /// <summary>‖v‖₂ over the last dimension.</summary>
    private static Tensor Norm(Tensor v) => v.pow(2).sum(new long[] { -1 }).sqrt();

    /// <summary>Mean of a [batch, tokens] score over the non-padding tokens (over all when the shapes differ).</summary>
    private static double TokenMean(Tensor score, Tensor? attention)
    {
        if (attention is not null && score.dim() == 2 && score.shape.SequenceEqual(attention.shape))
        {
            var mask = attention.to_type(ScalarType.Float64);
            return (score.to_type(ScalarType.Float64) * mask).sum().item<double>() / Math.Max(1.0, mask.sum().item<double>());
        }
        return score.to_type(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>
    /// Applies <paramref name="estimate"/> to a frozen model: zeroes the pruned units' columns, attaches the kept-unit records
    /// and the pruned LoRA (A from the kept rows and columns of <paramref name="initialA"/>, one per target, which it disposes).
    /// </summary>
    public MethodAttachment Prune(SequenceClassifier model, LightPeftConfig config, IReadOnlyList<Tensor> initialA, Estimate estimate, Device device)
    {
        var blocks = Blocks(model.Sites);
        var targets = model.Sites.SelectLinears(config.Targets);
        var keptHeads = new Dictionary<int, int[]>();
        var keptNeurons = new Dictionary<int, int[]>();
        for (var b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            keptHeads[block.Layer] = Kept(estimate.HeadMasks[b], Pruned(block.Heads, config.HeadPruningRatio));
            keptNeurons[block.Layer] = Kept(estimate.FfnMasks[b], Pruned(block.Neurons, config.FfnPruningRatio));
            var headColumns = HeadColumns(keptHeads[block.Layer], block.HeadDim);
            block.AttentionOutput.Attach(UnitsName, new KeptUnits(KeepMask(block.AttentionOutput.InFeatures, headColumns, device)));
            block.FfnDown.Attach(UnitsName, new KeptUnits(KeepMask(block.Neurons, keptNeurons[block.Layer], device)));
            if (device.type == DeviceType.META) continue;
            using var _ = no_grad();
            ZeroColumnsOutside(block.AttentionOutput.weight, headColumns);
            ZeroColumnsOutside(block.FfnDown.weight, keptNeurons[block.Layer]);
        }

        var rank = KeptRanks(config);
        var ranks = new Dictionary<string, int>();
        foreach (var group in targets.Select((t, i) => (t, i)).GroupBy(x => x.t.Role))
        {
            var members = group.ToList();
            var keptModules = Kept(members.Select(m => estimate.ModuleImportance[m.i]).ToList(), members.Count - KeptModules(members.Count, config))
                .Select(k => members[k].i).ToHashSet();
            foreach (var (linear, i) in members)
            {
                if (!keptModules.Contains(i)) { ranks[linear.Path] = 0; continue; }
                var keptRanks = Kept(estimate.RankImportance[i], config.Rank - rank);
                var (slice, block) = SliceOf(linear, blocks);
                int[]? inputs = slice switch
                {
                    Slice.InputHeads => HeadColumns(keptHeads[block!.Layer], block.HeadDim),
                    Slice.InputNeurons => keptNeurons[block!.Layer],
                    _ => null,
                };
                int[]? outputs = slice switch
                {
                    Slice.OutputHeads => HeadColumns(keptHeads[block!.Layer], block.HeadDim),
                    Slice.OutputNeurons => keptNeurons[block!.Layer],
                    _ => null,
                };
                using var scope = NewDisposeScope();
                Tensor a;
                if (device.type == DeviceType.META)
                    // Shape-only: meta tensors have no index_select; the shape is all `params` reads.
                    a = empty(rank, inputs?.Length ?? linear.InFeatures, device: device);
                else
                {
                    a = initialA[i].index_select(0, tensor(keptRanks.Select(r => (long)r).ToArray(), device: initialA[i].device));
                    if (inputs is not null) a = a.index_select(1, tensor(inputs.Select(c => (long)c).ToArray(), device: a.device));
                }
                var b = zeros(outputs?.Length ?? linear.OutFeatures, rank, device: device);
                linear.Attach(AdapterName, new SlicedLoraAdapter(a, b, inputs, outputs, config.Alpha / config.Rank, config.Dropout, device));
                ranks[linear.Path] = rank;
            }
        }
        foreach (var a in initialA) a.Dispose();
        foreach (var block in blocks)
        {
            ranks[$"heads_kept:{block.AttentionOutput.Path}"] = keptHeads[block.Layer].Length;
            ranks[$"neurons_kept:{block.FfnDown.Path}"] = keptNeurons[block.Layer].Length;
        }
        return new LightPeftAttachment(config, CountTrainable(model.Sites, config), ranks);
    }

    /// <summary>The input columns of the kept heads, ascending.</summary>
    public static int[] HeadColumns(IEnumerable<int> heads, long headDim) =>
        heads.SelectMany(h => Enumerable.Range((int)(h * headDim), (int)headDim)).ToArray();

    private static Tensor KeepMask(long width, IReadOnlyList<int> kept, Device device)
    {
        var mask = new float[width];
        foreach (var k in kept) mask[k] = 1;
        return tensor(mask, device: device);
    }

    private static void ZeroColumnsOutside(Tensor weight, IReadOnlyList<int> kept)
    {
        var keep = kept.ToHashSet();
        var pruned = Enumerable.Range(0, (int)weight.shape[1]).Where(c => !keep.Contains(c)).Select(c => (long)c).ToArray();
        if (pruned.Length == 0) return;
        using var index = tensor(pruned, device: weight.device);
        weight.index_fill_(1, index, 0);
    }

    /// <summary>The kept LoRA ranks per target (0: module pruned) and the kept heads / neurons per block.</summary>
    private sealed class LightPeftAttachment(LightPeftConfig config, long trainable, IReadOnlyDictionary<string, int> ranks) : MethodAttachment(config)
    {
        public override RankAllocationReport Report() => new(trainable, trainable, ranks);
    }
}

/// <summary>
/// The record of which input units (head dimensions or FFN neurons) of a pruned projection were kept, saved with the
/// adapter. The pruning itself is in the host's weight (the pruned columns are zero), so the output passes unchanged.
/// </summary>
public sealed class KeptUnits : LinearAdapter
{
    public Tensor keep;

    public KeptUnits(Tensor keep) : base(nameof(KeptUnits))
    {
        this.keep = keep.DetachFromDisposeScope();
        register_buffer("keep", this.keep);
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host) => baseOutput;

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host) => zeros_like(host.weight);
}

/// <summary>
/// LoRA whose factors cover only the kept units: A reads the kept input columns, B writes the kept output rows
/// (either may be all). Update: ΔW = s · B_full A_full with zero rows/columns elsewhere; s = α / r of the unpruned rank.
/// </summary>
public sealed class SlicedLoraAdapter : LinearAdapter
{
    private readonly Dropout dropout;
    public Parameter lora_A;
    public Parameter lora_B;
    private readonly Tensor? inputIndex;
    private readonly Tensor? outputIndex;
    private readonly double scaling;

    public SlicedLoraAdapter(Tensor a, Tensor b, IReadOnlyList<int>? inputs, IReadOnlyList<int>? outputs, double scaling, double dropoutProbability, Device device)
        : base(nameof(SlicedLoraAdapter))
    {
        this.scaling = scaling;
        dropout = nn.Dropout(dropoutProbability);
        register_module("dropout", dropout);
        lora_A = new Parameter(a.detach().clone().to(device));
        lora_A.DetachFromDisposeScope();
        register_parameter("lora_A", lora_A);
        lora_B = new Parameter(b.detach().clone().to(device));
        lora_B.DetachFromDisposeScope();
        register_parameter("lora_B", lora_B);
        if (inputs is not null)
        {
            inputIndex = tensor(inputs.Select(i => (long)i).ToArray(), device: device).DetachFromDisposeScope();
            register_buffer("input_index", inputIndex);
        }
        if (outputs is not null)
        {
            outputIndex = tensor(outputs.Select(i => (long)i).ToArray(), device: device).DetachFromDisposeScope();
            register_buffer("output_index", outputIndex);
        }
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        var x = inputIndex is null ? input : input.index_select(-1, inputIndex);
        var update = F.linear(F.linear(dropout.call(x), lora_A), lora_B).mul(scaling);
        return outputIndex is null ? baseOutput + update : baseOutput.index_add(baseOutput.dim() - 1, outputIndex, update, 1.0);
    }

    public override bool CanMerge => true;

    public override Tensor DeltaWeight(AdaptableLinear host)
    {
        var a = inputIndex is null ? lora_A : zeros(lora_A.shape[0], host.InFeatures, dtype: lora_A.dtype, device: lora_A.device).index_copy(1, inputIndex, lora_A);
        var b = outputIndex is null ? lora_B : zeros(host.OutFeatures, lora_B.shape[1], dtype: lora_B.dtype, device: lora_B.device).index_copy(0, outputIndex, lora_B);
        return b.mm(a).mul(scaling);
    }
}
