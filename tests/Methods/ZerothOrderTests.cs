using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>MeZO and Sparse-MeZO: the in-place SPSA step (Spsa.cs) against hand computation, and the small-magnitude mask.</summary>
[TestFixture]
public sealed class ZerothOrderTests
{
    private static IPeftMethod Get(string id) => MethodCatalog.Create().Get(id);

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static (SequenceClassifier Model, SpsaAttachment Attachment, List<Parameter> Parameters) Attached(string id, ulong seed = 7, MethodConfig? config = null)
    {
        var model = TinyBert.Create();
        var method = Get(id);
        var attachment = (SpsaAttachment)method.Apply(model, config ?? method.DefaultConfig, TinyBert.Context(seed));
        model.SetHeadTrainable(true);
        return (model, attachment, attachment.ParameterGroups(model).SelectMany(g => g.Parameters).ToList());
    }

    private static List<Tensor> Snapshot(IEnumerable<Tensor> parameters) => parameters.Select(p => p.detach().clone()).ToList();

    private static float MaxDifference(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) =>
        a.Zip(b).Max(pair => (pair.First - pair.Second).abs().max().item<float>());

    /// <summary>The directions z of <paramref name="seed"/> for tensors shaped as <paramref name="like"/>: perturbing zeros by 1·z.</summary>
    private static List<Parameter> Directions(SpsaAttachment attachment, IReadOnlyList<Tensor> like, IReadOnlyList<Tensor>? masks, ulong seed)
    {
        var zeros = like.Select(p => new Parameter(zeros_like(p))).ToList();
        attachment.Perturb(zeros, masks, seed, 1.0);
        return zeros;
    }

    // θ + εz − 2εz + εz is θ again: not bit for bit (each in-place add rounds, as in MeZO), but within a few ulps.
    [TestCase("mezo")]
    [TestCase("sparse-mezo")]
    public void ThePerturbationIsUndoneInPlace(string id)
    {
        var (model, attachment, parameters) = Attached(id);
        using var _ = model;
        var before = Snapshot(parameters);
        var masks = attachment.Masks(parameters);
        const ulong seed = 12345;
        attachment.Perturb(parameters, masks, seed, attachment.Epsilon);
        var moved = MaxDifference(parameters, before);
        attachment.Perturb(parameters, masks, seed, -2 * attachment.Epsilon);
        attachment.Perturb(parameters, masks, seed, attachment.Epsilon);
        var restored = MaxDifference(parameters, before);
        var bitwise = parameters.Zip(before).Sum(pair => pair.First.eq(pair.Second).sum().item<long>());
        var total = parameters.Sum(p => p.numel());
        TestContext.Out.WriteLine($"{id}: max |θ+εz − θ| = {moved:E2}; after −2εz, +εz: max |Δθ| = {restored:E2}, {bitwise:N0} of {total:N0} entries bit-identical");
        Assert.Multiple(() =>
        {
            Assert.That(moved, Is.GreaterThan(1e-3f), "the perturbation moved θ by about ε·max|z|");
            Assert.That(restored, Is.LessThan(1e-6f), "restored within float rounding");
        });
    }

