using PeftBench.Core.Tasks;
using SkiaSharp;

namespace PeftBench.Tasks.Readers;

/// <summary>
/// An image-folder dataset (torchvision's <c>ImageFolder</c> layout): one sub-folder per class holding that class's
/// PNG or JPEG files. The class index is the position of the folder name in ordinal order, so the same folders give
/// the same indices on every machine. Images are decoded with SkiaSharp; a grey-scale file stays one channel, any
/// other is converted to RGB (alpha dropped), channels first.
/// </summary>
public static class ImageFolder
{
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The class folder names in class-index order.</summary>
    public static IReadOnlyList<string> Classes(string folder) =>
        Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every image under <paramref name="folder"/>/&lt;class&gt;/, classes in order, files in ordinal name order.</summary>
    public static (IReadOnlyList<string> Classes, IReadOnlyList<ImageExample> Images) Read(string folder, IReadOnlyList<string>? expectedClasses = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder '{folder}' does not exist.");
        var classes = Classes(folder);
        if (classes.Count == 0)
            throw new InvalidDataException($"'{folder}' has no class sub-folders: an image-folder dataset holds one folder per class (e.g. {folder}/cat/0001.png).");
        if (expectedClasses is not null && !classes.SequenceEqual(expectedClasses, StringComparer.Ordinal))
            throw new InvalidDataException($"'{folder}' has classes [{string.Join(", ", classes)}], but the training split has [{string.Join(", ", expectedClasses)}]: every split must hold the same class folders.");
        var images = new List<ImageExample>();
        for (int c = 0; c < classes.Count; c++)
        {
            var files = Directory.GetFiles(Path.Combine(folder, classes[c]))
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new InvalidDataException($"class folder '{Path.Combine(folder, classes[c])}' holds no .png, .jpg or .jpeg file.");
            images.AddRange(files.Select(f => Decode(f, c)));
        }
        return (classes, images);
    }

    /// <summary>One PNG or JPEG file as an <see cref="ImageExample"/> with the given label.</summary>
    public static ImageExample Decode(string path, float label)
    {
        using var codec = SKCodec.Create(path)
            ?? throw new InvalidDataException($"{path}: not a readable PNG or JPEG image (SkiaSharp found no decoder for it; is it truncated or another format?).");
        bool grey = codec.Info.ColorType == SKColorType.Gray8; // Skia's native type for grey-scale PNG and JPEG
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{path}: decoding failed ({result}); the file is damaged or truncated.");
        int w = info.Width, h = info.Height;
        var source = bitmap.GetPixelSpan();
        if (grey) return new ImageExample(source[..(w * h)].ToArray(), 1, h, w, label).Validated();
        var pixels = new byte[3 * w * h];
        for (int i = 0; i < w * h; i++)
            for (int ch = 0; ch < 3; ch++)
                pixels[ch * w * h + i] = source[4 * i + ch];
        return new ImageExample(pixels, 3, h, w, label).Validated();
    }
}
