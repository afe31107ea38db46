using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>The catalog, config editing and each method's own validation (contract (h)) and initialisation.</summary>
[TestFixture]
public sealed class MethodConfigTests
{
    private static IPeftMethod Get(string id) => MethodCatalog.Create().Get(id);

    [Test]
    public void CatalogHoldsExactlyTheRegisteredMethods() =>
        Assert.That(MethodCatalog.Create().Ids,
            Is.EquivalentTo(new[] { "full-ft", "linear-probe", "bitfit", "lora", "houlsby", "prompt-tuning",
                "rslora", "lora-fa", "lora-plus", "dora", "pissa", "milora", "olora", "corda",
                "vera", "fourierft", "loha", "lokr", "oft", "boft", "hra", "flora", "slora", "nlora", "inttune",
                "adalora", "increlora", "triadaptlora", "kasa", "mos",
                "ia3", "ssf", "ln-tuning", "pfeiffer", "parallel-adapter", "adaptformer", "compacter", "compacter-pp",
                "prefix-tuning", "p-tuning-v2", "p-tuning", "adaption-prompt", "loreft", "direft", "vpt-shallow", "vpt-deep", "dept",
                "mam-adapter", "unipelt", "moe-lora", "mola",
                "lisa", "hft", "spiel", "dsee", "light-peft",
                "qlora", "loftq", "peqa",
                "mezo", "sparse-mezo" }));

