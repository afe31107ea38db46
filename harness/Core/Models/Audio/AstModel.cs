using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face <c>ASTModel</c> (Gong et al., 2021, "AST: Audio Spectrogram Transformer"): the log-mel
/// <c>input_values</c> [B, max_length, num_mel_bins] are read as a one-channel [mel × time] image, cut into
/// overlapping patch_size² patches (strides <c>frequency_stride</c>, <c>time_stride</c>), then CLS +
/// distillation token + patches + positions → the ViT encoder → final layernorm. Base model prefix
/// <c>audio_spectrogram_transformer</c>; the head is ASTForAudioClassification's <c>classifier</c>.
/// </summary>
public sealed class AstModel : PatchTransformer
{
    public AstConfig Config { get; }
    public override string ModelType => AstConfig.Type;
    public override string BaseModelPrefix => "audio_spectrogram_transformer";

    public AstModel(AstConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(AstModel), config,
            new PatchEmbeddings(config, 1, (config.FrequencyStride, config.TimeStride), ["cls_token", "distillation_token"], zeroTokens: true, device, dtype),
            device, dtype)
    {
        Config = config;
    }

    /// <param name="inputValues">[B, max_length, num_mel_bins], as <see cref="LogMelFrontEnd"/> (or ASTFeatureExtractor) makes them.</param>
    public Tensor Encode(Tensor inputValues) => Forward(new SpectrogramBatch(inputValues));

    public override Tensor ToPlane(ModelInputs inputs)
    {
        if (inputs is not SpectrogramBatch s) throw new ArgumentException($"{ModelType} reads spectrogram batches, not {inputs.GetType().Name}.");
        CheckShape(s.InputValues, "input_values", Config.MaxLength, Config.NumMelBins);
        // [B, frames, mel] → [B, 1, mel, frames]: frequency is the convolution's height, time its width.
        return s.InputValues.unsqueeze(1).transpose(2, 3);
    }

    public override SequenceHead CreateClassificationHead(long outputs, double dropoutProbability, Device? device = null) =>
        new AstClassificationHead(Config.HiddenSize, outputs, dropoutProbability, Config.LayerNormEps, device, DType, ClassifierPooling, Config.NumPatches);
}
