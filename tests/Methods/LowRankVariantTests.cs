using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>What each LoRA variant computes beyond the shared contract: scaling, frozen factors, lr groups, inits.</summary>
[TestFixture]
public sealed class LowRankVariantTests
{
    private static IPeftMethod Get(string id) => MethodCatalog.Create().Get(id);

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static List<(AdaptableLinear Linear, T Adapter)> Attach<T>(string id, MethodConfig? config = null) where T : LinearAdapter
    {
        var model = TinyBert.Create();
        Get(id).Apply(model, config ?? Get(id).DefaultConfig, TinyBert.Context(7));
        return model.Sites.Linears.Where(l => l.Adapters.Count > 0).Select(l => (l, (T)l.Adapters[0])).ToList();
    }

    private static float MaxAbs(Tensor t) => t.abs().max().item<float>();

    [Test]
    public void RsLoraScalesByAlphaOverRootRank()
    {
        var config = new LoraConfig { Rank = 4, Alpha = 8 };
        var adapter = Attach<LoraAdapter>("rslora", config)[0].Adapter;
        Assert.That(adapter.Scaling, Is.EqualTo(8 / Math.Sqrt(4)));
        Assert.That(Attach<LoraAdapter>("lora", config)[0].Adapter.Scaling, Is.EqualTo(8 / 4.0), "plain LoRA keeps α/r");
    }

    [Test]
    public void LoraFaKeepsAAsAFrozenBuffer()
    {
        var adapter = Attach<LoraAdapter>("lora-fa")[0].Adapter;
        Assert.Multiple(() =>
        {
            Assert.That(adapter.named_parameters().Select(p => p.name), Is.EqualTo(new[] { "lora_B" }));
            Assert.That(adapter.named_buffers().Select(b => b.name), Does.Contain("lora_A"));
            Assert.That(adapter.lora_A.requires_grad, Is.False);
        });
    }