    [Test]
    public void DefaultHyperparameters()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Get("full-ft").DefaultConfig.LearningRate, Is.EqualTo(3e-4));
            Assert.That(Get("linear-probe").DefaultConfig.LearningRate, Is.EqualTo(1e-3));
            Assert.That(Get("bitfit").DefaultConfig.LearningRate, Is.EqualTo(1e-3));
            var lora = (LoraConfig)Get("lora").DefaultConfig;
            Assert.That((lora.Rank, lora.Alpha, lora.Dropout, lora.LearningRate), Is.EqualTo((8, 8.0, 0.0, 2e-3)));
            Assert.That(lora.Targets, Is.EqualTo(new[] { "attn.q", "attn.v" }));
            var houlsby = (HoulsbyConfig)Get("houlsby").DefaultConfig;
            Assert.That((houlsby.Bottleneck, houlsby.Activation, houlsby.TrainLayerNorm, houlsby.LearningRate),
                Is.EqualTo((64, AdapterActivation.Swish, true, 1e-3)));
            var prompt = (PromptTuningConfig)Get("prompt-tuning").DefaultConfig;
            Assert.That((prompt.PromptLength, prompt.Init, prompt.LearningRate, prompt.HeadLearningRate),
                Is.EqualTo((20, PromptInit.SampleVocab, 3e-2, 1e-3)));
        });
    }

    [Test]
    public void KnobsAndFlags()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Get("full-ft").Knob, Is.Null);
            Assert.That(Get("linear-probe").Knob, Is.Null);
            Assert.That(Get("bitfit").Knob, Is.Null);
            Assert.That(Get("lora").Knob, Is.EqualTo(new Knob("rank", 1, 256)));
            Assert.That(Get("houlsby").Knob, Is.EqualTo(new Knob("bottleneck", 1, 1024)));
            Assert.That(Get("prompt-tuning").Knob!.Name, Is.EqualTo("prompt_length"));
            // Listed by exclusion: every method registered from here on is expected to merge unless it says so.
            Assert.That(MethodCatalog.Create().All.Where(m => !m.CanMerge).Select(m => m.Id),
                Is.EquivalentTo(new[] { "full-ft", "linear-probe", "bitfit", "houlsby", "prompt-tuning", "ln-tuning", "pfeiffer", "parallel-adapter",
                    "adaptformer", "compacter", "compacter-pp",
                    "prefix-tuning", "p-tuning-v2", "p-tuning", "adaption-prompt", "loreft", "direft", "vpt-shallow", "vpt-deep", "dept",
                    "mam-adapter", "unipelt", "moe-lora", "mola",
                    "lisa", "hft",
                    "mezo", "sparse-mezo" }));
            Assert.That(MethodCatalog.Create().All.Where(m => m.CanMerge).Select(m => m.Id), Does.Contain("lora"));
            // The zero-gated adaption prompt preserves the output; prefixes, inserted tokens and ReFT's edits do not, nor
            // Light-PEFT's pruned heads and neurons.
            Assert.That(MethodCatalog.Create().All.Where(m => !m.PreservesOutputAtInit).Select(m => m.Id), Is.EquivalentTo(new[] { "prompt-tuning", "fourierft", "nlora", "inttune", "kasa", "ssf", "pfeiffer",
                "prefix-tuning", "p-tuning-v2", "p-tuning", "loreft", "direft", "vpt-shallow", "vpt-deep", "dept", "mam-adapter", "unipelt",
                "qlora", "loftq", "peqa", "light-peft" }));
        });
    }

    // ---- MethodConfig.With ----

    [Test]
    public void WithSetsOneSettingFromText()
    {
        var config = (LoraConfig)Get("lora").DefaultConfig.With("rank", "16");
        Assert.Multiple(() =>
        {
            Assert.That(config.Rank, Is.EqualTo(16));
            Assert.That(config, Is.EqualTo(new LoraConfig { Rank = 16 }), "value equality with an equal record");
            Assert.That(((LoraConfig)Get("lora").DefaultConfig).Rank, Is.EqualTo(8), "the original is untouched");
            Assert.That(((LoraConfig)config.With("targets", "query, value")).Targets, Is.EqualTo(new[] { "query", "value" }));
            Assert.That(config.With("alpha", "32").ToCanonicalJson(), Does.Contain("\"alpha\":32").And.Contain("\"rank\":16"));
            Assert.That(((HoulsbyConfig)Get("houlsby").DefaultConfig.With("activation", "relu")).Activation, Is.EqualTo(AdapterActivation.Relu));
            Assert.That(((PromptTuningConfig)Get("prompt-tuning").DefaultConfig.With("init", "sample-vocab")).Init, Is.EqualTo(PromptInit.SampleVocab));
        });
    }

    [Test]
    public void WithRejectsUnknownOrUnreadableSettings()
    {
        var lora = Get("lora").DefaultConfig;
        var unknown = Assert.Throws<ArgumentException>(() => lora.With("rnak", "16"));
        Assert.That(unknown!.Message, Does.Contain("rnak").And.Contain("rank").And.Contain("targets"));
        var unreadable = Assert.Throws<ArgumentException>(() => lora.With("rank", "sixteen"));
        Assert.That(unreadable!.Message, Does.Contain("rank").And.Contain("sixteen"));
        Assert.Throws<ArgumentException>(() => Get("full-ft").DefaultConfig.With("rank", "4"));
    }

    [Test]
    public void LoraConfigsWithEqualTargetListsAreEqual()
    {
        var a = new LoraConfig { Targets = new[] { "query", "value" } };
        var b = new LoraConfig { Targets = new List<string> { "query", "value" } };
        Assert.Multiple(() =>
        {
            Assert.That(a, Is.EqualTo(b));
            Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            Assert.That(a, Is.Not.EqualTo(b with { Targets = new[] { "query" } }));
            Assert.That(a, Is.Not.EqualTo(b with { LearningRate = 1e-2 }));
        });
    }

    // ---- (h) validation ----

    [Test]
    public void LoraRejectsRankZeroAndUnknownTargets()
    {
        var lora = Get("lora");
        var sites = TinyBert.Create().Sites;
        Assert.That(lora.Validate(new LoraConfig { Rank = 0 }, sites), Has.Some.Contains("rank"));
        Assert.That(lora.Validate(new LoraConfig { Dropout = 1 }, sites), Has.Some.Contains("dropout"));
        var problems = lora.Validate(new LoraConfig { Targets = new[] { "query", "qkv_proj" } }, sites).ToList();
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.Contain("qkv_proj").And.Contain("attn.q").And.Contain("query").And.Contain("dense"));
        Assert.That(lora.Validate(new LoraConfig { Targets = new[] { "encoder.layer.*.attention.self.key", "mlp.up" } }, sites), Is.Empty);
    }

    [Test]
    public void ApplyRefusesAnInvalidConfig()
    {
        using var model = TinyBert.Create();
        var error = Assert.Throws<ArgumentException>(() =>
            Get("lora").Apply(model, new LoraConfig { Targets = new[] { "q_proj" } }, TinyBert.Context(1)));
        Assert.That(error!.Message, Does.Contain("q_proj"));
        Assert.That(model.CountParameters().Adapter, Is.Zero, "nothing was attached");
    }

    [Test]
    public void LoraTargetsSelectByRoleNameOrGlob()
    {
        var lora = Get("lora");
        var sites = TinyBert.Create().Sites;
        long Count(params string[] targets) => lora.CountTrainable(sites, new LoraConfig { Rank = 2, Targets = targets });
        Assert.Multiple(() =>
        {
            Assert.That(Count("attn.q", "attn.v"), Is.EqualTo(2 * 2 * 2 * (32 + 32)));
            Assert.That(Count("query", "value"), Is.EqualTo(Count("attn.q", "attn.v")));
            Assert.That(Count("encoder.layer.*.attention.self.query", "encoder.layer.*.attention.self.value"), Is.EqualTo(Count("attn.q", "attn.v")));
            Assert.That(Count("encoder.layer.0.intermediate.dense"), Is.EqualTo(2 * (32 + 64)));
        });
    }

    [Test]
    public void HoulsbyRejectsBottleneckZero() =>
        Assert.That(Get("houlsby").Validate(new HoulsbyConfig { Bottleneck = 0 }, TinyBert.Create().Sites), Has.Some.Contains("bottleneck"));

    [Test]
    public void HoulsbyCountsBothSitesPlusLayerNorms()
    {
        var sites = TinyBert.Create().Sites;
        const long d = 32, m = 5, layers = 2, norms = 1 + 2 * layers;
        var houlsby = Get("houlsby");
        Assert.Multiple(() =>
        {
            Assert.That(houlsby.CountTrainable(sites, new HoulsbyConfig { Bottleneck = (int)m }), Is.EqualTo(layers * 2 * (2 * d * m + d + m) + norms * 2 * d));
            Assert.That(houlsby.CountTrainable(sites, new HoulsbyConfig { Bottleneck = (int)m, TrainLayerNorm = false }), Is.EqualTo(layers * 2 * (2 * d * m + d + m)));
        });
    }

    [Test]
    public void PromptTuningRejectsAPromptTooLongForTheModel()
    {
        var prompt = Get("prompt-tuning");
        var sites = TinyBert.Create().Sites; // 64 positions, 32 reserved for the text by default
        Assert.Multiple(() =>
        {
            Assert.That(prompt.Validate(new PromptTuningConfig { PromptLength = 32 }, sites), Is.Empty);
            Assert.That(prompt.Validate(new PromptTuningConfig { PromptLength = 33 }, sites), Has.Some.Contains("1..32").And.Some.Contains("64"));
            Assert.That(prompt.Validate(new PromptTuningConfig { PromptLength = 10, ReservedInputTokens = 60 }, sites), Has.Some.Contains("1..4"));
            Assert.That(prompt.Validate(new PromptTuningConfig { PromptLength = 0 }, sites), Has.Some.Contains("prompt_length"));
            Assert.That(prompt.KnobFor(sites, new PromptTuningConfig()), Is.EqualTo(new Knob("prompt_length", 1, 32)));
        });
    }

    [Test]
    public void PromptBudgetBeyondTheModelIsRefused()
    {
        var prompt = Get("prompt-tuning");
        var sites = TinyBert.Create().Sites;
        // 100 virtual tokens of width 32 would be needed; at most 32 fit.
        var error = Assert.Throws<BudgetException>(() =>
            BudgetFitter.Fit(prompt, sites, prompt.DefaultConfig, Budget.Parse("3200"), sites.BackboneParameters));
        Assert.That(error!.Message, Does.Contain("prompt-tuning").And.Contain("between 32 and 1,024"));
    }

    [Test]
    public void BitFitIsNotApplicableToABackboneWithoutBiases()
    {
        using var biasFree = new BiasFreeBlock();
        var sites = SiteRegistry.Discover(biasFree, layerCount: 1, hiddenSize: 8);
        Assert.That(Get("bitfit").NotApplicableReason(sites), Does.Contain("no bias"));
        Assert.That(Get("bitfit").Validate(Get("bitfit").DefaultConfig, sites), Is.Empty, "not a settings problem: no setting fixes it");
        Assert.That(Get("bitfit").CountTrainable(sites, Get("bitfit").DefaultConfig), Is.Zero);
        Assert.That(Get("lora").NotApplicableReason(sites), Is.Null);
    }

    [Test]
    public void BitFitCountsEveryLinearAndNormBias()
    {
        var sites = TinyBert.Create().Sites;
        // Per layer: q, k, v, attn-out (32 each), FFN up (64), FFN down (32); LayerNorm β: 2 per layer + embeddings.
        const long perLayer = 4 * 32 + 64 + 32 + 2 * 32;
        Assert.That(Get("bitfit").CountTrainable(sites, Get("bitfit").DefaultConfig), Is.EqualTo(2 * perLayer + 32));
    }

    // ---- initialisation details ----

    [Test]
    public void LoraInitialisesAKaimingUniformAndBZero()
    {
        using var model = TinyBert.Create();
        Get("lora").Apply(model, new LoraConfig { Rank = 4 }, TinyBert.Context(3));
        var adapters = model.Sites.Linears.SelectMany(l => l.Adapters).OfType<LoraAdapter>().ToList();
        Assert.That(adapters, Has.Count.EqualTo(4)); // q and v in 2 layers
        var names = model.named_parameters().Select(p => p.name).Where(n => n.Contains("lora")).ToList();
        Assert.That(names, Does.Contain("bert.encoder.layer.0.attention.self.query.lora.lora_A"));
        Assert.That(names, Does.Contain("bert.encoder.layer.1.attention.self.value.lora.lora_B"));
        foreach (var a in adapters)
        {
            Assert.That(a.lora_A.shape, Is.EqualTo(new long[] { 4, 32 }));
            Assert.That(a.lora_B.shape, Is.EqualTo(new long[] { 32, 4 }));
            Assert.That(a.lora_A.abs().max().item<float>(), Is.LessThanOrEqualTo(1 / MathF.Sqrt(32)));
            Assert.That(a.lora_A.std().item<float>(), Is.GreaterThan(0.05f)); // U(±0.177) has σ ≈ 0.10
            Assert.That(a.lora_B.abs().max().item<float>(), Is.Zero);
            Assert.That(a.Scaling, Is.EqualTo(8.0 / 4));
        }
    }

    [Test]
    public void HoulsbyInitialisesNearIdentity()
    {
        using var model = TinyBert.Create();
        Get("houlsby").Apply(model, new HoulsbyConfig { Bottleneck = 16 }, TinyBert.Context(3));
        var adapters = model.Sites.Residuals.SelectMany(r => r.Transforms).OfType<BottleneckAdapter>().ToList();
        Assert.That(adapters, Has.Count.EqualTo(4)); // after attention and after the MLP, 2 layers
        foreach (var a in adapters)
        {
            Assert.That(a.down_weight.abs().max().item<float>(), Is.LessThanOrEqualTo(2e-2f + 1e-7f));
            Assert.That(a.down_weight.std().item<float>(), Is.InRange(0.006f, 0.011f)); // truncated N(0, 0.01²): σ ≈ 0.0088
            Assert.That(a.up_weight.abs().max().item<float>(), Is.Zero);
            Assert.That(a.down_bias.abs().max().item<float>() + a.up_bias.abs().max().item<float>(), Is.Zero);
        }
    }

    [Test]
    public void SampledPromptRowsAreVocabularyRows()
    {
        using var model = TinyBert.Create();
        Get("prompt-tuning").Apply(model, new PromptTuningConfig { PromptLength = 6 }, TinyBert.Context(3));
        var prompt = ((SoftPrompt)model.Sites.InputEmbeddings!.Current!).embedding;
        var vocabulary = ((BertEncoder)model.Backbone).WordEmbeddings.weight!;
        Assert.That(prompt.shape, Is.EqualTo(new long[] { 6, 32 }));
        for (var i = 0; i < 6; i++)
        {
            using var distance = (vocabulary - prompt[i]).abs().sum(1).min();
            Assert.That(distance.item<float>(), Is.Zero, $"prompt row {i} is not a vocabulary row");
        }
    }

    [Test]
    public void PromptGoesAfterTheFirstTokenAndIsAttended()
    {
        var transform = new SoftPrompt(arange(6, dtype: ScalarType.Float32).reshape(3, 2).add(100));
        using var embeddings = arange(8, dtype: ScalarType.Float32).reshape(1, 4, 2);
        using var mask = tensor(new long[] { 1, 1, 1, 0 }).reshape(1, 4);
        var (spliced, newMask) = transform.Transform(embeddings, mask);
        Assert.Multiple(() =>
        {
            Assert.That(spliced.shape, Is.EqualTo(new long[] { 1, 7, 2 }));
            Assert.That(spliced[0, TensorIndex.Colon, 0].data<float>().ToArray(), Is.EqualTo(new float[] { 0, 100, 102, 104, 2, 4, 6 }));
            Assert.That(newMask[0].data<long>().ToArray(), Is.EqualTo(new long[] { 1, 1, 1, 1, 1, 1, 0 }));
        });
    }

    [Test]
    public void RandomPromptInitIsUniformInHalfRange()
    {
        using var model = TinyBert.Create();
        Get("prompt-tuning").Apply(model, new PromptTuningConfig { PromptLength = 8, Init = PromptInit.Random }, TinyBert.Context(3));
        var prompt = ((SoftPrompt)model.Sites.InputEmbeddings!.Current!).embedding;
        Assert.That(prompt.abs().max().item<float>(), Is.LessThanOrEqualTo(0.5f));
    }

    [Test]
    public void PromptTuningTrainsHeadAndPromptAtTheirOwnRates()
    {
        using var model = TinyBert.Create();
        var attachment = Get("prompt-tuning").Apply(model, new PromptTuningConfig(), TinyBert.Context(3));
        var groups = attachment.ParameterGroups(model).ToList();
        Assert.That(groups.Select(g => (g.Group, g.LearningRate, g.Parameters.Sum(p => p.numel()))),
            Is.EqualTo(new[] { ("prompt", 3e-2, 20L * 32), ("head", 1e-3, model.Head.parameters().Sum(p => p.numel())) }));
    }
}
