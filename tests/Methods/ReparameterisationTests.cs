using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>
/// Checks the contract tests cannot see at default settings: the orthogonal methods really rotate (W₀R keeps W₀'s
/// singular values) at random, non-default parameters; VeRA shares one frozen pair; LoKr splits dimensions as peft.
/// </summary>
[TestFixture]
public sealed class ReparameterisationTests
{
    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static IEnumerable<TestCaseData> Rotations()
    {
        yield return new TestCaseData(new Oft(), new OftConfig { BlockSize = 8, CayleyNeumann = false }).SetArgDisplayNames("oft exact Cayley");
        yield return new TestCaseData(new Boft(), new BoftConfig { BlockSize = 4, NButterflyFactor = 2 }).SetArgDisplayNames("boft 2 butterfly factors");
        yield return new TestCaseData(new Hra(), new HraConfig { Rank = 5 }).SetArgDisplayNames("hra odd rank");
        yield return new TestCaseData(new Hra(), new HraConfig { Rank = 6, ApplyGs = true }).SetArgDisplayNames("hra Gram-Schmidt");
    }

    [TestCaseSource(nameof(Rotations))]
    public void RandomParametersGiveAnOrthogonalRotationOfTheInputSide(IPeftMethod method, MethodConfig config)
    {
        using var model = TinyBert.Create();
        method.Apply(model, config, TinyBert.Context(3));
        using (no_grad())
        using (var g = new Generator(5, CPU))
            foreach (var (name, p) in model.named_parameters().Where(p => model.OriginOf(p.name) == PeftBench.Core.Models.ParameterOrigin.Adapter))
                if (!name.EndsWith("boft_s", StringComparison.Ordinal)) p.add_(randn(p.shape, generator: g).mul_(0.3));
        foreach (var linear in model.Sites.Linears.Where(l => l.Adapters.Count > 0))
        {
            using var scope = NewDisposeScope();
            var w0 = linear.weight.detach();
            var adapted = w0 + linear.Adapters[0].DeltaWeight(linear).detach();
            Assert.That((adapted - w0).abs().max().item<float>(), Is.GreaterThan(1e-3f), "the random parameters must move W");
            var expected = linalg.svdvals(w0);
            var actual = linalg.svdvals(adapted);
            Assert.That((actual - expected).abs().max().item<float>(), Is.LessThan(1e-4f), $"{linear.Path}: W₀R must keep W₀'s singular values");
        }
    }

    [Test]
    public void HraPenaltyIsAnAuxiliaryLossThatSeesThePairedInit()
    {
        using var model = TinyBert.Create();
        var attachment = new Hra().Apply(model, new HraConfig(), TinyBert.Context(3));
        using var aux = attachment.AuxiliaryLoss();
        // Paired columns are equal, so ÛᵀÛ has off-diagonal ones: the penalty is far from zero at init.
        Assert.That(aux, Is.Not.Null);
        Assert.That(aux!.item<float>(), Is.GreaterThan(0f));
        Assert.That(aux.requires_grad);
    }

    [Test]
    public void VeraSharesOneFrozenPairAcrossTargets()
    {
        using var model = TinyBert.Create();
        new Vera().Apply(model, new VeraConfig { Rank = 4 }, TinyBert.Context(3));
        var buffers = model.named_buffers().Where(b => b.name.Contains(".vera.", StringComparison.Ordinal)).ToList();
        var a = buffers.Where(b => b.name.EndsWith("vera_A", StringComparison.Ordinal)).Select(b => b.buffer).ToList();
        // named_buffers lists a tensor once however many modules hold it: one A for the four adapted projections.
        Assert.That(model.Sites.Linears.Count(l => l.Adapters.Count > 0), Is.EqualTo(4));
        Assert.That(a, Has.Count.EqualTo(1), "every target must hold the same projection tensor");
        Assert.That(a[0].shape, Is.EqualTo(new long[] { 4, 32 }));
        Assert.That(a[0].requires_grad, Is.False);
    }

    [TestCase(32, 4, 8)]
    [TestCase(768, 24, 32)]
    [TestCase(3072, 48, 64)]
    [TestCase(17, 1, 17)]
    public void LokrFactorisesLikePeft(int dimension, int m, int n) =>
        Assert.That(LokrFactorisation(dimension), Is.EqualTo((m, n)));

    private static (int, int) LokrFactorisation(int dimension)
    {
        var (m, n) = Lokr.Factorization(dimension, -1);
        return ((int)m, (int)n);
    }
}
