using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>
/// The contract every registered method must meet, run over every entry of <see cref="MethodCatalog"/> on the
/// same tiny seeded encoder (see <see cref="TinyBert"/>). A new method joins these tests by joining the catalog.
/// </summary>
[TestFixture]
public sealed class MethodContractTests
{
    public static IEnumerable<TestCaseData> Methods() =>
        MethodCatalog.Create().All.Select(m => new TestCaseData(m).SetArgDisplayNames(m.Id));

    /// <summary>The backbone weights HFT trains at the contract seed (7): block weights only, never an embedding.</summary>
    private static readonly Lazy<HashSet<string>> HftDrawAtContractSeed = new(() =>
    {
        using var model = TinyBert.Create();
        var hft = MethodCatalog.Create().Get("hft")!;
        hft.Apply(model, hft.DefaultConfig, TinyBert.Context(7));
        var trained = model.named_parameters().Where(p => p.parameter.requires_grad && model.OriginOf(p.name) == ParameterOrigin.Backbone).Select(p => p.name).ToHashSet();
        if (trained.Count == 0 || trained.Any(n => !n.Contains(".encoder.layer.", StringComparison.Ordinal)))
            throw new InvalidOperationException($"hft trains weights outside the blocks or none: {string.Join(", ", trained)}");
        return trained;
    });

    /// <summary>
    /// Which pretrained backbone parameters each method may unfreeze ("other" in the counting policy), by
    /// Hugging Face name. A method missing here fails <see cref="EveryMethodDeclaresItsBackbonePolicy"/>.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, Func<string, bool>> OtherTrainable = new Dictionary<string, Func<string, bool>>
    {
        ["full-ft"] = _ => true,
        ["linear-probe"] = _ => false,
        ["bitfit"] = name => name.EndsWith(".bias", StringComparison.Ordinal),
        ["lora"] = _ => false,
        ["houlsby"] = name => name.Contains(".LayerNorm.", StringComparison.Ordinal),
        ["prompt-tuning"] = _ => false,
        ["rslora"] = _ => false,
        ["lora-fa"] = _ => false,
        ["lora-plus"] = _ => false,
        ["dora"] = _ => false,
        ["pissa"] = _ => false,
        ["milora"] = _ => false,
        ["olora"] = _ => false,
        ["corda"] = _ => false,
        ["vera"] = _ => false,
        ["fourierft"] = _ => false,
        ["loha"] = _ => false,
        ["lokr"] = _ => false,
        ["oft"] = _ => false,
        ["boft"] = _ => false,
        ["hra"] = _ => false,
        ["flora"] = _ => false,
        ["slora"] = _ => false,
        ["nlora"] = _ => false,
        ["inttune"] = _ => false,
        ["adalora"] = _ => false,
        ["increlora"] = _ => false,
        ["triadaptlora"] = _ => false,
        ["kasa"] = _ => false,
        ["mos"] = _ => false,
        ["ia3"] = _ => false,
        ["ssf"] = _ => false,
        ["ln-tuning"] = name => name.Contains(".LayerNorm.", StringComparison.Ordinal),
        ["pfeiffer"] = _ => false,
        ["parallel-adapter"] = _ => false,
        ["adaptformer"] = _ => false,
        ["compacter"] = name => name.Contains(".LayerNorm.", StringComparison.Ordinal),
        ["compacter-pp"] = name => name.Contains(".LayerNorm.", StringComparison.Ordinal),
        ["prefix-tuning"] = _ => false,
        ["p-tuning-v2"] = _ => false,
        ["p-tuning"] = _ => false,
        ["adaption-prompt"] = _ => false,
        ["loreft"] = _ => false,
        ["direft"] = _ => false,
        ["vpt-shallow"] = _ => false,
        ["vpt-deep"] = _ => false,
        ["dept"] = _ => false,
        ["mam-adapter"] = _ => false,
        ["unipelt"] = _ => false,
        ["moe-lora"] = _ => false,
        ["mola"] = _ => false,
        // LISA's default γ = 2 is every block of the 2-layer contract model, so every backbone weight trains (SelectiveMethodTests checks γ = 1).
        ["lisa"] = _ => true,
        // HFT pairs the contract model's two blocks: one trains a random half of the groups, the other the complement, so
        // which weights train is drawn from the seed; SelectiveMethodTests checks the halves.
        ["hft"] = name => HftDrawAtContractSeed.Value.Contains(name),
        ["spiel"] = _ => false,
        ["light-peft"] = _ => false,
        ["dsee"] = _ => false,
        ["qlora"] = _ => false,
        ["loftq"] = _ => false,
        ["peqa"] = _ => false,
        ["mezo"] = _ => true,
        ["sparse-mezo"] = _ => true,
    };

