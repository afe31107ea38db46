using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// Band-limited resampling as <c>torchaudio.functional.resample</c> does by default (<c>sinc_interp_hann</c>,
/// <c>lowpass_filter_width</c> 6, <c>rolloff</c> 0.99; Smith, "Digital Audio Resampling", 2002): with the rates
/// reduced by their gcd to o → n, output phase j (of n) is a convolution with
/// k_j(t) = s·sinc(π·b·t)·cos²(π·b·t / 12), t = i/o − j/n, |b·t| ≤ 6 (clamped), b = 0.99·min(o, n), s = b/o,
/// applied with stride o over the input padded by the filter width (as a matrix product of the strided windows);
/// n·⌈length/o⌉ outputs, cut to ⌈length·n/o⌉. The kernel is computed in float32, as torchaudio does for a float32
/// waveform, once per resampler: build one per rate pair and reuse it over many clips.
/// </summary>
public sealed class SincResampler : IDisposable
{
    public const int LowpassFilterWidth = 6;
    public const double Rolloff = 0.99;

    private readonly Tensor? kernel;
    private readonly int width;
    private readonly int orig, target;

    public int FromHz { get; }
    public int ToHz { get; }

    public SincResampler(int fromHz, int toHz)
    {
        if (fromHz <= 0 || toHz <= 0) throw new ArgumentException($"sample rates must be positive ({fromHz} → {toHz} Hz).");
        (FromHz, ToHz) = (fromHz, toHz);
        int gcd = Gcd(fromHz, toHz);
        (orig, target) = (fromHz / gcd, toHz / gcd);
        if (fromHz == toHz) return;
        using var scope = NewDisposeScope();
        double baseFreq = Math.Min(orig, target) * Rolloff;
        width = (int)Math.Ceiling(LowpassFilterWidth * orig / baseFreq);
        var idx = arange(-width, width + orig, dtype: ScalarType.Float32).reshape(1, -1) / orig;
        var t = arange(0, -target, -1, dtype: ScalarType.Float32).reshape(-1, 1) / target + idx;
        t = (t * baseFreq).clamp(-LowpassFilterWidth, LowpassFilterWidth);
        // Same operation order as torchaudio (t·π / w / 2), so float32 rounding matches.
        var window = (t * Math.PI / LowpassFilterWidth / 2).cos().pow(2);
        t = t * Math.PI;
        var sinc = where(t.eq(0), ones_like(t), t.sin() / t);
        // [n phases, 2·width + o taps], transposed once for the matrix product.
        kernel = (sinc * (window * (baseFreq / orig))).t().contiguous().DetachFromDisposeScope();
    }

    /// <summary>Resamples [samples] or [channels, samples].</summary>
    public Tensor Resample(Tensor waveform)
    {
        if (waveform.dim() is not (1 or 2)) throw new ArgumentException($"a waveform is [samples] or [channels, samples], got [{string.Join(", ", waveform.shape)}].");
        if (kernel is null) return waveform.clone();
        using var scope = NewDisposeScope();
        var rows = waveform.dim() == 1 ? waveform.unsqueeze(0) : waveform;
        long length = rows.shape[1];
        var padded = F.pad(rows.to_type(ScalarType.Float32), new long[] { width, width + orig });
        // torchaudio's conv1d(padded, kernel, stride = o) as a matrix product of the strided windows with the n phase
        // kernels (the same sums; libtorch's strided convolution with hundreds of output channels is far slower on CPU).
        var output = padded.unfold(1, kernel.shape[0], orig).matmul(kernel.to(padded.device)).reshape(rows.shape[0], -1);
        var result = output.narrow(1, 0, (long)Math.Ceiling((double)target * length / orig));
        return (waveform.dim() == 1 ? result.squeeze(0) : result).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Resamples a mono float waveform.</summary>
    public float[] Resample(float[] samples)
    {
        using var input = tensor(samples);
        using var output = Resample(input);
        return output.data<float>().ToArray();
    }

    public void Dispose() => kernel?.Dispose();

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
