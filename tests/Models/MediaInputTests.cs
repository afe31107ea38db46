using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Running;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>Image and audio preparation for ViT/AST cells: channel conversion, resizing, normalisation, augmentation, SpecAugment.</summary>
public sealed class MediaInputTests
{
    private static readonly VitImageProcessorConfig Processor = new()
    {
        Size = new(4, 4), ImageMean = [0.5], ImageStd = [0.25],
    };

    private static ImageInput Grey4 => new(Processor, 1, 4, 4, 5);

    [Test]
    public void RgbBecomesGreyByBt601LumaAndGreyBecomesRgbByReplication()
    {
        var rgb = new byte[] { 200, 10, 50, 0, 100, 255 }; // 3 channels × 1 × 2
        var grey = ImagePreparation.Prepare(rgb, 3, 1, 2, 1, 1, 2);
        Assert.That(grey[0], Is.EqualTo(0.299f * 200 + 0.587f * 50 + 0.114f * 100).Within(1e-3));
        Assert.That(grey[1], Is.EqualTo(0.299f * 10 + 0.587f * 0 + 0.114f * 255).Within(1e-3));

        var replicated = ImagePreparation.Prepare([7, 9], 1, 1, 2, 3, 1, 2);
        Assert.That(replicated, Is.EqualTo(new float[] { 7, 9, 7, 9, 7, 9 }));
    }

