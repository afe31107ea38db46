using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// What a ViT image processor does before rescaling and normalising (<see cref="VitImageProcessorConfig.Normalise"/>):
/// the stored 8-bit image [C, H, W] is brought to the backbone's channels (RGB → grey by ITU-R BT.601 luma,
/// Y = 0.299 R + 0.587 G + 0.114 B, as PIL's <c>convert("L")</c>; grey → RGB by replicating the one channel), then
/// resized bilinearly to the backbone's size (torch's bilinear interpolation with half-pixel centres and, when
/// shrinking, antialiasing, which is PIL's bilinear filter as ViTImageProcessor uses it). An image already of the
/// target size is not resampled, so its values pass through exactly. Values stay on the 0–255 scale.
/// </summary>
public static class ImagePreparation
{
    public const double LumaRed = 0.299, LumaGreen = 0.587, LumaBlue = 0.114;

    /// <summary>[channels, height, width] floats (0–255) of one image in the target layout.</summary>
    public static float[] Prepare(byte[] pixels, int channels, int height, int width, int targetChannels, int targetHeight, int targetWidth)
    {
        if (channels is not (1 or 3) || targetChannels is not (1 or 3))
            throw new ArgumentException($"images have 1 or 3 channels (got {channels} → {targetChannels}).");
        if (pixels.Length != channels * height * width)
            throw new ArgumentException($"a {channels} × {height} × {width} image holds {channels * height * width} bytes, not {pixels.Length}.");
        int plane = height * width;
        var converted = new float[targetChannels * plane];
        if (channels == targetChannels)
            for (int i = 0; i < converted.Length; i++) converted[i] = pixels[i];
        else if (channels == 3)
            for (int i = 0; i < plane; i++)
                converted[i] = (float)(LumaRed * pixels[i] + LumaGreen * pixels[plane + i] + LumaBlue * pixels[2 * plane + i]);
        else
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < plane; i++) converted[c * plane + i] = pixels[i];
        if (height == targetHeight && width == targetWidth) return converted;

        using var scope = NewDisposeScope();
        var image = tensor(converted, new long[] { 1, targetChannels, height, width });
        bool shrinking = targetHeight < height || targetWidth < width;
        var resized = F.interpolate(image, new long[] { targetHeight, targetWidth }, mode: InterpolationMode.Bilinear,
            align_corners: false, antialias: shrinking);
        return resized.clamp(0, 255).data<float>().ToArray();
    }
}
