// BitFit — Ben Zaken, Ravfogel & Goldberg, "BitFit: Simple Parameter-efficient Fine-tuning for Transformer-based
// Masked Language-models", ACL 2022 (arXiv 2106.10199).
// Update: only the bias terms change. For every linear y = Wx + b and every LayerNorm y = γ ⊙ x̂ + β, W and γ
// stay frozen and b, β are trained (the paper trains all of them; its (b_q, b_m2) subset is not implemented).

using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Methods;

public sealed record BitFitConfig : MethodConfig
{
    public BitFitConfig() => LearningRate = 1e-3;
}

/// <summary>
/// Trains the biases of every backbone linear and LayerNorm; they are pretrained weights, so they count as
/// "other". A backbone without biases (Llama-style) would train nothing: BitFit is not applicable there.
/// </summary>
public sealed class BitFit : PeftMethod<BitFitConfig>
{
    public override string Id => "bitfit";
    public override int Version => 1;
    public override string Family => "selective";
    public override string Citation => "Ben Zaken et al., ACL 2022 (BitFit): train only biases b of W x + b and β of LayerNorm.";
    public override string Description => "Unfreezes only the bias vectors of every linear layer and LayerNorm of the backbone.";
    public override BitFitConfig Defaults => new();
    public override bool PreservesOutputAtInit => true;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        Biases(sites).Any() ? null : "this backbone has no bias terms in its linears or norms (LLaMA-style), so BitFit would train 0 parameters.";

    protected override long CountTrainable(SiteRegistry sites, BitFitConfig config) => Biases(sites).Sum(b => b.numel());

    protected override MethodAttachment Apply(SequenceClassifier model, BitFitConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var bias in Biases(model.Sites)) bias.requires_grad = true;
        return new MethodAttachment(config);
    }

    /// <summary>Bias of every non-head linear and every norm, read from the existing modules (nothing is built).</summary>
    private static IEnumerable<Tensor> Biases(SiteRegistry sites)
    {
        foreach (var linear in sites.Linears)
            if (linear.Role != SiteRoles.Head && linear.bias is { } b) yield return b;
        foreach (var (_, norm) in sites.Norms)
            foreach (var (name, p) in norm.named_parameters(recurse: false))
                if (name == "bias") yield return p;
    }
}
