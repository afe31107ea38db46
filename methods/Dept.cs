// DePT — Shi & Lipani, "DePT: Decomposed Prompt Tuning for Parameter-Efficient Fine-tuning", ICLR 2024
// (arXiv 2309.05173), §2: a prompt of length l is decomposed into a shorter prompt P ∈ ℝ^{m×d} and a low-rank update
// of the frozen input embeddings, position by position,
//     E'(x) = E(x) + (α/√r) · A B,   A ∈ ℝ^{s×r}, B ∈ ℝ^{r×d},   X' = [P; E'(x)],
// s being the maximum input length, trained with two learning rates (prompt ≫ low-rank). As the release
// (peft/tuners/prompt_tuning_lora.py): A Kaiming-uniform (a = √5), B = 0 (so E' = E at init), α = 8. The release pads
// every input to s; here row t of A B updates position t of the text (t < s), and s defaults to the model's positions
// left after the prompt. P is inserted after [CLS] and initialised from sampled vocabulary rows, as prompt tuning here
// (the release prepends it, RANDOM or TEXT init). Defaults: m = 12, r = 4 — on tiny-bert (s = 116, d = 128) 2,512
// parameters, the budget of prompt tuning's 20 × 128, in the paper's 60 : 100 ratio of prompt lengths; prompt lr 3e-2
// (prompt tuning's here), low-rank lr 5e-4 (the release's grid, 60× below). Trainable: m·d + s·r + r·d.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>DePT settings: prompt length m, rank r, s (0 = the positions left after the prompt), α, and three learning rates.</summary>
public sealed record DeptConfig : MethodConfig
{
    public DeptConfig() => LearningRate = 3e-2;

    public int PromptLength { get; init; } = 12;
    public int Rank { get; init; } = 4;
    /// <summary>s, the positions the low-rank update covers; 0 = the model's positions minus the prompt.</summary>
    public int MaxLength { get; init; }
    public double Alpha { get; init; } = 8;
    public double LowRankLearningRate { get; init; } = 5e-4;
    public int ReservedInputTokens { get; init; } = 32;
    public double HeadLearningRate { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (PromptLength < 1) yield return $"prompt_length must be at least 1 (got {PromptLength.ToString(inv)}).";
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank.ToString(inv)}).";
        if (MaxLength < 0) yield return $"max_length must be 0 (the model's positions after the prompt) or positive (got {MaxLength.ToString(inv)}).";
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) yield return $"alpha must be a positive number (got {Alpha.ToString(inv)}).";
        if (ReservedInputTokens < 1) yield return $"reserved_input_tokens must be at least 1 (got {ReservedInputTokens.ToString(inv)}).";
        foreach (var (name, rate) in new[] { ("low_rank_learning_rate", LowRankLearningRate), ("head_learning_rate", HeadLearningRate) })
            if (!(rate > 0) || double.IsInfinity(rate)) yield return $"{name} must be a positive number (got {rate.ToString(inv)}).";
    }

    /// <summary>s for an input site.</summary>
    public long Positions(InputEmbeddingSite site) => MaxLength > 0 ? MaxLength : (long)site.MaxSequenceLength - PromptLength;
}

/// <summary>A short soft prompt plus a low-rank, position-wise update of the frozen token embeddings.</summary>
public sealed class Dept : PeftMethod<DeptConfig>
{
    public const string AdapterName = "dept";

