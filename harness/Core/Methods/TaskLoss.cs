using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Methods;

/// <summary>The loss every cell trains on, shared by the trainer and methods with their own estimation passes (LightPEFT).</summary>
public static class TaskLoss
{
    /// <summary>The label PyTorch's cross-entropy ignores (prompt tokens of a response-only loss, padding).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>
    /// MSE for regression, cross-entropy over classes, or, for a language-model head's logits [B, T, vocab] against
    /// next-token labels [B, T], the token-level cross-entropy averaged over the labelled tokens (<see cref="IgnoreIndex"/>
    /// skipped), as transformers' causal-LM loss.
    /// </summary>
    public static Tensor Of(Tensor output, Tensor labels, bool isRegression) =>
        isRegression ? F.mse_loss(output.squeeze(-1), labels)
        : output.dim() == 3 ? F.cross_entropy(output.flatten(0, 1), labels.flatten(), ignore_index: IgnoreIndex)
        : F.cross_entropy(output, labels);
}
