using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using static TorchSharp.torch;
using static PeftBench.Tests.Models.VitAstFixtures;

namespace PeftBench.Tests.Models;

/// <summary>
/// The log-mel front end against torchaudio's kaldi.fbank and ASTFeatureExtractor (fixtures/hf/audio), against values
/// derived by hand for 0.5·sin(2π·440 t) at 16 kHz, and against a double-precision DFT written out in the test.
/// </summary>
public sealed class LogMelFrontEndTests
{
    private const int Rate = 16000;
    private const double Amplitude = 0.5, Frequency = 440.0;

    private static Tensor Sine(int samples = Rate) =>
        tensor(Enumerable.Range(0, samples).Select(n => (float)(Amplitude * Math.Sin(2 * Math.PI * Frequency * n / Rate))).ToArray());

    private static Dictionary<string, Tensor> Audio() => Safetensors.Read(Hf("audio", "sine440.safetensors")).Tensors;

    [Test]
    public void FbankMatchesTorchaudioKaldiFbank()
    {
        var audio = Audio();
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig());
        var fbank = frontEnd.Fbank(audio["waveform"]);
        var reference = audio["fbank"];
        Assert.That(fbank.shape, Is.EqualTo(reference.shape));
        // Both float32 (observed: 2.1e-5 where ln E > −10, 4.1e-4 overall). Where the filter energy stands well above
        // float32 rounding of the FFT the logs agree to 1e-4; far from 440 Hz the sine's leakage is ~100 dB down, E is
        // near rounding noise and its log is allowed 2e-3.
        var strong = reference.gt(-10);
        var strongDiff = (fbank - reference).abs().masked_select(strong).max().item<float>();
        var allDiff = MaxAbsDiff(fbank, reference);
        TestContext.Out.WriteLine($"fbank: max |Δ| {strongDiff:E2} where ln E > −10 ({strong.sum().item<long>()} of {reference.numel()}), {allDiff:E2} overall");
        Assert.That(strongDiff, Is.LessThan(1e-4f));
        Assert.That(allDiff, Is.LessThan(2e-3f));
    }

    [TestCase(128, 1024, "ast_input_values")]
    [TestCase(64, 128, "ast_input_values_64bins_128frames")]
    public void FeaturesMatchAstFeatureExtractor(int bins, int frames, string key)
    {
        var audio = Audio();
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig { NumMelBins = bins, MaxLength = frames });
        var batch = frontEnd.Batch([audio["waveform"]]).InputValues;
        var reference = audio[key];
        Assert.That(batch.shape, Is.EqualTo(reference.shape));
        // Normalised by 2σ ≈ 9.14, so the fbank tolerances shrink by that factor (observed: 2.3e-6 strong, 4.5e-5 overall).
        var strong = reference.gt((-10 + 4.2677393) / (2 * 4.5689974));
        var strongDiff = (batch - reference).abs().masked_select(strong).max().item<float>();
        var allDiff = MaxAbsDiff(batch, reference);
        TestContext.Out.WriteLine($"{key}: max |Δ| {strongDiff:E2} on strong bins, {allDiff:E2} overall");
        Assert.That(strongDiff, Is.LessThan(1e-5f));
        Assert.That(allDiff, Is.LessThan(2e-4f));
    }

    [Test]
    public void FramingPaddingAndNormalisationFollowAst()
    {
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig());
        // Snip-edges framing: 1 + ⌊(16000 − 400) / 160⌋ = 98 frames of 400 samples every 160, FFT of 512.
        Assert.That((frontEnd.Config.WindowSamples, frontEnd.Config.HopSamples, frontEnd.Config.FftLength), Is.EqualTo((400, 160, 512)));
        Assert.That(frontEnd.Fbank(Sine()).shape, Is.EqualTo(new long[] { 98, 128 }));
        var features = frontEnd.Features(Sine());
        Assert.That(features.shape, Is.EqualTo(new long[] { 1024, 128 }));
        // Frames 98… are zero padding before normalisation: (0 − (−4.2677393)) / (2 · 4.5689974) = 0.467032.
        Assert.That(features.narrow(0, 98, 926).sub(0.467032f).abs().max().item<float>(), Is.LessThan(1e-6f));
        // Longer input is truncated to max_length frames: 1 + ⌊(167_000 − 400) / 160⌋ = 1042 frames → 1024.
        Assert.That(frontEnd.Fbank(Sine(167_000)).shape[0], Is.EqualTo(1042));
        Assert.That(frontEnd.Features(Sine(167_000)).shape, Is.EqualTo(new long[] { 1024, 128 }));
    }

    [Test]
    public void ConstantSignalIsRemovedByTheDcOffsetAndFloored()
    {
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig());
        // Every frame minus its mean is zero, so every filter energy sits at the floor: ln(2⁻²³) = −15.942385.
        var fbank = frontEnd.Fbank(full(4000, 0.3f));
        Assert.That(fbank.sub(-15.942385f).abs().max().item<float>(), Is.LessThan(1e-5f));
        // … and normalises to (−15.942385 + 4.2677393) / 9.1379948 = −1.277593.
        Assert.That(frontEnd.Features(full(4000, 0.3f)).narrow(0, 0, 23).sub(-1.277593f).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void A440HzSinePeaksInMelBin23WithTheEnergyDerivedByHand()
    {
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig());
        var fbank = frontEnd.Fbank(Sine());
        // Mel scale m(f) = 1127 ln(1 + f/700): m(20 Hz) = 31.7486, m(8000 Hz) = 2840.049; 128 filters split that range into
        // 129 steps of 21.76977. Filter b rises from 31.7486 + 21.76977·b to its peak one step later. 440 Hz is m = 549.6,
        // between FFT bins 14 (437.5 Hz, m = 547.167) and 15 (468.75 Hz, m = 577.71). Bin 14 lies only in filters 22
        // (falling, weight 0.324) and 23 (rising, weight (547.167 − 532.453)/21.770 = 0.6759); bin 15 lies above filter
        // 23's right edge (575.99). So filter 23 collects the most energy.
        var peaks = fbank.argmax(1);
        Assert.That(peaks.eq(23).all().item<bool>(), Is.True, $"peaks: {string.Join(",", peaks.data<long>().ToArray().Distinct())}");

        // Its energy: every 400-sample frame holds exactly 11 periods, so removing the DC offset changes nothing.
        // Pre-emphasis scales a sinusoid by |1 − 0.97 e^{−iω}|, ω = 2π·440/16000: A'² = 0.25 · (1 + 0.97² − 1.94 cos ω).
        // The symmetric Hann window sums to 199.5; bin 14 misses 440 Hz by Δ = 2π(14/512 − 440/16000) rad, which costs
        // a factor 1 − Δ²σ²/2 with σ² = N²(1/12 − 1/(2π²)) the window's spread. So |X₁₄| ≈ (A'/2)·199.5·(1 − Δ²σ²/2) and
        // E₂₃ ≈ 0.6759 · |X₁₄|² (≈ 49.8, ln ≈ 3.909).
        double omega = 2 * Math.PI * Frequency / Rate;
        double aPrime2 = Amplitude * Amplitude * (1 + 0.97 * 0.97 - 2 * 0.97 * Math.Cos(omega));
        double delta = 2 * Math.PI * (14.0 / 512 - Frequency / Rate);
        double spread = 400.0 * 400.0 * (1.0 / 12 - 1 / (2 * Math.PI * Math.PI));
        double magnitude = Math.Sqrt(aPrime2) / 2 * 199.5 * (1 - delta * delta * spread / 2);
        double Mel(double f) => 1127 * Math.Log(1 + f / 700);
        double step = (Mel(8000) - Mel(20)) / 129;
        double weight = (Mel(437.5) - (Mel(20) + 23 * step)) / step;
        double expected = Math.Log(weight * magnitude * magnitude);
        Assert.That(weight, Is.EqualTo(0.6759).Within(1e-3));
        Assert.That(expected, Is.EqualTo(3.909).Within(2e-3));
        // The approximation leaves out the window's image at −440 Hz (≥ 60 dB down) and higher-order terms: 0.5 %.
        var measured = fbank.select(1, 23);
        Assert.That(measured.min().item<float>(), Is.EqualTo(expected).Within(0.005));
        Assert.That(measured.max().item<float>(), Is.EqualTo(expected).Within(0.005));
    }

    [Test]
    public void EveryFilterMatchesADoublePrecisionDftWrittenOutByHand()
    {
        using var frontEnd = new LogMelFrontEnd(new LogMelConfig());
        var wave = Sine().data<float>().ToArray();
        var fbank = frontEnd.Fbank(tensor(wave));
        const int size = 400, hop = 160, fftLength = 512, bins = 128;
        double Mel(double f) => 1127 * Math.Log(1 + f / 700);
        double low = Mel(20), step = (Mel(8000) - low) / (bins + 1);
        foreach (var t in new[] { 0, 41, 97 })
        {
            var x = Enumerable.Range(0, size).Select(n => (double)wave[t * hop + n]).ToArray();
            var mean = x.Average();
            var centred = x.Select(v => v - mean).ToArray();
            var windowed = Enumerable.Range(0, size)
                .Select(n => (centred[n] - 0.97 * centred[Math.Max(n - 1, 0)]) * (0.5 - 0.5 * Math.Cos(2 * Math.PI * n / (size - 1)))).ToArray();
            var power = Enumerable.Range(0, fftLength / 2).Select(k =>
            {
                double re = 0, im = 0;
                for (int n = 0; n < size; n++) { re += windowed[n] * Math.Cos(2 * Math.PI * k * n / fftLength); im -= windowed[n] * Math.Sin(2 * Math.PI * k * n / fftLength); }
                return re * re + im * im;
            }).ToArray();
            for (int b = 0; b < bins; b++)
            {
                double energy = 0;
                for (int k = 0; k < fftLength / 2; k++)
                {
                    double m = Mel(k * (double)Rate / fftLength), left = low + b * step;
                    energy += power[k] * Math.Max(0, Math.Min((m - left) / step, (left + 2 * step - m) / step));
                }
                var expected = Math.Log(Math.Max(energy, LogMelFrontEnd.LogFloor));
                // float32 FFT against a double DFT: 1e-4 where the energy stands above float32 noise (ln E > −10).
                if (expected > -10) Assert.That(fbank[t, b].item<float>(), Is.EqualTo(expected).Within(1e-4), $"frame {t}, filter {b}");
            }
        }
    }

    [Test]
    public void WindowHopAndBinsAreConfigurable()
    {
        var config = new LogMelConfig { SampleRateHz = 8000, FrameLengthMs = 32, FrameShiftMs = 16, NumMelBins = 40, MaxLength = 50, Window = FrameWindow.Hamming };
        using var frontEnd = new LogMelFrontEnd(config);
        Assert.That((config.WindowSamples, config.HopSamples, config.FftLength), Is.EqualTo((256, 128, 256)));
        Assert.That(frontEnd.Filterbank.shape, Is.EqualTo(new long[] { 40, 129 }));
        // 8000 samples: 1 + (8000 − 256) / 128 = 61 frames, truncated to 50.
        Assert.That(frontEnd.Fbank(full(8000, 0.1f)).shape, Is.EqualTo(new long[] { 61, 40 }));
        Assert.That(frontEnd.Features(full(8000, 0.1f)).shape, Is.EqualTo(new long[] { 50, 40 }));
        Assert.That(LogMelConfig.ForAst(AstConfig.Base), Is.EqualTo(new LogMelConfig()));
        Assert.That(() => new LogMelFrontEnd(new LogMelConfig { LowFrequencyHz = 9000 }), Throws.ArgumentException.With.Message.Contains("mel range"));
        Assert.That(() => frontEnd.Fbank(zeros(100)), Throws.ArgumentException.With.Message.Contains("shorter than one"));
    }

    [Test]
    public void FeaturesFeedTheAstModel()
    {
        var config = new AstConfig { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 24, NumMelBins = 32, MaxLength = 48 };
        using var frontEnd = new LogMelFrontEnd(LogMelConfig.ForAst(config));
        using var model = new AstModel(config);
        var batch = frontEnd.Batch([Sine(4000), Sine(9000)]);
        Assert.That(batch.InputValues.shape, Is.EqualTo(new long[] { 2, 48, 32 }));
        Assert.That(model.Forward(batch).shape, Is.EqualTo(new long[] { 2, model.SequenceLength, 16 }));
    }
}