    [Test]
    public void ResizingIsBilinearAndAnImageOfTheRightSizePassesThrough()
    {
        var same = ImagePreparation.Prepare([1, 2, 3, 4], 1, 2, 2, 1, 2, 2);
        Assert.That(same, Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        // 1 × 2 → 1 × 4 with half-pixel centres: 0 and 100 become 0, 25, 75, 100.
        var wider = ImagePreparation.Prepare([0, 100], 1, 1, 2, 1, 1, 4);
        Assert.That(wider, Is.EqualTo(new float[] { 0, 25, 75, 100 }).Within(1e-4));
        // A uniform image stays uniform when shrunk (antialiased).
        var shrunk = ImagePreparation.Prepare(Enumerable.Repeat((byte)80, 64).ToArray(), 1, 8, 8, 1, 3, 3);
        Assert.That(shrunk, Has.All.EqualTo(80f).Within(1e-3));
    }

    [Test]
    public void ImageSplitsRescaleAndNormaliseWithTheProcessorsStatistics()
    {
        var pixels = Enumerable.Range(0, 16).Select(i => (byte)(i * 16)).ToArray();
        var split = new ImageSplit([new ImageExample(pixels, 1, 4, 4, 1)], Grey4);
        var values = split.Example(0).ToArray();
        for (int i = 0; i < 16; i++) Assert.That(values[i], Is.EqualTo((pixels[i] / 255.0 - 0.5) / 0.25).Within(1e-5));
        Assert.That(split.LengthOf(0), Is.EqualTo(5));
        Assert.That(split.GroupByLength, Is.False);
    }

    [Test]
    public void WithoutAGeneratorBatchesAreThePreparedExamplesAndNothingIsDrawn()
    {
        var images = Enumerable.Range(0, 3).Select(k => (Example)new ImageExample(Enumerable.Range(0, 16).Select(i => (byte)(i * k)).ToArray(), 1, 4, 4, k)).ToList();
        var split = new ImageSplit(images, Grey4);
        using var scope = NewDisposeScope();
        var (batch, labels) = split.Batch([2, 0], CPU, false);
        var expected = split.Example(2).ToArray().Concat(split.Example(0).ToArray()).ToArray();
        Assert.That(((PixelBatch)batch).PixelValues.data<float>().ToArray(), Is.EqualTo(expected));
        Assert.That(labels.data<long>().ToArray(), Is.EqualTo(new long[] { 2, 0 }));
    }

    [Test]
    public void ImageAugmentationFlipsAndTranslatesWithBlackPadding()
    {
        var pixels = Enumerable.Range(0, 64).Select(i => (byte)(i * 3 + 1)).ToArray();
        var input = new ImageInput(Processor with { Size = new(8, 8) }, 1, 8, 8, 5);
        var split = new ImageSplit([new ImageExample(pixels, 1, 8, 8, 0)], input);
        Assert.That(split.PadRows, Is.EqualTo(1), "pad by 1/8 of the side");
        var source = split.Example(0).ToArray();
        float black = (float)((0 - 0.5) / 0.25);
        // Every candidate (flip × row shift × column shift), computed by hand.
        var candidates = new List<float[]>();
        foreach (var flip in new[] { false, true })
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    candidates.Add(Enumerable.Range(0, 64).Select(i =>
                    {
                        int y = i / 8 + dy, x = i % 8 + dx;
                        if (y < 0 || y >= 8 || x < 0 || x >= 8) return black;
                        return source[y * 8 + (flip ? 7 - x : x)];
                    }).ToArray());
        var rng = new Random(3);
        var seen = new HashSet<int>();
        for (int trial = 0; trial < 60; trial++)
        {
            using var scope = NewDisposeScope();
            var augmented = ((PixelBatch)split.Batch([0], CPU, false, rng).Batch).PixelValues.data<float>().ToArray();
            var match = candidates.FindIndex(c => c.SequenceEqual(augmented));
            Assert.That(match, Is.GreaterThanOrEqualTo(0), "an augmented image is a flip and/or shift of the original");
            seen.Add(match);
        }
        Assert.That(seen.Count, Is.GreaterThan(9), "flips and shifts are drawn at random");
    }

    [Test]
    public void SpecAugmentScalesAstsWidthsToTheFrontEnd()
    {
        Assert.That(SpecAugment.ScaledFromAst(128, 1024), Is.EqualTo(new SpecAugment(48, 192)));
        Assert.That(SpecAugment.ScaledFromAst(64, 96), Is.EqualTo(new SpecAugment(24, 18)), "tiny-ast: 64 mel bins × 96 frames");
    }

    [Test]
    public void SpecAugmentMasksExactlyOneBandOfBinsAndOneOfFramesWithinTheMaximumWidths()
    {
        const int frames = 30, bins = 20;
        var masking = new SpecAugment(6, 9);
        var rng = new Random(11);
        var widths = new HashSet<(int, int)>();
        for (int trial = 0; trial < 200; trial++)
        {
            var features = Enumerable.Repeat(1f, frames * bins).ToArray();
            var m = masking.Apply(features, frames, bins, rng);
            Assert.That(m.Bins, Is.InRange(0, 6));
            Assert.That(m.Frames, Is.InRange(0, 9));
            Assert.That(m.FirstBin + m.Bins, Is.LessThanOrEqualTo(bins));
            Assert.That(m.FirstFrame + m.Frames, Is.LessThanOrEqualTo(frames));
            for (int t = 0; t < frames; t++)
                for (int f = 0; f < bins; f++)
                {
                    bool masked = (t >= m.FirstFrame && t < m.FirstFrame + m.Frames) || (f >= m.FirstBin && f < m.FirstBin + m.Bins);
                    Assert.That(features[t * bins + f], Is.EqualTo(masked ? 0f : 1f));
                }
            widths.Add((m.Bins, m.Frames));
        }
        Assert.That(widths.Select(w => w.Item1).Distinct().Count(), Is.EqualTo(7), "every width 0 … F is drawn");
        Assert.That(widths.Select(w => w.Item2).Distinct().Count(), Is.EqualTo(10), "every width 0 … T is drawn");
    }

    [Test]
    public void AudioSplitsResampleAndFitClipsToTheFrontEndsFrames()
    {
        var features = new LogMelConfig { NumMelBins = 16, MaxLength = 20, Mean = -5, Std = 4 };
        var input = new AudioInput(new AstFeatureExtractorConfig(), features, 7);
        var tone16k = Enumerable.Range(0, 16000).Select(n => (float)(0.5 * Math.Sin(2 * Math.PI * 440 * n / 16000))).ToArray();
        var tone8k = Enumerable.Range(0, 800).Select(n => (float)(0.5 * Math.Sin(2 * Math.PI * 440 * n / 8000))).ToArray();
        var split = new AudioSplit([new AudioExample(tone16k, 16000, 0), new AudioExample(tone8k, 8000, 1), new AudioExample([], 16000, 0)], input);

        using var frontEnd = new LogMelFrontEnd(features);
        using var scope = NewDisposeScope();
        var expected = frontEnd.Features(tensor(tone16k)).data<float>().ToArray();
        Assert.That(split.Example(0).ToArray(), Is.EqualTo(expected).Within(1e-4), "a long clip is cut to max_length frames");
        Assert.That(split.Example(1).Length, Is.EqualTo(20 * 16));
        Assert.That(split.Example(2).ToArray(), Has.All.EqualTo(split.Example(2)[0]), "silence (padding) is one constant");
        var (batch, _) = split.Batch([0, 1], CPU, false);
        Assert.That(((SpectrogramBatch)batch).InputValues.shape, Is.EqualTo(new long[] { 2, 20, 16 }));
        Assert.That(split.Masking, Is.EqualTo(new SpecAugment(6, 4)), "48/128 of 16 bins, 192/1024 of 20 frames (3.75, rounded)");
    }

    [Test]
    public void MeanPatchPoolingReadsThePatchesOnlyNotTheSpecialTokensOrInsertedPrompts()
    {
        using var scope = NewDisposeScope();
        // [1, CLS + 2 prompts + 3 patches, 1]: 100, 50, 60, then patches 1, 2, 6.
        var hidden = tensor(new float[] { 100, 50, 60, 1, 2, 6 }, new long[] { 1, 6, 1 });
        Assert.That(PatchPoolings.Pool(hidden, PatchPooling.MeanPatches, 1, 3).item<float>(), Is.EqualTo(3f));
        Assert.That(PatchPoolings.Pool(hidden, PatchPooling.SpecialTokens, 1, 3).item<float>(), Is.EqualTo(100f));
        Assert.That(PatchPoolings.Pool(hidden, PatchPooling.SpecialTokens, 2, 3).item<float>(), Is.EqualTo(75f), "AST: mean of CLS and distillation");
    }

    [Test]
    public void AHuggingFaceVitFolderKeepsItsClsHead()
    {
        var folder = Directory.CreateTempSubdirectory("peftbench-hf-vit").FullName;
        var config = VitAstFixtures.TinyVit;
        using (var model = new VitModel(config)) HfVisionLoader.Save(folder, model);
        var processor = new VitImageProcessorConfig
        {
            Size = new(config.ImageSize, config.ImageSize),
            ImageMean = Enumerable.Repeat(0.5, config.NumChannels).ToArray(), ImageStd = Enumerable.Repeat(0.5, config.NumChannels).ToArray(),
        };
        File.WriteAllText(Path.Combine(folder, VitImageProcessorConfig.FileName), processor.ToJson());

        var source = ZooBackboneSource.Open(folder);
        Assert.That(source.InputModality, Is.EqualTo(Modality.Image));
        Assert.That(source.ClassifierPooling, Is.EqualTo("cls"));
        Assert.That(((IBackboneSource)source).Image!.Channels, Is.EqualTo(config.NumChannels));
    }
}
