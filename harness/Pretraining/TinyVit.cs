using PeftBench.Core.Models;
using PeftBench.Reports;
using PeftBench.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// <c>tiny-vit</c>: a ViT (28 × 28 × 1 images, 4-pixel patches → 7 × 7 = 49 tokens + CLS; d 128, 4 layers, 4 heads,
/// FFN 512) pretrained with SimMIM on Fashion-MNIST <c>train[0:49000]</c>; <c>train[49000:50000]</c> measures the held-out
/// loss; <c>train[50000:60000]</c> and <c>t10k</c> are left for the downstream image tasks (<see cref="DownstreamHoldout"/>).
/// </summary>
public sealed class TinyVit : MaskedPatchBackbone
{
    public const string ReplayFile = "replay-images-idx3-ubyte.gz", HeldOutFile = "held-out-images-idx3-ubyte.gz";
    public const int ShippedHeldOutImages = 128;

    public override string Id => "tiny-vit";

    public override string Description =>
        "Tiny ViT (28x28 grey images, 4-pixel patches, 4 layers, d 128, 4 heads) pretrained by this project with SimMIM masked patch modelling on Fashion-MNIST train[0:49000].";

    public override PatchTransformerConfig Config => new VitConfig
    {
        ImageSize = FashionMnistImages.Side, PatchSize = 4, NumChannels = 1, EncoderStride = 4,
        HiddenSize = 128, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 512,
    };

    public override MaskedPatchRecipe DefaultRecipe => new()
    {
        Objective = "SimMIM (Xie et al., CVPR 2022): mask token for masked patches, linear head, L1 on masked patches",
        Augmentation = "horizontal flip with probability 0.5",
        BatchSize = 64,
        Steps = 800,
        WarmupSteps = 80,
    };

    public override MaskedPatchData Load(string sources, MaskedPatchRecipe recipe, TextWriter log)
    {
        var trainPath = FashionMnistImages.SourceFile(sources, "train-images-idx3-ubyte.gz");
        Require(trainPath, "Fashion-MNIST (Debian dataset-fashion-mnist)");
        var train = IdxFile.Read(trainPath);
        var labels = IdxFile.Read(FashionMnistImages.SourceFile(sources, "train-labels-idx1-ubyte.gz"));
        var test = IdxFile.Read(FashionMnistImages.SourceFile(sources, "t10k-images-idx3-ubyte.gz"));
        var testLabels = IdxFile.Read(FashionMnistImages.SourceFile(sources, "t10k-labels-idx1-ubyte.gz"));
        int pretrainEnd = DownstreamHoldout.FashionMnistPretrainEnd, heldOutEnd = DownstreamHoldout.FashionMnistHeldOutEnd;
        var pretrain = train.Slice(0, pretrainEnd);
        var (mean, std) = FashionMnistImages.PixelStatistics(pretrain);
        log.WriteLine(FormattableString.Invariant($"Fashion-MNIST: {pretrain.Count} pretraining images, pixel mean {mean:F4} std {std:F4}"));
        var processor = Processor(mean, std);
        const int probeSize = 1000;
        var probe = new ProbeData(
            $"Fashion-MNIST 10 classes: fit on train[{heldOutEnd}:{heldOutEnd + probeSize}], test on t10k[0:{probeSize}] (both reserved from pretraining)",
            new FashionMnistImages(train.Slice(heldOutEnd, probeSize), processor), labels.Slice(heldOutEnd, probeSize).Data.Select(b => (long)b).ToArray(),
            new FashionMnistImages(test.Slice(0, probeSize), processor), testLabels.Slice(0, probeSize).Data.Select(b => (long)b).ToArray(), 10);
        var corpus = new CorpusDescription
        {
            File = ReplayFile,
            Description = $"Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017) training images, unlabelled: 28x28 grey levels, rescaled by 1/255 and normalised with the pretraining images' mean {mean:R} and std {std:R} (preprocessor_config.json). Labels are not used. The examples of the first {recipe.ReplaySteps} steps ship as {ReplayFile} and train[{pretrainEnd}:{pretrainEnd + ShippedHeldOutImages}] as {HeldOutFile}.",
            Sources = [$"{FashionMnistImages.DebianPackage} (Debian 12; data MIT licence, Zalando SE)"],
            Lines = pretrain.Count,
            HeldOutLines = heldOutEnd - pretrainEnd,
            TrainTokens = (long)pretrain.Count * Config.NumPatches,
            Splits = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["pretrain"] = $"train-images-idx3-ubyte[0:{pretrainEnd}]",
                ["held_out"] = $"train-images-idx3-ubyte[{pretrainEnd}:{heldOutEnd}] (masked-patch loss only)",
                ["reserved_for_downstream"] = $"train-images-idx3-ubyte[{heldOutEnd}:60000] and t10k-images-idx3-ubyte[0:10000]: never seen in pretraining (the linear probe fits and tests on parts of them)",
            },
        };
        return new MaskedPatchData(new FashionMnistImages(pretrain, processor), new FashionMnistImages(train.Slice(pretrainEnd, heldOutEnd - pretrainEnd), processor),
            corpus, processor.ToJson(), probe);
    }

    public override IReadOnlyList<string> WriteShipped(string folder, MaskedPatchData data, IReadOnlyList<int> replayIndices)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, VitImageProcessorConfig.FileName), data.PreprocessorConfigJson + "\n");
        IdxFile.Write(Path.Combine(folder, ReplayFile), ((FashionMnistImages)data.Train).Images.Select(replayIndices));
        IdxFile.Write(Path.Combine(folder, HeldOutFile), ((FashionMnistImages)data.HeldOut).Images.Slice(0, ShippedHeldOutImages));
        return [VitImageProcessorConfig.FileName, ReplayFile, HeldOutFile];
    }

    public override IPatchCorpus OpenShipped(string folder, string slice) =>
        new FashionMnistImages(IdxFile.Read(Path.Combine(folder, slice == ReplaySlice ? ReplayFile : HeldOutFile)), VitImageProcessorConfig.Read(folder));

    private static VitImageProcessorConfig Processor(double mean, double std) => new()
    {
        Size = new VitImageProcessorConfig.ImageSize(FashionMnistImages.Side, FashionMnistImages.Side), ImageMean = [mean], ImageStd = [std],
    };
}
