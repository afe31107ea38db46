using NUnit.Framework;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// Numerical agreement with Hugging Face transformers 5.17 on the tiny random folders of tests/fixtures/hf/models
/// (GPT-2; LLaMA with GQA 2:1; LLaMA-3 with llama3 RoPE, GQA 4:1, tied; Qwen2 with q/k/v bias, tied; LLaMA sharded).
/// Tolerance 1e-4 absolute on hidden states and logits (float32 on both sides; the values are O(1)). The fixture
/// batch is right-padded; padding positions are left out of the comparison, because transformers numbers them by
/// <c>arange</c> and this harness by real-token count (no real token sees them either way).
/// </summary>
public sealed class DecoderReferenceTests
{
    private const float Tolerance = 1e-4f;

    public static readonly string[] Models = ["gpt2-tiny", "llama-tiny", "llama3-tiny", "qwen2-tiny", "llama-tiny-sharded"];

    private static string ReferenceOf(string model) => model == "llama-tiny-sharded" ? "llama-tiny" : model;

    [TestCaseSource(nameof(Models))]
    public void HiddenStatesAndLogitsMatchTransformers(string name)
    {
        var loaded = HfDecoderLoader.LoadCausalLm(DecoderFixtures.Model(name));
        Assert.That(loaded.IgnoredKeys, Is.Empty);
        var model = loaded.Model;
        model.eval();
        var r = DecoderFixtures.Reference(ReferenceOf(name));
        var (ids, mask) = (r["input_ids"], r["attention_mask"]);
        using var _ = no_grad();
        var hidden = model.Backbone.Decode(ids, mask, null);
        var logits = model.Logits(hidden);
        Assert.That(hidden.shape, Is.EqualTo(r["last_hidden_state"].shape));
        Assert.That(DecoderFixtures.AtRealTokens(hidden, mask), Is.EqualTo(DecoderFixtures.AtRealTokens(r["last_hidden_state"], mask)).Within(Tolerance));
        Assert.That(DecoderFixtures.AtRealTokens(logits, mask), Is.EqualTo(DecoderFixtures.AtRealTokens(r["logits"], mask)).Within(Tolerance));
    }

    [TestCaseSource(nameof(Models))]
    public void SequenceClassificationMatchesTransformers(string name)
    {
        var backbone = HfDecoderLoader.LoadBackbone(DecoderFixtures.Model(name)).Backbone;
        var r = DecoderFixtures.Reference(ReferenceOf(name));
        var classifier = new SequenceClassifier(backbone, 3, 0.0);
        using (no_grad()) ((LastTokenClassificationHead)classifier.Head).weight.copy_(r["seqcls_score_weight"]);
        classifier.eval();
        using var _ = no_grad();
        var logits = classifier.call(new TokenBatch(r["input_ids"], r["attention_mask"], null));
        Assert.That(logits.data<float>().ToArray(), Is.EqualTo(r["seqcls_logits"].data<float>().ToArray()).Within(Tolerance));
    }

    [TestCaseSource(nameof(Models))]
    public void GreedyGenerationMatchesTransformers(string name)
    {
        var model = HfDecoderLoader.LoadCausalLm(DecoderFixtures.Model(name)).Model;
        model.eval();
        var r = DecoderFixtures.Reference(ReferenceOf(name));
        // transformers ran with eos_token_id=None and min_new_tokens=8: exactly 8 new tokens, no early stop.
        var options = new GenerationOptions { MaxNewTokens = 8, EosTokenIds = new(), PadTokenId = 0 };
        foreach (var useCache in new[] { true, false })
        {
            var single = model.Generate(r["prompt_ids"], ones_like(r["prompt_ids"]), options with { UseCache = useCache });
            Assert.That(DecoderFixtures.Ids(single), Is.EqualTo(DecoderFixtures.Ids(r["greedy_ids"])), $"single prompt, cache {useCache}");
            var batch = model.Generate(r["batch_prompt_ids"], r["batch_prompt_mask"], options with { UseCache = useCache });
            Assert.That(DecoderFixtures.Ids(batch), Is.EqualTo(DecoderFixtures.Ids(r["batch_greedy_ids"])), $"left-padded batch, cache {useCache}");
        }
    }
}
