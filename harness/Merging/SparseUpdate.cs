using static TorchSharp.torch;

namespace PeftBench.Harness.Merging;

/// <summary>
/// The arithmetic of the post-hoc operations on a trained update τ (a flat tensor): magnitude masks, ComPEFT's
/// ternarisation, Model Breadcrumbs' two-sided mask, and the stored size of the result. Pure functions of their
/// inputs; ties between equal magnitudes go to the lower position, so every mask is deterministic.
/// <para>
/// Stored size (bits) of one sparse block of n elements with k stored positions p₁ &lt; … &lt; p_k: the positions are
/// Golomb-coded gaps g₁ = p₁, gᵢ = pᵢ − pᵢ₋₁ − 1 (Golomb, "Run-length encodings", IEEE Trans. IT 1966), with the
/// parameter optimal for a geometric gap distribution of density q = k/n, b = max(1, ⌈−ln(2 − q) / ln(1 − q)⌉)
/// (Gallager &amp; Van Voorhis, IEEE Trans. IT 1975): a gap costs ⌊g/b⌋ + 1 bits of unary quotient plus the truncated
/// binary code of g mod b (c − 1 bits below u = 2^c − b, else c, with c = ⌈log₂ b⌉; none for b = 1). ComPEFT (Yadav et
/// al., 2023) and Sparse Ternary Compression (Sattler et al., 2019) store their sparse masks this way.
/// </para>
/// <list type="bullet">
/// <item>ternary block (ComPEFT): 32 bits for k + 32 for the scale α·σ + Golomb(positions) + k sign bits;</item>
/// <item>value block (Breadcrumbs, merged updates): min(32·n dense, 32 for k + Golomb(positions) + 32·k fp32 values).</item>
/// </list>
/// </summary>
public static class SparseUpdate
{
    /// <summary>Elements a density keeps: ⌈density·n⌉ (at least the density asked for), computed in decimal so 0.1·30 is 3.</summary>
    public static long KeptCount(double density, long n)
    {
        if (density is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(density), density, "a density is in (0, 1].");
        return Math.Min(n, (long)Math.Ceiling((decimal)density * n));
    }

    /// <summary>Positions of <paramref name="values"/> by decreasing magnitude; equal magnitudes keep their order (lower position first).</summary>
    public static Tensor ByMagnitude(Tensor values)
    {
        var (_, order) = values.abs().sort(dim: 0, descending: true, stable: true);
        return order;
    }

    /// <summary>A 0/1 mask (values' dtype) over the flat <paramref name="values"/> selecting <paramref name="ranks"/> [from, from + count) of <see cref="ByMagnitude"/>, zeros excluded.</summary>
    private static Tensor RankMask(Tensor values, long from, long count)
    {
        var mask = zeros_like(values);
        if (count <= 0) return mask;
        using var order = ByMagnitude(values);
        using var chosen = order.narrow(0, from, count);
        mask.index_fill_(0, chosen, 1.0);
        using var nonzero = values.ne(0);
        return mask.mul_(nonzero);
    }

    /// <summary>ComPEFT's sparsification: keep the top ⌈density·n⌉ of |τ| (Yadav et al., 2023, step 1).</summary>
    public static Tensor TopMagnitudeMask(Tensor tau, double density) => RankMask(tau, 0, KeptCount(density, tau.numel()));

    /// <summary>
    /// Model Breadcrumbs' mask (Davari &amp; Belilovsky, ECCV 2024): drop the ⌊γ·n⌋ largest magnitudes (outliers) and
    /// keep the next ⌈density·n⌉, so the bottom 1 − density − γ (negligible perturbations) go too. Where both do not fit,
    /// fewer outliers are dropped (density 1 keeps everything), as mergekit's <c>magnitude_outliers</c> does.
    /// </summary>
    public static Tensor BreadcrumbsMask(Tensor tau, double density, double outlierFraction)
    {
        if (outlierFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(outlierFraction), outlierFraction, "the outlier fraction is in [0, 1).");
        var n = tau.numel();
        var kept = KeptCount(density, n);
        var outliers = Math.Min((long)Math.Floor((decimal)outlierFraction * n), n - kept);
        return RankMask(tau, outliers, kept);
    }

    /// <summary>
    /// ComPEFT's ternary update before its scale α: σ(τ)·sign(τ) ⊙ mask, σ the (Bessel-corrected) standard deviation
    /// of the whole τ before masking, as the released code computes <c>tv.std()</c>. τ̃ = α · this.
    /// </summary>
    public static Tensor TernaryBase(Tensor tau, Tensor mask)
    {
        var sigma = tau.numel() > 1 ? tau.std().item<float>() : 0f;
        return tau.sign().mul_(mask).mul_(sigma);
    }

    /// <summary>Sorted positions of the nonzero entries of a flat tensor.</summary>
    public static long[] Positions(Tensor flat)
    {
        using var nz = flat.ne(0).nonzero();
        return nz.numel() == 0 ? [] : nz.flatten().data<long>().ToArray();
    }

    /// <summary>The Golomb parameter b for gaps at density q = k/n (Gallager &amp; Van Voorhis): 1 from q ≥ ½.</summary>
    public static long GolombParameter(long kept, long n)
    {
        var q = (double)kept / n;
        if (q >= 1) return 1;
        return Math.Max(1, (long)Math.Ceiling(-Math.Log(2 - q) / Math.Log(1 - q)));
    }

    /// <summary>Bits of the Golomb code (parameter <paramref name="b"/>) of one gap.</summary>
    public static long GolombBits(long gap, long b)
    {
        var quotient = gap / b;
        var remainder = gap % b;
        if (b == 1) return quotient + 1;
        var c = 0;
        while ((1L << c) < b) c++;
        var u = (1L << c) - b;
        return quotient + 1 + (remainder < u ? c - 1 : c);
    }

    /// <summary>Bits of the Golomb-coded gaps between <paramref name="positions"/> (sorted) in a block of <paramref name="n"/>.</summary>
    public static long PositionBits(IReadOnlyList<long> positions, long n)
    {
        if (positions.Count == 0) return 0;
        var b = GolombParameter(positions.Count, n);
        long bits = 0, previous = -1;
        foreach (var p in positions)
        {
            bits += GolombBits(p - previous - 1, b);
            previous = p;
        }
        return bits;
    }

    /// <summary>ComPEFT's block: k, the scale α·σ, the Golomb-coded positions and one sign bit each.</summary>
    public static long TernaryBlockBits(IReadOnlyList<long> positions, long n) => 32 + 32 + PositionBits(positions, n) + positions.Count;

    /// <summary>A block of fp32 values: sparse (k, Golomb-coded positions, values) or dense, whichever is smaller.</summary>
    public static long ValueBlockBits(IReadOnlyList<long> positions, long n) =>
        Math.Min(32 * n, 32 + PositionBits(positions, n) + 32L * positions.Count);

    public static long Bytes(long bits) => (bits + 7) / 8;
}
