using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The masking and the regression targets of masked patch modelling. Masks: exactly k = round(ratio · N) of an
/// example's N patches, drawn uniformly without replacement (a partial Fisher–Yates shuffle from a seeded
/// <see cref="Random"/>), so every example has the same count and SSAST's per-example InfoNCE is a batched matrix
/// product. SimMIM masks 32-pixel blocks of small patches; with 4-pixel patches on 28-pixel images (or 8 × 8
/// spectrogram patches) single patches are already a seventh of the width, so patches are masked one by one, as
/// MAE and SSAST's patch-based setting do.
/// Targets: the input patches in the order of the patch convolution's output grid (row-major, channels × rows ×
/// columns inside a patch, as SimMIM's PixelShuffle decoder lays them out), each normalised by its own mean and
/// variance — x̂ = (x − μ) / √(σ² + 10⁻⁶), σ² unbiased, as MAE's <c>norm_pix_loss</c> — so that predicting zero,
/// the patch's own mean, is the trivial baseline every reported loss is compared with.
/// </summary>
public static class PatchMasking
{
    public const double NormEpsilon = 1e-6;

    public static int MaskedCount(int patches, double ratio) => Math.Clamp((int)Math.Round(ratio * patches), 1, patches - 1);

    /// <summary>Masked patch indices [batch · masked], row after row, in draw order.</summary>
    public static long[] Sample(int batch, int patches, int masked, Random rng)
    {
        var result = new long[batch * masked];
        var pool = new int[patches];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < patches; i++) pool[i] = i;
            for (int i = 0; i < masked; i++)
            {
                int j = rng.Next(i, patches);
                (pool[i], pool[j]) = (pool[j], pool[i]);
                result[b * masked + i] = pool[i];
            }
        }
        return result;
    }

    /// <summary>Per-patch-normalised patches [B, N, C·p·p] of an input plane [B, C, H, W] under <paramref name="config"/>'s grid.</summary>
    public static Tensor Targets(Tensor plane, PatchTransformerConfig config)
    {
        using var scope = NewDisposeScope();
        int p = config.PatchSize;
        var (sh, sw) = config.PatchStride;
        var (rows, columns) = config.PatchGrid;
        long batch = plane.shape[0], channels = plane.shape[1];
        // [B, C, rows, cols, p, p] → [B, rows, cols, C, p, p] → [B, N, C·p·p]
        var patches = plane.unfold(2, p, sh).unfold(3, p, sw).narrow(2, 0, rows).narrow(3, 0, columns)
            .permute(0, 2, 3, 1, 4, 5).reshape(batch, (long)rows * columns, channels * p * p);
        var mean = patches.mean(new long[] { -1 }, keepdim: true);
        var variance = patches.var(-1, unbiased: true, keepdim: true);
        return ((patches - mean) / (variance + NormEpsilon).sqrt()).MoveToOuterDisposeScope();
    }
}
