using PeftBench.Core.Models;
using PeftBench.Tasks.Readers;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Fashion-MNIST images (Xiao, Rasul &amp; Vollgraf, 2017; 28 × 28 grey levels) as tiny-vit's unlabelled pretraining
/// examples: pixels → <see cref="VitImageProcessorConfig.Normalise"/> (rescale by 1/255, then the pretraining set's
/// mean and std), one channel. Augmentation: a horizontal flip with probability ½ (SimMIM also crops; at 28 pixels
/// with 4-pixel patches a crop would mostly cut garment edges).
/// </summary>
public sealed class FashionMnistImages(IdxArray images, VitImageProcessorConfig processor) : IPatchCorpus
{
    public const string DebianPackage = "dataset-fashion-mnist=0.0~git20200523.55506a9-1";
    public const int Side = 28;

    public IdxArray Images { get; } = CheckShape(images);
    public int Count => Images.Count;

    /// <summary>The IDX file in the Debian package unpacked by <c>fetch-media.sh</c>.</summary>
    public static string SourceFile(string sources, string name) =>
        Path.Combine(sources, "deb_dataset-fashion-mnist", "usr", "share", "datasets", "fashion-mnist", name);

    public ExampleBatch Batch(IReadOnlyList<int> indices, Random rng, bool augment)
    {
        var pixels = new byte[indices.Count * Side * Side];
        for (int b = 0; b < indices.Count; b++)
        {
            var image = Images.Item(indices[b]);
            bool flip = augment && rng.NextDouble() < 0.5;
            var target = pixels.AsSpan(b * Side * Side, Side * Side);
            for (int r = 0; r < Side; r++)
                for (int c = 0; c < Side; c++)
                    target[r * Side + c] = image[r * Side + (flip ? Side - 1 - c : c)];
        }
        using var raw = TorchSharp.torch.tensor(pixels, new long[] { indices.Count, 1, Side, Side });
        using var normalised = processor.Normalise(raw);
        return new ExampleBatch(normalised.data<float>().ToArray(), normalised.shape, t => new PixelBatch(t));
    }

    /// <summary>Mean and population std of all pixels / 255: the normalisation statistics written to preprocessor_config.json.</summary>
    public static (double Mean, double Std) PixelStatistics(IdxArray images)
    {
        double sum = 0, squares = 0;
        foreach (var p in images.Data)
        {
            double x = p / 255.0;
            sum += x;
            squares += x * x;
        }
        double n = images.Data.Length, mean = sum / n;
        return (mean, Math.Sqrt(squares / n - mean * mean));
    }

    private static IdxArray CheckShape(IdxArray images) =>
        images.Shape is [_, Side, Side] ? images : throw new InvalidDataException($"Fashion-MNIST images are [N, 28, 28], not [{string.Join(", ", images.Shape)}].");
}
