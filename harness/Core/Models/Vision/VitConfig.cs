using System.Text.Json.Serialization;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face <c>ViTConfig</c> (Dosovitskiy et al., 2021): square images cut into non-overlapping
/// <c>patch_size</c>² patches. The defaults are <c>google/vit-base-patch16-224</c>.
/// </summary>
public sealed record VitConfig : PatchTransformerConfig
{
    public const string Type = "vit";

    [JsonPropertyName("model_type")] public override string ModelType => Type;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    /// <summary>Only read by Hugging Face's masked-image-modeling decoder; kept so configs round-trip.</summary>
    [JsonPropertyName("encoder_stride")] public int EncoderStride { get; init; } = 16;

    [JsonIgnore] public int PatchesPerSide => ImageSize / PatchSize;
    public override int NumPatches => PatchesPerSide * PatchesPerSide;
    public override (int Height, int Width) PatchStride => (PatchSize, PatchSize);
    public override (int Rows, int Columns) PatchGrid => (PatchesPerSide, PatchesPerSide);
    public override int SpecialTokens => 1;

    /// <summary><c>google/vit-base-patch16-224</c> (86 M parameters with the 1000-class head).</summary>
    public static VitConfig Base16x224 => new();

    public override IEnumerable<string> Validate()
    {
        foreach (var p in base.Validate()) yield return p;
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            yield return $"image_size {ImageSize} must be a positive multiple of patch_size {PatchSize}.";
        if (NumChannels <= 0) yield return $"num_channels must be positive (got {NumChannels}).";
    }
}
