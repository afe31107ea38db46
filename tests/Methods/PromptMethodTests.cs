using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using PeftBench.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>
/// What the contract tests cannot see of the prompt and representation methods: training-time vs saved counts,
/// prefixes per key/value head, generation with a cache, ReFT's orthonormal subspace and positions, VPT's layers, and
/// peft's adaption-prompt keys on LLaMA.
/// </summary>
[TestFixture]
public sealed class PromptMethodTests
{
    private static readonly PeftBench.Core.Catalogs.Catalog<IPeftMethod> Methods = MethodCatalog.Create();

    private static MethodContext Context(ulong seed) => new(CPU, new Generator(seed, CPU));

    private static ParameterReport Count(string model, string method, params string[] settings)
    {
        var m = Methods.Get(method);
        var config = settings.Aggregate(m.DefaultConfig, (c, s) => c.With(s));
        return ParameterAccounting.Count(ModelResolver.Resolve(model), m, config, numLabels: null);
    }

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>The counting policy's split: a reparameterisation trains its MLP and saves its output.</summary>
    [Test]
    public void ReparameterisedPromptsReportTrainingAndSavedParametersApart()
    {
        // roberta-base: L = 12, d = 768. Prefix tuning (l 10, h 512): l·d + (d·h + h) + (h·2Ld + 2Ld), saved 2·L·l·d.
        var prefix = Count("roberta-base", "prefix-tuning");
        const long output = 2 * 12 * 768;
        Assert.Multiple(() =>
        {
            Assert.That(prefix.AdapterParams, Is.EqualTo(10 * 768 + (768 * 512 + 512) + (512 * output + output)));
            Assert.That(prefix.MethodSavedParams, Is.EqualTo(10 * output));
            Assert.That(prefix.MethodFormulaParams, Is.EqualTo(prefix.AdapterParams));
        });
        var deep = Count("roberta-base", "p-tuning-v2");
        Assert.That((deep.AdapterParams, deep.MethodSavedParams), Is.EqualTo((20 * output, 20 * output)), "no reparameterisation: saved = trained");
        var pTuning = Count("roberta-base", "p-tuning");
        Assert.That((pTuning.AdapterParams, pTuning.MethodSavedParams), Is.EqualTo((20 * 768 + 3 * (768 * 768 + 768), 20 * 768)), "peft's MLP encoder");
        var lstm = Count("roberta-base", "p-tuning", "encoder=lstm", "encoder_hidden=64");
        long h = 64, lstmCount = 2 * (4 * h * (768 + h) + 8 * h) + 2 * (4 * h * (2 * h + h) + 8 * h);
        Assert.That(lstm.AdapterParams, Is.EqualTo(20 * 768 + lstmCount + (2 * h * 2 * h + 2 * h) + (2 * h * 768 + 768)), "biLSTM(2 layers) + MLP head");
    }

    /// <summary>With grouped-query attention the prefix is per key/value head (peft's token_dim = d_h · kv heads).</summary>
    [Test]
    public void PrefixesArePerKeyValueHeadUnderGroupedQueryAttention()
    {
        // llama-3.2-1b: 16 layers, 8 key/value heads of 64.
        Assert.That(Count("llama-3.2-1b", "p-tuning-v2").AdapterParams, Is.EqualTo(2L * 16 * 20 * 8 * 64));
        Assert.That(Count("llama-3.2-1b", "adaption-prompt", "adapter_layers=4").AdapterParams, Is.EqualTo(4L * (10 * 2048 + 1)), "top 4 layers");
    }

