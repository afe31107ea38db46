using NUnit.Framework;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>Generation: the key/value cache changes nothing but speed; seeds fix samples; eos stops rows; padding is left.</summary>
public sealed class DecoderGenerationTests
{
    private static (Tensor Ids, Tensor Mask) LeftPaddedPrompts() => (
        tensor(new long[] { 0, 0, 7, 12, 5, 9, 3, 14, 22, 8, 31, 4, 0, 0, 0, 0, 0, 19 }, new long[] { 3, 6 }),
        tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1 }, new long[] { 3, 6 }));

    [TestCaseSource(typeof(DecoderFixtures), nameof(DecoderFixtures.TinyConfigs))]
    public void CacheGivesExactlyTheTokensOfRecomputation(DecoderConfig config)
    {
        var model = DecoderFixtures.Random(config, 31);
        var (ids, mask) = LeftPaddedPrompts();
        var greedy = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = new() };
        Assert.That(DecoderFixtures.Ids(model.Generate(ids, mask, greedy)),
            Is.EqualTo(DecoderFixtures.Ids(model.Generate(ids, mask, greedy with { UseCache = false }))));
        // A high temperature: tied random models put most mass on repeating the last token.
        var sampled = greedy with { DoSample = true, Temperature = 4.0, TopK = 20, TopP = 0.95 };
        var withCache = model.Generate(ids, mask, sampled, new Generator(99));
        var without = model.Generate(ids, mask, sampled with { UseCache = false }, new Generator(99));
        Assert.That(DecoderFixtures.Ids(withCache), Is.EqualTo(DecoderFixtures.Ids(without)));
        var otherSeed = model.Generate(ids, mask, sampled, new Generator(100));
        Assert.That(DecoderFixtures.Ids(otherSeed), Is.Not.EqualTo(DecoderFixtures.Ids(withCache)), "the generator decides the samples");
    }

    [Test]
    public void RowsStopAtEosAndArePaddedAfterwards()
    {
        var model = DecoderFixtures.Random(DecoderFixtures.TinyLlama, 32);
        var (ids, mask) = LeftPaddedPrompts();
        var free = model.Generate(ids, mask, new GenerationOptions { MaxNewTokens = 6, EosTokenIds = new() });
        // Declare the token row 0 produced first an end-of-sequence token: row 0 stops there, others go on.
        var stop = (int)free[0, 6].item<long>();
        var stopped = DecoderFixtures.Ids(model.Generate(ids, mask, new GenerationOptions { MaxNewTokens = 6, EosTokenIds = new(stop), PadTokenId = 0 }));
        Assert.That(stopped[6], Is.EqualTo(stop));
        Assert.That(stopped.Skip(7).Take(5), Is.All.EqualTo(0), "finished rows are filled with the pad id");
    }

    [Test]
    public void SoftPromptAndPrefixSitesWorkWithTheCache()
    {
        var model = DecoderFixtures.Random(DecoderFixtures.TinyLlama, 33);
        manual_seed(4);
        model.Backbone.Sites.InputEmbeddings!.Attach("prompt", new TestSoftPrompt(randn(3, 16) * 0.5));
        foreach (var site in model.Backbone.Sites.KeyValuePrefixes) site.Attach("prefix", new TestPrefix(randn(2, 2, 4) * 0.5, randn(2, 2, 4) * 0.5));
        var (ids, mask) = LeftPaddedPrompts();
        var options = new GenerationOptions { MaxNewTokens = 8, EosTokenIds = new() };
        Assert.That(DecoderFixtures.Ids(model.Generate(ids, mask, options)),
            Is.EqualTo(DecoderFixtures.Ids(model.Generate(ids, mask, options with { UseCache = false }))));
    }

    [Test]
    public void RightPaddedPromptsAreRefused()
    {
        var model = DecoderFixtures.Random(DecoderFixtures.TinyGpt2, 34);
        var ids = tensor(new long[] { 5, 6, 0 }).unsqueeze(0);
        Assert.That(() => model.Generate(ids, tensor(new long[] { 1, 1, 0 }).unsqueeze(0), new GenerationOptions()),
            Throws.ArgumentException.With.Message.Contains("pad prompts on the left"));
    }

    /// <summary>Virtual tokens after the first position (as the prompt-tuning method inserts them).</summary>
    private sealed class TestSoftPrompt(Tensor prompt) : PeftBench.Core.Sites.InputEmbeddingTransform("soft")
    {
        public override long AddedPositions => prompt.shape[0];
        public override (Tensor Embeddings, Tensor AttentionMask) Transform(Tensor embeddings, Tensor attentionMask)
        {
            long batch = embeddings.shape[0], length = embeddings.shape[1];
            var p = prompt.unsqueeze(0).expand(batch, -1, -1);
            var m = ones(batch, AddedPositions, dtype: attentionMask.dtype);
            return (cat(new[] { embeddings.narrow(1, 0, 1), p, embeddings.narrow(1, 1, length - 1) }, 1),
                cat(new[] { attentionMask.narrow(1, 0, 1), m, attentionMask.narrow(1, 1, length - 1) }, 1));
        }
    }

    private sealed class TestPrefix(Tensor keys, Tensor values) : PeftBench.Core.Sites.KeyValuePrefix("prefix")
    {
        public override long Length => keys.shape[1];
        public override (Tensor Keys, Tensor Values) Prefix(long batchSize) =>
            (keys.unsqueeze(0).expand(batchSize, -1, -1, -1), values.unsqueeze(0).expand(batchSize, -1, -1, -1));
    }
}

/// <summary>Mistral's sliding window: no effect within the window, a real restriction beyond it, cache-exact either way.</summary>
public sealed class DecoderSlidingWindowTests
{
    [Test]
    public void WindowLimitsAttentionAndKeepsTheCacheExact()
    {
        var config = DecoderFixtures.TinyLlama with { ModelType = "mistral" };
        var ids = tensor(new long[] { 5, 9, 13, 7, 21, 30, 4, 11 }).unsqueeze(0);
        var mask = ones_like(ids);
        float[] Logits(int? window)
        {
            var model = DecoderFixtures.Random(config with { SlidingWindow = window }, 41);
            using var _ = no_grad();
            return model.call(ids, mask).data<float>().ToArray();
        }
        Assert.That(Logits(8), Is.EqualTo(Logits(null)), "a window as long as the text changes nothing");
        Assert.That(Logits(3), Is.Not.EqualTo(Logits(null)));
        var windowed = DecoderFixtures.Random(config with { SlidingWindow = 3 }, 41);
        var options = new GenerationOptions { MaxNewTokens = 8, EosTokenIds = new() };
        Assert.That(DecoderFixtures.Ids(windowed.Generate(ids, mask, options)),
            Is.EqualTo(DecoderFixtures.Ids(windowed.Generate(ids, mask, options with { UseCache = false }))));
        Assert.That(DecoderConfig.FromJson("""{"model_type": "mistral"}""", "mistral").SlidingWindow, Is.EqualTo(4096), "Mistral's default window");
        Assert.That(DecoderConfig.FromJson(config.ToJson(), "mistral").SlidingWindow, Is.Null, "sliding_window: null attends to everything");
    }
}
