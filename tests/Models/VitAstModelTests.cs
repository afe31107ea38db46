using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;
using static PeftBench.Tests.Models.VitAstFixtures;

namespace PeftBench.Tests.Models;

/// <summary>
/// ViT and AST against Hugging Face: the built-in architectures' state dicts (names, shapes, counts) built on the meta
/// device, the tiny reference models' hidden states and logits, and the adapter sites every method relies on.
/// </summary>
public sealed class VitAstModelTests
{
    private static PatchTransformer Build(string family, Device? device = null) => family switch
    {
        "vit" => new VitModel(VitConfig.Base16x224, device),
        _ => new AstModel(AstConfig.Base, device),
    };

    [TestCase("vit", "vit-base-patch16-224", 85_798_656L, 85_800_194L)]
    [TestCase("ast", "ast-base", 86_187_264L, 86_190_338L)]
    public void BuiltInArchitecturesMatchTransformersKeysShapesAndCountsOnTheMetaDevice(string family, string fixture, long backbone, long withHead)
    {
        var (keys, root) = Keys(fixture);
        // Hand count for AST-base: 12×101 overlapping patches (stride 10 over 128 × 1024) + CLS + distillation = 1214
        // positions; 768·1214 + 2·768 tokens + (256·768 + 768) conv + 12 blocks × 7,087,872 + 1,536 final norm.
        Assert.That(root["total_params"]!.GetValue<long>(), Is.EqualTo(backbone));
        Assert.That(root["seqcls_total_params"]!.GetValue<long>(), Is.EqualTo(withHead));

        using var model = Build(family, new Device("meta"));
        Assert.That(model.parameters().All(p => p.device_type == DeviceType.META), Is.True);
        Assert.That(Count(model), Is.EqualTo(backbone));
        // The fixture lists transformers 5's in-memory names (layers.N.attention.q_proj …); files and this model use
        // the classic names (encoder.layer.N.attention.attention.query …), which the loader's map relates.
        var expected = keys.ToDictionary(k => HfVisionLoader.MapName(k.Name)!, k => k.Shape);
        var actual = Shapes(model);
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (name, shape) in expected) Assert.That(actual[name], Is.EqualTo(shape), name);