    /// <summary>
    /// Key/value prefixes are prepended afresh at every cached step and the gated prompt needs no cache: generating with
    /// the cache gives exactly the tokens of recomputing the whole sequence, with GPT-2's fused projection and LLaMA's
    /// grouped-query heads; a zero gate leaves the logits untouched, a nonzero one changes them.
    /// </summary>
    [TestCase("gpt2")]
    [TestCase("llama")]
    public void GenerationWithPrefixesAndGatedPromptsMatchesRecomputation(string family)
    {
        var config = family == "gpt2" ? DecoderFixtures.TinyGpt2 : DecoderFixtures.TinyLlama;
        var ids = tensor(new long[] { 0, 0, 7, 12, 5, 9, 3, 14, 22, 8, 31, 4 }, new long[] { 2, 6 });
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 6 });
        var options = new GenerationOptions { MaxNewTokens = 8, EosTokenIds = new() };
        float[] Logits(CausalLm m) { using var _ = no_grad(); return m.call(ids, mask).data<float>().ToArray(); }
        var plain = Logits(DecoderFixtures.Random(config, 51));

        var prefixed = DecoderFixtures.Random(config, 51);
        Methods.Get("p-tuning-v2").Apply(SequenceClassifier.Headless(prefixed.Backbone), new PrefixTuningConfig { PrefixLength = 3, Reparameterize = false }, Context(1));
        Assert.That(Logits(prefixed), Is.Not.EqualTo(plain), "a prefix changes the logits");
        Assert.That(DecoderFixtures.Ids(prefixed.Generate(ids, mask, options)),
            Is.EqualTo(DecoderFixtures.Ids(prefixed.Generate(ids, mask, options with { UseCache = false }))), "prefix: cache vs recomputation");

        var gated = DecoderFixtures.Random(config, 51);
        Methods.Get("adaption-prompt").Apply(SequenceClassifier.Headless(gated.Backbone), new AdaptionPromptConfig { AdapterLength = 3 }, Context(2));
        Assert.That(Logits(gated), Is.EqualTo(plain), "a zero gate preserves the output");
        using (no_grad())
            foreach (var site in gated.Backbone.Sites.KeyValuePrefixes) ((GatedAdaptionPrompt)site.Prompt!).adaption_gate.fill_(0.7);
        Assert.That(Logits(gated), Is.Not.EqualTo(plain));
        Assert.That(DecoderFixtures.Ids(gated.Generate(ids, mask, options)),
            Is.EqualTo(DecoderFixtures.Ids(gated.Generate(ids, mask, options with { UseCache = false }))), "gated prompt: cache vs recomputation");
    }

    /// <summary>peft's ADAPTION_PROMPT keys on LLaMA (the top layer's self_attn), and a reload to the same logits.</summary>
    [Test]
    public void AdaptionPromptSavesPeftsKeysOnLlama()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-adaption-{Environment.ProcessId}");
        try
        {
            SequenceClassifier Model()
            {
                manual_seed(5);
                var m = new SequenceClassifier(DecoderBackbones.Create(DecoderFixtures.TinyLlama), 3, 0.0);
                m.eval();
                return m;
            }
            var method = Methods.Get("adaption-prompt");
            var config = new AdaptionPromptConfig { AdapterLayers = 1 };
            using var model = Model();
            method.Apply(model, config, Context(3));
            using (no_grad()) ((GatedAdaptionPrompt)model.Sites.KeyValuePrefixes[1].Prompt!).adaption_gate.fill_(0.4);
            var batch = new TokenBatch(tensor(new long[] { 5, 9, 13, 7, 21, 30 }, new long[] { 1, 6 }), ones(1, 6, dtype: ScalarType.Int64), null);
            using var expected = TinyBert.Logits(model, batch);
            PeftAdapterCheckpoint.Save(model, method, config, directory);
            var folder = PeftAdapterCheckpoint.Load(directory);
            using var fresh = Model();
            PeftAdapterCheckpoint.ApplyTo(folder, fresh, method, Context(9));
            using var actual = TinyBert.Logits(fresh, batch);
            Assert.Multiple(() =>
            {
                Assert.That(folder.Tensors.Keys.Order(), Is.EqualTo(new[]
                {
                    "base_model.model.model.layers.1.self_attn.adaption_gate", "base_model.model.model.layers.1.self_attn.adaption_prompt",
                    "base_model.model.score.weight",
                }));
                Assert.That(folder.Tensors["base_model.model.model.layers.1.self_attn.adaption_prompt"].shape, Is.EqualTo(new long[] { 1, 10, 16 }));
                Assert.That(folder.AdapterConfig["target_modules"]!.GetValue<string>(), Is.EqualTo("self_attn"));
                Assert.That(folder.AdapterConfig["adapter_layers"]!.GetValue<int>(), Is.EqualTo(1));
                Assert.That((actual - expected).abs().max().item<float>(), Is.EqualTo(0f));
            });
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// LoReFT: R keeps orthonormal rows for any value of its free parameter; Φ(h) − h lies in R's row space; only the
    /// first p and last q real tokens of each row change, whichever side the padding is on.
    /// </summary>
    [Test]
    public void LoreftStaysInItsOrthonormalSubspaceAtTheChosenPositions()
    {
        var config = new ReftConfig { Rank = 3, FirstPositions = 2, LastPositions = 1, Dropout = 0 };
        var intervention = new LoreftIntervention(16, config, first: true, last: true, Context(4));
        intervention.eval();
        using (no_grad()) intervention.rotate.add_(randn(16, 3, generator: new Generator(6, CPU)) * 0.5);
        var r = intervention.Rotation();
        Assert.That((r.mm(r.t()) - eye(3)).abs().max().item<float>(), Is.LessThan(1e-5f), "R Rᵀ = I");

        var hidden = randn(new long[] { 3, 6, 16 }, generator: new Generator(7, CPU));
        // Row 0 unpadded, row 1 right-padded (encoders), row 2 left-padded (decoders).
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1 }, new long[] { 3, 6 });
        using var _ = no_grad();
        var output = intervention.Intervene(hidden, mask);
        var changed = (output - hidden).abs().amax(2).gt(0);
        var expected = new[] { true, true, false, false, false, true, true, true, false, true, false, false, false, false, true, true, false, true };
        Assert.That(changed.data<bool>().ToArray(), Is.EqualTo(expected), "positions f2 + l1 of the real tokens");
        var delta = (output - hidden).reshape(-1, 16);
        var outsideSubspace = delta - delta.mm(r.t()).mm(r);
        Assert.That(outsideSubspace.abs().max().item<float>(), Is.LessThan(1e-5f), "Φ(h) − h = Rᵀ(…)");
    }

    /// <summary>VPT applies to patch sequences only; deep prompts are a new set per layer that replace the previous ones.</summary>
    [Test]
    public void VisualPromptsArePerLayerAndForPatchSequencesOnly()
    {
        var shallow = Methods.Get("vpt-shallow");
        var deep = Methods.Get("vpt-deep");
        using (var text = TinyBert.Create())
            Assert.That(deep.NotApplicableReason(text.Sites), Does.Contain("patches"));
        using var vit = TinyVit.Create();
        Assert.That(shallow.NotApplicableReason(vit.Sites), Is.Null);
        Assert.That(deep.CountTrainable(vit.Sites, deep.DefaultConfig), Is.EqualTo(2 * 10 * 32), "L·p·d");
        Assert.That(shallow.CountTrainable(vit.Sites, shallow.DefaultConfig), Is.EqualTo(10 * 32), "p·d");
        deep.Apply(vit, deep.DefaultConfig, Context(5));
        using var _ = no_grad();
        var (batch, _) = TinyVit.Batch();
        Assert.That(vit.Backbone.Forward(batch).shape, Is.EqualTo(new long[] { 6, 1 + 10 + 4, 32 }), "CLS, 10 prompts, 4 patches");
        var replacement = (DeepPrompt)vit.Sites.HiddenStates[0].Interventions.Single();
        Assert.That(vit.Sites.HiddenStates[1].Interventions, Is.Empty, "the last block's prompt outputs are left alone");
        var hidden = randn(2, 15, 32);
        var replaced = replacement.Intervene(hidden, null);
        Assert.Multiple(() =>
        {
            Assert.That(Same(replaced.narrow(1, 1, 10), replacement.deep_prompt_embeddings.unsqueeze(0).expand(2, -1, -1)), "prompts replaced");
            Assert.That(Same(replaced.narrow(1, 0, 1), hidden.narrow(1, 0, 1)), "CLS kept");
            Assert.That(Same(replaced.narrow(1, 11, 4), hidden.narrow(1, 11, 4)), "patches kept");
        });
    }
}
