using NUnit.Framework;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// tiny-ast's front end (Kaldi fbank as AST configures it: 16 kHz, 25 ms symmetric Hann window, 10 ms hop, FFT 512,
/// 64 mel bins from 20 Hz to Nyquist, DC removal, pre-emphasis 0.97) on a 1 kHz sine, against the closed form.
/// </summary>
public sealed class LogMelSineTests
{
    private const int Rate = 16000, N = 400, Hop = 160, Fft = 512, Bins = 64;
    private const double A = 0.5, F0 = 1000.0, Preemphasis = 0.97;

    private static double Mel(double f) => 1127 * Math.Log(1 + f / 700);

    /// <summary>
    /// Dirichlet kernel sin(Nθ/2)/sin(θ/2) = |Σ_{n<N} e^{−iθn}|, signed; N at θ = 0.
    /// </summary>
    private static double Dirichlet(double theta) =>
        Math.Abs(Math.Sin(theta / 2)) < 1e-12 ? N : Math.Sin(N * theta / 2) / Math.Sin(theta / 2);

    /// <summary>
    /// |W(θ)| of the symmetric Hann window w[n] = ½ − ½cos(2πn/(N−1)): its three complex exponentials give
    /// W(θ) = e^{−iθ(N−1)/2}·[½D(θ) + ¼D(θ − α) + ¼D(θ + α)], α = 2π/(N−1) (the shifted kernels' phase e^{±iπ} flips
    /// their sign), so |W(0)| = Σw = (N − 1)/2 = 199.5.
    /// </summary>
    private static double HannTransform(double theta)
    {
        double alpha = 2 * Math.PI / (N - 1);
        return 0.5 * Dirichlet(theta) + 0.25 * Dirichlet(theta - alpha) + 0.25 * Dirichlet(theta + alpha);
    }

    [Test]
    public void A1kHzSineGivesTheClosedFormEnergyInTheMelBinsAround1kHzAndTheFloorFarAway()
    {
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig { NumMelBins = Bins, MaxLength = 96 });
        var wave = Enumerable.Range(0, Rate).Select(n => (float)(A * Math.Sin(2 * Math.PI * F0 * n / Rate))).ToArray();
        var fbank = frontEnd.Fbank(tensor(wave));
        Assert.That(fbank.shape, Is.EqualTo(new long[] { 98, Bins }));
        // A frame (400 samples) holds exactly 25 periods of 16 samples and the hop (160) exactly 10: every frame is the
        // same signal, the DC offset removal subtracts (nearly) nothing, and pre-emphasis at n = 0 (x[−1] := x[0]) meets
        // w[0] = 0. So every row equals the closed form below.
        var rows = fbank.data<float>().ToArray();
        for (int t = 1; t < 98; t++)
            for (int m = 0; m < Bins; m++)
                Assert.That(rows[t * Bins + m], Is.EqualTo(rows[m]).Within(1e-4), $"frame {t} bin {m}");

        // Pre-emphasis is the filter 1 − 0.97 z⁻¹: the sine keeps its frequency with amplitude A' = A·|1 − 0.97 e^{−iω}|.
        // Its windowed DFT at bin k is (A'/2)·|W(2πk/512 − ω)| (the image at −ω is > 100 dB down and left out), and
        // 1 kHz is exactly bin 32 (31.25 Hz per bin), so the peak |X₃₂|² = (A'·199.5/2)².
        double omega = 2 * Math.PI * F0 / Rate;
        double aPrime = A * Math.Sqrt(1 + Preemphasis * Preemphasis - 2 * Preemphasis * Math.Cos(omega));
        double Power(int k) => Math.Pow(aPrime / 2 * HannTransform(2 * Math.PI * k / Fft - omega), 2);
        Assert.That(Power(32), Is.EqualTo(Math.Pow(aPrime * 199.5 / 2, 2)).Within(1e-9).Percent);
        // Kaldi's mel triangles: 64 filters equally spaced on mel(f) = 1127 ln(1 + f/700) between 20 Hz and 8 kHz
        // (65 steps of 43.205 mel); filter m rises from mel_lo + m·step to its peak one step later. mel(1 kHz) = 999.99
        // sits 0.411 of a step into filter 22's rise and 0.589 into filter 21's fall.
        double low = Mel(20), step = (Mel(8000) - low) / (Bins + 1);
        double Weight(int m, int k)
        {
            double mel = Mel(k * (double)Rate / Fft), left = low + m * step;
            return Math.Max(0, Math.Min((mel - left) / step, (left + 2 * step - mel) / step));
        }
        Assert.That(Weight(22, 32), Is.EqualTo(0.411).Within(1e-3));
        Assert.That(Weight(21, 32), Is.EqualTo(0.589).Within(1e-3));
        double Expected(int m) => Math.Log(Math.Max(Enumerable.Range(0, Fft / 2).Sum(k => Power(k) * Weight(m, k)), LogMelFrontEnd.LogFloor));

        // Filters 20–23 hold the main lobe (±2.6 bins = ±80 Hz). Tolerance 2e-4 in ln E (0.02 % in energy): float32
        // rounding of the 400-sample sums and of the filter weights is ~1e-5 relative, the image term ~1e-10
        // (observed: ≤ 2e-5).
        var report = new List<string>();
        foreach (var m in new[] { 20, 21, 22, 23 })
        {
            report.Add($"{m}: {rows[m]:F5} vs {Expected(m):F5}");
            Assert.That(rows[m], Is.EqualTo(Expected(m)).Within(2e-4), $"mel bin {m}");
        }
        TestContext.Out.WriteLine(string.Join("; ", report));
        // Filter 21 (falling through 1 kHz, most weight on bin 32) is the peak: ≈ 0.589·|X₃₂|² plus its share of the lobe.
        Assert.That(rows.Take(Bins).ToList().IndexOf(rows.Take(Bins).Max()), Is.EqualTo(21));

        // Far from 1 kHz (filters below 300 Hz and above 3 kHz) the Hann sidelobes (−31 dB first, falling 18 dB/octave)
        // leave < 1e-6 of the peak energy: those bins sit more than 14 nats below the peak, close to the float32 floor
        // ln ε = −15.94 rather than near the ≈ 5 nats of the peak.
        double peak = rows[21];
        for (int m = 0; m < Bins; m++)
        {
            double centre = 700 * (Math.Exp((low + (m + 1) * step) / 1127) - 1);
            if (centre is > 300 and < 3000) continue;
            Assert.That(rows[m], Is.LessThan(peak - 14), $"mel bin {m} (centre {centre:F0} Hz)");
        }
    }
}