    // On a quadratic the central difference is exact: ĝ = ∇L(θ)·z (float64, so rounding is far below the tolerance),
    // and the update is θ − η(ĝ z + λθ), λ on ≥ 2-D tensors only.
    [TestCase(false)]
    [TestCase(true)]
    public void TheProjectedGradientIsTheDirectionalDerivativeOfAQuadratic(bool sparse)
    {
        using var g = new Generator(3, CPU);
        var matrix = new Parameter(randn(new long[] { 6, 5 }, dtype: ScalarType.Float64, generator: g));
        var vector = new Parameter(randn(new long[] { 40 }, dtype: ScalarType.Float64, generator: g));
        var parameters = new List<Parameter> { matrix, vector };
        var curvature = parameters.Select(p => rand(p.shape, dtype: ScalarType.Float64, generator: g) + 0.5).ToList();
        var shift = parameters.Select(p => randn(p.shape, dtype: ScalarType.Float64, generator: g)).ToList();
        // L(θ) = Σ ½ a ⊙ θ² + b ⊙ θ, ∇L = a ⊙ θ + b.
        double Loss()
        {
            using var scope = NewDisposeScope();
            return parameters.Select((p, i) => (0.5 * curvature[i] * p * p + shift[i] * p).sum()).Aggregate((x, y) => x + y).item<double>();
        }
        var config = sparse ? new SparseMezoConfig { Sparsity = 0.5 } : (MethodConfig)new MezoConfig();
        var attachment = (SpsaAttachment)(sparse
            ? Get("sparse-mezo").Apply(TinyBert.Create(), config, TinyBert.Context(1))
            : Get("mezo").Apply(TinyBert.Create(), config, TinyBert.Context(1)));
        const ulong seed = 99;
        var masks = attachment.Masks(parameters);
        var z = Directions(attachment, parameters, masks, seed);
        var directional = parameters.Select((p, i) => ((curvature[i] * p + shift[i]) * z[i]).sum().item<double>()).Sum();

        var (plus, minus) = attachment.ProjectedLosses(parameters, masks, Loss, seed);
        var projected = (plus - minus) / (2 * attachment.Epsilon);
        Assert.That(projected, Is.EqualTo(directional).Within(1e-7 * Math.Max(1, Math.Abs(directional))), "ĝ = ∇L·z");

        var before = Snapshot(parameters);
        const double lr = 0.01, decay = 0.1;
        attachment.Update(parameters, masks, seed, projected, lr, decay);
        var expectedMatrix = before[0] - lr * (projected * z[0] + decay * (masks is null ? before[0] : before[0] * masks[0]));
        var expectedVector = before[1] - lr * projected * z[1];
        Assert.Multiple(() =>
        {
            Assert.That((matrix - expectedMatrix).abs().max().item<double>(), Is.LessThan(1e-12), "2-D: θ − η(ĝz + λθ)");
            Assert.That((vector - expectedVector).abs().max().item<double>(), Is.LessThan(1e-12), "1-D: θ − ηĝz, no decay");
            if (masks is not null)
                for (var i = 0; i < 2; i++)
                    Assert.That(parameters[i].eq(before[i]).logical_or(masks[i]).all().item<bool>(), "entries outside the mask are untouched");
        });
    }

    [TestCase("mezo")]
    [TestCase("sparse-mezo")]
    public void SameSeedSameParametersAfterSteps(string id)
    {
        List<Tensor> Train(ulong seed)
        {
            var (model, attachment, parameters) = Attached(id, seed);
            using var _ = model;
            model.eval();
            var (batch, labels) = TinyBert.Batch();
            for (var step = 0; step < 4; step++)
                attachment.Step(parameters, () => TinyBert.Loss(model, batch, labels), 1e-3, 0.01, step);
            return Snapshot(parameters);
        }
        var first = Train(5);
        var again = Train(5);
        var other = Train(6);
        Assert.Multiple(() =>
        {
            Assert.That(first.Zip(again).All(p => p.First.eq(p.Second).all().item<bool>()), "same seed: bit-identical parameters");
            Assert.That(first.Zip(other).Any(p => !p.First.eq(p.Second).all().item<bool>()), "another seed: other directions");
        });
    }

    // No backward anywhere: a step leaves every .grad undefined, and the attachment builds no optimizer state.
    [TestCase("mezo")]
    [TestCase("sparse-mezo")]
    public void AStepAllocatesNoGradients(string id)
    {
        var (model, attachment, parameters) = Attached(id);
        using var _ = model;
        model.eval();
        var (batch, labels) = TinyBert.Batch();
        var before = Snapshot(parameters);
        var loss = attachment.Step(parameters, () => TinyBert.Loss(model, batch, labels), 1e-3, 0.0, 0);
        Assert.Multiple(() =>
        {
            Assert.That(double.IsFinite(loss));
            Assert.That(parameters.All(p => p.grad is null), "no parameter has a gradient tensor");
            Assert.That(MaxDifference(parameters, before), Is.GreaterThan(0f), "the step moved the parameters");
            Assert.That(parameters, Has.Count.EqualTo(model.parameters().Count()), "every parameter, head included, is stepped");
        });
    }

