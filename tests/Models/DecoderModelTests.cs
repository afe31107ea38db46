using System.Diagnostics;
using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// The decoder architectures against Hugging Face's own state dicts (tests/fixtures/hf/keys: names, shapes and
/// parameter counts transformers 5.17 reports for the real configs, built on the meta device), plus configs,
/// sites, grouped-query attention, tied embeddings and padding.
/// </summary>
public sealed class DecoderModelTests
{
    public static readonly string[] BuiltIns = ["gpt2", "gpt2-medium", "llama-7b", "llama-2-7b", "llama-3.2-1b", "llama-3.2-3b", "qwen2.5-3b"];

    private static JsonObject Keys(string name) => (JsonObject)JsonNode.Parse(File.ReadAllText(DecoderFixtures.Hf("keys", name + ".json")))!;

    private static List<string> Listed(JsonNode node) =>
        node.AsArray().Select(e => $"{e![0]!.GetValue<string>()} [{string.Join(", ", e[1]!.AsArray().Select(s => s!.GetValue<long>()))}]").ToList();

    [TestCaseSource(nameof(BuiltIns))]
    public void StateDictKeysShapesAndCountsEqualTransformers(string name)
    {
        var record = Keys(name);
        var config = DecoderConfig.FromJson(record["config"]!.ToJsonString(), name);
        var model = CausalLm.Create(config, new Device("meta"));
        // Hugging Face layouts: Conv1D weights as [in, out], tied lm_head listed (it is in HF's state dict).
        var backbone = HfDecoderWriter.HfTensors(model.Backbone).Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]").ToList();
        Assert.That(backbone, Is.EqualTo(Listed(record["keys"]!)));
        var prefix = model.Backbone.BaseModelPrefix + ".";
        var lm = backbone.Select(k => prefix + k).Append($"lm_head.weight [{config.VocabSize}, {config.HiddenSize}]").ToList();
        Assert.That(lm, Is.EqualTo(Listed(record["causal_lm_keys"]!)));
        Assert.That(model.Backbone.parameters().Sum(p => p.numel()), Is.EqualTo(record["total_params"]!.GetValue<long>()));
        Assert.That(model.parameters().Sum(p => p.numel()), Is.EqualTo(record["causal_lm_total_params"]!.GetValue<long>()));
        var classifier = new SequenceClassifier(model.Backbone, 2, 0.0, new Device("meta"));
        Assert.That(classifier.CountParameters().Total, Is.EqualTo(record["seqcls_total_params"]!.GetValue<long>()));
        Assert.That(classifier.state_dict().Keys, Is.EqualTo(record["seqcls_keys"]!.AsArray().Select(e => e![0]!.GetValue<string>())));
    }

    [Test]
    public void Llama7bConstructsOnMetaInSeconds()
    {
        var config = DecoderConfig.Defaults("llama"); // LLaMA-1 7B: d 4096, 32 layers, FFN 11008, vocab 32000, untied
        var clock = Stopwatch.StartNew();
        var model = CausalLm.Create(config, new Device("meta"));
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.That(model.parameters().Sum(p => p.numel()), Is.EqualTo(6_738_415_616L));
        Assert.That(model.parameters().All(p => p.device_type == TorchSharp.DeviceType.META), Is.True);
        Assert.That(seconds, Is.LessThan(20), "a 7B model must build shape-only, without allocating or initialising 27 GB");
        Assert.That(model.Backbone.Sites.Linears, Has.Count.EqualTo(32 * 7));
        Assert.That(model.Backbone.Sites.KeyValuePrefixes, Has.Count.EqualTo(32));
        Assert.That(model.Backbone.Sites.Residuals, Has.Count.EqualTo(64));
        Assert.That(model.Backbone.Sites.Norms, Has.Count.EqualTo(65));
    }

    [TestCaseSource(typeof(DecoderFixtures), nameof(DecoderFixtures.TinyConfigs))]
    public void ConfigRoundTripsThroughHuggingFaceJson(DecoderConfig config)
    {
        Assert.That(DecoderConfig.FromJson(config.ToJson(), "round trip"), Is.EqualTo(config));
    }

    [Test]
    public void ConfigsReadTransformersDefaultsAndLegacyRopeFields()
    {
        var gpt2 = DecoderConfig.FromJson("""{"model_type": "gpt2", "n_embd": 64, "n_head": 4}""", "gpt2");
        Assert.That((gpt2.IntermediateSize, gpt2.HeadDim, gpt2.NumHiddenLayers, gpt2.HiddenAct, gpt2.TieWordEmbeddings, gpt2.NormEps),
            Is.EqualTo((256, 16, 12, "gelu_new", true, 1e-5)));
        var llama = DecoderConfig.FromJson("""
            {"model_type": "llama", "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_size": 2048, "head_dim": 64,
             "rope_theta": 500000.0, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
             "original_max_position_embeddings": 8192, "rope_type": "llama3"}, "eos_token_id": [128001, 128008, 128009], "tie_word_embeddings": true}
            """, "llama-3.2");
        Assert.That(llama.RopeScaling, Is.EqualTo(new RopeScaling("llama3", 32, 1, 4, 8192)));
        Assert.That((llama.RopeTheta, llama.NumKeyValueHeads, llama.HeadDim, llama.EosTokenIds.Count, llama.EosTokenId), Is.EqualTo((500000.0, 8, 64, 3, 128001)));
        var qwen = DecoderConfig.FromJson("""{"model_type": "qwen2", "hidden_size": 64}""", "qwen2");
        Assert.That((qwen.AttentionBias, qwen.NumKeyValueHeads, qwen.RopeTheta, qwen.VocabSize), Is.EqualTo((true, 32, 10000.0, 151936)));
    }

    [TestCase("""{"model_type": "bert"}""", "model_type 'bert' is not a decoder")]
    [TestCase("""{"hidden_size": 64}""", "no model_type")]
    [TestCase("""{"model_type": "llama", "num_attention_heads": 6, "num_key_value_heads": 4}""", "must be a multiple of num_key_value_heads 4")]
    [TestCase("""{"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}}""", "rope_scaling type 'yarn' is not supported")]
    [TestCase("""{"model_type": "llama", "hidden_act": "swish2"}""", "hidden_act 'swish2' is not supported")]
    [TestCase("""{"model_type": "gpt2", "n_layer": "twelve"}""", "'n_layer' must be an integer")]
    [TestCase("""{"model_type": "qwen2", "use_sliding_window": true}""", "use_sliding_window: true is not supported")]
    public void InvalidConfigsSayWhatWhereAndHowToFix(string json, string message)
    {
        Assert.That(() => DecoderConfig.FromJson(json, "/models/x/config.json"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains(message).And.Message.StartsWith("/models/x/config.json"));
    }

    [TestCaseSource(typeof(DecoderFixtures), nameof(DecoderFixtures.TinyConfigs))]
    public void ProjectionsAreAdaptableLinearsWithRoles(DecoderConfig config)
    {
        var sites = CausalLm.Create(config).Backbone.Sites;
        var roles = sites.Linears.Where(l => l.LayerIndex == 0).Select(l => l.Role).ToList();
        if (config.IsGpt2)
        {
            Assert.That(roles, Is.EqualTo(new[] { SiteRoles.FusedQkv, SiteRoles.AttentionOutput, SiteRoles.MlpUp, SiteRoles.MlpDown }));
            Assert.That(sites.Linears.All(l => l.CheckpointTransposed), Is.True);
            Assert.That(sites.SelectLinears(["attn.v"]).Select(l => l.Path), Is.EqualTo(new[] { "h.0.attn.c_attn", "h.1.attn.c_attn" }));
        }
        else
        {
            Assert.That(roles, Is.EqualTo(new[] { SiteRoles.Query, SiteRoles.Key, SiteRoles.Value, SiteRoles.AttentionOutput, SiteRoles.MlpGate, SiteRoles.MlpUp, SiteRoles.MlpDown }));
            Assert.That(sites.SelectLinears(["q_proj", "v_proj"]).Select(l => l.Path),
                Is.EqualTo(new[] { "layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj", "layers.1.self_attn.q_proj", "layers.1.self_attn.v_proj" }));
            Assert.That(sites.Norms.Select(n => n.Path), Does.Contain("layers.0.input_layernorm").And.Contain("norm"));
            Assert.That(sites.KeyValuePrefixes[0].Heads, Is.EqualTo(config.NumKeyValueHeads), "prefixes are per key/value head (GQA)");
        }
        Assert.That(sites.InputEmbeddings, Is.Not.Null);
        Assert.That(sites.Residuals.Select(r => r.Role).Distinct(), Is.EquivalentTo(new[] { SiteRoles.AfterAttention, SiteRoles.AfterMlp }));
    }

    [Test]
    public void GroupedQueryAttentionShapesAndTiedEmbeddings()
    {
        var llama3 = CausalLm.Create(DecoderFixtures.TinyLlama3);
        var state = llama3.state_dict();
        Assert.That(state["model.layers.0.self_attn.q_proj.weight"].shape, Is.EqualTo(new long[] { 16, 16 }));
        Assert.That(state["model.layers.0.self_attn.k_proj.weight"].shape, Is.EqualTo(new long[] { 4, 16 }), "one key/value head of width 4");
        Assert.That(state.ContainsKey("lm_head.weight"), Is.False);
        using (no_grad()) llama3.Backbone.TokenEmbeddings.weight![7, 3] = tensor(42f);
        Assert.That(llama3.LmHeadWeight[7, 3].item<float>(), Is.EqualTo(42f), "tied: the head is the embedding");
        Assert.That(llama3.HfStateDict()["lm_head.weight"][7, 3].item<float>(), Is.EqualTo(42f));
        var untied = CausalLm.Create(DecoderFixtures.TinyLlama);
        Assert.That(untied.state_dict()["lm_head.weight"].shape, Is.EqualTo(new long[] { 50, 16 }));
        var qwen = CausalLm.Create(DecoderFixtures.TinyQwen2).state_dict();
        Assert.That(qwen.ContainsKey("model.layers.0.self_attn.k_proj.bias") && !qwen.ContainsKey("model.layers.0.self_attn.o_proj.bias"), Is.True);
    }

    [TestCaseSource(typeof(DecoderFixtures), nameof(DecoderFixtures.TinyConfigs))]
    public void PaddingOnEitherSideLeavesRealTokensUnchanged(DecoderConfig config)
    {
        var model = DecoderFixtures.Random(config, 11);
        using var _ = no_grad();
        var ids = tensor(new long[] { 5, 9, 13, 7 }).unsqueeze(0);
        var alone = model.call(ids, ones_like(ids));
        var left = model.call(tensor(new long[] { 0, 0, 5, 9, 13, 7 }).unsqueeze(0), tensor(new long[] { 0, 0, 1, 1, 1, 1 }).unsqueeze(0));
        var right = model.call(tensor(new long[] { 5, 9, 13, 7, 0, 0 }).unsqueeze(0), tensor(new long[] { 1, 1, 1, 1, 0, 0 }).unsqueeze(0));
        Assert.That(left.narrow(1, 2, 4).data<float>().ToArray(), Is.EqualTo(alone.data<float>().ToArray()).Within(1e-5));
        Assert.That(right.narrow(1, 0, 4).data<float>().ToArray(), Is.EqualTo(alone.data<float>().ToArray()).Within(1e-5));
    }

    [Test]
    public void ScoreHeadReadsTheLastRealTokenOfEachRow()
    {
        var backbone = DecoderFixtures.Random(DecoderFixtures.TinyLlama, 3).Backbone;
        var classifier = new SequenceClassifier(backbone, 2, 0.0);
        Assert.That(classifier.Head.HeadName, Is.EqualTo("score"));
        Assert.That(classifier.Head.parameters().Sum(p => p.numel()), Is.EqualTo(2 * 16), "bias-free score");
        using var _ = no_grad();
        var ids = tensor(new long[] { 5, 9, 13, 0, 0, 0, 5, 9, 13, 7 }, new long[] { 2, 5 });
        var mask = tensor(new long[] { 1, 1, 1, 0, 0, 0, 1, 1, 1, 1 }, new long[] { 2, 5 });
        var both = classifier.call(new TokenBatch(ids, mask, null));
        var first = classifier.call(new TokenBatch(ids.narrow(0, 0, 1).narrow(1, 0, 3), ones(1, 3, dtype: ScalarType.Int64), null));
        var second = classifier.call(new TokenBatch(ids.narrow(0, 1, 1).narrow(1, 1, 4), ones(1, 4, dtype: ScalarType.Int64), null));
        Assert.That(both.select(0, 0).data<float>().ToArray(), Is.EqualTo(first.select(0, 0).data<float>().ToArray()).Within(1e-5));
        Assert.That(both.select(0, 1).data<float>().ToArray(), Is.EqualTo(second.select(0, 0).data<float>().ToArray()).Within(1e-5));
    }
}
