// VPT-shallow — Jia, Tang, Chen, Cardie, Belongie, Hariharan & Lim, "Visual Prompt Tuning", ECCV 2022
// (arXiv 2203.12119), §3.2 eq. (4)–(6): p learnable prompt tokens enter the first layer between [CLS] and the patches,
//     [x_1, Z_1, E_1] = L_1([x_0, P, E_0]),   [x_i, Z_i, E_i] = L_i([x_{i−1}, Z_{i−1}, E_{i−1}]),   P ∈ ℝ^{p×d},
// after the position embeddings (prompts have no position), with the transformer frozen and the head trained. As the
// release: P ~ U(−v, v), v = √(6 / (C·patch² + d)) (Xavier-uniform over the patch projection's fan-in), prompt
// dropout (PROMPT.DROPOUT, 0 by default). On AST the prompts follow CLS and the distillation token. Patch
// sequences only: on a text backbone use prompt-tuning or P-tuning. Trainable: p·d (+ head).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>
/// VPT settings: p = 10 prompts (VPT sweeps 1–200), no prompt dropout, lr 1e-2 for the prompts (a prompt-sized step
/// under AdamW; the release's SGD rates are not transferable) with the head at 1e-3.
/// </summary>
public sealed record VptConfig : MethodConfig
{
    public VptConfig() => LearningRate = 1e-2;

    public int PromptLength { get; init; } = 10;
    public double Dropout { get; init; }
    public double HeadLearningRate { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (PromptLength < 1) yield return $"prompt_length must be at least 1 (got {PromptLength.ToString(inv)}).";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout.ToString(inv)}).";
        if (!(HeadLearningRate > 0) || double.IsInfinity(HeadLearningRate))
            yield return $"head_learning_rate must be a positive number (got {HeadLearningRate.ToString(inv)}).";
    }
}

/// <summary>Visual prompts at the input of the first layer only.</summary>
public sealed class VptShallow : VptFamily
{
    public override string Id => "vpt-shallow";
    public override string Citation => "Jia et al., ECCV 2022 (VPT-shallow): Z₀ = [x_cls; P; E(x)], P ∈ ℝ^{p×d} trained, ViT frozen.";
    public override string Description => "10 learnable prompt tokens inserted after CLS at the input of a ViT/AST (patch sequences only).";

    protected override int PromptedLayers(SiteRegistry sites) => 1;
}

/// <summary>
/// What the VPT variants share: patch backbones only, the prompt-length knob, prompts of <see cref="PromptedLayers"/>
/// layers (the first at the input site, the rest replacing the prompt positions of the previous block's output).
/// </summary>
public abstract class VptFamily : PeftMethod<VptConfig>
{
    public const string AdapterName = "vpt";

    public override int Version => 1;
    public override string Family => "prompt";
    public override VptConfig Defaults => new();
    public override Knob Knob => new("prompt_length", 1, 512);
    public override bool PreservesOutputAtInit => false;

    protected override VptConfig WithKnob(VptConfig config, int value) => config with { PromptLength = value };
    protected override int KnobValue(VptConfig config) => config.PromptLength;

    /// <summary>Layers that get their own prompts: 1 (shallow) or every layer (deep).</summary>
    protected abstract int PromptedLayers(SiteRegistry sites);

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.InputEmbeddings is { Kind: InputKind.Patches }
            ? null
            : "visual prompts go into a sequence of image or spectrogram patches (ViT, AST); this backbone reads tokens (for text: prompt-tuning, p-tuning).";

    protected override long CountTrainable(SiteRegistry sites, VptConfig config) =>
        (long)PromptedLayers(sites) * config.PromptLength * (sites.InputEmbeddings?.Width ?? 0);

    protected override MethodAttachment Apply(SequenceClassifier model, VptConfig config, MethodContext context)
    {
        var site = model.Sites.InputEmbeddings!;
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var bound = XavierBound(model.Backbone, site.Width);
        Tensor Draw()
        {
            using var _ = no_grad();
            return context.Rand(config.PromptLength, site.Width).mul_(2 * bound).sub_(bound);
        }
        site.Attach(AdapterName, new VisualPrompt(Draw(), config.Dropout));
        // Deep: before block i (i ≥ 1), block i − 1's output has its prompt positions replaced by P_i.
        foreach (var hidden in model.Sites.HiddenStates.Where(h => h.LayerIndex < PromptedLayers(model.Sites) - 1))
            hidden.Attach(AdapterName, new DeepPrompt(Draw(), site.LeadingTokens, config.Dropout));
        return new HeadRateAttachment(config, config.HeadLearningRate);
    }

    /// <summary>The release's v = √(6 / (C·patch² + d)): Xavier-uniform with the patch projection's fan-in.</summary>
    private static double XavierBound(Backbone backbone, long width)
    {
        var (channels, patch) = backbone switch
        {
            VitModel vit => (vit.Config.NumChannels, vit.Config.PatchSize),
            AstModel ast => (1, ast.Config.PatchSize),
            _ => (3, 16),
        };
        return Math.Sqrt(6.0 / (channels * patch * patch + width));
    }
}

/// <summary>P spliced after the special tokens (the input site hands the sequence from the last of them), with prompt dropout.</summary>
public sealed class VisualPrompt : SplicedPrompt
{
    public Parameter prompt_embeddings;
    private readonly double dropout;

    public VisualPrompt(Tensor initial, double dropout) : base(nameof(VisualPrompt))
    {
        prompt_embeddings = new Parameter(initial);
        this.dropout = dropout;
        RegisterComponents();
    }

    public override long AddedPositions => prompt_embeddings.shape[0];

    protected override Tensor Prompt() => F.dropout(prompt_embeddings, dropout, training);
}

/// <summary>VPT-deep's P_i: overwrites positions [s, s + p) of a block's output (s = special tokens) before the next block.</summary>
public sealed class DeepPrompt : HiddenStateIntervention
{
    public Parameter deep_prompt_embeddings;
    private readonly long leading;
    private readonly double dropout;

    public DeepPrompt(Tensor initial, long leadingTokens, double dropout) : base(nameof(DeepPrompt))
    {
        deep_prompt_embeddings = new Parameter(initial);
        leading = leadingTokens;
        this.dropout = dropout;
        RegisterComponents();
    }

    public override Tensor Intervene(Tensor hidden, Tensor? tokenMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1], p = deep_prompt_embeddings.shape[0];
        var prompt = F.dropout(deep_prompt_embeddings, dropout, training).to_type(hidden.dtype).unsqueeze(0).expand(batch, -1, -1);
        return cat(new[] { hidden.narrow(1, 0, leading), prompt, hidden.narrow(1, leading + p, length - leading - p) }, 1);
    }
}