    public override string Id => "dept";
    public override int Version => 1;
    public override string Family => "prompt";
    public override string Citation => "Shi & Lipani, ICLR 2024 (DePT): X' = [P; E(x) + (α/√r)·A B], P ∈ ℝ^{m×d}, A ∈ ℝ^{s×r}, B ∈ ℝ^{r×d} (B = 0).";
    public override string Description => "12 soft-prompt vectors after [CLS] plus a rank-4 position-wise update A·B of the input embeddings (B = 0), prompt and update at two learning rates.";
    public override DeptConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 1024);
    public override bool PreservesOutputAtInit => false;

    protected override DeptConfig WithKnob(DeptConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(DeptConfig config) => config.Rank;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.InputEmbeddings is { Kind: InputKind.Tokens, MaxSequenceLength: < int.MaxValue }
            ? null
            : "DePT updates token embeddings position by position up to a maximum text length; this backbone has no token input with a position limit (for patches: vpt-shallow).";

    protected override IEnumerable<string> Validate(DeptConfig config, SiteRegistry sites)
    {
        if (sites.InputEmbeddings is not { } site) yield break;
        foreach (var problem in PromptRoom.Problems(Id, "prompt_length", config.PromptLength, site, config.ReservedInputTokens)) yield return problem;
        if (config.Positions(site) > site.MaxSequenceLength - config.PromptLength)
            yield return $"{Id}: max_length {config.MaxLength} exceeds the {site.MaxSequenceLength - config.PromptLength} positions left after the prompt.";
    }

    protected override long CountTrainable(SiteRegistry sites, DeptConfig config)
    {
        if (sites.InputEmbeddings is not { } site) return 0;
        return config.PromptLength * site.Width + config.Positions(site) * config.Rank + config.Rank * site.Width;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, DeptConfig config, MethodContext context)
    {
        var site = model.Sites.InputEmbeddings!;
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var prompt = PromptTuning.SampleVocabulary(model, config.PromptLength, context, Id);
        site.Attach(AdapterName, new DecomposedPrompt(prompt, config, config.Positions(site), context));
        return new DeptAttachment(config);
    }
}

/// <summary>Three groups: the prompt at <c>learning_rate</c>, A and B at <c>low_rank_learning_rate</c>, the head at its own rate.</summary>
public sealed class DeptAttachment(DeptConfig config) : MethodAttachment(config)
{
    public override IEnumerable<(string Group, IReadOnlyList<Parameter> Parameters, double LearningRate)> ParameterGroups(SequenceClassifier model)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        bool LowRank(string name) => name.EndsWith(".lora_embedding_A", StringComparison.Ordinal) || name.EndsWith(".lora_embedding_B", StringComparison.Ordinal);
        yield return ("prompt", trainable.Where(p => model.OriginOf(p.name) == ParameterOrigin.Adapter && !LowRank(p.name)).Select(p => p.parameter).ToList(), config.LearningRate);
        yield return ("low-rank", trainable.Where(p => LowRank(p.name)).Select(p => p.parameter).ToList(), config.LowRankLearningRate);
        yield return ("head", trainable.Where(p => model.OriginOf(p.name) == ParameterOrigin.Head).Select(p => p.parameter).ToList(), config.HeadLearningRate);
    }
}

/// <summary>E(x) + (α/√r)·(A B)[:T], then P spliced after the first position (the release's parameter names).</summary>
public sealed class DecomposedPrompt : InputEmbeddingTransform
{
    private readonly SoftPrompt prompt;
    public Parameter lora_embedding_A;
    public Parameter lora_embedding_B;
    private readonly double scaling;

    public DecomposedPrompt(Tensor initialPrompt, DeptConfig config, long positions, MethodContext context) : base(nameof(DecomposedPrompt))
    {
        var width = initialPrompt.shape[1];
        // The parameter takes over the initial tensor's handle: read its width first.
        prompt = new SoftPrompt(initialPrompt);
        lora_embedding_A = new Parameter(KaimingUniform.Draw(positions, config.Rank, context));
        lora_embedding_B = new Parameter(zeros(config.Rank, width, device: context.Device));
        scaling = config.Alpha / Math.Sqrt(config.Rank);
        RegisterComponents();
    }

    public override long AddedPositions => prompt.AddedPositions;

    public override (Tensor Embeddings, Tensor AttentionMask) Transform(Tensor embeddings, Tensor attentionMask)
    {
        long length = embeddings.shape[1], positions = lora_embedding_A.shape[0];
        if (length > positions)
            throw new ArgumentException($"dept: the input has {length} positions but the low-rank update covers {positions} (max_length).");
        var update = lora_embedding_A.narrow(0, 0, length).mm(lora_embedding_B).mul(scaling).to_type(embeddings.dtype);
        return prompt.Transform(embeddings + update.unsqueeze(0), attentionMask);
    }
}
