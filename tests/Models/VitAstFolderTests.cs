using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using static TorchSharp.torch;
using static PeftBench.Tests.Models.VitAstFixtures;

namespace PeftBench.Tests.Models;

/// <summary>The ViT/AST folder contract: what the writer saves loads back bit for bit, task-model folders keep their head, errors name keys.</summary>
public sealed class VitAstFolderTests
{
    private string dir = "";

    [SetUp] public void SetUp() => dir = Directory.CreateTempSubdirectory("hf-vision-").FullName;
    [TearDown] public void TearDown() => Directory.Delete(dir, recursive: true);

    private static PatchTransformer Tiny(string family, long seed)
    {
        manual_seed(seed);
        return family == "vit" ? new VitModel(TinyVit) : new AstModel(TinyAst);
    }

    private static ModelInputs Inputs(PatchTransformer model) =>
        model is VitModel ? new PixelBatch(randn(2, 3, 16, 16)) : new SpectrogramBatch(randn(2, 40, 24));

    private static void AssertSameState(nn.Module actual, nn.Module expected)
    {
        var want = expected.state_dict();
        var got = actual.state_dict();
        Assert.That(got.Keys, Is.EquivalentTo(want.Keys));
        foreach (var (name, value) in got)
            Assert.That(value.data<float>().ToArray(), Is.EqualTo(want[name].data<float>().ToArray()), name);
    }

    [TestCase("vit")]
    [TestCase("ast")]
    public void BareModelFolderRoundTripsBitForBit(string family)
    {
        using var source = Tiny(family, 11);
        var folder = Path.Combine(dir, family);
        HfVisionLoader.Save(folder, source);
        var loaded = HfVisionLoader.Load(folder);
        Assert.That(loaded.IgnoredKeys, Is.Empty);
        Assert.That(loaded.Config, Is.EqualTo(source.TransformerConfig));
        Assert.That(loaded.Model.GetType(), Is.EqualTo(source.GetType()));
        AssertSameState(loaded.Model, source);
        source.eval(); loaded.Model.eval();
        var inputs = Inputs(source);
        using var _ = no_grad();
        Assert.That(MaxAbsDiff(loaded.Model.Forward(inputs), source.Forward(inputs)), Is.EqualTo(0f));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.That(config["architectures"]![0]!.GetValue<string>(), Is.EqualTo(family == "vit" ? "ViTModel" : "ASTModel"));
    }

    [TestCase("vit", "vit.", new[] { "classifier.bias", "classifier.weight" })]
    [TestCase("ast", "audio_spectrogram_transformer.", new[] { "classifier.dense.bias", "classifier.dense.weight", "classifier.layernorm.bias", "classifier.layernorm.weight" })]
    public void TaskModelFolderKeepsPrefixAndHead(string family, string prefix, string[] headKeys)
    {
        var source = new SequenceClassifier(Tiny(family, 12), 3, 0.0);
        var folder = Path.Combine(dir, family + "-cls");
        HfVisionLoader.Save(folder, source);
        var keys = Safetensors.ReadHeader(Path.Combine(folder, "model.safetensors")).Entries.Select(e => e.Name).ToList();
        Assert.That(keys.Where(k => !k.StartsWith("classifier.", StringComparison.Ordinal)), Has.All.StartsWith(prefix));
        Assert.That(keys.Where(k => k.StartsWith("classifier.", StringComparison.Ordinal)), Is.EquivalentTo(headKeys));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.That(config["id2label"]!.AsObject().Count, Is.EqualTo(3));

        var loaded = HfVisionLoader.Load(folder);
        Assert.That(loaded.IgnoredKeys, Is.EquivalentTo(headKeys));
        AssertSameState(loaded.Model, source.Backbone);
        var reloaded = new SequenceClassifier(loaded.Model, 3, 0.0);
        HfVisionLoader.LoadHead(folder, reloaded.Head);
        AssertSameState(reloaded, source);
    }

    [Test]
    public void WriterSkipsAttachedAdapterParameters()
    {
        using var source = Tiny("vit", 13);
        source.Sites.KeyValuePrefixes[0].Attach("prefix", new ConstantPrefix(2, 8, 1));
        var scale = nn.Linear(16, 16, hasBias: false);
        source.Sites.SelectResiduals(PeftBench.Core.Sites.SiteRoles.AfterMlp)[0].Attach("adapter", scale);
        HfVisionLoader.Save(Path.Combine(dir, "adapted"), source);
        Assert.That(HfVisionLoader.Load(Path.Combine(dir, "adapted")).IgnoredKeys, Is.Empty);
    }

