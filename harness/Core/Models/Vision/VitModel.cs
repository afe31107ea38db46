using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face <c>ViTModel</c> without its pooler (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words"):
/// non-overlapping patches of <c>pixel_values</c> [B, C, H, W] → CLS + patches + positions → pre-norm blocks →
/// final layernorm. Base model prefix <c>vit</c>; the head is ViTForImageClassification's <c>classifier</c>.
/// </summary>
public sealed class VitModel : PatchTransformer
{
    public VitConfig Config { get; }
    public override string ModelType => VitConfig.Type;
    public override string BaseModelPrefix => "vit";

    public VitModel(VitConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(VitModel), config,
            new PatchEmbeddings(config, config.NumChannels, (config.PatchSize, config.PatchSize), ["cls_token"], zeroTokens: false, device, dtype),
            device, dtype)
    {
        Config = config;
    }

    /// <param name="pixelValues">[B, num_channels, image_size, image_size], normalised as the checkpoint's image processor does.</param>
    public Tensor Encode(Tensor pixelValues) => Forward(new PixelBatch(pixelValues));

    public override Tensor ToPlane(ModelInputs inputs)
    {
        if (inputs is not PixelBatch p) throw new ArgumentException($"vit reads pixel batches, not {inputs.GetType().Name}.");
        CheckShape(p.PixelValues, "pixel_values", Config.NumChannels, Config.ImageSize, Config.ImageSize);
        return p.PixelValues;
    }

    public override SequenceHead CreateClassificationHead(long outputs, double dropoutProbability, Device? device = null) =>
        new VitClassificationHead(Config.HiddenSize, outputs, dropoutProbability, device, DType, ClassifierPooling, Config.NumPatches);
}
