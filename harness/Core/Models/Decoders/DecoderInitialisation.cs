using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// transformers' <c>LlamaPreTrainedModel._init_weights</c> (and GPT-2's, less its residual rescaling): every matrix
/// and embedding N(0, <c>initializer_range</c>), biases zero, norm scales one. Before pretraining a decoder, and for
/// a decoder's random-init control. Draws from libtorch's global generator, which callers seed.
/// </summary>
public static class DecoderInitialisation
{
    public const double Std = 0.02;

    public static void Apply(nn.Module module, double std = Std)
    {
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (p.dim() >= 2) nn.init.normal_(p, 0.0, std);
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
            else p.fill_(1.0f); // RMSNorm / LayerNorm scale
        }
    }
}
