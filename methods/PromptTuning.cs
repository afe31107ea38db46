// Prompt tuning — Lester, Al-Rfou & Constant, "The Power of Scale for Parameter-Efficient Prompt Tuning",
// EMNLP 2021 (arXiv 2104.08691), Section 2: the input becomes [P; E(x)] with a trainable P ∈ ℝ^{l×d}, everything
// else frozen. For an encoder whose head reads position 0, P goes right after [CLS]: [e_CLS; P; E(x_{1..})]. The
// backbone then adds position and segment-0 embeddings to the virtual tokens, as huggingface/peft does.
// Init (Section 3.2 / 7): sampled vocabulary rows (peft's SAMPLE_VOCAB: l ids drawn uniformly with replacement
// from the frozen word-embedding matrix, seeded) or the paper's "random uniform" in [−0.5, 0.5] (our reading of §3.2,
// not checked against the authors' code; peft's RANDOM uses N(0, 1) instead). Trainable: l·d.

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

public enum PromptInit { SampleVocab, Random }

/// <summary>
/// Prompt-tuning settings. The prompt's learning rate is 3e-2: soft prompts need a far larger step than weights
/// (the paper uses Adafactor at 0.3). The head is a weight matrix and diverges at that rate under AdamW (one step
/// at 3e-2 already raises the loss on the test model), so it trains in its own group at
/// <see cref="HeadLearningRate"/>. The prompt must leave <see cref="ReservedInputTokens"/> positions for the
/// text; set it to the task's longest tokenized input.
/// </summary>
public sealed record PromptTuningConfig : MethodConfig
{
    public PromptTuningConfig() => LearningRate = 3e-2;

    public int PromptLength { get; init; } = 20;
    public PromptInit Init { get; init; } = PromptInit.SampleVocab;
    public int ReservedInputTokens { get; init; } = 32;
    public double HeadLearningRate { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (PromptLength < 1) yield return $"prompt_length must be at least 1 (got {PromptLength.ToString(CultureInfo.InvariantCulture)}).";
        if (ReservedInputTokens < 1) yield return $"reserved_input_tokens must be at least 1 (got {ReservedInputTokens.ToString(CultureInfo.InvariantCulture)}).";
        if (!(HeadLearningRate > 0) || double.IsInfinity(HeadLearningRate))
            yield return $"head_learning_rate must be a positive number (got {HeadLearningRate.ToString(CultureInfo.InvariantCulture)}).";
        if (!Enum.IsDefined(Init)) yield return $"init must be one of {string.Join(", ", Enum.GetNames<PromptInit>())}.";
    }
}

/// <summary>l trainable virtual tokens after [CLS]; the only trainable parameters besides the head.</summary>
public sealed class PromptTuning : PeftMethod<PromptTuningConfig>
{
    /// <summary>Name under the input site: the parameter is <c>bert.embeddings.input_site.prompt.embedding</c>.</summary>
    public const string AdapterName = "prompt";

    /// <summary>Hugging Face name of the word-embedding matrix that SAMPLE_VOCAB draws from.</summary>

    public override string Id => "prompt-tuning";
    public override int Version => 1;
    public override string Family => "prompt";
    public override string Citation => "Lester et al., EMNLP 2021 (prompt tuning): X' = [P; E(x)], P ∈ ℝ^{l×d} trained, model frozen.";
    public override string Description => "Inserts l trainable virtual token embeddings after [CLS]; init from sampled vocabulary rows.";
    public override PromptTuningConfig Defaults => new();
    public override Knob Knob => new("prompt_length", 1, 512);
    public override bool PreservesOutputAtInit => false;

    protected override PromptTuningConfig WithKnob(PromptTuningConfig config, int value) => config with { PromptLength = value };
    protected override int KnobValue(PromptTuningConfig config) => config.PromptLength;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.InputEmbeddings is { Kind: InputKind.Patches }
            ? "prompt tuning inserts virtual token embeddings initialised from a token-embedding table; this backbone reads image/spectrogram patches and has none (for patches: vpt-shallow, vpt-deep)."
            : null;

    /// <summary>At most the model's positions minus the reserve for text.</summary>
    protected override Knob? KnobFor(SiteRegistry sites, PromptTuningConfig config) =>
        sites.InputEmbeddings is { } site ? PromptRoom.Cap(Knob, PromptRoom.MaxLength(site, config.ReservedInputTokens)) : Knob with { Max = 0 };

    protected override IEnumerable<string> Validate(PromptTuningConfig config, SiteRegistry sites)
    {
        if (sites.InputEmbeddings is not { } site)
        {
            yield return $"{Id}: the backbone has no input-embedding site to insert a prompt into.";
            yield break;
        }
        foreach (var problem in PromptRoom.Problems(Id, "prompt_length", config.PromptLength, site, config.ReservedInputTokens)) yield return problem;
    }

