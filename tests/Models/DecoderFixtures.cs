using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// Paths to the transformers reference fixtures (tests/fixtures/hf, made by make_fixtures.py there) and tiny
/// decoder configs for tests that make their own folders with <see cref="HfDecoderWriter"/>.
/// </summary>
internal static class DecoderFixtures
{
    public static string Hf(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", "hf", .. parts]);

    public static string Model(string name) => Hf("models", name);

    /// <summary>The tensors transformers computed for a tiny model (see tests/fixtures/hf/README.md).</summary>
    public static Dictionary<string, Tensor> Reference(string name) => Safetensors.Read(Path.Combine(Model(name), "reference.safetensors")).Tensors;

    public static DecoderConfig TinyGpt2 => DecoderConfig.Defaults("gpt2") with
    {
        VocabSize = 50, HiddenSize = 16, IntermediateSize = 40, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4,
        HeadDim = 4, MaxPositionEmbeddings = 48, BosTokenId = 1, EosTokenIds = new(2), PadTokenId = 0,
        EmbeddingDropout = 0, AttentionDropout = 0, ResidualDropout = 0,
    };

    /// <summary>LLaMA with grouped-query attention (4 query heads over 2 key/value heads), untied head.</summary>
    public static DecoderConfig TinyLlama => DecoderConfig.Defaults("llama") with
    {
        VocabSize = 50, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        HeadDim = 4, MaxPositionEmbeddings = 64, BosTokenId = 1, EosTokenIds = new(2), PadTokenId = 0,
    };

    /// <summary>Qwen2: q/k/v biases, tied head.</summary>
    public static DecoderConfig TinyQwen2 => TinyLlama with { ModelType = "qwen2", AttentionBias = true, TieWordEmbeddings = true, RopeTheta = 1e6 };

    /// <summary>Llama-3 style: llama3 RoPE scaling, one key/value head, tied head.</summary>
    public static DecoderConfig TinyLlama3 => TinyLlama with
    {
        NumKeyValueHeads = 1, TieWordEmbeddings = true, RopeTheta = 500000,
        RopeScaling = new RopeScaling("llama3", 8, 1, 4, 16),
    };

    public static IEnumerable<TestCaseData> TinyConfigs()
    {
        yield return new TestCaseData(TinyGpt2).SetArgDisplayNames("gpt2");
        yield return new TestCaseData(TinyLlama).SetArgDisplayNames("llama-gqa");
        yield return new TestCaseData(TinyQwen2).SetArgDisplayNames("qwen2-tied");
        yield return new TestCaseData(TinyLlama3).SetArgDisplayNames("llama3-tied");
    }

    /// <summary>A seeded random causal LM whose every parameter is perturbed (so biases and norms are not 0/1).</summary>
    public static CausalLm Random(DecoderConfig config, long seed)
    {
        manual_seed(seed);
        var model = CausalLm.Create(config);
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.05);
        model.eval();
        return model;
    }

    /// <summary>Values of [B, T, …] at the positions where the mask is 1, flattened.</summary>
    public static float[] AtRealTokens(Tensor values, Tensor mask)
    {
        var keep = mask.to_type(ScalarType.Bool);
        return values.index(keep).contiguous().data<float>().ToArray();
    }

    public static long[] Ids(Tensor t) => t.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
}
