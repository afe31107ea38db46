// LoRA+ — Hayou, Ghosh & Yu, "LoRA+: Efficient Low Rank Adaptation of Large Models", ICML 2024 (arXiv 2402.12354):
//     the LoRA model h = W₀x + (α/r)·B A x trained with η_B = λ·η_A, λ ≫ 1.
// With one learning rate, feature learning is inefficient in the width limit because A and B need different
// step sizes; the paper suggests λ = 2⁴. peft's create_loraplus_optimizer puts lora_B in a group at lr·λ
// (loraplus_lr_ratio, default 16) and everything else (A, modules_to_save such as the head) at lr; we do the
// same through MethodAttachment.ParameterGroups. (peft's separate embedding lr does not apply: no LoRA on embeddings.)

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp.Modules;

namespace PeftBench.Methods;

/// <summary>LoRA settings plus peft's <c>loraplus_lr_ratio</c> λ: B trains at λ·learning_rate.</summary>
public sealed record LoraPlusConfig : LoraConfig
{
    public double LoraplusLrRatio { get; init; } = 16;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (!(LoraplusLrRatio > 0) || double.IsInfinity(LoraplusLrRatio))
            yield return $"loraplus_lr_ratio must be a positive number (got {LoraplusLrRatio.ToString(CultureInfo.InvariantCulture)}).";
    }
}

/// <summary>LoRA with a λ-times larger learning rate for B.</summary>
public sealed class LoraPlus : LoraFamily<LoraPlusConfig>
{
    public override string Id => "lora-plus";
    public override int Version => 1;
    public override string Citation => "Hayou et al., ICML 2024 (LoRA+): LoRA trained with lr_B = λ·lr_A, λ = 16.";
    public override string Description => "LoRA with B trained at loraplus_lr_ratio (16) times the learning rate of A and the head; mergeable.";
    public override LoraPlusConfig Defaults => new();

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, LoraPlusConfig config, MethodContext context) =>
        new LoraAdapter(linear.InFeatures, linear.OutFeatures, config, context);

    protected override MethodAttachment Attachment(LoraPlusConfig config) => new LoraPlusAttachment(config);

    private sealed class LoraPlusAttachment(LoraPlusConfig config) : MethodAttachment(config)
    {
        public override IEnumerable<(string Group, IReadOnlyList<Parameter> Parameters, double LearningRate)> ParameterGroups(SequenceClassifier model)
        {
            var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
            bool IsB(string name) => name.EndsWith($".{AdapterName}.lora_B", StringComparison.Ordinal);
            yield return ("lora_B", trainable.Where(p => IsB(p.name)).Select(p => p.parameter).ToList(), config.LearningRate * config.LoraplusLrRatio);
            yield return ("other", trainable.Where(p => !IsB(p.name)).Select(p => p.parameter).ToList(), config.LearningRate);
        }
    }
}
