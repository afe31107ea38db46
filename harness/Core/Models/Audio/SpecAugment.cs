namespace PeftBench.Core.Models;

/// <summary>One frequency mask and one time mask drawn for an example: first bin/frame and width of each.</summary>
public readonly record struct SpecAugmentMasks(int FirstBin, int Bins, int FirstFrame, int Frames);

/// <summary>
/// SpecAugment's frequency and time masking (Park et al., Interspeech 2019, "SpecAugment: A Simple Data Augmentation
/// Method for Automatic Speech Recognition"; time warping is not used, as in AST): per training example one frequency
/// mask of f bins, f uniform in [0, F], starting at f₀ uniform in [0, bins − f], and one time mask of t frames, t
/// uniform in [0, T], starting at t₀ uniform in [0, frames − t] (both ends inclusive; a width of 0 masks nothing). Masked
/// cells are set to 0 in the normalised features, i.e. to the dataset mean: Park et al. mask with the mean, which after
/// AST's normalisation is 0. AST (Gong et al., 2021) uses freqm F = 48 and timem T = 192 on 128 mel bins × 1024 frames;
/// <see cref="ScaledFromAst"/> keeps those fractions (F = 37.5 % of the bins, T = 18.75 % of the frames), giving
/// F = 24 and T = 18 on tiny-ast's 64 × 96.
/// </summary>
public sealed record SpecAugment(int MaxBins, int MaxFrames)
{
    public const int AstFrequencyMask = 48, AstTimeMask = 192, AstMelBins = 128, AstFrames = 1024;

    /// <summary>AST's mask widths scaled to a front end of <paramref name="melBins"/> × <paramref name="frames"/>, rounded to the nearest integer.</summary>
    public static SpecAugment ScaledFromAst(int melBins, int frames) =>
        new((int)Math.Round((double)AstFrequencyMask * melBins / AstMelBins, MidpointRounding.AwayFromZero),
            (int)Math.Round((double)AstTimeMask * frames / AstFrames, MidpointRounding.AwayFromZero));

    /// <summary>
    /// Masks one example's features [frames, mel bins] (row-major in <paramref name="features"/>) in place, drawing
    /// f, f₀, t, t₀ from <paramref name="rng"/> in that order; returns the masks.
    /// </summary>
    public SpecAugmentMasks Apply(Span<float> features, int frames, int melBins, Random rng)
    {
        if (features.Length != frames * melBins)
            throw new ArgumentException($"features of {frames} frames × {melBins} bins hold {frames * melBins} values, not {features.Length}.");
        int f = rng.Next(Math.Min(MaxBins, melBins) + 1);
        int f0 = rng.Next(melBins - f + 1);
        int t = rng.Next(Math.Min(MaxFrames, frames) + 1);
        int t0 = rng.Next(frames - t + 1);
        for (int frame = 0; frame < frames; frame++)
        {
            var row = features.Slice(frame * melBins, melBins);
            if (frame >= t0 && frame < t0 + t) row.Clear();
            else row.Slice(f0, f).Clear();
        }
        return new SpecAugmentMasks(f0, f, t0, t);
    }
}
