using NUnit.Framework;
using PeftBench.Core.Tokenization;

namespace PeftBench.Tests.Models;

/// <summary>Tokenizers read a folder's own files and lay out pairs as BERT / RoBERTa do, truncating longest-first.</summary>
public sealed class TokenizerTests
{
    private static readonly string[] Vocab =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", ".", "##s", "play", "##ing", "dog", "a"];

    private string dir = "";

    [SetUp]
    public void SetUp()
    {
        dir = Directory.CreateTempSubdirectory("tok-test-").FullName;
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), Vocab);
    }

    [TearDown] public void TearDown() => Directory.Delete(dir, recursive: true);

    [Test]
    public void WordPieceEncodesAKnownSentence()
    {
        var tok = TextTokenizers.FromFolder(dir);
        var e = tok.Encode("The cats sat on the mat.", null, 32);
        Assert.That(e.InputIds, Is.EqualTo(new[] { 2, 5, 6, 11, 7, 8, 5, 9, 10, 3 }));
        Assert.That(e.TokenTypeIds, Is.All.Zero);
        Assert.That((tok.PadId, tok.ClsId, tok.SepId, tok.MaskId, tok.VocabSize), Is.EqualTo((0, 2, 3, 4, 16)));
    }

    [Test]
    public void PairsGetSegmentIdsAndTruncateLongestFirst()
    {
        var tok = TextTokenizers.FromFolder(dir);
        var e = tok.Encode("the cat", "a dog is playing", 32);
        Assert.That(e.InputIds, Is.EqualTo(new[] { 2, 5, 6, 3, 15, 14, 1, 12, 13, 3 }));
        Assert.That(e.TokenTypeIds, Is.EqualTo(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }));

        // 7 = [CLS] + 2 + [SEP] + 2 + [SEP]: the longer second segment loses tokens first.
        var cut = tok.Encode("the cat", "a dog is playing", 7);
        Assert.That(cut.InputIds, Is.EqualTo(new[] { 2, 5, 6, 3, 15, 14, 3 }));
        Assert.That(cut.TokenTypeIds, Is.EqualTo(new[] { 0, 0, 0, 0, 1, 1, 1 }));

        var single = tok.Encode("the cat sat on the mat", null, 4);
        Assert.That(single.InputIds, Is.EqualTo(new[] { 2, 5, 6, 3 }));
    }

    [Test]
    public void LowerCasingFollowsTokenizerConfig()
    {
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"do_lower_case\": false}");
        var tok = TextTokenizers.FromFolder(dir);
        Assert.That(tok.Encode("The cat", null, 16).InputIds, Is.EqualTo(new[] { 2, 1, 6, 3 }));
    }

    [Test]
    public void ByteLevelBpeFromVocabJsonAndMerges()
    {
        var bpe = Path.Combine(dir, "bpe");
        Directory.CreateDirectory(bpe);
        File.WriteAllText(Path.Combine(bpe, "vocab.json"),
            "{\"<s>\":0,\"<pad>\":1,\"</s>\":2,\"<unk>\":3,\"h\":4,\"e\":5,\"l\":6,\"o\":7,\"\u0120\":8,\"w\":9,\"r\":10,\"d\":11,"
            + "\"he\":12,\"ll\":13,\"hell\":14,\"hello\":15,\"\u0120w\":16,\"or\":17,\"\u0120wor\":18,\"ld\":19,\"\u0120world\":20,\"<mask>\":21,\"<|endoftext|>\":22}");
        File.WriteAllText(Path.Combine(bpe, "merges.txt"), "#version: 0.2\nh e\nl l\nhe ll\nhell o\n\u0120 w\no r\n\u0120w or\nl d\n\u0120wor ld\n");
        var tok = TextTokenizers.FromFolder(bpe);
        Assert.That(tok, Is.TypeOf<ByteLevelBpeTextTokenizer>());
        Assert.That(tok.Encode("hello world", null, 16).InputIds, Is.EqualTo(new[] { 0, 15, 20, 2 }));
        var pair = tok.Encode("hello", "world", 16);
        Assert.That(pair.InputIds, Is.EqualTo(new[] { 0, 15, 2, 2, 9, 17, 19, 2 }));
        Assert.That(pair.TokenTypeIds, Is.All.Zero);
        Assert.That((tok.PadId, tok.MaskId), Is.EqualTo((1, 21)));
    }
}