    [Test]
    public void ShardedFoldersAndTransformers5InMemoryNamesLoad()
    {
        using var source = Tiny("ast", 14);
        var folder = Path.Combine(dir, "sharded");
        HfVisionLoader.Save(folder, source);
        var state = Safetensors.Read(Path.Combine(folder, "model.safetensors")).Tensors;
        File.Delete(Path.Combine(folder, "model.safetensors"));
        // Second shard holds layer 1 under transformers 5's module names (layers.1.attention.q_proj, layers.1.mlp.fc1 …).
        static string V5(string k) => k.Replace("encoder.layer.1.", "layers.1.").Replace("attention.attention.query", "attention.q_proj")
            .Replace("attention.attention.key", "attention.k_proj").Replace("attention.attention.value", "attention.v_proj")
            .Replace("attention.output.dense", "attention.o_proj").Replace("intermediate.dense", "mlp.fc1").Replace("output.dense", "mlp.fc2");
        var first = state.Where(kv => !kv.Key.StartsWith("encoder.layer.1.", StringComparison.Ordinal)).ToList();
        var second = state.Where(kv => kv.Key.StartsWith("encoder.layer.1.", StringComparison.Ordinal)).Select(kv => KeyValuePair.Create(V5(kv.Key), kv.Value)).ToList();
        Assert.That(second.Select(kv => kv.Key), Has.Member("layers.1.mlp.fc2.weight").And.Member("layers.1.attention.q_proj.bias"));
        Safetensors.Write(Path.Combine(folder, "model-00001-of-00002.safetensors"), first);
        Safetensors.Write(Path.Combine(folder, "model-00002-of-00002.safetensors"), second);
        var map = new JsonObject();
        foreach (var (k, _) in first) map[k] = "model-00001-of-00002.safetensors";
        foreach (var (k, _) in second) map[k] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        AssertSameState(HfVisionLoader.Load(folder).Model, source);
    }

    private string WriteWith(Action<Dictionary<string, Tensor>> edit)
    {
        using var source = Tiny("vit", 15);
        var folder = Path.Combine(dir, "edited");
        HfVisionLoader.Save(folder, source);
        var state = Safetensors.Read(Path.Combine(folder, "model.safetensors")).Tensors;
        edit(state);
        Safetensors.Write(Path.Combine(folder, "model.safetensors"), state);
        return folder;
    }

    [Test]
    public void MissingKeysAreNamed() =>
        Assert.That(() => HfVisionLoader.Load(WriteWith(s => s.Remove("encoder.layer.1.attention.attention.key.bias"))),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("encoder.layer.1.attention.attention.key.bias"));

    [Test]
    public void UnexpectedKeysAreNamed() =>
        Assert.That(() => HfVisionLoader.Load(WriteWith(s => s["embeddings.mask_token"] = zeros(1, 1, 16))),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("embeddings.mask_token"));

    [Test]
    public void MisshapenKeysNameBothShapes() =>
        Assert.That(() => HfVisionLoader.Load(WriteWith(s => s["embeddings.position_embeddings"] = zeros(1, 17, 16))),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("embeddings.position_embeddings is [1, 17, 16] in the checkpoint but [1, 5, 16] in the model"));

    [Test]
    public void ViTPoolerIsSkippedAndReported()
    {
        var folder = WriteWith(s => { s["pooler.dense.weight"] = zeros(16, 16); s["pooler.dense.bias"] = zeros(16); });
        Assert.That(HfVisionLoader.Load(folder).IgnoredKeys, Is.EquivalentTo(new[] { "pooler.dense.bias", "pooler.dense.weight" }));
    }

    [Test]
    public void ConfigsReadTheFixturesAndRejectUnknownFamilies()
    {
        var vit = (VitConfig)HfVisionLoader.ReadConfig(Hf("models", "vit-tiny"));
        Assert.That((vit.HiddenSize, vit.ImageSize, vit.PatchSize, vit.NumPatches), Is.EqualTo((32, 32, 8, 16)));
        var ast = (AstConfig)HfVisionLoader.ReadConfig(Hf("models", "ast-tiny"));
        Assert.That((ast.NumMelBins, ast.MaxLength, ast.FrequencyPatches, ast.TimePatches), Is.EqualTo((32, 48, 2, 4)));
        Assert.That(HfVisionLoader.ConfigFromJson(ast.ToJson(), "round trip"), Is.EqualTo(ast));
        Assert.That(() => HfVisionLoader.ConfigFromJson("""{"model_type": "bert"}""", "x.json"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("model_type 'bert'"));
        Assert.That(() => HfVisionLoader.ConfigFromJson("""{"model_type": "vit", "image_size": 30}""", "y.json"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("image_size 30 must be a positive multiple of patch_size 16"));
    }
}
