using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>
/// A split prepared once for one backbone (text tokenized, images resized and normalised, audio turned into log-mel
/// frames) and batched on demand: what the trainer, the evaluator, the cell runner and the merge step read, for every
/// modality.
/// </summary>
public interface IEncodedSplit
{
    int Count { get; }
    IReadOnlyList<float> Labels { get; }

    /// <summary>Positions of one example (text: its tokens; images and audio: the backbone's fixed sequence).</summary>
    int LengthOf(int index);

    /// <summary>
    /// True when examples differ in length, so that training batches are grouped by length to pad less
    /// (<see cref="Trainer.LengthGroupedBatches"/>); fixed-length splits are batched from a plain shuffle.
    /// </summary>
    bool GroupByLength { get; }

    /// <summary>Positions the backbone computes for the given rows (non-padding tokens; special tokens and patches), for tokens/s.</summary>
    long TokenCount(IReadOnlyList<int> indices);

    /// <summary>
    /// Builds a batch on <paramref name="device"/>; the caller's dispose scope owns the tensors. With
    /// <paramref name="augmentation"/> (training only, <c>--augment</c>) image and audio splits draw their random
    /// augmentation from it, example by example in batch order; text splits have none and ignore it.
    /// </summary>
    (ModelInputs Batch, Tensor Labels) Batch(IReadOnlyList<int> indices, Device device, bool isRegression, Random? augmentation = null);
}

/// <summary>Label tensors as the loss wants them: float targets for regression, class indices otherwise.</summary>
internal static class SplitLabels
{
    public static Tensor Of(IReadOnlyList<float> labels, IReadOnlyList<int> indices, Device device, bool isRegression)
    {
        var y = indices.Select(i => labels[i]).ToArray();
        return isRegression ? tensor(y, device: device) : tensor(y.Select(v => (long)v).ToArray(), device: device);
    }
}
