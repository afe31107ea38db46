using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// Kaldi-compatible log-mel filterbank features (Povey et al., 2011, Kaldi <c>compute-fbank-feats</c>, as
/// <c>torchaudio.compliance.kaldi.fbank</c> implements it) and AST's input preparation on top (Hugging Face
/// <c>ASTFeatureExtractor</c>). Per frame t of W samples, hop H (snip-edges framing: 1 + ⌊(N − W)/H⌋ frames):
/// x ← x − mean(x); x[n] ← x[n] − α·x[max(n−1, 0)]; x ← x·w; P[k] = |DFT_K(x)[k]|² (zero-padded to K);
/// E[m] = ln max(Σ_k P[k]·M[m, k], ε), with triangular filters M equally spaced on mel(f) = 1127 ln(1 + f/700)
/// between the low and high frequencies. Then zero-pad/truncate to <see cref="LogMelConfig.MaxLength"/> frames
/// and map x → (x − μ) / (2σ). Waveforms are float samples in [−1, 1] (not scaled to 16-bit), as AST expects.
/// </summary>
public sealed class LogMelFrontEnd : IDisposable
{
    /// <summary>Floor before the log: float32 machine epsilon (Kaldi's numeric_limits&lt;float&gt;::epsilon()).</summary>
    public const float LogFloor = 1.1920928955078125e-07f;

    private readonly Tensor window;
    private readonly Tensor filterbank;

    public LogMelConfig Config { get; }

    /// <summary>Triangular filters [mel bins, K/2 + 1] (the Nyquist column is zero, as in Kaldi).</summary>
    public Tensor Filterbank => filterbank;

    public LogMelFrontEnd(LogMelConfig config, Device? device = null)
    {
        var problems = config.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException($"log-mel front end: {string.Join(" ", problems)}");
        Config = config;
        // Long-lived: kept out of any caller's dispose scope on purpose, released by Dispose.
        window = MakeWindow(config, device).DetachFromDisposeScope();
        filterbank = MakeFilterbank(config, device).DetachFromDisposeScope();
    }

    /// <summary>Log-mel energies [frames, mel bins] of a mono waveform [N] (kaldi.fbank with AST's settings).</summary>
    public Tensor Fbank(Tensor waveform)
    {
        if (waveform.dim() != 1) throw new ArgumentException($"a waveform must be one-dimensional [samples], got [{string.Join(", ", waveform.shape)}].");
        int size = Config.WindowSamples, hop = Config.HopSamples;
        if (waveform.shape[0] < size)
            throw new ArgumentException($"a waveform of {waveform.shape[0]} samples is shorter than one {Config.FrameLengthMs} ms frame ({size} samples).");
        using var scope = NewDisposeScope();
        var frames = waveform.to(ScalarType.Float32, window.device).unfold(0, size, hop);
        if (Config.RemoveDcOffset) frames = frames - frames.mean(new long[] { 1 }, keepdim: true);
        if (Config.PreemphasisCoefficient != 0)
        {
            // x[n] − α·x[n−1], with x[−1] taken as x[0] (replicate padding).
            var previous = cat(new[] { frames.narrow(1, 0, 1), frames.narrow(1, 0, size - 1) }, 1);
            frames = frames - previous.mul(Config.PreemphasisCoefficient);
        }
        frames = frames * window;
        var padded = F.pad(frames, new long[] { 0, Config.FftLength - size });
        var power = fft.rfft(padded).abs().pow(2);
        var energies = power.mm(filterbank.t());
        return energies.clamp_min(LogFloor).log().MoveToOuterDisposeScope();
    }

    /// <summary>AST's <c>input_values</c> for one waveform: [max_length, mel bins], zero-padded or truncated, then normalised.</summary>
    public Tensor Features(Tensor waveform)
    {
        using var scope = NewDisposeScope();
        var fbank = Fbank(waveform);
        long frames = fbank.shape[0], target = Config.MaxLength;
        var fitted = frames < target ? F.pad(fbank, new long[] { 0, 0, 0, target - frames }) : fbank.narrow(0, 0, target);
        var result = Config.Normalize ? (fitted - Config.Mean) / (2 * Config.Std) : fitted;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>A batch [B, max_length, mel bins] for <see cref="AstModel"/>.</summary>
    public SpectrogramBatch Batch(IEnumerable<Tensor> waveforms)
    {
        var features = waveforms.Select(Features).ToList();
        if (features.Count == 0) throw new ArgumentException("a batch needs at least one waveform.");
        var batch = stack(features);
        foreach (var f in features) f.Dispose();
        return new SpectrogramBatch(batch);
    }

    public void Dispose()
    {
        window.Dispose();
        filterbank.Dispose();
    }

    private static Tensor MakeWindow(LogMelConfig c, Device? device)
    {
        int n = c.WindowSamples;
        return c.Window switch
        {
            FrameWindow.Hanning => hann_window(n, periodic: false, dtype: ScalarType.Float32, device: device),
            FrameWindow.Povey => hann_window(n, periodic: false, dtype: ScalarType.Float32, device: device).pow(0.85),
            FrameWindow.Hamming => hamming_window(n, periodic: false, alpha: 0.54f, beta: 0.46f, dtype: ScalarType.Float32, device: device),
            _ => ones(n, dtype: ScalarType.Float32, device: device),
        };
    }

    private static double Mel(double hz) => 1127.0 * Math.Log(1.0 + hz / 700.0);

    /// <summary>Kaldi's mel banks (no VTLN warp), computed in float32 tensors in the same order as torchaudio.</summary>
    private static Tensor MakeFilterbank(LogMelConfig c, Device? device)
    {
        using var scope = NewDisposeScope();
        int bins = c.NumMelBins, fftBins = c.FftLength / 2;
        double melLow = Mel(c.LowFrequencyHz), melHigh = Mel(c.UpperFrequencyHz);
        double delta = (melHigh - melLow) / (bins + 1);
        var bin = arange(bins, dtype: ScalarType.Float32).unsqueeze(1);
        var left = bin * delta + melLow;
        var center = (bin + 1.0) * delta + melLow;
        var right = (bin + 2.0) * delta + melLow;
        var hz = arange(fftBins, dtype: ScalarType.Float32) * ((double)c.SampleRateHz / c.FftLength);
        var mel = (hz / 700.0 + 1.0).log().mul(1127.0).unsqueeze(0);
        var up = (mel - left) / (center - left);
        var down = (right - mel) / (right - center);
        var banks = minimum(up, down).clamp_min(0.0);
        // The Nyquist bin gets no weight (Kaldi pads the filters with a zero column).
        return F.pad(banks, new long[] { 0, 1 }).to(device ?? CPU).MoveToOuterDisposeScope();
    }
}