    /// <summary>
    /// Methods whose choice of backbone weights to train is drawn from the seed (HFT's halves): their adapter folder is
    /// reloaded with the training seed, which decides its layout, as a cell's seed does.
    /// </summary>
    private static readonly IReadOnlySet<string> SeedDrawsTrainedWeights = new HashSet<string> { "hft", "light-peft" };

    /// <summary>
    /// Methods whose adapter init is a function of W₀ (SVD, QR) and the calibration data alone, not of the seed:
    /// for them the seed test checks that a different seed gives the same adapter.
    /// </summary>
    private static readonly IReadOnlySet<string> WeightDerivedInit = new HashSet<string> { "pissa", "milora", "olora", "corda", "loftq", "peqa" };

    /// <summary>Methods peft does not have, saved in PeftBench's own adapter-only format instead; named so that none is skipped silently.</summary>
    private static readonly IReadOnlySet<string> WithoutPeftCheckpoint = new HashSet<string>
    {
        "full-ft", "linear-probe", "bitfit", "houlsby", "prompt-tuning", "flora", "slora", "nlora", "inttune",
        "increlora", "triadaptlora", "mos", "loreft", "direft", "vpt-shallow", "vpt-deep", "dept", "ssf", "pfeiffer", "parallel-adapter", "adaptformer", "compacter", "compacter-pp",
        "mam-adapter", "unipelt", "moe-lora", "mola",
        "lisa", "hft", "spiel", "dsee", "light-peft",
        "peqa",
        "mezo", "sparse-mezo",
    };

    /// <summary>
    /// For the peft-layout round trip: a key the folder must hold and the target_modules it must write on the tiny model,
    /// for the methods whose defaults are not LoRA's query and value. (IA)³ names its FFN layers by a suffix that leaves
    /// attention.output.dense out; LN-tuning stores each norm's trained copy under ln_tuning_layers.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, (string Key, string[] TargetModules)> PeftLayout = new Dictionary<string, (string, string[])>
    {
        ["ia3"] = ("base_model.model.bert.encoder.layer.0.attention.self.key.ia3_l", ["key", "value", "layer.0.output.dense", "layer.1.output.dense"]),
        ["ln-tuning"] = ("base_model.model.bert.encoder.layer.0.attention.output.LayerNorm.ln_tuning_layers.weight", ["LayerNorm"]),
        // QLoRA and LoftQ adapt every linear: BERT's attention output and both FFN projections are all named "dense".
        ["qlora"] = ("base_model.model.bert.encoder.layer.0.attention.self.query.", ["query", "key", "value", "dense"]),
        ["loftq"] = ("base_model.model.bert.encoder.layer.0.attention.self.query.", ["query", "key", "value", "dense"]),
    };

    /// <summary>
    /// Methods past version 1, each bumped because its training at defaults changed (cell keys change with it):
    /// OFT 2 uses peft's Cayley–Neumann series (last power weighted 1), FourierFT 2 draws its spectral positions
    /// from random_loc_seed as peft does. Any other method must still be at version 1.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, int> Versions = new Dictionary<string, int> { ["oft"] = 2, ["fourierft"] = 2 };