    [Test]
    public void LoraPlusTrainsBAtRatioTimesTheLearningRate()
    {
        using var model = TinyBert.Create();
        var config = new LoraPlusConfig { LearningRate = 1e-3, LoraplusLrRatio = 16 };
        var groups = Get("lora-plus").Apply(model, config, TinyBert.Context(7)).ParameterGroups(model).ToList();
        var bs = model.Sites.Linears.SelectMany(l => l.Adapters).Cast<LoraAdapter>().Select(a => a.lora_B).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 16e-3, 1e-3 }));
            Assert.That(groups[0].Parameters, Is.EquivalentTo(bs));
            Assert.That(groups.Sum(g => g.Parameters.Sum(p => p.numel())),
                Is.EqualTo(model.parameters().Where(p => p.requires_grad).Sum(p => p.numel())), "every trainable parameter in exactly one group");
            Assert.That(config.ToCanonicalJson(), Does.Contain("\"loraplus_lr_ratio\":16"));
        });
    }

    [Test]
    public void LoraCanonicalJsonIsUnchangedByTheVariants() =>
        Assert.That(new LoraConfig().ToCanonicalJson(),
            Is.EqualTo("{\"alpha\":8,\"dropout\":0,\"learning_rate\":0.002,\"rank\":8,\"targets\":[\"attn.q\",\"attn.v\"]}"));

    [Test]
    public void DoraMagnitudeStartsAtTheRowNormsOfW0()
    {
        foreach (var (linear, adapter) in Attach<DoraAdapter>("dora"))
        {
            using var norms = linear.weight.detach().norm(1, false, 2);
            Assert.That(MaxAbs(adapter.lora_magnitude_vector - norms), Is.LessThan(1e-6f), linear.Path);
            Assert.That(adapter.lora_magnitude_vector.shape, Is.EqualTo(new[] { linear.OutFeatures }));
        }
    }

    [TestCase("pissa", true)]
    [TestCase("milora", false)]
    public void SvdInitsTakeTheLargestOrSmallestSingularPart(string id, bool largest)
    {
        foreach (var (linear, adapter) in Attach<ResidualLoraAdapter>(id))
        {
            var w = linear.weight.detach().to_type(ScalarType.Float64);
            var (_, s, _) = linalg.svd(w, fullMatrices: false);
            var part = adapter.lora_B.detach().mm(adapter.lora_A.detach()).mul(adapter.Scaling).to_type(ScalarType.Float64);
            var (_, sPart, _) = linalg.svd(part, fullMatrices: false);
            var r = adapter.lora_A.shape[0];
            var expected = largest ? s.narrow(0, 0, r) : s.narrow(0, s.shape[0] - r, r);
            Assert.That(MaxAbs((sPart.narrow(0, 0, r) - expected).to_type(ScalarType.Float32)), Is.LessThan(1e-5f), $"{id} {linear.Path}: singular values of s·B₀A₀");
            // The residual W₀ − s·B₀A₀ has the remaining spectrum: its rank-r part is gone.
            var (_, sRes, _) = linalg.svd(w - part, fullMatrices: false);
            var rest = largest ? s.narrow(0, r, s.shape[0] - r) : s.narrow(0, 0, s.shape[0] - r);
            Assert.That(MaxAbs((sRes.narrow(0, 0, rest.shape[0]) - rest).to_type(ScalarType.Float32)), Is.LessThan(1e-5f), $"{id} {linear.Path}: residual spectrum");
        }
    }

    [Test]
    public void OloraBIsOrthonormalAndTheSplitReproducesW0()
    {
        foreach (var (linear, adapter) in Attach<ResidualLoraAdapter>("olora"))
        {
            var b = adapter.lora_B.detach();
            var r = b.shape[1];
            Assert.That(MaxAbs(b.t().mm(b) - eye(r)), Is.LessThan(1e-5f), $"{linear.Path}: BᵀB = I");
            // Rows of A are the first rows of R: upper triangular.
            Assert.That(MaxAbs(adapter.lora_A.detach().narrow(1, 0, r).tril(-1)), Is.LessThan(1e-6f), $"{linear.Path}: A = R_{{:r}}");
        }
    }

    [TestCase("pissa")]
    [TestCase("milora")]
    [TestCase("olora")]
    [TestCase("corda")]
    public void ResidualSplitsRefuseARankAboveTheWeightsRank(string id)
    {
        var method = Get(id);
        using var model = TinyBert.Create();
        var config = method.WithKnob(method.DefaultConfig, 33);
        Assert.Multiple(() =>
        {
            Assert.That(method.Validate(config, model.Sites), Has.Some.Contains("exceeds min(d_in, d_out) = 32"));
            Assert.That(method.KnobFor(model.Sites, config)!.Max, Is.EqualTo(32));
        });
    }

    [Test]
    public void InputCovarianceSumsScaledTokenOuterProductsOverUnpaddedTokens()
    {
        using var model = TinyBert.Create();
        var query = model.Sites.SelectLinears(new[] { "attn.q" })[0];
        var batch = TinyBert.Batch().Batch;
        var seen = new List<Tensor>();
        Calibration.ObserveInputs(model, new[] { query }, new[] { batch }, (_, input, mask) => seen.Add(input.clone().DetachFromDisposeScope()));
        var covariance = Calibration.InputCovariance(model, new[] { query }, new[] { batch })[query];
        // By hand: each example's unpadded rows, scaled by their largest magnitude, XᵀX summed, divided by examples.
        var expected = zeros(32, 32, dtype: ScalarType.Float64);
        var lengths = batch.AttentionMask.sum(1).data<long>().ToArray();
        for (var i = 0; i < lengths.Length; i++)
        {
            var x = seen[0][i].narrow(0, 0, lengths[i]).to_type(ScalarType.Float64);
            x = x / x.abs().max();
            expected += x.t().mm(x);
        }
        expected /= lengths.Length;
        Assert.Multiple(() =>
        {
            Assert.That(seen, Has.Count.EqualTo(1), "one call per batch and linear");
            Assert.That(MaxAbs((covariance - expected).to_type(ScalarType.Float32)), Is.LessThan(1e-9f));
            Assert.That(MaxAbs((covariance - covariance.t()).to_type(ScalarType.Float32)), Is.LessThan(1e-12f), "symmetric");
            Assert.That(model.training, Is.False);
        });
    }

    [TestCase(CordaMode.Ipm)]
    [TestCase(CordaMode.Kpm)]
    public void CordaAdaptsTheTopOrBottomComponentsOfW0TimesTheCovariance(CordaMode mode)
    {
        using var model = TinyBert.Create();
        var config = new CordaConfig { Mode = mode, Rank = 4 };
        var targets = model.Sites.SelectLinears(config.Targets);
        var covariances = Calibration.InputCovariance(model, targets, new[] { TinyBert.Batch().Batch });
        Get("corda").Apply(model, config, TinyBert.Context(7));
        foreach (var linear in targets)
        {
            var adapter = (ResidualLoraAdapter)linear.Adapters[0];
            var c = covariances[linear];
            var damped = c + eye(32, dtype: ScalarType.Float64) * c.diagonal().mean() * 0.01;
            var w = linear.weight.detach().to_type(ScalarType.Float64);
            var (_, s, _) = linalg.svd(w.mm(damped), fullMatrices: false);
            var part = adapter.lora_B.detach().mm(adapter.lora_A.detach()).mul(adapter.Scaling).to_type(ScalarType.Float64);
            var (_, sPart, _) = linalg.svd(part.mm(damped), fullMatrices: false);
            var expected = mode == CordaMode.Ipm ? s.narrow(0, 0, 4) : s.narrow(0, s.shape[0] - 4, 4);
            var relative = ((sPart.narrow(0, 0, 4) - expected).abs() / expected).max().item<double>();
            Assert.That(relative, Is.LessThan(1e-4), $"{mode} {linear.Path}: singular values of s·B₀A₀·C'");
        }
    }

    [Test]
    public void CordaRefusesToRunWithoutCalibrationData()
    {
        using var model = TinyBert.Create();
        var error = Assert.Throws<InvalidOperationException>(() => Get("corda").Apply(model, new CordaConfig(), new MethodContext(CPU, new Generator(1, CPU))));
        Assert.That(error!.Message, Does.Contain("calibration"));
    }
}
