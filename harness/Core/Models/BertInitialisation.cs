using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face's <c>BertPreTrainedModel._init_weights</c>: N(0, 0.02) weights and embeddings, zero biases, unit
/// LayerNorms. Used before pretraining, and for the random-init control backbone (<c>tiny-bert:random-init</c>)
/// that shows how much pretraining contributes. Draws from libtorch's global generator, which callers seed.
/// LayerNorms are found by name in either spelling (BERT's <c>LayerNorm</c>, ViT/AST's <c>layernorm*</c>), so the
/// same init serves ViT (whose <c>_init_weights</c> is this with a truncated normal cut at ±2, i.e. ±100σ) and the
/// masked-patch pretraining of ViT and AST.
/// </summary>
public static class BertInitialisation
{
    public const double Std = 0.02;

    public static void Apply(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (name.Contains("layernorm", StringComparison.OrdinalIgnoreCase)) { if (name.EndsWith(".weight", StringComparison.Ordinal)) p.fill_(1.0f); else p.zero_(); }
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
            else nn.init.normal_(p, 0.0, Std);
        }
    }
}