        using var classifier = new SequenceClassifier(model, 2, 0.0, new Device("meta"));
        Assert.That(Count(classifier), Is.EqualTo(withHead));
        var headKeys = root["seqcls_keys"]!.AsArray().Select(k => k![0]!.GetValue<string>()).Where(k => k.StartsWith("classifier.", StringComparison.Ordinal));
        Assert.That(classifier.state_dict().Keys.Where(k => k.StartsWith("classifier.", StringComparison.Ordinal)), Is.EquivalentTo(headKeys));
    }

    [TestCase("vit-base-patch16-224", typeof(VitModel), 85_798_656L)]
    [TestCase("ast-base", typeof(AstModel), 86_187_264L)]
    public void BuiltInConfigsBuildThroughTheLoadersConfigReader(string name, Type type, long parameters)
    {
        // What a BackboneFamilies line for these families does: config.json text → config → model on a device.
        var architecture = BuiltInArchitectures.All.Get(name);
        using var model = HfVisionLoader.Create(HfVisionLoader.ConfigFromJson(architecture.ConfigJson, name), new Device("meta"));
        Assert.That(model, Is.TypeOf(type));
        Assert.That(Count(model), Is.EqualTo(parameters));
    }

    [Test]
    public void VitBaseStateDictUsesTheClassicHuggingFaceNames()
    {
        using var model = Build("vit", new Device("meta"));
        var shapes = Shapes(model);
        Assert.That(shapes["embeddings.patch_embeddings.projection.weight"], Is.EqualTo(new long[] { 768, 3, 16, 16 }));
        Assert.That(shapes["embeddings.position_embeddings"], Is.EqualTo(new long[] { 1, 197, 768 }));
        foreach (var name in new[] { "attention.attention.query", "attention.attention.key", "attention.attention.value", "attention.output.dense",
                     "intermediate.dense", "output.dense", "layernorm_before", "layernorm_after" })
            Assert.That(shapes.ContainsKey($"encoder.layer.11.{name}.weight"), name);
        Assert.That(shapes.ContainsKey("layernorm.weight") && !shapes.Keys.Any(k => k.StartsWith("pooler", StringComparison.Ordinal)));
    }

    [TestCase("vit")]
    [TestCase("ast")]
    public void SitesCoverEveryProjectionBlockAndTheInput(string family)
    {
        using var model = Build(family, new Device("meta"));
        var sites = model.Sites;
        Assert.That(sites.Linears, Has.Count.EqualTo(12 * 6));
        foreach (var role in new[] { SiteRoles.Query, SiteRoles.Key, SiteRoles.Value, SiteRoles.AttentionOutput, SiteRoles.MlpUp, SiteRoles.MlpDown })
            Assert.That(sites.Linears.Count(l => l.Role == role), Is.EqualTo(12), role);
        Assert.That(sites.SelectLinears(["query", "value"]).Select(l => l.Path).ToList(),
            Has.Member("encoder.layer.0.attention.attention.query").And.Member("encoder.layer.11.attention.attention.value").And.Count.EqualTo(24));
        Assert.That(sites.SelectLinears(["attn.o"]).First().Path, Is.EqualTo("encoder.layer.0.attention.output.dense"));
        Assert.That(sites.SelectLinears(["mlp.down"]).First().Path, Is.EqualTo("encoder.layer.0.output.dense"));
        Assert.That(sites.SelectResiduals(SiteRoles.AfterAttention), Has.Count.EqualTo(12));
        Assert.That(sites.SelectResiduals(SiteRoles.AfterMlp), Has.Count.EqualTo(12));
        Assert.That(sites.KeyValuePrefixes.Select(p => p.LayerIndex), Is.EqualTo(Enumerable.Range(0, 12)));
        Assert.That(sites.KeyValuePrefixes[0].HeadDim, Is.EqualTo(64));
        Assert.That(sites.InputEmbeddings, Is.Not.Null);
        Assert.That(sites.Norms, Has.Count.EqualTo(25));
        Assert.That(sites.BackboneParameters, Is.EqualTo(Count(model)));
    }

    [TestCase("vit-tiny", 17)]
    [TestCase("ast-tiny", 10)]
    public void TinyReferenceModelsReproduceTransformersHiddenStatesAndLogits(string fixture, int tokens)
    {
        var folder = Hf("models", fixture);
        var reference = Reference(fixture);
        var loaded = HfVisionLoader.Load(folder);
        var model = loaded.Model;
        model.eval();
        Assert.That(loaded.IgnoredKeys, Is.Not.Empty.And.All.StartsWith("classifier."));
        Assert.That(model.SequenceLength, Is.EqualTo(tokens));
        ModelInputs inputs = model is VitModel ? new PixelBatch(reference["pixel_values"]) : new SpectrogramBatch(reference["input_values"]);
        using var classifier = new SequenceClassifier(model, 3, 0.1);
        HfVisionLoader.LoadHead(folder, classifier.Head);
        classifier.eval();
        using var _ = no_grad();
        var hidden = model.Forward(inputs);
        var logits = classifier.call(inputs);
        // float32 on both sides, different libtorch builds: agreement to 1e-5 in absolute terms (values are O(1)).
        var hiddenDiff = MaxAbsDiff(hidden, reference["last_hidden_state"]);
        var logitDiff = MaxAbsDiff(logits, reference["logits"]);
        TestContext.Out.WriteLine($"{fixture}: max |Δ| hidden {hiddenDiff:E2}, logits {logitDiff:E2}");
        Assert.That(hidden.shape, Is.EqualTo(reference["last_hidden_state"].shape));
        Assert.That(hiddenDiff, Is.LessThan(1e-5f));
        Assert.That(logitDiff, Is.LessThan(1e-5f));
    }

    [Test]
    public void VitSoftPromptsEnterAfterClsWithoutPositions()
    {
        manual_seed(1);
        using var model = new VitModel(TinyVit);
        model.eval();
        var pixels = randn(2, 3, 16, 16);
        var prompt = new RecordingPrompt(16, 3);
        model.Sites.InputEmbeddings!.Attach("prompt", prompt);
        using var _ = no_grad();
        var hidden = model.Forward(new PixelBatch(pixels));
        Assert.That(hidden.shape, Is.EqualTo(new long[] { 2, 1 + 3 + 4, 16 }));
        // The transform sees the whole sequence, CLS (+ its position) first, and inserts after it.
        var state = model.state_dict();
        var cls = (state["embeddings.cls_token"] + state["embeddings.position_embeddings"].narrow(1, 0, 1)).squeeze(1);
        Assert.That(prompt.Seen!.shape, Is.EqualTo(new long[] { 2, 5, 16 }));
        Assert.That(MaxAbsDiff(prompt.Seen.select(1, 0), cls.expand(2, -1)), Is.LessThan(1e-6f));
    }

    [Test]
    public void AstSoftPromptsEnterAfterClsAndDistillationToken()
    {
        manual_seed(2);
        using var model = new AstModel(TinyAst);
        model.eval();
        // 24 mel × 40 frames, patch 16, strides 10: 1 × 3 patches + 2 special tokens.
        Assert.That(model.SequenceLength, Is.EqualTo(5));
        var prompt = new RecordingPrompt(16, 2);
        model.Sites.InputEmbeddings!.Attach("prompt", prompt);
        using var _ = no_grad();
        var hidden = model.Forward(new SpectrogramBatch(randn(3, 40, 24)));
        Assert.That(hidden.shape, Is.EqualTo(new long[] { 3, 7, 16 }));
        // The transform is handed the sequence from the distillation token on, so the head still pools positions 0 and 1.
        var state = model.state_dict();
        var distillation = (state["embeddings.distillation_token"] + state["embeddings.position_embeddings"].narrow(1, 1, 1)).squeeze(1);
        Assert.That(prompt.Seen!.shape, Is.EqualTo(new long[] { 3, 4, 16 }));
        Assert.That(MaxAbsDiff(prompt.Seen.select(1, 0), distillation.expand(3, -1)), Is.LessThan(1e-6f));
    }

    [TestCase("vit")]
    [TestCase("ast")]
    public void KeyValuePrefixesAndResidualSitesChangeTheOutputNotItsShape(string family)
    {
        manual_seed(3);
        PatchTransformer model = family == "vit" ? new VitModel(TinyVit) : new AstModel(TinyAst);
        model.eval();
        ModelInputs inputs = family == "vit" ? new PixelBatch(randn(2, 3, 16, 16)) : new SpectrogramBatch(randn(2, 40, 24));
        using var _ = no_grad();
        var plain = model.Forward(inputs);
        model.Sites.KeyValuePrefixes[1].Attach("prefix", new ConstantPrefix(2, 8, 4));
        var prefixed = model.Forward(inputs);
        Assert.That(prefixed.shape, Is.EqualTo(plain.shape));
        Assert.That(MaxAbsDiff(prefixed, plain), Is.GreaterThan(1e-4f));
        model.Sites.SelectResiduals(SiteRoles.AfterMlp)[0].Attach("scale", TorchSharp.torch.nn.Identity());
        Assert.That(MaxAbsDiff(model.Forward(inputs), prefixed), Is.EqualTo(0f));
        model.Dispose();
    }

    [Test]
    public void WrongInputShapesAreReadableErrors()
    {
        using var vit = new VitModel(TinyVit);
        using var ast = new AstModel(TinyAst);
        Assert.That(() => vit.Forward(new PixelBatch(zeros(1, 3, 32, 32))),
            Throws.ArgumentException.With.Message.Contains("pixel_values must be [B, 3, 16, 16], got [1, 3, 32, 32]"));
        Assert.That(() => ast.Forward(new SpectrogramBatch(zeros(1, 24, 40))),
            Throws.ArgumentException.With.Message.Contains("input_values must be [B, 40, 24]"));
        Assert.That(() => vit.Forward(new SpectrogramBatch(zeros(1, 40, 24))), Throws.ArgumentException.With.Message.Contains("pixel batches"));
    }

    [Test]
    public void BuildsInHalfPrecisionWhenAsked()
    {
        using var model = new AstModel(TinyAst, dtype: ScalarType.BFloat16);
        Assert.That(model.parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.BFloat16 }));
        Assert.That(model.CreateClassificationHead(3, 0).parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.BFloat16 }));
    }
}