    protected override long CountTrainable(SiteRegistry sites, PromptTuningConfig config) =>
        config.PromptLength * (sites.InputEmbeddings?.Width ?? 0);

    protected override MethodAttachment Apply(SequenceClassifier model, PromptTuningConfig config, MethodContext context)
    {
        var site = model.Sites.InputEmbeddings ?? throw new InvalidOperationException($"{Id}: the backbone has no input-embedding site.");
        model.FreezeAll();
        model.SetHeadTrainable(true);
        Tensor initial;
        using (no_grad())
        {
            if (config.Init == PromptInit.SampleVocab)
                initial = SampleVocabulary(model, config.PromptLength, context, Id);
            else
            {
                initial = context.Rand(config.PromptLength, site.Width).sub_(0.5);
            }
        }
        site.Attach(AdapterName, new SoftPrompt(initial));
        return new HeadRateAttachment(config, config.HeadLearningRate);
    }

    /// <summary>
    /// <paramref name="length"/> rows of the frozen word-embedding matrix, ids drawn uniformly with replacement from the
    /// cell's generator (peft's SAMPLE_VOCAB), as [length, d] on the context's device.
    /// </summary>
    public static Tensor SampleVocabulary(SequenceClassifier model, long length, MethodContext context, string methodId)
    {
        var vocabulary = model.Backbone.TokenEmbeddingWeight
            ?? throw new InvalidOperationException($"{methodId}: init sample_vocab needs a token-embedding table; {model.Backbone.ModelType} has none (use init=random_uniform).");
        using var _ = no_grad();
        // Drawn on the CPU generator, then moved: the same tokens on every device, meta included.
        using var ids = randint(0, vocabulary.shape[0], new long[] { length }, generator: context.Generator, dtype: ScalarType.Int64).to(vocabulary.device);
        // A shape-only build (meta device, `params`) has no vocabulary values to copy, and libtorch has no meta index_select.
        return vocabulary.device.type == DeviceType.META
            ? empty(new[] { length, vocabulary.shape[1] }, device: context.Device)
            : vocabulary.index_select(0, ids).to(context.Device);
    }
}

/// <summary>
/// Two learning-rate groups: the method's parameters at <c>learning_rate</c>, the head at its own rate. Prompts need
/// a far larger step than a weight matrix, which diverges at it (soft prompts, prefixes, visual prompts, gates).
/// <paramref name="savedParameters"/>: what a reparameterised method saves (its encoder's output), null otherwise.
/// </summary>
public sealed class HeadRateAttachment(MethodConfig config, double headLearningRate, long? savedParameters = null) : MethodAttachment(config)
{
    public override long? SavedParameters(SequenceClassifier model) => savedParameters;

    public override IEnumerable<(string Group, IReadOnlyList<Parameter> Parameters, double LearningRate)> ParameterGroups(SequenceClassifier model)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        yield return ("prompt", trainable.Where(p => model.OriginOf(p.name) != ParameterOrigin.Head).Select(p => p.parameter).ToList(), Config.LearningRate);
        yield return ("head", trainable.Where(p => model.OriginOf(p.name) == ParameterOrigin.Head).Select(p => p.parameter).ToList(), headLearningRate);
    }
}

/// <summary>Splices P between the first token and the rest, and marks its positions as attended.</summary>
public sealed class SoftPrompt : SplicedPrompt
{
    public Parameter embedding;

    public SoftPrompt(Tensor initial) : base(nameof(SoftPrompt))
    {
        embedding = new Parameter(initial);
        RegisterComponents();
    }

    public override long AddedPositions => embedding.shape[0];

    protected override Tensor Prompt() => embedding;
}

/// <summary>
/// Virtual tokens P ∈ ℝ^{l×d} spliced between the first position ([CLS], or the last special token of a patch
/// sequence) and the rest, their positions marked as attended. P comes from <see cref="Prompt"/>: a parameter (prompt
/// tuning, VPT) or an encoder's output (P-tuning).
/// </summary>
public abstract class SplicedPrompt : InputEmbeddingTransform
{
    protected SplicedPrompt(string name) : base(name) { }

    /// <summary>[l, d].</summary>
    protected abstract Tensor Prompt();

    public override (Tensor Embeddings, Tensor AttentionMask) Transform(Tensor embeddings, Tensor attentionMask)
    {
        long batch = embeddings.shape[0], length = embeddings.shape[1];
        var prompt = Prompt().to(embeddings.dtype).unsqueeze(0).expand(batch, -1, -1);
        var spliced = cat(new[] { embeddings.narrow(1, 0, 1), prompt, embeddings.narrow(1, 1, length - 1) }, 1);
        var promptMask = ones(batch, AddedPositions, dtype: attentionMask.dtype, device: attentionMask.device);
        var mask = cat(new[] { attentionMask.narrow(1, 0, 1), promptMask, attentionMask.narrow(1, 1, length - 1) }, 1);
        return (spliced, mask);
    }
}