    // A non-finite loss leaves θ as it was and is returned, so the trainer records divergence.
    [Test]
    public void ANonFiniteLossSkipsTheUpdate()
    {
        var (model, attachment, parameters) = Attached("mezo");
        using var _ = model;
        var before = Snapshot(parameters);
        var calls = 0;
        var loss = attachment.Step(parameters, () => calls++ == 0 ? double.PositiveInfinity : 1.0, 1e-3, 0.0, 0);
        Assert.Multiple(() =>
        {
            Assert.That(loss, Is.EqualTo(double.PositiveInfinity));
            Assert.That(MaxDifference(parameters, before), Is.LessThan(1e-6f), "restored, not updated");
        });
    }

    [TestCase(0.75, 25)]
    [TestCase(0.7, 30)]
    [TestCase(0.0, 100)]
    public void TheSparseMaskKeepsExactlyTheSmallestMagnitudes(double sparsity, int kept)
    {
        using var g = new Generator(4, CPU);
        var weight = randn(new long[] { 10, 10 }, generator: g);
        using var mask = SparseMezo.SmallMagnitudeMask(weight, sparsity);
        var magnitude = weight.abs();
        var inside = magnitude.masked_select(mask);
        var outside = magnitude.masked_select(mask.logical_not());
        Assert.Multiple(() =>
        {
            Assert.That(mask.dtype, Is.EqualTo(ScalarType.Bool));
            Assert.That(mask.sum().item<long>(), Is.EqualTo(kept));
            if (outside.numel() > 0)
                Assert.That(inside.max().item<float>(), Is.LessThan(outside.min().item<float>()), "every selected |θ| is below every other");
        });
    }

    // The entries a Sparse-MeZO step moves are exactly the small ones it chose from θ_t, and the first step's choice is the
    // configured fraction of each tensor (thresholds are taken from the weights training starts from).
    [Test]
    public void ASparseStepMovesOnlyTheSmallMagnitudeEntries()
    {
        var (model, attachment, parameters) = Attached("sparse-mezo");
        using var _ = model;
        model.eval();
        var (batch, labels) = TinyBert.Batch();
        var before = Snapshot(parameters);
        var masks = attachment.Masks(parameters)!;
        for (var i = 0; i < parameters.Count; i++)
        {
            using var exact = SparseMezo.SmallMagnitudeMask(parameters[i], 0.75);
            Assert.That(masks[i].eq(exact).all().item<bool>(), $"parameter {i}: the first step's mask is the 25% smallest");
        }
        attachment.Step(parameters, () => TinyBert.Loss(model, batch, labels), 1e-2, 0.01, 0);
        long moved = 0, selected = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            var changed = parameters[i].ne(before[i]);
            Assert.That(changed.logical_and(masks[i].logical_not()).any().item<bool>(), Is.False, $"parameter {i}: an unselected entry moved");
            moved += changed.sum().item<long>();
            selected += masks[i].sum().item<long>();
        }
        var total = parameters.Sum(p => p.numel());
        TestContext.Out.WriteLine($"selected {selected:N0} of {total:N0} entries; {moved:N0} moved");
        Assert.That(moved, Is.GreaterThan(selected / 2), "most selected entries moved");
        Assert.That((double)selected / total, Is.InRange(0.25, 0.40), "about a quarter, more where a tensor has ties (zero biases)");
    }

    [Test]
    public void ConfigsAreValidatedUpFront()
    {
        using var model = TinyBert.Create();
        Assert.Multiple(() =>
        {
            Assert.That(Get("mezo").Validate(new MezoConfig { Epsilon = 0 }, model.Sites), Has.Some.Contains("epsilon"));
            Assert.That(Get("sparse-mezo").Validate(new SparseMezoConfig { Sparsity = 1 }, model.Sites), Has.Some.Contains("sparsity must be in [0, 1)"));
            Assert.That(Get("sparse-mezo").Validate(new SparseMezoConfig { Sparsity = -0.1 }, model.Sites), Has.Some.Contains("sparsity"));
            Assert.That(((SparseMezoConfig)Get("sparse-mezo").DefaultConfig).Sparsity, Is.EqualTo(0.75));
            Assert.That(((MezoConfig)Get("mezo").DefaultConfig).Epsilon, Is.EqualTo(1e-3));
        });
    }
}
