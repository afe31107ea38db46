using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Methods;

/// <summary>
/// The quantization machinery (NF4, double quantization, packing, stored bytes) and the quantization-aware methods
/// (QLoRA, LoftQ, PEQA) beyond the catalog contract: hand-computed values and bounds that can fail.
/// </summary>
[TestFixture]
public sealed class QuantizationTests
{
    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static IPeftMethod Method(string id) => MethodCatalog.Create().Get(id);

    /// <summary>N(0, σ²) weights from a seeded generator.</summary>
    private static Tensor Normal(long rows, long columns, double sigma = 0.02, ulong seed = 3)
    {
        using var g = new Generator(seed, CPU);
        return randn(new[] { rows, columns }, generator: g) * sigma;
    }

    private static Tensor RoundTrip(Tensor weight, IReadOnlyList<float> code)
    {
        var (indices, absmax) = Nf4.QuantizeBlockwise(weight.reshape(-1), Nf4.BlockSize, code);
        return Nf4.DequantizeBlockwise(indices, absmax, Nf4.BlockSize, code).view(weight.shape);
    }

    private static double Mse(Tensor a, Tensor b)
    {
        using var _ = NewDisposeScope();
        return (a - b).pow(2).mean().item<float>();
    }

    [Test]
    public void Nf4ValuesAreBitsandbytesOnesAscendingWithAnExactZero()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Nf4.Values, Has.Count.EqualTo(16));
            Assert.That(Nf4.Values, Is.Ordered.Ascending);
            Assert.That(Nf4.Values[0], Is.EqualTo(-1f));
            Assert.That(Nf4.Values[7], Is.EqualTo(0f));
            Assert.That(Nf4.Values[15], Is.EqualTo(1f));
            Assert.That(Nf4.Values[8], Is.EqualTo(0.07958029955625534f), "bitsandbytes get_4bit_type('nf4')[8]");
            Assert.That(Nf4.Values.Count(v => v < 0), Is.EqualTo(7));
        });
    }

    [Test]
    public void TheCodeValuesThemselvesRoundTripExactly()
    {
        foreach (var scale in new[] { 1f, 0.37f, 3.5e-3f })
        {
            // Four copies of the 16 values times the scale: one block of 64 whose absmax is the scale (the ±1 entries).
            var values = Enumerable.Repeat(Nf4.Values, 4).SelectMany(v => v).Select(v => v * scale).ToArray();
            using var weight = tensor(values).view(2, 32);
            var (indices, absmax) = Nf4.QuantizeBlockwise(weight.reshape(-1), Nf4.BlockSize, Nf4.Values);
            using var back = Nf4.DequantizeBlockwise(indices, absmax, Nf4.BlockSize, Nf4.Values).view(2, 32);
            Assert.Multiple(() =>
            {
                Assert.That(absmax.item<float>(), Is.EqualTo(scale));
                Assert.That(indices.to_type(ScalarType.Int64).data<long>().ToArray(), Is.EqualTo(Enumerable.Repeat(Enumerable.Range(0, 16).Select(i => (long)i), 4).SelectMany(v => v)));
                Assert.That(back.eq(weight).all().item<bool>(), $"scale {scale}: dequantized code values differ from the originals");
            });
        }
    }

    [Test]
    public void Nf4ErrorOnNormalWeightsIsBoundedAndBeatsUniformInt4()
    {
        using var weight = Normal(256, 256);
        using var nf4 = RoundTrip(weight, Nf4.Values);
        // Uniform 4-bit with the same blocks and absmax: 16 evenly spaced levels over [−1, 1].
        var uniform = Enumerable.Range(0, 16).Select(i => -1f + 2f * i / 15).ToArray();
        using var int4 = RoundTrip(weight, uniform);
        var variance = weight.pow(2).mean().item<float>();
        double nf4Error = Mse(weight, nf4), int4Error = Mse(weight, int4);
        TestContext.Out.WriteLine($"relative MSE: NF4 {nf4Error / variance:E3}, uniform int4 {int4Error / variance:E3}");
        // Per element: at most half the widest NF4 gap (between −1 and −0.6962) times the block's absmax.
        var widestGap = Nf4.Values.Zip(Nf4.Values.Skip(1), (a, b) => b - a).Max();
        using var absmax = weight.reshape(-1, 64).abs().amax([1], keepdim: true);
        var worst = ((weight.reshape(-1, 64) - nf4.reshape(-1, 64)).abs() / absmax).max().item<float>();
        Assert.Multiple(() =>
        {
            Assert.That(nf4Error / variance, Is.LessThan(0.012), "NF4 relative MSE on N(0, σ²) in blocks of 64");
            Assert.That(nf4Error, Is.LessThan(int4Error * 0.9), "NF4 is built for normal data: lower MSE than uniform int4");
            Assert.That(widestGap, Is.EqualTo(1 - 0.6961928009986877f).Within(1e-7f));
            Assert.That(worst, Is.LessThanOrEqualTo(widestGap / 2 + 1e-6f));
        });
    }

    [Test]
    public void PackingTwoCodesPerByteRoundTrips()
    {
        using var g = new Generator(5, CPU);
        using var codes = randint(0, 16, new long[] { 101 }, generator: g, dtype: ScalarType.Int64).to_type(ScalarType.Byte);
        using var packed = FourBitPacking.Pack(codes);
        using var back = FourBitPacking.Unpack(packed, 101);
        using var pair = FourBitPacking.Pack(tensor(new byte[] { 0x1, 0x2, 0xF }));
        Assert.Multiple(() =>
        {
            Assert.That(packed.dtype, Is.EqualTo(ScalarType.Byte));
            Assert.That(packed.numel(), Is.EqualTo(51));
            Assert.That(back.eq(codes).all().item<bool>());
            Assert.That(pair.data<byte>().ToArray(), Is.EqualTo(new byte[] { 0x12, 0xF0 }), "first code in the high nibble, an odd one out padded with 0");
        });
    }

    [Test]
    public void DynamicMapIsBitsandbytesSigned8BitMap()
    {
        var map = Nf4.DynamicMap;
        Assert.Multiple(() =>
        {
            Assert.That(map, Has.Count.EqualTo(256));
            Assert.That(map, Is.Ordered.Ascending);
            Assert.That(map[^1], Is.EqualTo(1f));
            Assert.That(map, Does.Contain(0f));
            // The largest fraction value: the midpoint of the last interval of linspace(0.1, 1, 65), 1 − 0.9/128.
            Assert.That(map[^2], Is.EqualTo(0.99296875f).Within(1e-6f));
            Assert.That(map[0], Is.EqualTo(-map[^2]));
            // The smallest magnitude: 10⁻⁶ · 0.55 (i = 0: one midpoint of [0.1, 1]).
            Assert.That(map.Where(v => v > 0).Min(), Is.EqualTo(0.55e-6f).Within(1e-12f));
        });
    }

    [Test]
    public void DoubleQuantizationReconstructsAbsmaxWithinItsEightBitError()
    {
        // 600 blocks of 64: 600 constants, three second-level blocks of 256 (the last one short).
        using var weight = Normal(600, 64, sigma: 0.05, seed: 8);
        var (_, absmax) = Nf4.QuantizeBlockwise(weight.reshape(-1), Nf4.BlockSize, Nf4.Values);
        var (codes, scales, offset) = Nf4.QuantizeConstants(absmax);
        using var back = Nf4.DequantizeConstants(codes, scales, offset);
        var map = Nf4.DynamicMap;
        var widestGap = map.Zip(map.Skip(1), (a, b) => b - a).Max();
        using var centred = absmax - absmax.mean();
        using var padded = F.pad(centred.abs().reshape(-1), [0, 768 - 600]);
        using var blockMax = padded.view(3, 256).amax([1]);
        using var allowed = blockMax.repeat_interleave(256).narrow(0, 0, 600) * (widestGap / 2) + 1e-7f;
        var error = (back - absmax).abs();
        TestContext.Out.WriteLine($"max |absmax error| = {error.max().item<float>():E3} of max absmax {absmax.max().item<float>():E3}");
        Assert.Multiple(() =>
        {
            Assert.That(codes.dtype, Is.EqualTo(ScalarType.Byte));
            Assert.That(codes.numel(), Is.EqualTo(600));
            Assert.That(scales.numel(), Is.EqualTo(3));
            Assert.That(offset.item<float>(), Is.EqualTo(absmax.mean().item<float>()));
            Assert.That(error.le(allowed).all().item<bool>(), "each constant within half the dynamic map's widest gap times its block's absmax");
            Assert.That((error / absmax).max().item<float>(), Is.LessThan(0.01f), "relative error of the constants below 1%");
        });
    }

    [Test]
    public void StoredBytesOfA768SquareWeightAreCodesPlusConstants()
    {
        using var weight = Normal(768, 768);
        using var doubled = Nf4Weight.Quantize(weight, doubleQuantize: true);
        using var single = Nf4Weight.Quantize(weight, doubleQuantize: false);
        using var meta = Nf4Weight.Quantize(empty(768, 768, device: new Device(DeviceType.META)), doubleQuantize: true);
        Assert.Multiple(() =>
        {
            Assert.That(doubled.weight_codes.numel(), Is.EqualTo(294_912));
            // 294,912 code bytes + 9,216 one-byte absmax codes + 36 fp32 second-level absmax + one fp32 offset.
            Assert.That(doubled.StoredBytes, Is.EqualTo(294_912 + 9_216 + 36 * 4 + 4));
            Assert.That(single.StoredBytes, Is.EqualTo(294_912 + 9_216 * 4));
            Assert.That(meta.StoredBytes, Is.EqualTo(doubled.StoredBytes), "shape-only builds report the same figure");
        });
    }

    [Test]
    public void DoubleQuantizedNf4StaysCloseToSingleQuantized()
    {
        using var weight = Normal(128, 96);
        using var doubled = Nf4Weight.Quantize(weight, doubleQuantize: true);
        using var single = Nf4Weight.Quantize(weight, doubleQuantize: false);
        using var a = doubled.Dequantize();
        using var b = single.Dequantize();
        var variance = weight.pow(2).mean().item<float>();
        Assert.Multiple(() =>
        {
            Assert.That(a.shape, Is.EqualTo(new long[] { 128, 96 }));
            Assert.That(Mse(b, RoundTrip(weight, Nf4.Values)), Is.EqualTo(0), "the module's packed path equals the reference round trip");
            Assert.That(Mse(weight, a) / variance, Is.LessThan(Mse(weight, b) / variance * 1.05), "double quantization adds little error");
        });
    }

    [Test]
    public void BackboneStoredBytesCountQuantizedWeightsAsStored()
    {
        using var plain = TinyBert.Create();
        using var quantized = TinyBert.Create();
        Method("qlora").Apply(quantized, Method("qlora").DefaultConfig, TinyBert.Context(1));
        var backbone = plain.Sites.BackboneParameters;
        // TinyBert: 2 layers; q, k, v, o are 32×32 (1,024 weights: 512 code bytes, 16 absmax codes, one fp32 second-level
        // absmax, one fp32 offset = 536 bytes), the FFN's two linears 32×64 (2,048 weights: 1,024 + 32 + 4 + 4 = 1,064 bytes).
        long linearWeights = 2 * (4 * 1024 + 2 * 2048), stored = 2 * (4 * 536 + 2 * 1064);
        Assert.Multiple(() =>
        {
            Assert.That(plain.BackboneStoredBytes(), Is.EqualTo(4 * backbone), "fp32: four bytes per parameter");
            Assert.That(quantized.BackboneStoredBytes(), Is.EqualTo(4 * (backbone - linearWeights) + stored));
            Assert.That(quantized.CountParameters().Backbone, Is.EqualTo(backbone), "logical counts are unchanged by quantization");
        });
    }

    [Test]
    public void QloraFreesTheFloatWeightsAndComputesFromTheNf4Codes()
    {
        using var model = TinyBert.Create();
        var query = model.Sites.Linears.First(l => l.Role == SiteRoles.Query);
        using var original = query.weight.detach().clone();
        Method("qlora").Apply(model, Method("qlora").DefaultConfig, TinyBert.Context(1));
        model.eval();
        var nf4 = (Nf4Weight)query.Quantized!;
        using var expectedWeight = Nf4Weight.Quantize(original, doubleQuantize: true).Dequantize();
        using var x = Normal(5, 32, sigma: 1.0, seed: 4);
        using var expected = F.linear(x, expectedWeight, query.bias);
        using var actual = query.call(x); // B = 0: the LoRA branch adds nothing yet
        Assert.Multiple(() =>
        {
            Assert.That(query.weight.stride(), Is.EqualTo(new long[] { 0, 0 }), "the float weight's storage is released (one broadcast element)");
            Assert.That(query.weight.numel(), Is.EqualTo(1024), "logical shape kept");
            Assert.That(nf4.DoubleQuantized);
            Assert.That(nf4.weight_codes.dtype, Is.EqualTo(ScalarType.Byte));
            Assert.That((actual - expected).abs().max().item<float>(), Is.EqualTo(0f));
            Assert.That(model.Sites.Linears.Where(l => l.Role != SiteRoles.Head).All(l => l.Quantized is Nf4Weight && l.Adapters.Count == 1), "every linear quantized and adapted");
            Assert.That(model.AdapterState().Select(t => t.Name), Has.None.Contains(".nf4."), "the quantized base is not part of the adapter");
        });
    }

    [Test]
    public void LoftqReducesTheApproximationErrorOfPlainQuantization()
    {
        // A weight with a few strong directions (as trained weights have) plus noise.
        using var g = new Generator(12, CPU);
        using var weight = Normal(96, 64, sigma: 0.02, seed: 12) + randn(new long[] { 96, 4 }, generator: g).mm(randn(new long[] { 4, 64 }, generator: g)) * 0.05;
        const int rank = 8;
        const double scaling = 0.5; // α/r ≠ 1: the factors carry 1/s so that s·BA is the SVD part
        double Error(Tensor approximation) => (weight - approximation).norm().item<float>();
        using var plain = Nf4Weight.Quantize(weight, doubleQuantize: true);
        var plainError = Error(plain.Dequantize());
        var errors = new List<double>();
        foreach (var iterations in new[] { 1, 2, 5 })
        {
            var (q, a, b) = Loftq.Decompose(weight, rank, scaling, iterations, doubleQuant: true);
            using (q) using (a) using (b)
            {
                errors.Add(Error(q.Dequantize() + b.mm(a) * scaling));
                if (iterations == 1)
                {
                    // T = 1: Q is plain NF4 of W and s·BA the best rank-r approximation of W − Q.
                    Assert.That(Mse(q.Dequantize(), plain.Dequantize()), Is.EqualTo(0));
                    var (_, s, _) = linalg.svd((weight - q.Dequantize()).to_type(ScalarType.Float64), fullMatrices: false);
                    var tail = s.narrow(0, rank, s.shape[0] - rank).pow(2).sum().sqrt().item<double>();
                    Assert.That(errors[0], Is.EqualTo(tail).Within(1e-5), "‖W − Q − s·BA‖ = the norm of the discarded singular values");
                }
            }
        }
        TestContext.Out.WriteLine($"‖W − Q‖ = {plainError:E4}; ‖W − (Q + sBA)‖ at T = 1, 2, 5: {string.Join(", ", errors.Select(e => e.ToString("E4")))}");
        Assert.Multiple(() =>
        {
            Assert.That(errors[0], Is.LessThan(plainError * 0.9));
            Assert.That(errors[2], Is.LessThan(plainError * 0.9));
            Assert.That(errors[2], Is.LessThanOrEqualTo(errors[0] * 1.01), "more iterations do not make it worse");
        });
    }

    [Test]
    public void LoftqStartsCloserToTheFloatModelThanQlora()
    {
        using var reference = TinyBert.Create();
        var (batch, _) = TinyBert.Batch();
        using var expected = TinyBert.Logits(reference, batch);
        float Drift(string id)
        {
            using var model = TinyBert.Create();
            Method(id).Apply(model, Method(id).DefaultConfig.With("dropout", "0"), TinyBert.Context(1));
            model.eval();
            using var logits = TinyBert.Logits(model, batch);
            return (logits - expected).abs().max().item<float>();
        }
        float qlora = Drift("qlora"), loftq = Drift("loftq");
        TestContext.Out.WriteLine($"max |logit − float logit| at init: qlora {qlora:E3}, loftq {loftq:E3}");
        Assert.That(loftq, Is.LessThan(qlora));
    }

    [Test]
    public void PeqaTrainsOnlyTheScalesAndComputesSTimesCodesMinusZero()
    {
        using var model = TinyBert.Create();
        var value = model.Sites.Linears.First(l => l.Role == SiteRoles.Value);
        using var original = value.weight.detach().clone();
        var method = Method("peqa");
        method.Apply(model, method.DefaultConfig, TinyBert.Context(1));
        model.eval();
        var peqa = (PeqaWeight)value.Quantized!;
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad && model.OriginOf(p.name) != ParameterOrigin.Head).ToList();
        using var codes = peqa.Codes().to_type(ScalarType.Float32);
        using var zero = peqa.zero_points.to_type(ScalarType.Float32).unsqueeze(1);
        using var x = Normal(5, 32, sigma: 1.0, seed: 6);
        using var byHand = F.linear(x, peqa.scales.detach().unsqueeze(1) * (codes - zero), value.bias);
        using var actual = value.call(x);
        // RTN with a range that includes 0: every weight within half a step of its reconstruction.
        using var reconstructed = peqa.scales.detach().unsqueeze(1) * (codes - zero);
        var worstSteps = ((original - reconstructed).abs() / peqa.scales.detach().unsqueeze(1)).max().item<float>();
        Assert.Multiple(() =>
        {
            Assert.That(trainable.Select(p => p.name), Has.All.EndsWith(".peqa.scales"));
            Assert.That(trainable.Sum(p => p.parameter.numel()), Is.EqualTo(method.CountTrainable(model.Sites, method.DefaultConfig)));
            Assert.That(trainable, Has.Count.EqualTo(12), "2 layers × 6 linears");
            Assert.That(codes.min().item<float>(), Is.GreaterThanOrEqualTo(0));
            Assert.That(codes.max().item<float>(), Is.LessThanOrEqualTo(15));
            Assert.That(peqa.weight_codes.numel(), Is.EqualTo(32 * 32 / 2), "4-bit codes packed two per byte");
            Assert.That(peqa.StoredBytes, Is.EqualTo(512 + 32), "codes + one zero point per row");
            Assert.That((actual - byHand).abs().max().item<float>(), Is.EqualTo(0f), "forward = (s ⊙ (W̄ − z)) x + b");
            Assert.That(worstSteps, Is.LessThanOrEqualTo(0.5f + 1e-4f));
        });
    }

    [Test]
    public void PeqaOutputFollowsTheScalesLinearly()
    {
        using var model = TinyBert.Create();
        Method("peqa").Apply(model, Method("peqa").DefaultConfig, TinyBert.Context(1));
        var key = model.Sites.Linears.First(l => l.Role == SiteRoles.Key);
        using var x = Normal(4, 32, sigma: 1.0, seed: 9);
        using var before = key.call(x) - key.bias!;
        using (no_grad()) ((PeqaWeight)key.Quantized!).scales.mul_(3);
        using var after = key.call(x) - key.bias!;
        Assert.That((after - before * 3).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void ThreeBitPeqaUsesEightLevels()
    {
        using var model = TinyBert.Create();
        Method("peqa").Apply(model, Method("peqa").DefaultConfig.With("bits", "3"), TinyBert.Context(1));
        var peqa = (PeqaWeight)model.Sites.Linears.First(l => l.Role == SiteRoles.MlpUp).Quantized!;
        using var codes = peqa.Codes();
        Assert.That(codes.max().item<byte>(), Is.LessThanOrEqualTo(7));
        Assert.That(codes.min().item<byte>(), Is.EqualTo(0));
    }
}
