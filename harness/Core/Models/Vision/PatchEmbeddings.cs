using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// ViTEmbeddings / ASTEmbeddings: a strided convolution cuts the input plane into patch tokens
/// (<c>patch_embeddings.projection</c>), learned special tokens go in front (<c>cls_token</c>, and
/// <c>distillation_token</c> for AST), a learned table is added (<c>position_embeddings</c>), then dropout.
/// The input site comes last, as in VPT (Jia et al., 2022): soft prompts enter after the position embeddings,
/// with no position of their own, right after the special tokens, so heads still find CLS (and AST's
/// distillation token) where they expect them. For masked patch modelling (SimMIM, SSAST) the patch tokens a
/// boolean mask selects are replaced by a mask token before the positions are added, as Hugging Face's
/// <c>ViTEmbeddings(use_mask_token=True)</c> does with <c>bool_masked_pos</c>; the token is the caller's, so the
/// backbone's own parameters stay those of a plain <c>ViTModel</c>/<c>ASTModel</c>.
/// </summary>
internal sealed class PatchEmbeddings : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly PatchProjection patch_embeddings;
    private readonly Parameter[] specialTokens;
    private readonly Parameter position_embeddings;
    private readonly Dropout dropout;
    private readonly InputEmbeddingSite input_site;

    /// <param name="tokenNames">Hugging Face names of the special tokens, in sequence order.</param>
    /// <param name="zeroTokens">Initialise tokens and positions to zero (AST) instead of N(0, initializer_range) truncated (ViT).</param>
    public PatchEmbeddings(PatchTransformerConfig c, long inChannels, (long, long) stride, IReadOnlyList<string> tokenNames,
        bool zeroTokens, Device? device, ScalarType? dtype) : base("embeddings")
    {
        patch_embeddings = new PatchProjection(inChannels, c.HiddenSize, c.PatchSize, stride, device, dtype);
        register_module("patch_embeddings", patch_embeddings);
        Parameter Token(long length)
        {
            var p = new Parameter(zeros(1, length, c.HiddenSize, dtype: dtype, device: device));
            if (!zeroTokens) nn.init.trunc_normal_(p, 0.0, c.InitializerRange);
            return p;
        }
        specialTokens = tokenNames.Select(_ => Token(1)).ToArray();
        for (int i = 0; i < tokenNames.Count; i++) register_parameter(tokenNames[i], specialTokens[i]);
        position_embeddings = Token(c.NumPatches + tokenNames.Count);
        register_parameter("position_embeddings", position_embeddings);
        dropout = nn.Dropout(c.HiddenDropoutProb);
        register_module("dropout", dropout);
        input_site = new InputEmbeddingSite(c.HiddenSize, kind: InputKind.Patches, leadingTokens: tokenNames.Count);
        register_module("input_site", input_site);
    }

    /// <param name="plane">[B, C, H, W]: pixels, or a spectrogram as [B, 1, mel, frames].</param>
    /// <param name="boolMaskedPos">[B, patches], true where the patch is masked; null for no masking.</param>
    /// <param name="maskToken">[1, 1, d], the embedding masked patches get (with <paramref name="boolMaskedPos"/>).</param>
    public override Tensor forward(Tensor plane, Tensor? boolMaskedPos, Tensor? maskToken)
    {
        var patches = patch_embeddings.call(plane);
        long batch = patches.shape[0];
        if (boolMaskedPos is not null)
        {
            ArgumentNullException.ThrowIfNull(maskToken);
            var masked = boolMaskedPos.unsqueeze(-1).to_type(patches.dtype);
            patches = patches * (1.0 - masked) + maskToken * masked;
        }
        var tokens = specialTokens.Select(t => t.expand(batch, -1, -1)).Append(patches).ToArray();
        var embeddings = dropout.call(cat(tokens, 1) + position_embeddings);
        if (input_site.Current is null) return embeddings;
        // The transform inserts after its first position: hand it the sequence from the last special token on.
        long kept = specialTokens.Length - 1, length = embeddings.shape[1];
        var mask = ones(batch, length - kept, dtype: ScalarType.Int64, device: embeddings.device);
        var (spliced, _) = input_site.Apply(embeddings.narrow(1, kept, length - kept), mask);
        return kept == 0 ? spliced : cat(new[] { embeddings.narrow(1, 0, kept), spliced }, 1);
    }
}

/// <summary>ViTPatchEmbeddings / ASTPatchEmbeddings: <c>projection</c> = Conv2d(kernel = patch, given stride), flattened to tokens.</summary>
internal sealed class PatchProjection : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d projection;

    public PatchProjection(long inChannels, long hidden, long patch, (long, long) stride, Device? device, ScalarType? dtype) : base("patch_embeddings")
    {
        projection = nn.Conv2d(inChannels, hidden, (patch, patch), stride: stride, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <returns>[B, patches, hidden], patches in row-major order of the convolution's output grid.</returns>
    public override Tensor forward(Tensor plane) => projection.call(plane).flatten(2).transpose(1, 2);
}
