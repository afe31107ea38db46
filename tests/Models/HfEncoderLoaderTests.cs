using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>The loader contract: HF names load unchanged, prefixes and legacy names map, heads are skipped and listed, errors name keys.</summary>
public sealed class HfEncoderLoaderTests
{
    private string dir = "";

    [SetUp] public void SetUp() => dir = Directory.CreateTempSubdirectory("hf-test-").FullName;
    [TearDown] public void TearDown() => Directory.Delete(dir, recursive: true);

    private static void AssertSameWeights(BertEncoder loaded, Dictionary<string, Tensor> expected)
    {
        foreach (var (name, value) in loaded.state_dict())
            Assert.That(value.data<float>().ToArray(), Is.EqualTo(expected[name].data<float>().ToArray()), name);
    }

    [Test]
    public void LoadsPlainBertModelNames()
    {
        var (_, state) = TinyFolders.Source(1);
        var folder = TinyFolders.Write(Path.Combine(dir, "plain"), state);
        var loaded = HfEncoderLoader.Load(folder);
        Assert.That(loaded.IgnoredKeys, Is.Empty);
        Assert.That(loaded.Config, Is.EqualTo(TinyFolders.Config));
        AssertSameWeights(loaded.Encoder, state);
    }

    [Test]
    public void StripsPrefixMapsGammaBetaAndSkipsHeads()
    {
        var (_, state) = TinyFolders.Source(2);
        var checkpoint = state.ToDictionary(kv => "bert." + kv.Key
            .Replace("embeddings.LayerNorm.weight", "embeddings.LayerNorm.gamma")
            .Replace("embeddings.LayerNorm.bias", "embeddings.LayerNorm.beta"), kv => kv.Value);
        checkpoint["bert.pooler.dense.weight"] = zeros(16, 16);
        checkpoint["cls.predictions.bias"] = zeros(40);
        checkpoint["bert.embeddings.position_ids"] = arange(24L).unsqueeze(0);
        Assert.That(checkpoint.ContainsKey("bert.embeddings.LayerNorm.gamma"), Is.True);

        var loaded = HfEncoderLoader.Load(TinyFolders.Write(Path.Combine(dir, "prefixed"), checkpoint));
        Assert.That(loaded.IgnoredKeys, Is.EquivalentTo(new[] { "bert.pooler.dense.weight", "cls.predictions.bias", "bert.embeddings.position_ids" }));
        AssertSameWeights(loaded.Encoder, state);
    }

    [Test]
    public void LoadsShardedCheckpoints()
    {
        var (_, state) = TinyFolders.Source(3);
        var folder = Path.Combine(dir, "sharded");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyFolders.Config.ToJson());
        var keys = state.Keys.Order(StringComparer.Ordinal).ToList();
        var shards = new[] { keys.Take(keys.Count / 2).ToList(), keys.Skip(keys.Count / 2).ToList() };
        var map = new JsonObject();
        for (int i = 0; i < 2; i++)
        {
            var file = $"model-0000{i + 1}-of-00002.safetensors";
            Safetensors.Write(Path.Combine(folder, file), shards[i].Select(k => KeyValuePair.Create(k, state[k])));
            foreach (var k in shards[i]) map[k] = file;
        }
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        AssertSameWeights(HfEncoderLoader.Load(folder).Encoder, state);
    }

    [Test]
    public void MissingBackboneKeysAreNamed()
    {
        var (_, state) = TinyFolders.Source(4);
        state.Remove("encoder.layer.1.attention.self.key.bias");
        var folder = TinyFolders.Write(Path.Combine(dir, "missing"), state);
        Assert.That(() => HfEncoderLoader.Load(folder),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("encoder.layer.1.attention.self.key.bias"));
    }

    [Test]
    public void ShapeMismatchNamesKeyAndBothShapes()
    {
        var (_, state) = TinyFolders.Source(5);
        state["embeddings.word_embeddings.weight"] = zeros(41, 16);
        var folder = TinyFolders.Write(Path.Combine(dir, "shape"), state);
        Assert.That(() => HfEncoderLoader.Load(folder), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("embeddings.word_embeddings.weight is [41, 16] in the checkpoint but [40, 16] in the model"));
    }

    [Test]
    public void UnknownKeysAreAnError()
    {
        var (_, state) = TinyFolders.Source(6);
        state["encoder.layer.0.adapter.weight"] = zeros(2);
        var folder = TinyFolders.Write(Path.Combine(dir, "unknown"), state);
        Assert.That(() => HfEncoderLoader.Load(folder), Throws.TypeOf<InvalidDataException>().With.Message.Contains("encoder.layer.0.adapter.weight"));
    }
}
