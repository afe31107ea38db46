using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>The decoder loader and writer: HF folders round-trip, every key layout loads, errors name keys.</summary>
public sealed class DecoderLoaderTests
{
    private string dir = "";

    [SetUp] public void SetUp() => dir = Directory.CreateTempSubdirectory("decoder-test-").FullName;
    [TearDown] public void TearDown() => Directory.Delete(dir, recursive: true);

    private static float[] LogitsOf(CausalLm model)
    {
        using var _ = no_grad();
        var ids = tensor(new long[] { 3, 17, 4, 29, 8, 11, 0, 0 }, new long[] { 2, 4 });
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0 }, new long[] { 2, 4 });
        return DecoderFixtures.AtRealTokens(model.call(ids, mask), mask);
    }

    [TestCaseSource(typeof(DecoderFixtures), nameof(DecoderFixtures.TinyConfigs))]
    public void WrittenFolderLoadsBackWithTheSameOutputs(DecoderConfig config)
    {
        var source = DecoderFixtures.Random(config, 21);
        HfDecoderWriter.Save(source, dir);
        var loaded = HfDecoderLoader.LoadCausalLm(dir);
        loaded.Model.eval();
        Assert.That(loaded.Config, Is.EqualTo(config));
        Assert.That(loaded.IgnoredKeys, Is.Empty);
        Assert.That(LogitsOf(loaded.Model), Is.EqualTo(LogitsOf(source)));
        var keys = Safetensors.ReadHeader(Path.Combine(dir, "model.safetensors")).Entries.ToDictionary(e => e.Name, e => e.Shape);
        Assert.That(keys.ContainsKey("lm_head.weight"), Is.EqualTo(!config.TieWordEmbeddings), "save_pretrained leaves a tied head out");
        if (config.IsGpt2) Assert.That(keys["transformer.h.0.mlp.c_fc.weight"], Is.EqualTo(new long[] { 16, 40 }), "Conv1D layout [in, out]");
        else Assert.That(keys.Keys, Has.All.StartsWith("model.").Or.EqualTo("lm_head.weight"));
    }

    [Test]
    public void HfFixtureRoundTripsThroughTheWriter()
    {
        var original = HfDecoderLoader.LoadCausalLm(DecoderFixtures.Model("gpt2-tiny")).Model;
        HfDecoderWriter.Save(original, dir);
        var expected = Safetensors.Read(Path.Combine(DecoderFixtures.Model("gpt2-tiny"), "model.safetensors")).Tensors;
        var written = Safetensors.Read(Path.Combine(dir, "model.safetensors")).Tensors;
        Assert.That(written.Keys.Order(), Is.EqualTo(expected.Keys.Where(k => k != "lm_head.weight").Order()));
        foreach (var (key, value) in written)
            Assert.That(value.data<float>().ToArray(), Is.EqualTo(expected[key].data<float>().ToArray()), key);
    }

    [Test]
    public void BareModelKeysAndStaleBuffersLoadAndAreReported()
    {
        // openai-community/gpt2 ships GPT2Model keys (no "transformer.") with the old causal-mask buffers.
        var source = DecoderFixtures.Random(DecoderFixtures.TinyGpt2, 5);
        var tensors = HfDecoderWriter.HfTensors(source.Backbone).ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["h.0.attn.bias"] = ones(1, 1, 48, 48);
        tensors["score.weight"] = zeros(3, 16);
        Safetensors.Write(Path.Combine(dir, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(dir, "config.json"), DecoderFixtures.TinyGpt2.ToJson());
        var loaded = HfDecoderLoader.LoadCausalLm(dir);
        Assert.That(loaded.IgnoredKeys, Is.EquivalentTo(new[] { "h.0.attn.bias", "score.weight" }));
        loaded.Model.eval();
        Assert.That(LogitsOf(loaded.Model), Is.EqualTo(LogitsOf(source)));
        Assert.That(HfDecoderLoader.LoadBackbone(dir).IgnoredKeys, Has.Count.EqualTo(2));
    }

    [Test]
    public void OwnShardedFolderLoads()
    {
        var source = DecoderFixtures.Random(DecoderFixtures.TinyLlama, 6);
        HfDecoderWriter.Save(source, dir);
        var all = Safetensors.Read(Path.Combine(dir, "model.safetensors")).Tensors;
        File.Delete(Path.Combine(dir, "model.safetensors"));
        var keys = all.Keys.Order(StringComparer.Ordinal).ToList();
        var map = new JsonObject();
        for (int shard = 0; shard < 3; shard++)
        {
            var file = $"model-0000{shard + 1}-of-00003.safetensors";
            var part = keys.Where((_, i) => i % 3 == shard).ToList();
            Safetensors.Write(Path.Combine(dir, file), part.Select(k => KeyValuePair.Create(k, all[k])));
            foreach (var k in part) map[k] = file;
        }
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        var loaded = HfDecoderLoader.LoadCausalLm(dir).Model;
        loaded.eval();
        Assert.That(LogitsOf(loaded), Is.EqualTo(LogitsOf(source)));
    }

    [Test]
    public void MissingUntiedHeadIsNamedWithTheReason()
    {
        HfDecoderWriter.Save(DecoderFixtures.Random(DecoderFixtures.TinyLlama, 7).Backbone, dir);
        Assert.That(() => HfDecoderLoader.LoadCausalLm(dir), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("lm_head.weight").And.Message.Contains("tie_word_embeddings: false"));
        Assert.That(HfDecoderLoader.LoadBackbone(dir).IgnoredKeys, Is.Empty, "the backbone alone needs no head");
    }

    [Test]
    public void MissingUnknownAndMisshapenKeysAreErrorsNamingTheKey()
    {
        var config = DecoderFixtures.TinyGpt2;
        // Cloned: the model is not kept alive, and its finalizer would free the parameters these tensors are.
        var good = HfDecoderWriter.HfTensors(DecoderFixtures.Random(config, 8).Backbone).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        void Write(Dictionary<string, Tensor> t)
        {
            Safetensors.Write(Path.Combine(dir, "model.safetensors"), t);
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
        }
        Write(good.Where(kv => kv.Key != "h.1.ln_2.bias").ToDictionary());
        Assert.That(() => HfDecoderLoader.LoadBackbone(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains("h.1.ln_2.bias"));
        Write(new Dictionary<string, Tensor>(good) { ["h.0.attn.q_lora.weight"] = zeros(2) });
        Assert.That(() => HfDecoderLoader.LoadBackbone(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains("h.0.attn.q_lora.weight"));
        // An [out, in] weight where GPT-2 stores [in, out]: the message says which layout was expected.
        Write(new Dictionary<string, Tensor>(good) { ["h.0.mlp.c_fc.weight"] = zeros(40, 16) });
        Assert.That(() => HfDecoderLoader.LoadBackbone(dir), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("h.0.mlp.c_fc.weight is [40, 16] in the checkpoint but the model expects [16, 40] (Conv1D layout [in, out])"));
    }

    [Test]
    public void LoadsOntoARequestedDtype()
    {
        var loaded = HfDecoderLoader.LoadCausalLm(DecoderFixtures.Model("llama-tiny"), dtype: ScalarType.BFloat16).Model;
        Assert.That(loaded.parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.BFloat16 }));
        loaded.eval();
        var r = DecoderFixtures.Reference("llama-tiny");
        using var _ = no_grad();
        var logits = loaded.call(r["input_ids"], r["attention_mask"]).to_type(ScalarType.Float32);
        // bfloat16 keeps ~3 significant digits: agreement to 0.1 on O(1) logits shows the weights arrived intact.
        Assert.That(DecoderFixtures.AtRealTokens(logits, r["attention_mask"]),
            Is.EqualTo(DecoderFixtures.AtRealTokens(r["logits"], r["attention_mask"])).Within(0.1));
    }
}