    /// <summary>
    /// Methods whose init draws nothing (OFT and BOFT start at the identity rotation, as in peft; NLoRA and IntTune
    /// copy rows and columns of W₀; (IA)³'s vectors start at 1): the seed cannot change them.
    /// </summary>
    private static readonly IReadOnlySet<string> DeterministicInit = new HashSet<string> { "oft", "boft", "nlora", "inttune", "ia3" };

    /// <summary>The tiny model a method's contract runs on: the encoder, or the ViT for visual prompts.</summary>
    private static TinyModel Tiny(IPeftMethod method) => TinyModel.For(method);

    /// <summary>Same shape and every element equal (bit-identical for finite values).</summary>
    private static bool Same(Tensor a, Tensor b)
    {
        using var _ = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    [TestCaseSource(nameof(Methods))]
    public void EveryMethodDeclaresItsBackbonePolicy(IPeftMethod method) =>
        Assert.That(OtherTrainable.ContainsKey(method.Id), $"add {method.Id}'s backbone policy to {nameof(OtherTrainable)}");

    [TestCaseSource(nameof(Methods))]
    public void DescribesItself(IPeftMethod method)
    {
        Assert.Multiple(() =>
        {
            Assert.That(method.Id, Is.EqualTo(method.Id.ToLowerInvariant()));
            Assert.That(method.Version, Is.EqualTo(Versions.GetValueOrDefault(method.Id, 1)));
            Assert.That(method.Family, Is.AnyOf("baseline", "selective", "low-rank", "orthogonal", "adapter", "prompt", "scaling", "hybrid", "mixture", "quantization", "zeroth-order"));
            Assert.That(method.Citation, Is.Not.Empty);
            Assert.That(method.Description, Is.Not.Empty);
            Assert.That(method.Validate(method.DefaultConfig, Tiny(method).Create().Sites), Is.Empty, "defaults must be valid on the tiny model");
        });
    }

    // (a) only the method's own parameters and the head are trainable.
    [TestCaseSource(nameof(Methods))]
    public void TrainsOnlyWhatItsPolicySays(IPeftMethod method)
    {
        using var model = Tiny(method).Create();
        method.Apply(model, method.DefaultConfig, TinyBert.Context(7));
        var policy = OtherTrainable[method.Id];
        Assert.Multiple(() =>
        {
            foreach (var (name, p) in model.named_parameters())
            {
                switch (model.OriginOf(name))
                {
                    case ParameterOrigin.Head:
                        Assert.That(p.requires_grad, $"head parameter {name} must be trainable");
                        break;
                    case ParameterOrigin.Adapter:
                        Assert.That(p.requires_grad, $"method parameter {name} must be trainable");
                        break;
                    default:
                        Assert.That(p.requires_grad, Is.EqualTo(policy(name)), $"backbone parameter {name}");
                        break;
                }
            }
        });
    }

    // (b) the analytic count equals the count of what was built, at the default and at other knob values.
    [TestCaseSource(nameof(Methods))]
    public void CountsWithoutBuildingWhatItBuilds(IPeftMethod method)
    {
        var configs = new List<MethodConfig> { method.DefaultConfig };
        if (method.Knob is { } knob)
            configs.AddRange(new[] { knob.Min, 3 }.Select(v => method.WithKnob(method.DefaultConfig, v)));
        foreach (var config in configs)
        {
            using var model = Tiny(method).Create();
            var predicted = method.CountTrainable(model.Sites, config);
            method.Apply(model, config, TinyBert.Context(7));
            var counts = model.CountParameters();
            Assert.Multiple(() =>
            {
                Assert.That(predicted, Is.EqualTo(counts.MethodTrainable), $"{method.Id} at {config.ToCanonicalJson()}");
                Assert.That(counts.Head, Is.EqualTo(model.Head.parameters().Sum(p => p.numel())));
                Assert.That(counts.Backbone, Is.EqualTo(model.Sites.BackboneParameters));
            });
        }
    }

    // (b′) resolving what the config leaves to the model (a bottleneck as d / reduction_factor) changes nothing that is built.
    [TestCaseSource(nameof(Methods))]
    public void ResolvingOnTheModelKeepsTheCountAndIsIdempotent(IPeftMethod method)
    {
        using var model = TinyBert.Create();
        var resolved = method.Resolve(model.Sites, method.DefaultConfig);
        Assert.Multiple(() =>
        {
            Assert.That(method.CountTrainable(model.Sites, resolved), Is.EqualTo(method.CountTrainable(model.Sites, method.DefaultConfig)));
            Assert.That(method.Validate(resolved, model.Sites), Is.Empty);
            Assert.That(method.Resolve(model.Sites, resolved), Is.EqualTo(resolved));
            if (method.Knob is not null) Assert.That(method.KnobValue(resolved), Is.InRange(method.Knob.Min, method.Knob.Max), "the knob value a result records");
        });
    }

    // (c) zero-initialised updates leave the logits unchanged; methods that say otherwise must change them.
    [TestCaseSource(nameof(Methods))]
    public void OutputAtInitMatchesTheFlag(IPeftMethod method)
    {
        using var model = Tiny(method).Create();
        var (batch, _) = Tiny(method).Batch();
        using var before = TinyBert.Logits(model, batch);
        method.Apply(model, method.DefaultConfig, TinyBert.Context(7));
        model.eval();
        using var after = TinyBert.Logits(model, batch);
        var diff = (after - before).abs().max().item<float>();
        TestContext.Out.WriteLine($"{method.Id}: max |logit change at init| = {diff:E2}");
        if (method.PreservesOutputAtInit) Assert.That(diff, Is.LessThan(1e-6f));
        else Assert.That(diff, Is.GreaterThan(1e-6f), "the method says it changes the output at init, but it does not");
    }

    // (d) one training step (AdamW, or the method's own zeroth-order step) lowers the loss, moves the method's parameters,
    // and leaves frozen weights bit-identical.
    [TestCaseSource(nameof(Methods))]
    public void OneStepLowersTheLossAndKeepsFrozenWeights(IPeftMethod method)
    {
        using var model = Tiny(method).Create();
        var (batch, labels) = Tiny(method).Batch();
        var attachment = method.Apply(model, method.DefaultConfig, TinyBert.Context(7));
        model.eval();
        var frozen = model.named_parameters().Where(p => !p.parameter.requires_grad)
            .Select(p => (p.name, Value: p.parameter.detach().clone())).ToList();
        var own = model.named_parameters().Where(p => p.parameter.requires_grad && model.OriginOf(p.name) != ParameterOrigin.Head)
            .Select(p => (p.name, Value: p.parameter.detach().clone())).ToList();
        using var trainer = new TinyTrainer(model, attachment);

        var lossBefore = trainer.Step(batch, labels);
        var lossAfter = TinyBert.Loss(model, batch, labels);

        var current = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Multiple(() =>
        {
            Assert.That(lossAfter, Is.LessThan(lossBefore));
            foreach (var (name, value) in frozen)
                Assert.That(Same(current[name], value), $"frozen {name} changed");
            if (own.Count > 0)
                Assert.That(own.Any(o => !Same(current[o.name], o.Value)), "no method parameter moved");
        });
    }

    // (e) mergeable methods: merged logits equal unmerged ones (1e-5); unmerging restores W₀ bit for bit. Others refuse to merge.
    [TestCaseSource(nameof(Methods))]
    public void MergeMatchesAndUnmergeRestores(IPeftMethod method)
    {
        using var model = Tiny(method).Create();
        var (batch, labels) = Tiny(method).Batch();
        if (!method.CanMerge)
        {
            method.Apply(model, method.DefaultConfig, TinyBert.Context(7));
            model.eval();
            var addsModules = model.CountParameters().Adapter > 0;
            using var before = TinyBert.Logits(model, batch);
            // A method whose modules stay in the graph must not report a merge; one that trains W₀ in place has nothing to fold.
            Assert.That(model.TryMerge(), Is.EqualTo(!addsModules), $"{method.Id}: TryMerge");
            using var after = TinyBert.Logits(model, batch);
            Assert.That(Same(after, before), "TryMerge changed the output of a method that cannot merge");
            return;
        }
        // A larger learning rate and a few steps so that ΔW is far from zero and the comparison means something.
        var config = method.DefaultConfig.With("learning_rate", "0.01");
        var attachment = method.Apply(model, config, TinyBert.Context(7));
        model.eval();
        using var trainer = new TinyTrainer(model, attachment);
        for (var i = 0; i < 5; i++) trainer.Step(batch, labels);

        var adapted = model.Sites.Linears.Where(l => l.Adapters.Count > 0).ToList();
        if (adapted.Count == 0)
        {
            // The update lives in the weights themselves (PEQA's scales of a quantized base): merging has nothing to fold.
            Assert.That(model.CountParameters().Adapter, Is.GreaterThan(0), $"{method.Id} says it merges but adapts nothing");
            using var before = TinyBert.Logits(model, batch);
            Assert.That(model.TryMerge(), Is.True);
            using var after = TinyBert.Logits(model, batch);
            Assert.That(Same(after, before), "a merge with nothing to fold changed the output");
            model.Unmerge();
            return;
        }
        var baseWeights = adapted.Select(l => l.weight.detach().clone()).ToList();
        using var unmerged = TinyBert.Logits(model, batch);
        Assert.That(model.TryMerge(), Is.True);
        Assert.That(adapted.All(l => l.IsMerged));
        var deltaNorm = adapted.Select((l, i) => (l.weight - baseWeights[i]).abs().max().item<float>()).Max();
        using var merged = TinyBert.Logits(model, batch);
        model.Unmerge();
        var restored = adapted.Select((l, i) => (l.weight - baseWeights[i]).abs().max().item<float>()).Max();
        using var again = TinyBert.Logits(model, batch);
        TestContext.Out.WriteLine($"{method.Id}: max |merged − unmerged| logit = {(merged - unmerged).abs().max().item<float>():E2}, max |ΔW| = {deltaNorm:E2}");
        Assert.Multiple(() =>
        {
            Assert.That(deltaNorm, Is.GreaterThan(1e-4f), "training left ΔW at zero; the merge check would be vacuous");
            Assert.That((merged - unmerged).abs().max().item<float>(), Is.LessThan(1e-5f), "merged vs unmerged logits");
            Assert.That(restored, Is.EqualTo(0f), "W₀ after unmerge (restored from the copy kept by Merge)");
            Assert.That((again - unmerged).abs().max().item<float>(), Is.LessThan(1e-5f), "logits after unmerge");
            Assert.That(adapted.All(l => !l.IsMerged));
        });
    }

    /// <summary>Methods peft does not have: PeftBench's own adapter-only folder reloads to identical logits.</summary>
    private static void NativeCheckpointRoundTrip(IPeftMethod method)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-native-{method.Id}-{Environment.ProcessId}");
        try
        {
            using var trained = Tiny(method).Create();
            var (batch, labels) = Tiny(method).Batch();
            var config = method.DefaultConfig.With("learning_rate", "0.01");
            var attachment = method.Apply(trained, config, TinyBert.Context(7));
            trained.eval();
            using (var trainer = new TinyTrainer(trained, attachment))
                for (var i = 0; i < 3; i++) trainer.Step(batch, labels);
            trained.eval();
            using var expected = TinyBert.Logits(trained, batch);
            NativeAdapterCheckpoint.Save(trained, method, config, directory);
            var folder = NativeAdapterCheckpoint.Load(directory);
            using var fresh = Tiny(method).Create();
            var loadedConfig = NativeAdapterCheckpoint.ApplyTo(folder, fresh, method, TinyBert.Context(SeedDrawsTrainedWeights.Contains(method.Id) ? 7UL : 99));
            fresh.eval();
            using var actual = TinyBert.Logits(fresh, batch);
            var diff = (actual - expected).abs().max().item<float>();
            TestContext.Out.WriteLine($"{method.Id}: native adapter folder, max |loaded − trained| logits = {diff:E2}");
            Assert.Multiple(() =>
            {
                Assert.That(loadedConfig, Is.EqualTo(config));
                Assert.That(diff, Is.EqualTo(0f), "logits of the reloaded model (another init seed, then the saved tensors)");
                Assert.That(folder.Tensors.Keys.Count(k => fresh.OriginOf(k) == ParameterOrigin.Backbone && !fresh.named_parameters().First(p => p.name == k).parameter.requires_grad),
                    Is.EqualTo(0), "frozen backbone weights are not saved");
            });
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    // (f) the adapter init comes from the context's generator only.
    [TestCaseSource(nameof(Methods))]
    public void SameSeedSameAdapterDifferentSeedDifferent(IPeftMethod method)
    {
        List<(string Name, Tensor Value)> Init(ulong seed)
        {
            using var model = Tiny(method).Create();
            // Disturb the global generator: the init must not depend on it.
            torch.manual_seed((long)seed * 31 + 5);
            var backboneBuffers = model.named_buffers().Select(b => b.name).ToHashSet();
            method.Apply(model, method.DefaultConfig, TinyBert.Context(seed));
            // Seeded frozen buffers (VeRA's shared projections, FourierFT's positions) are part of the init too.
            return model.named_parameters().Where(p => model.OriginOf(p.name) == ParameterOrigin.Adapter)
                .Select(p => (p.name, p.parameter.detach().clone()))
                .Concat(model.named_buffers().Where(b => !backboneBuffers.Contains(b.name)).Select(b => (b.name, b.buffer.detach().clone())))
                .ToList();
        }
        var first = Init(11);
        var again = Init(11);
        var other = Init(12);
        if (first.Count == 0) Assert.Pass($"{method.Id} adds no parameters; nothing is initialised.");
        Assert.Multiple(() =>
        {
            Assert.That(again.Select(p => p.Name), Is.EqualTo(first.Select(p => p.Name)));
            for (var i = 0; i < first.Count; i++)
                Assert.That(Same(again[i].Value, first[i].Value), $"{first[i].Name} differs for the same seed");
            if (WeightDerivedInit.Contains(method.Id) || DeterministicInit.Contains(method.Id))
                Assert.That(Enumerable.Range(0, first.Count).All(i => Same(other[i].Value, first[i].Value)), "an init that draws nothing depended on the seed");
            else
                Assert.That(Enumerable.Range(0, first.Count).Any(i => !Same(other[i].Value, first[i].Value)), "a different seed gave the same adapter");
        });
    }

    // (g) budget fitting hits a feasible budget and refuses an impossible one with a useful message.
    [TestCaseSource(nameof(Methods))]
    public void FitsAFeasibleBudgetAndRefusesAnImpossibleOne(IPeftMethod method)
    {
        using var model = Tiny(method).Create();
        var sites = model.Sites;
        var config = method.DefaultConfig;
        var backbone = sites.BackboneParameters;
        if (method.Knob is null)
        {
            Assert.Throws<InvalidOperationException>(() => BudgetFitter.Fit(method, sites, config, Budget.Parse("1000"), backbone));
            return;
        }
        // 5% above the count at knob value 4: the fitter must pick 4 where neighbouring values are ≥ 20% away.
        // Where a knob step is finer (VeRA's r adds one parameter per target), it must pick the closest count the knob's
        // range allows instead (prefix tuning's MLP dwarfs its per-position step, and its length is capped by positions).
        long CountAt(int v) => method.CountTrainable(sites, method.WithKnob(config, v));
        var range = method.KnobFor(sites, config) ?? method.Knob;
        var atFour = CountAt(4);
        var coarse = CountAt(5) - atFour >= 0.2 * atFour || range.Max == 4;
        var budget = Budget.Parse(((long)Math.Round(atFour * 1.05)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var fit = BudgetFitter.Fit(method, sites, config, budget, backbone);
        Assert.Multiple(() =>
        {
            if (coarse) Assert.That(fit.KnobValue, Is.EqualTo(4));
            else Assert.That(new[] { fit.KnobValue - 1, fit.KnobValue + 1 }.Where(v => v >= range.Min && v <= range.Max).Select(v => Math.Abs(CountAt(v) - fit.TargetParameters)),
                Has.All.GreaterThanOrEqualTo(Math.Abs(fit.AchievedParameters - fit.TargetParameters)), "the fitted count is the closest");
            Assert.That(method.KnobValue(fit.Config), Is.EqualTo(fit.KnobValue));
            Assert.That(Math.Abs(fit.RelativeError), Is.LessThanOrEqualTo(0.06));
            Assert.That(fit.AchievedParameters, Is.EqualTo(method.CountTrainable(sites, fit.Config)));
            Assert.That(method.Validate(fit.Config, sites), Is.Empty);
        });
        method.Apply(model, fit.Config, TinyBert.Context(7));
        Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(fit.AchievedParameters), "the fitted config builds what it promised");

        var error = Assert.Throws<BudgetException>(() => BudgetFitter.Fit(method, sites, config, Budget.Parse("1"), backbone));
        Assert.That(error!.Message, Does.Contain(method.Id).And.Contain("between"));
    }

    // (h, generic part) a config of the wrong type is reported, not cast blindly.
    [TestCaseSource(nameof(Methods))]
    public void RejectsAnotherMethodsConfig(IPeftMethod method)
    {
        var foreign = MethodCatalog.Create().All.First(m => m.DefaultConfig.GetType() != method.DefaultConfig.GetType()).DefaultConfig;
        Assert.That(method.Validate(foreign, Tiny(method).Create().Sites), Has.Some.Contains("expected"));
    }

    // (i) adapter checkpoint in peft's layout: train, save, load into a fresh model, identical logits.
    [TestCaseSource(nameof(Methods))]
    public void AdapterCheckpointRoundTripsThroughPeftLayout(IPeftMethod method)
    {
        if (!PeftAdapterCheckpoint.Supports(method))
        {
            Assert.That(WithoutPeftCheckpoint, Does.Contain(method.Id), $"{method.Id} cannot save a peft adapter; list it in {nameof(WithoutPeftCheckpoint)} or implement IPeftCheckpointMethod");
            NativeCheckpointRoundTrip(method);
            return;
        }
        Assert.That(WithoutPeftCheckpoint, Does.Not.Contain(method.Id), "the method now saves; remove it from the list");
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-ckpt-{method.Id}-{Environment.ProcessId}");
        try
        {
            using var trained = Tiny(method).Create();
            var (batch, labels) = Tiny(method).Batch();
            var config = method.DefaultConfig.With("learning_rate", "0.01");
            var attachment = method.Apply(trained, config, TinyBert.Context(7));
            trained.eval();
            using (var trainer = new TinyTrainer(trained, attachment))
                for (var i = 0; i < 3; i++) trainer.Step(batch, labels);
            using var expected = TinyBert.Logits(trained, batch);
            PeftAdapterCheckpoint.Save(trained, method, config, directory);

            var folder = PeftAdapterCheckpoint.Load(directory);
            using var fresh = Tiny(method).Create();
            var loadedConfig = PeftAdapterCheckpoint.ApplyTo(folder, fresh, method, TinyBert.Context(99));
            fresh.eval();
            using var actual = TinyBert.Logits(fresh, batch);
            var diff = (actual - expected).abs().max().item<float>();
            TestContext.Out.WriteLine($"{method.Id}: max |loaded − trained| logits = {diff:E2}");
            var peftType = folder.AdapterConfig["peft_type"]!.GetValue<string>();
            Assert.Multiple(() =>
            {
                Assert.That(folder.MethodId, Is.EqualTo(method.Id));
                Assert.That(loadedConfig, Is.EqualTo(config));
                switch (peftType)
                {
                    // Prompt learning: peft wraps the transformers model directly (head under base_model.) and saves the prompt as one tensor.
                    case "PREFIX_TUNING" or "P_TUNING":
                        Assert.That(folder.Tensors.Keys, Has.Some.EqualTo("prompt_embeddings"));
                        Assert.That(folder.Tensors.Keys, Has.Some.EqualTo("base_model.classifier.out_proj.weight"));
                        break;
                    case "ADAPTION_PROMPT":
                        Assert.That(folder.Tensors.Keys, Has.Some.EqualTo("base_model.model.bert.encoder.layer.1.attention.self.adaption_prompt"));
                        Assert.That(folder.Tensors.Keys, Has.Some.EqualTo("base_model.model.classifier.out_proj.weight"));
                        break;
                    default:
                        var (key, targetModules) = PeftLayout.GetValueOrDefault(method.Id, ("base_model.model.bert.encoder.layer.0.attention.self.query.", ["query", "value"]));
                        Assert.That(folder.Tensors.Keys, Has.Some.StartsWith(key));
                        Assert.That(folder.Tensors.Keys, Has.Some.EqualTo("base_model.model.classifier.out_proj.weight"));
                        Assert.That(folder.AdapterConfig["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(targetModules));
                        break;
                }
                Assert.That(diff, Is.EqualTo(0f), "logits of the reloaded model");
            });
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    // (j) budget fitting lands on the knob value whose count is nearest the target, at several targets.
    [TestCaseSource(nameof(Methods))]
    public void BudgetFitLandsWithinTheKnobsGranularity(IPeftMethod method)
    {
        if (method.Knob is null)
        {
            Assert.Pass($"{method.Id} has a fixed trainable count (no knob); budgets do not apply.");
        }
        using var model = Tiny(method).Create();
        var sites = model.Sites;
        var config = method.DefaultConfig;
        var knob = method.KnobFor(sites, config)!;
        long Count(int v) => method.CountTrainable(sites, method.WithKnob(config, v));
        foreach (var (value, factor) in new[] { (2, 1.3), (5, 0.9), (7, 1.02) })
        {
            if (value >= knob.Max) continue;
            var target = (long)Math.Round(Count(value) * factor);
            var fit = BudgetFitter.Fit(method, sites, config, Budget.Parse(target.ToString(System.Globalization.CultureInfo.InvariantCulture)), sites.BackboneParameters);
            var neighbours = new[] { fit.KnobValue - 1, fit.KnobValue + 1 }.Where(v => v >= knob.Min && v <= knob.Max);
            Assert.Multiple(() =>
            {
                Assert.That(fit.TargetParameters, Is.EqualTo(target));
                Assert.That(fit.AchievedParameters, Is.EqualTo(Count(fit.KnobValue)));
                foreach (var n in neighbours)
                    Assert.That(Math.Abs(fit.AchievedParameters - target), Is.LessThanOrEqualTo(Math.Abs(Count(n) - target)),
                        $"{method.Id}: target {target}, chose {knob.Name} {fit.KnobValue} ({fit.AchievedParameters}) but {n} gives {Count(n)}");
            });
        }
    }
}
