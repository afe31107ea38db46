using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>
/// An image split prepared once for a ViT: each stored image is brought to the backbone's channels and size
/// (<see cref="ImagePreparation"/>), rescaled by the processor's factor and normalised with its mean and std
/// (<see cref="VitImageProcessorConfig.Normalise"/>), and kept as one float array [N, C, H, W].
/// Augmentation (training batches only, when the trainer passes a generator): a horizontal flip with probability ½,
/// then a random translation — the image padded by ⌊side/8⌋ pixels of black (zero intensity, normalised like every
/// pixel) on each side and cropped back at a uniformly drawn offset, torchvision's RandomCrop(padding) as in the
/// CIFAR/VTAB fine-tuning recipes. Per example the draws are: flip, row offset, column offset.
/// </summary>
public sealed class ImageSplit : IEncodedSplit
{
    private readonly float[] values;
    private readonly float[] labels;
    private readonly float[] black;
    private readonly int channels, height, width, tokens;

    public int Count => labels.Length;
    public IReadOnlyList<float> Labels => labels;
    public bool GroupByLength => false;
    public int PadRows => height / 8;
    public int PadColumns => width / 8;

    public ImageSplit(IReadOnlyList<Example> examples, ImageInput input)
    {
        (channels, height, width, tokens) = (input.Channels, input.Height, input.Width, input.Tokens);
        int size = channels * height * width;
        var raw = new float[examples.Count * size];
        for (int i = 0; i < examples.Count; i++)
        {
            var image = examples[i] as ImageExample
                ?? throw new NotSupportedException($"this backbone reads images; example {i} is a {examples[i].GetType().Name}.");
            image = image.Validated();
            ImagePreparation.Prepare(image.Pixels, image.Channels, image.Height, image.Width, channels, height, width).CopyTo(raw, i * size);
        }
        labels = examples.Select(e => e.Label).ToArray();
        using (var scope = NewDisposeScope())
        {
            values = examples.Count == 0 ? [] : input.Processor.Normalise(tensor(raw, new long[] { examples.Count, channels, height, width })).data<float>().ToArray();
            black = input.Processor.Normalise(zeros(1, channels, 1, 1)).data<float>().ToArray();
        }
    }

    public int LengthOf(int index) => tokens;
    public long TokenCount(IReadOnlyList<int> indices) => (long)indices.Count * tokens;

    /// <summary>The prepared example <paramref name="index"/> as [C, H, W] values (for tests and inspection).</summary>
    public ReadOnlySpan<float> Example(int index) => values.AsSpan(index * channels * height * width, channels * height * width);

    public (ModelInputs Batch, Tensor Labels) Batch(IReadOnlyList<int> indices, Device device, bool isRegression, Random? augmentation = null)
    {
        int size = channels * height * width;
        var batch = new float[indices.Count * size];
        for (int b = 0; b < indices.Count; b++)
        {
            var target = batch.AsSpan(b * size, size);
            if (augmentation is null) Example(indices[b]).CopyTo(target);
            else Augment(Example(indices[b]), target, augmentation);
        }
        return (new PixelBatch(tensor(batch, new long[] { indices.Count, channels, height, width }, device: device)),
            SplitLabels.Of(labels, indices, device, isRegression));
    }

    private void Augment(ReadOnlySpan<float> source, Span<float> target, Random rng)
    {
        bool flip = rng.NextDouble() < 0.5;
        // Offsets of the crop in the padded image, 0 … 2·pad; the shift of the content is pad − offset.
        int dy = rng.Next(2 * PadRows + 1) - PadRows, dx = rng.Next(2 * PadColumns + 1) - PadColumns;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int sy = y + dy, sx = x + dx;
                    bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                    if (flip) sx = width - 1 - sx;
                    target[(c * height + y) * width + x] = inside ? source[(c * height + sy) * width + sx] : black[c];
                }
    }
}
