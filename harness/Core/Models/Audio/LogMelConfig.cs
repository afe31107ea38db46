namespace PeftBench.Core.Models;

/// <summary>The analysis window applied to each frame (Kaldi's <c>window_type</c>).</summary>
public enum FrameWindow
{
    /// <summary>Symmetric Hann, 0.5 − 0.5 cos(2πn/(N−1)): what AST uses.</summary>
    Hanning,
    /// <summary>Kaldi's default: Hann to the power 0.85.</summary>
    Povey,
    /// <summary>Symmetric Hamming, 0.54 − 0.46 cos(2πn/(N−1)).</summary>
    Hamming,
    Rectangular,
}

/// <summary>
/// Settings of the log-mel filterbank front end (<see cref="LogMelFrontEnd"/>). The defaults are what Hugging
/// Face's <c>ASTFeatureExtractor</c> asks of <c>torchaudio.compliance.kaldi.fbank</c>: 16 kHz, 25 ms Hanning
/// window, 10 ms hop, 128 mel bins from 20 Hz to Nyquist, DC offset removed, pre-emphasis 0.97, power spectrum,
/// natural log floored at float32 ε, no dither, no energy column (so <c>htk_compat</c> changes nothing); then
/// padding/truncation to 1024 frames and AudioSet normalisation (x − mean) / (2·std).
/// </summary>
public sealed record LogMelConfig
{
    public int SampleRateHz { get; init; } = 16000;
    public double FrameLengthMs { get; init; } = 25.0;
    public double FrameShiftMs { get; init; } = 10.0;
    public FrameWindow Window { get; init; } = FrameWindow.Hanning;
    public int NumMelBins { get; init; } = 128;
    public double LowFrequencyHz { get; init; } = 20.0;
    /// <summary>Upper edge of the top filter; zero or negative counts back from Nyquist (Kaldi's convention).</summary>
    public double HighFrequencyHz { get; init; } = 0.0;
    public double PreemphasisCoefficient { get; init; } = 0.97;
    public bool RemoveDcOffset { get; init; } = true;
    /// <summary>Frames every utterance is zero-padded or truncated to (before normalisation, as ASTFeatureExtractor).</summary>
    public int MaxLength { get; init; } = 1024;
    public bool Normalize { get; init; } = true;
    /// <summary>AudioSet statistics of the log-mel features, from the AST paper's recipe.</summary>
    public double Mean { get; init; } = -4.2677393;
    public double Std { get; init; } = 4.5689974;

    /// <summary>Samples per frame, truncated as Kaldi does (400 at 16 kHz, 25 ms).</summary>
    public int WindowSamples => (int)(SampleRateHz * FrameLengthMs * 0.001);
    /// <summary>Samples between frame starts (160 at 16 kHz, 10 ms).</summary>
    public int HopSamples => (int)(SampleRateHz * FrameShiftMs * 0.001);
    /// <summary>FFT size: the window rounded up to a power of two (512).</summary>
    public int FftLength => WindowSamples <= 1 ? 1 : 1 << (int)Math.Ceiling(Math.Log2(WindowSamples));
    public double NyquistHz => 0.5 * SampleRateHz;
    public double UpperFrequencyHz => HighFrequencyHz <= 0 ? HighFrequencyHz + NyquistHz : HighFrequencyHz;

    /// <summary>The front end an AST checkpoint expects: its mel bins and input length, AST's other defaults.</summary>
    public static LogMelConfig ForAst(AstConfig config) => new() { NumMelBins = config.NumMelBins, MaxLength = config.MaxLength };

    public IEnumerable<string> Validate()
    {
        if (SampleRateHz <= 0) yield return $"sample rate must be positive (got {SampleRateHz}).";
        if (WindowSamples < 2) yield return $"a {FrameLengthMs} ms frame holds {WindowSamples} samples; at least 2 are needed.";
        if (HopSamples <= 0) yield return $"a {FrameShiftMs} ms hop holds no sample.";
        if (NumMelBins <= 0) yield return $"num mel bins must be positive (got {NumMelBins}).";
        if (LowFrequencyHz < 0 || LowFrequencyHz >= NyquistHz || UpperFrequencyHz <= LowFrequencyHz || UpperFrequencyHz > NyquistHz)
            yield return $"mel range {LowFrequencyHz}–{UpperFrequencyHz} Hz must lie within 0–{NyquistHz} Hz and be increasing.";
        if (PreemphasisCoefficient is < 0 or > 1) yield return $"pre-emphasis must lie in [0, 1] (got {PreemphasisCoefficient}).";
        if (MaxLength <= 0) yield return $"max length must be positive (got {MaxLength}).";
        if (Normalize && Std <= 0) yield return $"std must be positive (got {Std}).";
    }
}
