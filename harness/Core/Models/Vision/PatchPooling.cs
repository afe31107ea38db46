using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// What a ViT/AST classification head reads from the final-layernormed hidden states.
/// <see cref="SpecialTokens"/> is Hugging Face's: ViTForImageClassification's CLS token, ASTForAudioClassification's
/// mean of CLS and distillation tokens. <see cref="MeanPatches"/> averages the patch tokens only (MAE's linear-probe
/// "global pool", He et al., 2022, here after the final layernorm): the pooling of backbones pretrained by masked
/// patch modelling, whose special tokens never received a training signal (tiny-vit, tiny-ast). Soft prompts (VPT) are
/// inserted between the special tokens and the patches, so neither pooling reads them: the patches are always the
/// last <see cref="PatchTransformerConfig.NumPatches"/> positions.
/// </summary>
public enum PatchPooling { SpecialTokens, MeanPatches }

public static class PatchPoolings
{
    /// <summary>The name recorded in cells and manifests: <c>cls</c> or <c>mean_patches</c>.</summary>
    public static string Name(this PatchPooling pooling) => pooling == PatchPooling.SpecialTokens ? "cls" : "mean_patches";

    public static PatchPooling Parse(string name, string sourceForErrors) => name switch
    {
        "cls" => PatchPooling.SpecialTokens,
        "mean_patches" => PatchPooling.MeanPatches,
        _ => throw new InvalidDataException($"{sourceForErrors}: classifier pooling '{name}' is not known (cls or mean_patches)."),
    };

    /// <summary>[B, T, d] → [B, d]: the mean of the first <paramref name="specialTokens"/> positions, or of the last <paramref name="patches"/>.</summary>
    public static Tensor Pool(Tensor hidden, PatchPooling pooling, int specialTokens, int patches) => pooling switch
    {
        PatchPooling.SpecialTokens => specialTokens == 1 ? hidden.select(1, 0) : hidden.narrow(1, 0, specialTokens).mean(new long[] { 1 }),
        _ => hidden.narrow(1, hidden.shape[1] - patches, patches).mean(new long[] { 1 }),
    };
}
