using System.Data;
using System.Globalization;
using NUnit.Framework;
using PeftBench.Core.Tokenization;
using PeftBench.Harness.Pretraining;

namespace PeftBench.Tests.Models;

/// <summary>The decoder pretrainer's parts on small inputs: the BPE trainer, its tokenizer files, the arithmetic generator, packing.</summary>
public sealed class DecoderPretrainingTests
{
    private static readonly string[] Texts =
    [
        "the cat sat on the mat. the cat ate the rat.",
        "def f(x):\n    return x + 1\n\n\ndef g(y):\n\treturn y * 2\n",
        "12 + 34 = 46\n(5 - 7) * 3 = (-2) * 3 = -6",
        "naïve café — 日本語",
    ];

    [Test]
    public void TrainingIsDeterministicAndMergesTheMostFrequentPairFirst()
    {
        var a = BpeTrainer.Train(Texts, 300, ["<s>", "</s>"]);
        var b = BpeTrainer.Train(Texts.Reverse(), 300, ["<s>", "</s>"]);
        Assert.That(b.Merges, Is.EqualTo(a.Merges), "the merges do not depend on the order of the texts");
        Assert.That(a.Tokens.Take(2), Is.EqualTo(new[] { "<s>", "</s>" }));
        Assert.That(a.Tokens.Skip(2).Take(256), Is.EqualTo(ByteAlphabet.Symbols), "every byte is a token, in byte order");
        Assert.That(a.Tokens.Distinct().Count(), Is.EqualTo(a.Tokens.Count));
        Assert.That(a.Merges[0], Is.EqualTo(("a", "t")), "cat, sat, mat, ate, rat: the commonest pair");
        // (a, b) and (c, d) both occur twice: the tie goes to the ordinally smaller pair.
        Assert.That(BpeTrainer.Train(["abab cdcd"], 260, []).Merges.Take(2), Is.EqualTo(new[] { ("a", "b"), ("c", "d") }));
    }

    [Test]
    public void TheWrittenFilesLoadAndRoundTripEveryText()
    {
        var folder = Directory.CreateTempSubdirectory("bpe-files-").FullName;
        try
        {
            var model = BpeTrainer.Train(Texts, 320, ["<|begin_of_text|>", "<|end_of_text|>"]);
            ByteLevelBpeFiles.Write(folder, model, "<|begin_of_text|>", "<|end_of_text|>", 256);
            var tokenizer = DecoderTokenizers.FromFolder(folder);
            Assert.That((tokenizer.BosId, tokenizer.EosId, tokenizer.PadId, tokenizer.VocabSize), Is.EqualTo(((int?)0, (int?)1, 1, model.Tokens.Count)));
            foreach (var text in Texts.Append("unseen words: zebra 98765\r\n\t ✓"))
                Assert.That(tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: true)), Is.EqualTo(text));
            Assert.That(tokenizer.EncodeWords("the cat").Count, Is.LessThan("the cat".Length), "merges apply");
            Assert.That(tokenizer.Encode("a", "b", 16).InputIds, Is.EqualTo(new[] { 0, tokenizer.EncodeWords("a")[0], 0, tokenizer.EncodeWords("b")[0] }));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Test]
    public void EveryArithmeticStepEvaluatesToTheResult()
    {
        var records = ArithmeticCorpus.Generate(new Random(5), 20_000).ToList();
        var lines = records.SelectMany(r => r.Text.Split('\n')).ToList();
        Assert.That(lines, Has.Count.GreaterThan(500));
        Assert.That(lines.Count(l => l.Split(" = ").Length > 2), Is.GreaterThan(100), "multi-step chains");
        Assert.That(lines, Has.Some.Contains(" / "));
        foreach (var line in lines)
        {
            var sides = line.Split(" = ");
            var result = decimal.Parse(sides[^1], CultureInfo.InvariantCulture);
            foreach (var side in sides)
                Assert.That(Convert.ToDecimal(new DataTable().Compute(side, null), CultureInfo.InvariantCulture), Is.EqualTo(result), line);
        }
        Assert.That(ArithmeticCorpus.Generate(new Random(5), 20_000).Select(r => r.Text), Is.EqualTo(records.Select(r => r.Text)), "seeded");
    }

    [Test]
    public void PackingCutsOverlappingWindowsOfDocumentsBetweenBosAndEos()
    {
        var folder = Directory.CreateTempSubdirectory("bpe-pack-").FullName;
        try
        {
            ByteLevelBpeFiles.Write(folder, BpeTrainer.Train(Texts, 300, ["<b>", "<e>"]), "<b>", "<e>", 64);
            var tokenizer = DecoderTokenizers.FromFolder(folder);
            var stream = Texts.SelectMany(t => CausalLmPacking.Document(tokenizer, t)).ToList();
            var windows = CausalLmPacking.Pack(Texts, tokenizer, 8).ToList();
            Assert.That(windows, Has.All.Length.EqualTo(9));
            Assert.That(windows, Has.Count.EqualTo((stream.Count - 1) / 8));
            for (int i = 0; i < windows.Count; i++) Assert.That(windows[i], Is.EqualTo(stream.Skip(8 * i).Take(9)), $"window {i}");
            Assert.That(stream[0], Is.EqualTo(0));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Test]
    public void TheScheduleWarmsUpThenDecaysToItsFloor()
    {
        var cosine = new LearningRateSchedule(1.0, 10, 110, Cosine: true, FinalFraction: 0.1);
        Assert.That(cosine.At(0), Is.EqualTo(0.1).Within(1e-12));
        Assert.That(cosine.At(9), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(cosine.At(60), Is.EqualTo(0.55).Within(1e-12));
        Assert.That(cosine.At(110), Is.EqualTo(0.1).Within(1e-12));
        var linear = new LearningRateSchedule(1.0, 10, 110);
        Assert.That(linear.At(60), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(linear.At(110), Is.EqualTo(0.0));
    }
}
