using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>A split tokenized once: ids per example, and labels. Batches are padded to their own longest row.</summary>
public sealed class EncodedSplit : IEncodedSplit
{
    private readonly EncodedText[] rows;
    private readonly float[] labels;
    private readonly long padId;

    public int Count => rows.Length;
    public IReadOnlyList<float> Labels => labels;

    public EncodedSplit(IReadOnlyList<Example> examples, IBackboneSource model, int maxLength)
    {
        rows = examples.Select(e => e is TextExample t ? model.Encode(t.TextA, t.TextB, maxLength)
            : throw new NotSupportedException($"{model.Id} is a text backbone; this task's examples are {e.GetType().Name}s.")).ToArray();
        labels = examples.Select(e => e.Label).ToArray();
        padId = model.PadId;
    }

    public int LengthOf(int index) => rows[index].InputIds.Length;

    public bool GroupByLength => true;

    /// <summary>Non-padding tokens in the given rows, for tokens/s.</summary>
    public long TokenCount(IReadOnlyList<int> indices) => indices.Sum(i => (long)rows[i].InputIds.Length);

    /// <summary>Builds a batch on <paramref name="device"/>; the caller's dispose scope owns the tensors.</summary>
    public (TokenBatch Batch, Tensor Labels) Batch(IReadOnlyList<int> indices, Device device, bool isRegression)
    {
        var width = indices.Max(i => rows[i].InputIds.Length);
        var ids = new long[indices.Count * width];
        var types = new long[indices.Count * width];
        var mask = new long[indices.Count * width];
        Array.Fill(ids, padId);
        for (var r = 0; r < indices.Count; r++)
        {
            var row = rows[indices[r]];
            Array.Copy(row.InputIds, 0, ids, r * width, row.InputIds.Length);
            Array.Copy(row.TokenTypeIds, 0, types, r * width, row.TokenTypeIds.Length);
            Array.Fill(mask, 1L, r * width, row.InputIds.Length);
        }
        long[] shape = { indices.Count, width };
        var batch = new TokenBatch(
            tensor(ids, shape, device: device),
            tensor(mask, shape, device: device),
            tensor(types, shape, device: device));
        return (batch, SplitLabels.Of(labels, indices, device, isRegression));
    }

    /// <summary>Text has no augmentation: <paramref name="augmentation"/> is ignored (and never drawn from).</summary>
    (ModelInputs Batch, Tensor Labels) IEncodedSplit.Batch(IReadOnlyList<int> indices, Device device, bool isRegression, Random? augmentation) =>
        Batch(indices, device, isRegression);
}