/// <summary>Half-precision checkpoints (as most LLaMA/Qwen2 releases ship) load into a float32 model.</summary>
public sealed class DecoderHalfPrecisionCheckpointTests
{
    [TestCase("BF16")]
    [TestCase("F16")]
    public void HalfPrecisionTensorsAreConvertedToTheModelDtype(string dtype)
    {
        var dir = Directory.CreateTempSubdirectory("decoder-half-").FullName;
        try
        {
            var source = Safetensors.Read(Path.Combine(DecoderFixtures.Model("llama-tiny"), "model.safetensors")).Tensors;
            WriteHalf(Path.Combine(dir, "model.safetensors"), source, dtype);
            File.Copy(Path.Combine(DecoderFixtures.Model("llama-tiny"), "config.json"), Path.Combine(dir, "config.json"));
            Assert.That(Safetensors.ReadHeader(Path.Combine(dir, "model.safetensors")).Entries.Select(e => e.DType).Distinct(), Is.EqualTo(new[] { dtype }));
            var model = HfDecoderLoader.LoadCausalLm(dir).Model;
            Assert.That(model.parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.Float32 }));
            var q = model.state_dict()["model.layers.0.self_attn.q_proj.weight"];
            var expected = source["model.layers.0.self_attn.q_proj.weight"].to_type(dtype == "BF16" ? ScalarType.BFloat16 : ScalarType.Float16).to_type(ScalarType.Float32);
            Assert.That(q.data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()), "exactly the rounded values, widened");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>float32 → bfloat16 bits, rounding to nearest even as torch does (finite values).</summary>
    private static ushort ToBFloat16(float f)
    {
        var bits = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>A safetensors file in BF16 or F16 (the project's writer emits F32 only).</summary>
    private static void WriteHalf(string path, Dictionary<string, Tensor> tensors, string dtype)
    {
        var header = new JsonObject();
        var data = new MemoryStream();
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var begin = data.Length;
            foreach (var f in t.contiguous().data<float>().ToArray()) data.Write(BitConverter.GetBytes(dtype == "BF16" ? ToBFloat16(f) : BitConverter.HalfToUInt16Bits((Half)f)));
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        var json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }
}
