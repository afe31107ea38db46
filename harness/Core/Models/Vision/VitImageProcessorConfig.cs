using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face <c>ViTImageProcessor</c>'s <c>preprocessor_config.json</c>: how raw images become a checkpoint's
/// <c>pixel_values</c> — resize to <see cref="Size"/>, rescale by 1/255, then (x − mean) / std per channel. The
/// defaults are <c>google/vit-base-patch16-224</c>'s. <see cref="Normalise"/> applies the last two steps; resizing
/// is the data pipeline's (images of the processor's size pass through unchanged).
/// </summary>
public sealed record VitImageProcessorConfig
{
    public const string FileName = "preprocessor_config.json";

    [JsonPropertyName("image_processor_type")] public string ImageProcessorType { get; init; } = "ViTImageProcessor";
    [JsonPropertyName("do_resize")] public bool DoResize { get; init; } = true;
    [JsonPropertyName("size")] public ImageSize Size { get; init; } = new(224, 224);
    /// <summary>PIL's filter id (2 = bilinear).</summary>
    [JsonPropertyName("resample")] public int Resample { get; init; } = 2;
    [JsonPropertyName("do_rescale")] public bool DoRescale { get; init; } = true;
    [JsonPropertyName("rescale_factor")] public double RescaleFactor { get; init; } = 1.0 / 255;
    [JsonPropertyName("do_normalize")] public bool DoNormalize { get; init; } = true;
    [JsonPropertyName("image_mean")] public double[] ImageMean { get; init; } = [0.5, 0.5, 0.5];
    [JsonPropertyName("image_std")] public double[] ImageStd { get; init; } = [0.5, 0.5, 0.5];

    public sealed record ImageSize([property: JsonPropertyName("height")] int Height, [property: JsonPropertyName("width")] int Width);

    /// <summary>Raw pixel values [B, C, H, W] (0–255, any numeric dtype) → float32 <c>pixel_values</c>.</summary>
    public Tensor Normalise(Tensor raw)
    {
        long channels = raw.shape[1];
        if (DoNormalize && (ImageMean.Length != channels || ImageStd.Length != channels))
            throw new ArgumentException($"{channels}-channel images, but image_mean/image_std have {ImageMean.Length}/{ImageStd.Length} entries.");
        using var scope = NewDisposeScope();
        var x = raw.to_type(ScalarType.Float32);
        if (DoRescale) x = x * RescaleFactor;
        if (DoNormalize)
        {
            var mean = tensor(ImageMean.Select(m => (float)m).ToArray(), new long[] { 1, channels, 1, 1 }, device: raw.device);
            var std = tensor(ImageStd.Select(s => (float)s).ToArray(), new long[] { 1, channels, 1, 1 }, device: raw.device);
            x = (x - mean) / std;
        }
        return x.MoveToOuterDisposeScope();
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    public static VitImageProcessorConfig Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {FileName} (the image processor settings of this checkpoint).", path);
        return JsonSerializer.Deserialize<VitImageProcessorConfig>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty.");
    }
}
