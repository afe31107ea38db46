using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Tokenization;

namespace PeftBench.Tests.Models;

/// <summary>
/// Decoder tokenizers against Hugging Face tokenizers 0.23 (tests/fixtures/hf/tokenizers/*/expected.json: text → ids
/// for accents, CJK, emoji, code, digits, whitespace runs, the empty string), exact ids.
/// </summary>
public sealed class DecoderTokenizerTests
{
    private static string Folder(string name) => DecoderFixtures.Hf("tokenizers", name);

    private static string FixtureRoot => Path.Combine(AppContext.BaseDirectory, "fixtures", "hf", "tokenizers");
    public static IEnumerable<TestCaseData> Qwen2Cases() => ExpectedAt("qwen2-bpe");
    public static IEnumerable<TestCaseData> LlamaCases() => ExpectedAt("llama-sp");
    public static IEnumerable<TestCaseData> Gpt2Cases() => ExpectedAt("gpt2-bpe");

    private static IEnumerable<TestCaseData> ExpectedAt(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureRoot, name, "expected.json")))!.AsObject()
            .Select(kv => new TestCaseData(kv.Key, kv.Value!.AsArray().Select(i => i!.GetValue<int>()).ToArray())
                .SetArgDisplayNames(kv.Key.Length > 24 ? kv.Key[..24] : kv.Key));

    [TestCaseSource(nameof(Qwen2Cases))]
    public void Qwen2ByteLevelBpeMatchesHuggingFace(string text, int[] expected)
    {
        var tok = DecoderTokenizers.FromFolder(Folder("qwen2-bpe"));
        Assert.That(tok, Is.TypeOf<ByteLevelBpeDecoderTokenizer>());
        Assert.That(tok.Encode(text, addSpecialTokens: false), Is.EqualTo(expected));
        Assert.That(tok.Decode(expected), Is.EqualTo(text.Normalize(System.Text.NormalizationForm.FormC)));
    }

    [TestCaseSource(nameof(LlamaCases))]
    public void LlamaSentencePieceBpeMatchesHuggingFace(string text, int[] expected)
    {
        var tok = DecoderTokenizers.FromFolder(Folder("llama-sp"));
        Assert.That(tok, Is.TypeOf<SentencePieceBpeDecoderTokenizer>());
        Assert.That(tok.Encode(text, addSpecialTokens: true), Is.EqualTo(expected), "with <s>, as the template adds");
        Assert.That(tok.Decode(expected), Is.EqualTo(text));
    }

    [Test]
    public void SpecialIdsAndLayoutsComeFromTheFolder()
    {
        var llama = DecoderTokenizers.FromFolder(Folder("llama-sp"));
        Assert.That((llama.BosId, llama.EosId, llama.PadId), Is.EqualTo(((int?)1, (int?)2, 2)), "no pad token: eos pads");
        var pair = llama.Encode("Hello", "world", 64).InputIds;
        Assert.That(pair.Count(i => i == 1), Is.EqualTo(2), "LLaMA pair template: <s> A <s> B");
        Assert.That(llama.Encode("Hello", null, 64).InputIds[0], Is.EqualTo(1));
        var qwen = DecoderTokenizers.FromFolder(Folder("qwen2-bpe"));
        Assert.That((qwen.BosId, qwen.EosId, qwen.PadId), Is.EqualTo(((int?)null, (int?)0, 0)));
        Assert.That(qwen.Encode("Hello world!", null, 64).InputIds, Is.EqualTo(new[] { 335, 322, 3 }), "Qwen2 adds no special tokens");
        Assert.That(qwen.Encode("<|im_start|>Hello<|im_end|>", addSpecialTokens: false), Is.EqualTo(new[] { 1, 335, 2 }), "special tokens stay whole");
        Assert.That(qwen.Decode([1, 335, 2]), Is.EqualTo("Hello"));
        Assert.That(qwen.Decode([1, 335, 2], skipSpecialTokens: false), Is.EqualTo("<|im_start|>Hello<|im_end|>"));
    }

    [TestCaseSource(nameof(Gpt2Cases))]
    public void Gpt2VocabAndMergesMatchHuggingFace(string text, int[] expected)
    {
        var tok = DecoderTokenizers.FromFolder(Folder("gpt2-bpe"));
        Assert.That(tok, Is.TypeOf<ByteLevelBpeDecoderTokenizer>());
        var ids = tok.Encode(text, addSpecialTokens: false);
        Assert.That(ids, Is.EqualTo(expected), "ids of the tokenizers library's byte-level BPE over the same vocab.json + merges.txt");
        Assert.That(tok.Decode(ids), Is.EqualTo(text));
        Assert.That(tok.Encode(text, addSpecialTokens: true), Is.EqualTo(ids), "GPT-2 adds no special tokens");
        Assert.That((tok.BosId, tok.EosId), Is.EqualTo(((int?)0, (int?)0)));
    }

    [Test]
    public void TextTokenizersPicksTheDecoderTokenizerForDecoderFolders()
    {
        var dir = Directory.CreateTempSubdirectory("dectok-").FullName;
        try
        {
            foreach (var f in Directory.EnumerateFiles(Folder("gpt2-bpe"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"gpt2\"}");
            Assert.That(TextTokenizers.FromFolder(dir), Is.TypeOf<ByteLevelBpeDecoderTokenizer>());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
